"""`diff --prove`: whether two versions of a policy decide every possible case alike, and if not, a
case for each kind of difference and how far floors and ceilings can move at worst.

Both versions are encoded over one symbolic case. For each decision key the solver is asked for a
case both versions accept on which that key differs; no such case is a proof for the key. A case it
finds is first moved onto a boundary where it can be (a constant the conditions compare with), then
decided by the real engines of both versions; it is reported only with the keys the engines show
differing. The largest increase and decrease of floor and ceiling come from z3's optimiser.

The proof is over exact arithmetic. The engines compute a division to 50 significant digits, so two
versions that differ only by dividing and multiplying back (`x / 3 * 3` against `x`) are proved
alike although the engines may differ in the 50th digit, and so at a boundary; with no division,
or divisions by 2 and 5 only, the proof and the engines agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import z3

from dsl import ast
from dsl.model import ENUM, INTEGER, MONEY, NUMBER, Policy
from analysis.decision_terms import KEYS, Names, decision_terms, differs
from analysis.encoding import CaseVariables, encode, rational
from analysis.referee import Referee
from analysis.solving import SAT, UNKNOWN, UNSAT, Solving, case_from_model, decimal_of, interrupted

COMPARED = ("rule", "floor", "ceiling", "open_at", "step", "remedies", "approver", "escalate_to", "routes",
            "entitlements", "say", "follow_up", "extra", "notes")


@dataclass
class Proof:
    equivalent: bool | None  # None: some question was left unknown and no difference was found
    counterexamples: list[dict] = field(default_factory=list)
    floor_delta: dict = field(default_factory=lambda: {"min": None, "max": None})
    ceiling_delta: dict = field(default_factory=lambda: {"min": None, "max": None})
    case_block: list[str] = field(default_factory=list)  # how the two `case` blocks differ
    unknown: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"equivalent": self.equivalent, "counterexamples": self.counterexamples,
                "floor_delta": self.floor_delta, "ceiling_delta": self.ceiling_delta,
                "case_block": self.case_block, "unknown": self.unknown}


def prove(old: Policy, new: Policy, time_limit: float = 5.0, cancelled=None) -> Proof:
    solving = Solving(time_limit, cancelled)
    proof = Proof(None)
    case = CaseVariables(old.fields)
    proof.case_block = _case_block_differences(old, new)
    if any(line.startswith("incompatible") for line in proof.case_block):
        proof.equivalent = False
        return proof
    old_encoding, new_encoding = encode(old, case), encode(new, case)
    fields = _witness_fields(old, new)
    domain = [*old_encoding.domain, *new_encoding.domain, *_defaults_of_missing(old, new, case)]
    names = Names()
    old_terms, new_terms = decision_terms(old_encoding, names), decision_terms(new_encoding, names)
    referees = (Referee(old), Referee(new))
    constants = _constants(old, new)
    both_decide = [old_encoding.decided(), new_encoding.decided()]
    found_keys: set[str] = set()
    for key in KEYS:
        if key in found_keys:
            continue
        constraints = [*domain, differs(key, old_terms, new_terms)] + (both_decide if key != "error" else [])
        answer = solving.ask(constraints, f"a case on which `{key}` differs")
        if answer.status != SAT:
            continue
        witness = _on_boundary(solving, constraints, answer.model, case, fields, constants, 10 ** max(old.minor_unit, new.minor_unit))
        example = _counterexample(witness, referees) if witness is not None else None
        if example is None or key not in example["differs"]:
            solving.unknown.append({"question": f"a case on which `{key}` differs",
                                    "reason": "the solver's case did not reproduce in the engines", "case": witness})
            continue
        found_keys.update(example["differs"])
        proof.counterexamples.append(example)
    ranged = [*domain, *both_decide, z3.Not(old_encoding.no_rule), z3.Not(new_encoding.no_rule)]
    for key, into in (("floor", proof.floor_delta), ("ceiling", proof.ceiling_delta)):
        delta = new_terms.parts[key][1] - old_terms.parts[key][1]
        into["min"], into["max"] = _extreme(solving, ranged, delta, False, key), _extreme(solving, ranged, delta, True, key)
    proof.unknown = solving.unknown
    if proof.counterexamples or proof.case_block:
        proof.equivalent = False
    elif not any(item["question"].startswith("a case on which") for item in proof.unknown):
        proof.equivalent = True
    return proof


def _counterexample(case: dict, referees: tuple[Referee, Referee]) -> dict | None:
    """Both versions' decisions (each engine of each version must agree with the other)."""
    sides = []
    for referee in referees:
        shown = [_shown(outcome) for outcome in referee.outcomes(case)]
        if any(s != shown[0] for s in shown):
            return None
        sides.append(shown[0])
    old, new = sides
    if "error" in old or "error" in new:
        keys = ["error"] if ("error" in old) != ("error" in new) or old != new else []
    else:
        keys = [key for key in COMPARED if old[key] != new[key]]
    return {"case": case, "old": old, "new": new, "differs": keys} if keys else None


