"""The two engines must agree on every case: the durable engine (durable_rules matching on an encoded
fact) against the compiled one (generated Python), on the same checked policy.

Only the matching differs between them, so disagreements come from the durable encoding: scaled
numbers, text, and the limits of durable_rules. Cases are therefore generated where an encoding would
slip: at every constant a condition compares with, one cent and one tenth of a cent either side, one
unit of the constant's last decimal either side, values that put a product let exactly on a threshold,
long and unusual texts, and omitted fields that take their defaults.
"""

from __future__ import annotations

import random
import string
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsl import ast
from dsl.checker import check_file, check_source
from dsl.model import BOOL, ENUM, INTEGER, TEXT, Policy
from engine.cases import CaseError, value_range
from engine.decide import load_engine

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
EXAMPLE = TESTS / "data" / "language_example.policy"
POLICY_FILES = sorted((REPO / "policies").glob("*.policy"))

BULK_CASES = 100_000  # per policy, without explanations
EXPLAINED_CASES = 2_000  # per policy, with explanations (traces)

# ---------------------------------------------------------------- constants a policy's conditions use


def condition_constants(policy: Policy) -> tuple[list[Decimal], list[str]]:
    """Every number (money, plain or percent) and every text that the policy's conditions mention."""
    numbers: dict[Decimal, None] = {}
    texts: dict[str, None] = {}

    def visit(node, negative: bool = False) -> None:
        if isinstance(node, ast.Money):
            numbers[-node.amount if negative else node.amount] = None
        elif isinstance(node, ast.Number):
            numbers[-node.value if negative else node.value] = None
        elif isinstance(node, ast.Percent):
            numbers[node.percent / 100] = None
            numbers[node.percent] = None
        elif isinstance(node, ast.Text):
            texts[node.value] = None
        elif isinstance(node, ast.Negate):
            visit(node.operand, not negative)
        elif isinstance(node, ast.Call):
            for argument in node.arguments:
                visit(argument)
        elif isinstance(node, ast.PercentOf):
            visit(node.percent)
            visit(node.operand)
        else:
            for child in ("left", "right", "operand", "subject"):
                if getattr(node, child, None) is not None:
                    visit(getattr(node, child))

    for item in (*policy.guidelines, *policy.entitlements, *policy.routes):
        if item.condition is not None:
            visit(item.condition)
    return list(numbers), list(texts)


# ---------------------------------------------------------------- random cases

_DIVISORS = (2, 3, 4, 5, 7, 10, 12, 52)
_EXTREMES = (Decimal("999999999999999.99"), Decimal("-999999999999999.999999"), Decimal("1E+15"), Decimal(10) ** 13,
             Decimal("0." + "0" * 60 + "1"), Decimal("1." + "0" * 55 + "1"), Decimal("0." + "9" * 70),
             Decimal("12345678901234.5678901234567890123456789012345678901234567890"), Decimal("-0"), Decimal("0E+3"))
_ODD_TEXTS = ("", " ", "héllo", "日本", "a\"b", "back\\slash", "line\nbreak", "\u0000", "\ud800", "😀", "100", "true",
              "null", "$and", "x" * 70_000)


