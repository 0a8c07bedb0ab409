"""Asking the solver one small question at a time, with a time limit, and turning its answer into a
case a person can run.

Every question is its own `z3.Solver` with its own timeout, so one hard question (non-linear
arithmetic between two fields) costs at most the limit and is reported as `unknown` with the
question asked, while the others are still answered. The caller can cancel between questions.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Iterable, Iterator

import z3

from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, CaseField
from analysis.encoding import CaseVariables

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"
# z3 shows characters outside printable ASCII as \u{20ac}.
_UNICODE_ESCAPE = re.compile(r"\\u\{([0-9a-fA-F]+)\}")
# Numbers (not money) in a witness, when the first model is not a finite decimal: a grid this fine.
NUMBER_GRID = 10_000


class Cancelled(Exception):
    """The caller asked to stop (the next keystroke in the workbench)."""


def interrupted(reason: str) -> None:
    """z3 turns Ctrl-C into an `unknown` answer; the person meant to stop, not to get one."""
    if reason == "interrupted from keyboard":
        raise KeyboardInterrupt


@dataclass
class Answer:
    status: str
    model: z3.ModelRef | None = None
    reason: str | None = None


class Solving:
    """Runs questions under one time limit, collecting the ones the solver could not decide."""

    def __init__(self, time_limit: float = 5.0, cancelled: Callable[[], bool] | None = None):
        self.time_limit = time_limit
        self.cancelled = cancelled or (lambda: False)
        self.unknown: list[dict] = []
        self.questions = 0
        self._shared: tuple[list, z3.Solver] | None = None

    def ask(self, constraints: Iterable[z3.BoolRef], question: str, subject: str | None = None) -> Answer:
        """Is there a case satisfying every constraint? `unknown` answers are recorded."""
        answer = self.solve(constraints)
        if answer.status == UNKNOWN:
            self.unknown.append({"subject": subject, "question": question, "reason": answer.reason})
        return answer

    def solve(self, constraints: Iterable[z3.BoolRef]) -> Answer:
        if self.cancelled():
            raise Cancelled()
        self.questions += 1
        constraints = list(constraints)
        shared = self._shared
        if shared is not None and len(constraints) >= len(shared[0]) and all(
                a is b for a, b in zip(shared[0], constraints)):
            solver = shared[1]
            solver.push()
            solver.add(*constraints[len(shared[0]):])
            try:
                return self._check(solver)
            finally:
                solver.pop()
        solver = z3.Solver()
        solver.set("timeout", max(1, int(self.time_limit * 1000)))
        solver.add(*constraints)
        return self._check(solver)

    @contextmanager
    def sharing(self, base: list[z3.BoolRef]):
        """Questions that all start with `base` (one rule's cases) share one incremental solver."""
        solver = z3.Solver()
        solver.set("timeout", max(1, int(self.time_limit * 1000)))
        solver.add(*base)
        self._shared = (base, solver)
        try:
            yield
        finally:
            self._shared = None

    def _check(self, solver: z3.Solver) -> Answer:
        result = solver.check()
        if result == z3.sat:
            return Answer(SAT, solver.model())
        if result == z3.unsat:
            return Answer(UNSAT)
        reason = solver.reason_unknown()
        interrupted(reason)
        if reason in ("timeout", "canceled"):
            reason = f"no answer within the time limit ({self.time_limit:g} s)"
        return Answer(UNKNOWN, reason=f"the solver could not decide this: {reason}")

    def witness(self, constraints: list[z3.BoolRef], answer: Answer, case: CaseVariables,
                fields: Iterable[CaseField], scale: int, accept: Callable[[dict], bool] | None = None) -> dict | None:
        """The model as a case, every field written out; see `witnesses`."""
        found = self.witnesses(constraints, answer, [case], fields, scale,
                               (lambda cases: accept(cases[0])) if accept is not None else None)
        return found[0] if found is not None else None

    def witnesses(self, constraints: list[z3.BoolRef], answer: Answer, cases: list[CaseVariables],
                  fields: Iterable[CaseField], scale: int, accept: Callable[[list[dict]], bool] | None = None) -> list[dict] | None:
        """The cases of one model. Amounts are asked for again on a grid of whole cents (and of
        1/10,000 for numbers), which reads better and is always a finite decimal: first simply by
        rounding the model (kept if the constraints still hold, or if `accept` says the cases
        still show what they must), else by asking again; only if no such case exists is the
        model used as it is, when it is a decimal at all (1/3, or an irrational root, is not).
        None when no decimal case was found."""
        fields = list(fields)
        numeric = [(case.terms[f.name], scale if f.kind == MONEY else NUMBER_GRID)
                   for case in cases for f in fields if f.kind in (MONEY, NUMBER)]
        model = answer.model
        if numeric and not _on_grid(model, numeric):
            rounded = _rounded(model, numeric)
            if rounded is not None:
                found = [case_from_model(model, case, fields, rounded) for case in cases]
                holds = accept(found) if accept is not None else _holds(constraints, model, cases, rounded)
                if all(case is not None for case in found) and holds:
                    return found
            again = self.solve([*constraints, *(z3.IsInt(term * unit) for term, unit in numeric)])
            if again.status == SAT:
                model = again.model
        found = [case_from_model(model, case, fields) for case in cases]
        return None if any(case is None for case in found) else found


def _on_grid(model: z3.ModelRef, numeric: list) -> bool:
    for term, unit in numeric:
        value = model.eval(term, model_completion=True)
        if not z3.is_rational_value(value) or (value.as_fraction() * unit).denominator != 1:
            return False
    return True


def _rounded(model: z3.ModelRef, numeric: list) -> dict | None:
    """The model's amounts rounded to the grid: often still a witness, and far cheaper to check
    than to ask the solver again."""
    values = {}
    for term, unit in numeric:
        value = model.eval(term, model_completion=True)
        if not z3.is_rational_value(value):
            return None
        values[str(term)] = _value(Fraction(round(value.as_fraction() * unit), unit))
    return values


def _value(fraction: Fraction) -> z3.RatNumRef:
    return z3.RealVal(f"{fraction.numerator}/{fraction.denominator}")


def _holds(constraints: list, model: z3.ModelRef, cases: list[CaseVariables], values: dict) -> bool:
    """Every constraint is true with the rounded amounts and the model's other values put in."""
    pairs = [(term, values.get(str(term), model.eval(term, model_completion=True)))
             for case in cases for term in case.terms.values()]
    return all(z3.is_true(z3.simplify(z3.substitute(c, *pairs))) for c in constraints)


def case_from_model(model: z3.ModelRef, case: CaseVariables, fields: Iterable[CaseField],
                    replaced: dict | None = None) -> dict | None:
    """The case a model describes; `replaced` holds amounts to use instead of the model's."""
    values = {}
    for case_field in fields:
        term = case.terms[case_field.name]
        value = replaced[str(term)] if replaced and str(term) in replaced else model.eval(term, model_completion=True)
        converted = _plain(value, case_field, case)
        if converted is None:
            return None
        values[case_field.name] = converted
    return values


def _plain(value: z3.ExprRef, case_field: CaseField, case: CaseVariables):
    kind = case_field.kind
    if kind == BOOL:
        return z3.is_true(value)
    if kind == TEXT:
        return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value.as_string())
    if kind == ENUM:
        return case.choices[case_field.name][value.as_long()]
    if kind == INTEGER:
        return value.as_long()
    if not z3.is_rational_value(value):
        return None  # an algebraic number: no decimal case has exactly this value
    number = decimal_of(Fraction(value.numerator_as_long(), value.denominator_as_long()))
    if number is None:
        return None
    if kind == MONEY and number == number.quantize(Decimal("0.01")):
        return format(number.quantize(Decimal("0.01")), "f")
    return format(number.normalize(), "f") if number else "0"