def _shown(outcome) -> dict:
    if isinstance(outcome, Exception):
        return {"error": outcome.to_json()}
    data = outcome.to_json()
    return {key: value for key, value in data.items() if key not in ("policy", "version", "digest", "case_id", "trace")}


# Past the largest amount a case may carry (engine.cases.LARGEST), a change counts as unbounded.
UNBOUNDED_PAST = Fraction(10) ** 15
CENT = Fraction(1, 100)


def _extreme(solving: Solving, constraints: list, objective, largest: bool, what: str):
    """The largest (or smallest) value of `objective` over the cases: a decimal string,
    "unbounded", or "unknown"; None when no case has a range in both versions.

    z3's optimiser answers linear policies at once; where it cannot (a product of two fields), the
    extreme is searched for with plain questions, doubling and then halving a bound, each answer's
    own case raising the best value found, so the result is always attained by a real case."""
    question = f"the {'largest' if largest else 'smallest'} change of the {what}"
    sign = 1 if largest else -1
    goal = objective if largest else -objective
    optimizer = z3.Optimize()
    optimizer.set("timeout", max(1, int(min(solving.time_limit, 1.0) * 1000)))
    optimizer.add(*constraints)
    handle = optimizer.maximize(goal)
    solving.questions += 1
    result = optimizer.check()
    if result == z3.unsat:
        return None
    interrupted(optimizer.reason_unknown() if result == z3.unknown else "")
    if result == z3.sat:
        if "oo" in str(handle.upper()):
            return "unbounded"
        best = _value(optimizer.model(), goal)
        if best is not None:
            return _amount_text(sign * best)
    return _searched(solving, constraints, goal, sign, question)