class CaseGenerator:
    """Random cases for one policy, concentrated where its conditions change their answer."""

    def __init__(self, policy: Policy, seed: int = 0):
        self.policy = policy
        self.random = random.Random(seed)
        numbers, texts = condition_constants(policy)
        near: dict[Decimal, None] = {}
        for constant in numbers:
            last_place = Decimal(1).scaleb(min(constant.as_tuple().exponent, 0))
            for delta in (Decimal(0), Decimal("0.01"), Decimal("0.001"), last_place, last_place / 10):
                near[constant + delta] = None
                near[constant - delta] = None
            for divisor in _DIVISORS:  # a product let (amount x frequency) lands on the constant
                near[constant / divisor] = None
                near[(constant / divisor).quantize(Decimal("0.01"))] = None
        self.numbers = list(near) or [Decimal(0)]
        self.whole_numbers = sorted({int(n) for n in self.numbers if abs(n) < 10**9} | {n + 1 for n in range(13)} | {0, -1})
        self.texts = texts + [t.upper() for t in texts] + [t + " " for t in texts] + list(_ODD_TEXTS)

    def case(self) -> dict:
        r = self.random
        case: dict = {}
        if r.random() < 0.1:
            case["id"] = r.choice([r.randrange(10**6), f"case-{r.randrange(10**6)}"])
        for field in self.policy.fields:
            if not field.required and r.random() < 0.15:
                continue  # the default
            case[field.name] = self._value(field)
        return case

    def _value(self, field):
        r = self.random
        if field.kind == ENUM:
            return r.choice(field.values)
        if field.kind == BOOL:
            return r.random() < 0.5
        if field.kind == TEXT:
            if r.random() < 0.6 and self.texts:
                return r.choice(self.texts)
            return "".join(r.choice(string.ascii_letters + " ") for _ in range(r.randrange(8)))
        if field.kind == INTEGER:
            return int(self._admitted(field, r.choice(self.whole_numbers) if r.random() < 0.8 else r.randrange(-10**6, 10**6)))
        number = self._admitted(field, self._number())
        shape = r.random()
        if shape < 0.6:
            return format(number, "f")  # a JSON string, as a case file may write an amount
        if shape < 0.8 and number == number.to_integral_value():
            return int(number)
        if shape < 0.99:
            return number  # a JSON number, read as a Decimal
        return str(number)  # sometimes "1E+20": refused by both engines alike

    def _admitted(self, field, number):
        """Mostly a value the case reader admits (moved onto the nearer bound, where the answers
        change); one time in ten left outside it, so the refusal is compared too."""
        low, high = value_range(field)
        if self.random.random() < 0.1:
            return number
        if low is not None and number < low:
            return low
        if high is not None and number > high:
            return high
        return number

    def _number(self) -> Decimal:
        r = self.random
        pick = r.random()
        if pick < 0.7:
            return r.choice(self.numbers)
        if pick < 0.85:
            return Decimal(r.randrange(0, 1_000_000)).scaleb(-2)
        if pick < 0.98:
            return Decimal(r.randrange(-10**7, 10**7)).scaleb(-r.randrange(0, 7))
        return r.choice(_EXTREMES)


# ---------------------------------------------------------------- comparing the engines


def _outcome(engine, case: dict, explain: bool):
    try:
        return engine.decide(case, explain=explain).to_json()
    except CaseError as error:
        return {"error": error.to_json()}


def assert_engines_agree(policy: Policy, count: int, explain: bool, seed: int) -> None:
    durable, compiled = load_engine(policy, "durable"), load_engine(policy, "compiled")
    assert durable.kind == "durable", durable.fallback_reason
    generator = CaseGenerator(policy, seed)
    disagreements = []
    decided = set()
    for _ in range(count):
        case = generator.case()
        mine, theirs = _outcome(durable, case, explain), _outcome(compiled, case, explain)
        if mine != theirs:
            disagreements.append((case, mine, theirs))
            if len(disagreements) == 3:
                break
        decided.add(mine.get("rule", "error"))
    assert not disagreements, "\n\n".join(f"case {case!r}\ndurable  {mine!r}\ncompiled {theirs!r}"
                                         for case, mine, theirs in disagreements)
    return decided


def _policy(path: Path) -> Policy:
    result = check_file(str(path))
    assert result.ok, [f"{d.line}:{d.column} {d.message}" for d in result.diagnostics]
    return result.policy


def test_policies_exist():
    assert POLICY_FILES, f"no policies in {REPO / 'policies'}: the differential test has nothing to check"


@pytest.mark.parametrize("path", [EXAMPLE, *POLICY_FILES] if POLICY_FILES else [EXAMPLE, None],
                         ids=lambda path: path.name if path else "no-policies")
def test_engines_agree_on_bulk_cases(path):
    assert path is not None, "policies/*.policy is empty"
    policy = _policy(path)
    decided = assert_engines_agree(policy, BULK_CASES, explain=False, seed=1)
    # the generator must reach the policy's rules, not only the case errors
    assert len(decided - {"error", None}) >= min(2, len(policy.guidelines))


@pytest.mark.parametrize("path", [EXAMPLE, *POLICY_FILES] if POLICY_FILES else [EXAMPLE, None],
                         ids=lambda path: path.name if path else "no-policies")
def test_engines_agree_on_explained_cases(path):
    assert path is not None, "policies/*.policy is empty"
    assert_engines_agree(_policy(path), EXPLAINED_CASES, explain=True, seed=2)


def test_the_generator_hits_thresholds_exactly():
    """The example's `yearly_value >= $1,000` at exactly 1000 and just below it."""
    generator = CaseGenerator(_policy(EXAMPLE))
    assert Decimal(1000) in generator.numbers and Decimal("999.99") in generator.numbers
    assert Decimal(100) in generator.numbers  # 1000 / 10, for average_purchase x purchases_per_year


# ---------------------------------------------------------------- specific encodings


