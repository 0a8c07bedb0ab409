"""Synthetic historic cases for any policy, for replays, diffs and benchmarks without real data.

The cases look like a year of a service desk's records rather than uniform noise: amounts are
log-normal around everyday magnitudes, a cost usually sits below its price, most flags are off, the
first situations listed are the common ones, and optional fields are often simply left out. A fair
share of values sit on or right beside the policy's own thresholds (the constants its conditions
compare against), where a policy change moves cases. Each case has an `id` and, mostly, an `offered`
amount: what the agent actually gave, inside the policy's range about 85% of the time, above it 7%,
below it 5%, absent otherwise.

Everything comes from one `random.Random(seed)`: the same seed gives the same cases on any machine.
Amounts and numbers are strings (`"12.50"`), integers are ints and flags are bools, so any JSON or
CSV writer keeps them exact; `qa.casewriters.write_cases` writes them as a case file.
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterator

from dsl import ast
from dsl.currency import quantum
from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, CaseField, Policy
from engine.cases import CASE_ID_KEY, OFFERED_KEY, CaseError, value_range
from engine.decide import load_engine

ORDERED_PAIRS = (("cost", "price"), ("current_price", "requested_price"), ("repair_cost", "replacement_cost"))
_WORDS = ("late", "cold", "again", "manager", "phone", "email", "store", "online", "weekend", "refund",
          "polite", "upset", "regular", "first", "visit", "delivery", "follow-up", "complaint")
_NEAR_OWN_THRESHOLD, _NEAR_ANY_THRESHOLD = 0.2, 0.05


class GeneratedCases:
    """An iterator of case dicts that also knows its `columns` (id, the case fields, offered), so
    a CSV or Parquet writer can stream it without looking ahead."""

    def __init__(self, policy: Policy, n: int, seed: int):
        self.columns = [CASE_ID_KEY, *(field.name for field in policy.fields), OFFERED_KEY]
        self._cases = _CaseDrawer(policy, random.Random(seed)).cases(n)

    def __iter__(self) -> GeneratedCases:
        return self

    def __next__(self) -> dict:
        return next(self._cases)


def generate_cases(policy: Policy, n: int, seed: int) -> Iterator[dict]:
    """`n` realistic historic cases for `policy`, ids `C000001`..., the same for the same seed."""
    return GeneratedCases(policy, n, seed)


def thresholds(policy: Policy) -> tuple[dict[str, list[Decimal]], list[Decimal], list[Decimal]]:
    """The constants the policy's conditions compare against: per field compared directly, and
    every money and every plain number constant anywhere in a condition."""
    by_field: dict[str, set[Decimal]] = {}
    money: set[Decimal] = set()
    numbers: set[Decimal] = set()
    conditions = [item.condition for group in (policy.guidelines, policy.entitlements, policy.routes) for item in group]
    for condition in conditions:
        for node in ast.walk(condition):
            if isinstance(node, ast.Money):
                money.add(node.amount)
            elif isinstance(node, ast.Number):
                numbers.add(node.value)
            elif isinstance(node, ast.Compare):
                for subject, other in ((node.left, node.right), (node.right, node.left)):
                    if isinstance(subject, ast.Name) and isinstance(other, (ast.Money, ast.Number)):
                        by_field.setdefault(subject.name, set()).add(other.amount if isinstance(other, ast.Money) else other.value)
    return {name: sorted(values) for name, values in by_field.items()}, sorted(money), sorted(numbers)


def _within(field: CaseField, number: Decimal) -> Decimal:
    """A drawn value moved inside the field's `from ... to ...` bounds (and never below zero for money)."""
    low, high = value_range(field)
    if low is not None and number < low:
        number = low
    if high is not None and number > high:
        number = high
    return number