def _searched(solving: Solving, constraints: list, goal, sign: int, question: str):
    answer = solving.ask(constraints, question)
    if answer.status != SAT:
        return None if answer.status == UNSAT else "unknown"
    best, ceiling = _value(answer.model, goal), None
    while ceiling is None or ceiling - best > CENT:
        probe = max(best * 2, best + 1) if ceiling is None else best + ((ceiling - best) / 2 // CENT) * CENT
        probe = max(probe, best + CENT)
        if ceiling is None and probe > UNBOUNDED_PAST:
            return "unbounded"
        answer = solving.ask([*constraints, goal >= rational(probe)], question)
        if answer.status == UNKNOWN:
            return "unknown"
        if answer.status == SAT:
            best = _value(answer.model, goal)
        else:
            ceiling = probe
    return _amount_text(sign * best)


def _value(model: z3.ModelRef, term) -> Fraction | None:
    value = model.eval(term, model_completion=True)
    return value.as_fraction() if z3.is_rational_value(value) else None


def _amount_text(value: Fraction) -> str:
    number = decimal_of(value)
    if number is None:
        return "unknown"
    return format(number.quantize(Decimal("0.01")) if number == number.quantize(Decimal("0.01")) else number, "f")


def _on_boundary(solving: Solving, constraints: list, model: z3.ModelRef, case: CaseVariables, fields, constants, scale: int):
    """Move each amount of the counterexample onto a constant the policies compare with, where
    the difference still shows there, so a changed `>=` is shown exactly at its boundary."""
    fixed: list[z3.BoolRef] = []
    for case_field in fields:
        if case_field.kind not in (MONEY, NUMBER, INTEGER):
            continue
        term = case.terms[case_field.name]
        current = model.eval(term, model_completion=True)
        if not z3.is_rational_value(current) and not z3.is_int_value(current):
            continue
        value = Fraction(current.as_long()) if case_field.kind == INTEGER else current.as_fraction()
        for constant in sorted(constants, key=lambda c: abs(c - value))[:4]:
            if constant == value:
                break
            if case_field.kind == INTEGER and constant.denominator != 1:
                continue
            attempt = [*constraints, *fixed, term == (int(constant) if case_field.kind == INTEGER else rational(constant))]
            again = solving.solve(attempt)
            if again.status == SAT:
                fixed.append(attempt[-1])
                model = again.model
                break
    grid = [z3.IsInt(case.terms[f.name] * scale) for f in fields if f.kind == MONEY]
    answer = solving.solve([*constraints, *fixed, *grid]) if grid else None
    if answer is not None and answer.status == SAT:
        model = answer.model
    return case_from_model(model, case, fields)


def _constants(old: Policy, new: Policy) -> list[Fraction]:
    found: set[Fraction] = {Fraction(0)}
    for policy in (old, new):
        for group in (policy.guidelines, policy.entitlements, policy.routes):
            for item in group:
                _collect_constants(item.condition, found)
        for let in policy.lets:
            _collect_constants(let.expr, found)
    return sorted(found)


def _collect_constants(node, found: set[Fraction]) -> None:
    if node is None:
        return
    if isinstance(node, ast.Money):
        found.add(Fraction(node.amount))
    elif isinstance(node, ast.Number):
        found.add(Fraction(node.value))
    for name in ("left", "right", "operand", "subject"):
        _collect_constants(getattr(node, name, None), found)
    for argument in getattr(node, "arguments", ()):
        _collect_constants(argument, found)


def _witness_fields(old: Policy, new: Policy) -> list:
    """The fields a counterexample writes out: those both versions read. A field only one version
    has is left out, so it takes that version's default."""
    names = {f.name for f in new.fields}
    return [f for f in old.fields if f.name in names]


def _defaults_of_missing(old: Policy, new: Policy, case: CaseVariables) -> list[z3.BoolRef]:
    constraints = []
    for one, other in ((old, new), (new, old)):
        names = {f.name for f in other.fields}
        for only in (f for f in one.fields if f.name not in names):
            term = case.terms[only.name]
            if only.kind == ENUM:
                constraints.append(term == case.value_index(only.name, only.default))
            elif only.kind in (MONEY, NUMBER):
                constraints.append(term == rational(only.default))
            else:
                constraints.append(term == (int(only.default) if only.kind == INTEGER else only.default))
    return constraints


def _case_block_differences(old: Policy, new: Policy) -> list[str]:
    """What makes some case valid, or filled in, differently in the two versions. An `incompatible`
    difference (a field of another type, a new required field) leaves no common cases to compare."""
    lines = []
    if old.currency != new.currency:
        lines.append(f"incompatible: the currency changed from {old.currency} to {new.currency}: every amount means another thing")
    new_fields = {f.name: f for f in new.fields}
    old_fields = {f.name: f for f in old.fields}
    for name, before in old_fields.items():
        after = new_fields.get(name)
        if after is None:
            if before.required:
                lines.append(f"incompatible: `{name}` is required in the old version and gone from the new one")
            else:
                lines.append(f"`{name}` is gone from the new version: a case that gives it is refused there")
            continue
        if before.kind != after.kind:
            lines.append(f"incompatible: `{name}` is {before.kind} in the old version and {after.kind} in the new one")
            continue
        if before.default != after.default:
            lines.append(f"the default of `{name}` changed: a case that leaves it out is decided with another value")
        if before.kind == ENUM and before.values != after.values:
            gone, added = set(before.values) - set(after.values), set(after.values) - set(before.values)
            if gone or added:
                lines.append(f"the values of `{name}` changed ({', '.join(sorted(gone | added))}): such a case is refused by one version")
        if (before.low, before.high) != (after.low, after.high):
            lines.append(f"the bounds of `{name}` changed: some cases are refused by one version only")
    for name, after in new_fields.items():
        if name not in old_fields:
            if after.required:
                lines.append(f"incompatible: `{name}` is new and required")
            else:
                lines.append(f"`{name}` is new: a case that gives it is refused by the old version")
    return lines