TRICKY_POLICY = '''\
policy "Tricky"
version "1"
currency USD

case
  x: number = 0
  xf: number = 0
  a: money = $0
  b: money = $0
  yes: bool = false
  also: bool = false
  note: text = ""

# both sides of an `or` may hold: one route, listed once
route "Both" when yes or also
# a constant longer than durable_rules' strings can hold
route "Long" when note == "{long}"
entitlement "Either"
  when yes or x > 1
  at least $5

# more strict comparisons than durable_rules' 31-place expression sequence held as `$or`s
rule "Many comparisons"
  when x > 1 and x > 2 and x > 3 and x > 4 and x > 5 and x > 6 and x > 7 and x > 8 and x > 9 and x <= 10 and xf != 3 and a > b
  offer up to $10

# 64 alternatives that can all hold at once
rule "Many alternatives"
  when (x > 1 or xf > 1) and (x > 2 or xf > 2) and (x > 3 or xf > 3) and (x > 4 or xf > 4) and (yes or also) and (a > $1 or b > $1)
  offer up to $20

# negation pushed through eight levels of nesting
rule "Deep"
  when not (x == 1 and (xf == 2 or (a < $3 and (b > $4 or (yes and (also or (note == "n" and (x != 5 or xf < 0.0001))))))))
  offer up to $30
'''


@pytest.fixture(scope="module")
def tricky_engines():
    result = check_source(TRICKY_POLICY.replace("{long}", "L" * 6000), "tricky.policy")
    assert result.ok, [d.message for d in result.diagnostics]
    return load_engine(result.policy, "durable"), load_engine(result.policy, "compiled")


@pytest.mark.parametrize("case", [
    {"yes": True, "also": True, "x": 5},  # an `or` whose both sides hold fires once
    {"x": "1.000000000000000000000000000000000000000000000000000001"},  # more digits than the arithmetic
    {"x": "0.999999999999999999999999999999999999999999999999999999"},
    {"x": "1E+25"}, {"x": "-1E+25"}, {"x": "10.0000001", "a": 2, "b": 1},
    {"x": 10, "a": 2, "b": 1, "xf": 3}, {"x": 10, "a": 2, "b": 1, "xf": "3.0000"},
    {"x": 5, "xf": 5, "yes": True, "also": True, "a": 5, "b": 5},  # every alternative holds
    {"note": "L" * 6000}, {"note": "L" * 5999}, {"note": "L" * 6001},
    {"note": "n" + "x" * 65535}, {"note": "n"}, {"note": "\ud800"}, {"note": "é"},
])
def test_engines_agree_on_tricky_cases(tricky_engines, case):
    durable, compiled = tricky_engines
    for explain in (False, True):
        assert _outcome(durable, case, explain) == _outcome(compiled, case, explain)


def test_engines_agree_on_tricky_policy_random_cases(tricky_engines):
    durable, compiled = tricky_engines
    generator = CaseGenerator(durable.policy, seed=3)
    for _ in range(5_000):
        case = generator.case()
        assert _outcome(durable, case, False) == _outcome(compiled, case, False), case


def test_field_names_whose_encodings_collide():
    """`n_f122789` and `n_f339192` share durable_rules' 32-bit property hash, and a field `x` next to
    a field `xf` once shared an attribute name."""
    source = '''\
policy "Collisions"
version "1"
currency USD

case
  f122789: number = 0
  f339192: number = 0

rule "First"
  when f122789 > 1
  offer up to $1

rule "Second"
  when f339192 > 1
  offer up to $2
'''
    policy = check_source(source, "collisions.policy").policy
    durable, compiled = load_engine(policy, "durable"), load_engine(policy, "compiled")
    for case in ({"f122789": 2}, {"f339192": 2}, {"f122789": 2, "f339192": 2}, {}):
        assert _outcome(durable, case, True) == _outcome(compiled, case, True), case


# ---------------------------------------------------------------- random small policies

_MONEY_TERMS = ["a", "b", "diff", "half", "scaled", "25% of a", "12.5% of b", "min(a, b)", "max(b, diff)", "a + b",
                "a - $1.5", "(a - b) * 2"]
_NUMBER_TERMS = ["n", "i", "n * 2", "i - n", "n + i", "ratio"]
_OPERATORS = ["<", "<=", ">", ">=", "==", "!="]
_COLORS = ["red", "green", "blue", "cyan"]
_WORDS = ["", "hello", "x y", "Hello", "héllo"]
_OFFERS = ["up to a", "no less than $1 but no more than b + $2", "exactly half", "nothing"]


@st.composite
def _decimal_text(draw, low=-1000, high=10_000) -> str:
    places = draw(st.integers(0, 4))
    units = draw(st.integers(low * 10**places, high * 10**places))
    return format(Decimal(units).scaleb(-places), "f")


def _money_literal(text: str) -> str:
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def _number_literal(text: str) -> str:
    return f"-{text[1:]}" if text.startswith("-") else text