def decimal_of(fraction: Fraction) -> Decimal | None:
    """The exact decimal of a fraction whose denominator has no factor but 2 and 5, else None."""
    denominator, digits = fraction.denominator, 0
    while denominator % 10 == 0:
        denominator //= 10
        digits += 1
    for factor, other in ((2, 5), (5, 2)):
        while denominator % factor == 0:
            denominator //= factor
            digits += 1
    if denominator != 1:
        return None
    return Decimal(fraction.numerator * 10 ** digits // fraction.denominator).scaleb(-digits)


def holds_for(constraint: z3.BoolRef, case: CaseVariables, values: dict) -> bool:
    """Whether a constraint is true of a written-out case (a witness dict)."""
    pairs = []
    for name, term in case.terms.items():
        if name not in values:
            continue
        value, kind = values[name], case.fields[name].kind
        if kind in (MONEY, NUMBER):
            pairs.append((term, _value(Fraction(Decimal(str(value))))))
        elif kind == INTEGER:
            pairs.append((term, z3.IntVal(int(value))))
        elif kind == BOOL:
            pairs.append((term, z3.BoolVal(bool(value))))
        elif kind == TEXT:
            pairs.append((term, z3.StringVal(value)))
        else:
            pairs.append((term, z3.IntVal(case.value_index(name, value))))
    return z3.is_true(z3.simplify(z3.substitute(constraint, *pairs)))


def readable_variants(cases: list[dict], fields: Iterable[CaseField]) -> Iterator[list[dict]]:
    """The solver finds the smallest cases, often a few cents. The same cases with their money a
    thousand, a hundred or ten times larger read as real complaints; they are offered first, and
    the cases as found last. The caller keeps the first variant that still shows what it must."""
    money = [f.name for f in fields if f.kind == MONEY]
    amounts = [Decimal(str(case[name])) for case in cases for name in money if name in case]
    if amounts and 0 < max(amounts) < 10:
        for factor in (1000, 100, 10):
            yield [case | {name: format(Decimal(str(case[name])) * factor, "f") for name in money if name in case}
                   for case in cases]
    yield cases