class _CaseDrawer:
    def __init__(self, policy: Policy, rng: random.Random):
        self.policy = policy
        self.rng = rng
        self.cent = quantum(policy.currency)
        self.by_field, self.money_constants, self.number_constants = thresholds(policy)
        self.engine = load_engine(policy, "compiled")
        money_fields = {field.name for field in policy.fields if field.kind == MONEY}
        self.optional = {field.name: field for field in policy.fields if not field.required}
        self.weights = {field.name: [0.75 ** index * (3 if value == field.default else 1) * (0.3 if value == "other" else 1)
                                     for index, value in enumerate(field.values)]
                        for field in policy.fields if field.kind == ENUM}
        self.pairs = [(low, high) for low, high in ORDERED_PAIRS if low in money_fields and high in money_fields]

    def cases(self, n: int) -> Iterator[dict]:
        width = max(6, len(str(n)))
        for index in range(1, n + 1):
            case = {CASE_ID_KEY: f"C{index:0{width}d}"}
            for field in self.policy.fields:
                value = self._value(field)
                if value is not None:
                    case[field.name] = value
            self._order_pairs(case)
            case = {key: value for key, value in case.items() if not self._left_out(key, value)}
            offered = self._offered(case)
            if offered is not None:
                case[OFFERED_KEY] = offered
            yield case

    # ------------------------------------------------------------ fields

    def _value(self, field: CaseField) -> Any:
        if field.kind == MONEY:
            near = self._near_threshold(field, self.money_constants)
            return self._text(_within(field, self._money(field) if near is None else near))
        if field.kind in (NUMBER, INTEGER):
            near = self._near_threshold(field, self.number_constants)
            number = _within(field, self._count(field) if near is None else near)
            return int(number.to_integral_value()) if field.kind == INTEGER else format(number.normalize(), "f")
        if field.kind == BOOL:
            usual = field.default if field.default is not None else False
            return usual if self.rng.random() < 0.92 else not usual
        if field.kind == ENUM:
            return self.rng.choices(field.values, self.weights[field.name])[0]
        if field.kind == TEXT:
            return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(1, 3)))
        return None

    def _near_threshold(self, field: CaseField, constants: list[Decimal]) -> Decimal | None:
        rng = self.rng
        own = self.by_field.get(field.name)
        if own and rng.random() < _NEAR_OWN_THRESHOLD:
            base = rng.choice(own)
        elif field.kind == MONEY and constants and rng.random() < _NEAR_ANY_THRESHOLD:
            base = rng.choice(constants)
        else:
            return None
        step = self.cent if field.kind == MONEY else Decimal(1).scaleb(min(0, base.as_tuple().exponent))
        return max(base + rng.choice((-step, Decimal(0), Decimal(0), step)), Decimal(0))

    def _money(self, field: CaseField) -> Decimal:
        rng = self.rng
        default = field.default
        if default:
            if rng.random() < 0.6:
                return default
            median, spread = float(default), 0.35
        else:
            if default is not None and rng.random() < 0.4:
                return Decimal(0)
            median, spread = (400.0, 1.0) if "per_year" in field.name else (60.0, 0.9)
        amount = Decimal(str(round(rng.lognormvariate(math.log(median), spread), 2)))
        ending = rng.random()
        if ending < 0.4:
            return amount.to_integral_value(ROUND_HALF_UP) or Decimal(1)
        if ending < 0.6:
            return amount.to_integral_value() + Decimal("0.99") if amount >= 1 else Decimal("0.99")
        return max(amount, self.cent)

    def _count(self, field: CaseField) -> Decimal:
        rng = self.rng
        default = field.default or Decimal(0)
        if rng.random() < 0.5:
            return default
        if default:
            count = Decimal(rng.randint(max(1, int(default) // 2), int(default) * 2))
        else:  # a few, or spread across the policy's own thresholds (minutes late: 30, 120)
            scale = max([3.0, *(float(value) / 2 for value in self.by_field.get(field.name, ()))])
            count = Decimal(int(rng.expovariate(1 / scale)) + 1)
        if field.kind == NUMBER and rng.random() < 0.15:
            count += Decimal(rng.randint(1, 9)) / 10
        return count

    def _order_pairs(self, case: dict) -> None:
        """A cost usually below its price: margins are normal, a loss sale now and then."""
        rng = self.rng
        for low, high in self.pairs:
            if low in case and high in case and Decimal(case[high]) > 0:
                share = rng.uniform(0.3, 0.9) if rng.random() < 0.9 else rng.uniform(0.9, 1.3)
                case[low] = self._text(_within(self.policy.field_named(low), max(Decimal(case[high]) * Decimal(str(round(share, 3))), self.cent)))

    def _left_out(self, key: str, value: Any) -> bool:
        """An optional field at its default is often not written at all, as in real exports."""
        field = self.optional.get(key)
        if field is None:
            return False
        default = field.default
        same = Decimal(value) == default if field.kind in (MONEY, NUMBER, INTEGER) else value == default
        return same and self.rng.random() < 0.6

    # ------------------------------------------------------------ what was actually offered

    def _offered(self, case: dict) -> str | None:
        rng = self.rng
        try:
            decision = self.engine.decide(case)
        except CaseError:
            return None
        floor, ceiling = decision.floor, decision.ceiling
        if floor is None or ceiling is None:
            return self._text(self._money(CaseField(OFFERED_KEY, MONEY))) if rng.random() < 0.5 else None
        draw = rng.random()
        if draw < 0.07:
            return self._text(ceiling + max(self.cent, self._cents(ceiling * Decimal(str(round(rng.uniform(0.02, 0.6), 3))))
                                            if ceiling else Decimal(rng.randint(1, 50))))
        if draw < 0.12 and floor > 0:
            return self._text(min(self._cents(floor * Decimal(str(round(rng.uniform(0, 0.95), 3)))), floor - self.cent))
        if draw > 0.97:
            return None
        pick = rng.random()
        if pick < 0.25 and decision.open_at is not None:
            return self._text(decision.open_at)
        if pick < 0.4:
            return self._text(floor)
        if pick < 0.55:
            return self._text(ceiling)
        cents = int((ceiling - floor) / self.cent)
        return self._text(floor + self.cent * rng.randint(0, max(cents, 0)))

    def _cents(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.cent, ROUND_HALF_UP)

    def _text(self, amount: Decimal) -> str:
        return str(self._cents(amount))