@st.composite
def _atom(draw) -> str:
    kind = draw(st.sampled_from(["money", "money", "money_left", "money_fields", "number", "number_fields", "percent",
                                 "enum", "bool", "text", "division"]))
    op = draw(st.sampled_from(_OPERATORS))
    if kind == "money":
        return f"{draw(st.sampled_from(_MONEY_TERMS))} {op} {_money_literal(draw(_decimal_text()))}"
    if kind == "money_left":
        return f"{_money_literal(draw(_decimal_text()))} {op} {draw(st.sampled_from(_MONEY_TERMS))}"
    if kind == "money_fields":
        return f"{draw(st.sampled_from(_MONEY_TERMS))} {op} {draw(st.sampled_from(_MONEY_TERMS))}"
    if kind == "number":
        return f"{draw(st.sampled_from(_NUMBER_TERMS))} {op} {_number_literal(draw(_decimal_text(-20, 50)))}"
    if kind == "number_fields":
        return f"{draw(st.sampled_from(_NUMBER_TERMS))} {op} {draw(st.sampled_from(_NUMBER_TERMS))}"
    if kind == "percent":
        return f"n {op} {draw(st.integers(0, 300))}%"
    if kind == "enum":
        values = draw(st.lists(st.sampled_from(_COLORS), min_size=1, max_size=3, unique=True))
        form = draw(st.sampled_from(["is", "is not", "is one of", "is not one of"]))
        if form in ("is", "is not"):
            return f"color {form} {values[0]}"
        return f"color {form} {', '.join(values)}"
    if kind == "bool":
        return draw(st.sampled_from(["flag", "other", "big", "not flag", "not big"]))
    if kind == "text":
        word = draw(st.sampled_from(_WORDS))
        return draw(st.sampled_from([f'note == "{word}"', f'note != "{word}"', f'"{word}" == note']))
    return f"a / n {op} {_money_literal(draw(_decimal_text(-10, 100)))}"


_condition = st.recursive(
    _atom(),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]} and {pair[1]})"),
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]} or {pair[1]})"),
        st.tuples(inner, inner).map(lambda pair: f"{pair[0]} and {pair[1]}"),
        st.tuples(inner, inner).map(lambda pair: f"{pair[0]} or {pair[1]}"),
        inner.map(lambda condition: f"not ({condition})"),
    ),
    max_leaves=10,
)


@st.composite
def small_policies(draw) -> str:
    lines = ['policy "Random"', 'version "1"', "currency USD", "", "case",
             "  a: money", "  b: money = $0", "  n: number = 0", "  i: integer = 0", "  flag: bool = false",
             "  other: bool = false", "  color: one of red, green, blue, cyan = red", '  note: text = ""', "",
             "let diff = a - b", "let half = a / 2", "let scaled = a * n", "let ratio = n / 4", "let big = a > $10 and not flag",
             "", "authority", "  clerk up to $50", "  boss", ""]
    for index in range(draw(st.integers(0, 2))):
        lines.append(f'route "Route {index}" when {draw(_condition)}')
    for index in range(draw(st.integers(0, 2))):
        minimum = draw(st.sampled_from(["$5", "a", "10% of b"]))
        lines += [f'entitlement "Entitlement {index}"', f"  when {draw(_condition)}", f"  at least {minimum}"]
    rules = draw(st.integers(1, 4))
    for index in range(rules):
        lines.append(f'rule "Rule {index}"')
        if index < rules - 1 or draw(st.booleans()):
            lines.append(f"  when {draw(_condition)}")
        lines.append(f"  offer {draw(st.sampled_from(_OFFERS))}")
    lines += ["", "otherwise escalate to boss", ""]
    return "\n".join(lines)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(source=small_policies(), seed=st.integers(0, 2**32))
def test_engines_agree_on_random_policies(source, seed):
    result = check_source(source, "random.policy")
    unexpected = [d for d in result.diagnostics if d.severity == "error" and d.code != "unreachable"]
    assert not unexpected, "the generator wrote a wrong policy:\n" + source + "\n" + "\n".join(d.message for d in unexpected)
    assume(result.ok)
    policy = result.policy
    durable, compiled = load_engine(policy, "durable"), load_engine(policy, "compiled")
    assert durable.kind == "durable"
    generator = CaseGenerator(policy, seed)
    for number in range(50):
        case = generator.case()
        explain = number % 2 == 0
        mine, theirs = _outcome(durable, case, explain), _outcome(compiled, case, explain)
        assert mine == theirs, f"{source}\ncase {case!r}\ndurable  {mine!r}\ncompiled {theirs!r}"
