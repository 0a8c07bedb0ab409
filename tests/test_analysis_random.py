"""Property-based checks of the analysis on small random policies (hypothesis): the solver's
"never" and "equivalent" are compared with the engine on random and boundary cases."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from analysis import analyze
from analysis.equivalence import prove
from dsl.checker import check_source
from engine.decide import load_engine

HEAD = """\
policy "Random"
version "1"
currency USD

case
  x: number from 0 to 100
  n: integer from 0 to 10
  s: one of a, b, c
  flag: bool = false
  price: money from $0 to $1,000

"""
CONSTANTS = (0, 5, 10, 50, 99)

atoms = st.one_of(
    st.builds(lambda op, c: f"x {op} {c}", st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.sampled_from(CONSTANTS)),
    st.builds(lambda op, k: f"n {op} {k}", st.sampled_from(["<", "<=", ">", ">="]), st.integers(0, 10)),
    st.builds(lambda v: f"s is {v}", st.sampled_from(["a", "b", "c"])),
    st.builds(lambda v: f"s is not {v}", st.sampled_from(["a", "b"])),
    st.sampled_from(["flag", "not flag", "x * 2 >= n", "x + n > 60"]),
)
conditions = st.recursive(atoms, lambda inner: st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner, st.sampled_from(["and", "or"]), inner),
                          max_leaves=3)
offers = st.sampled_from(["offer up to 20% of price", "offer no less than $5 but no more than 50% of price + $5",
                          "offer exactly $10", "offer nothing", "offer up to price - $200"])
rules = st.lists(st.tuples(st.one_of(st.none(), conditions), offers), min_size=1, max_size=4)


def source_of(rule_list) -> str:
    body = ""
    for index, (condition, offer) in enumerate(rule_list):
        body += f'rule "R{index}"\n' + (f"  when {condition}\n" if condition else "") + f"  {offer}\n"
    return HEAD + body


def checked(source: str):
    """The policy, when it checks (a rule the checker already calls unreachable is not a policy)."""
    result = check_source(source, "random.policy")
    assume(result.ok)
    return result.policy


def sample_cases():
    """Every constant the conditions use, just either side, the domain's ends, and in between."""
    xs = sorted({Decimal(v) for c in CONSTANTS for v in (c, c - Decimal("0.5"), c + Decimal("0.5")) if 0 <= v <= 100} | {Decimal(100), Decimal(30)})
    for x, n, s, flag, price in itertools.product(xs, range(0, 11, 2), "abc", (False, True), ("0", "300", "1000")):
        yield {"x": str(x), "n": n, "s": s, "flag": flag, "price": price}
    for x, n in itertools.product(xs, range(11)):
        yield {"x": str(x), "n": n, "s": "a", "flag": False, "price": "40"}


def decisions(policy):
    engine = load_engine(policy, "compiled")
    for case in sample_cases():
        decision = engine.decide(case).to_json()
        yield case, {k: v for k, v in decision.items() if k not in ("policy", "version", "digest")}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules)
def test_a_rule_analyze_says_never_applies_is_never_reached(rule_list) -> None:
    policy = checked(source_of(rule_list))
    report = analyze(policy, time_limit=5)
    never = {f.subject for f in report.findings if f.code == "rule-never-applies"}
    for case, decision in decisions(policy):
        assert decision["rule"] not in never, (case, decision)
    for finding in report.findings:
        if finding.code == "uncovered-case":
            assert load_engine(policy, "compiled").decide(finding.witness).rule is None


mutations = st.sampled_from(["swap", "flip", "shift", "negate", "drop"])


def mutate(rule_list, how: str, seed: int):
    rules_ = list(rule_list)
    index = seed % len(rules_)
    condition, offer = rules_[index]
    if how == "swap" and len(rules_) > 1:
        rules_[index], rules_[index - 1] = rules_[index - 1], rules_[index]
    elif how == "negate" and condition:
        rules_[index] = (f"not (not ({condition}))", offer)
    elif how == "flip" and condition:
        for before, after in ((">=", ">"), ("<=", "<"), (" > ", " >= "), (" < ", " <= ")):
            if before in condition:
                rules_[index] = (condition.replace(before, after, 1), offer)
                break
    elif how == "shift" and condition:
        for c in sorted(CONSTANTS, reverse=True):
            if f" {c}" in condition:
                rules_[index] = (condition.replace(f" {c}", f" {c + 1}", 1), offer)
                break
    elif how == "drop":
        rules_[index] = (None, offer)
    return rules_


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules, mutations, st.integers(0, 10))
def test_when_prove_says_equivalent_no_sampled_case_differs(rule_list, how, seed) -> None:
    old, new = checked(source_of(rule_list)), checked(source_of(mutate(rule_list, how, seed)))
    proof = prove(old, new, time_limit=5)
    if proof.equivalent:
        for (case, before), (_, after) in zip(decisions(old), decisions(new)):
            assert before == after, case
    for example in proof.counterexamples:
        before = load_engine(old, "compiled").decide(example["case"]).to_json()
        after = load_engine(new, "compiled").decide(example["case"]).to_json()
        assert example["differs"] and all(before[key] != after[key] for key in example["differs"])
