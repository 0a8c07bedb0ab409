"""A checked policy as SMT terms: what the engine computes for a case, written over symbolic cases.

The meaning encoded here is the engine's (engine/codegen.py for arithmetic and conditions,
engine/program.py for first-match and division guards, engine/decision.py for rounding, clamping,
entitlement floors and the opening offer; analysis/decision_terms.py adds the approver and the
rest of a decision), over exact rationals:

* money and numbers are Reals, integers Ints, bools Bools, texts Strings, a choice an Int index
  into the names of its values (shared by two versions of a policy, so `is` means the same in both);
* lets are definitions (their terms are shared, never re-solved); a rule decides when its `when`
  holds and no earlier rule's does; an absent `when` always holds;
* an amount is rounded half-up to the minor unit and clamped at zero:
  `max(x, 0)` rounded is `floor(x·10^k + 1/2) / 10^k`, exact for every rational;
* every `/` is recorded with the condition under which the engine evaluates it, so a case whose
  divisor is zero is an error case (the engine refuses it) rather than an unspecified value.

The case domain is every case the `case` block admits: a money amount is never negative, and a
field with `from LOW to HIGH` stays inside its bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Iterable

import z3

from dsl import ast
from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, CaseField, Guideline, Policy
from dsl.rules import conjuncts
from engine.cases import value_range


def rational(value: Decimal | Fraction | int) -> z3.RatNumRef:
    fraction = Fraction(value)
    return z3.RealVal(fraction.numerator) / fraction.denominator if fraction.denominator != 1 else z3.RealVal(fraction.numerator)


def among(term: z3.ArithRef, indices: list[int]) -> z3.BoolRef:
    """`term` is one of the indices, as a few ranges rather than one equality per value (a choice
    of thousands of values is one range)."""
    runs: list[list[int]] = []
    for index in sorted(set(i for i in indices if i >= 0)):
        if runs and index == runs[-1][1] + 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    return z3.Or([term == low if low == high else z3.And(term >= low, term <= high) for low, high in runs])


def _max(terms: list) -> z3.ArithRef:
    result = terms[0]
    for term in terms[1:]:
        result = z3.If(term > result, term, result)
    return result


def _min(terms: list) -> z3.ArithRef:
    result = terms[0]
    for term in terms[1:]:
        result = z3.If(term < result, term, result)
    return result


class CaseVariables:
    """One symbolic case: a z3 constant per field. Two encodings built on the same variables
    describe the same case under two policies (`diff --prove`); `prefix` tells copies apart
    (a monotonicity property compares two cases)."""

    def __init__(self, fields: Iterable[CaseField], prefix: str = ""):
        self.fields: dict[str, CaseField] = {}
        self.terms: dict[str, z3.ExprRef] = {}
        self.choices: dict[str, list[str]] = {}  # a choice field's value names, in index order
        self._indices: dict[str, dict[str, int]] = {}
        for case_field in fields:
            self.add(case_field, prefix)

    def add(self, case_field: CaseField, prefix: str = "") -> None:
        name = case_field.name
        if name in self.fields:
            known = self.choices.get(name)
            if known is not None:
                for value in case_field.values:
                    if value not in self._indices[name]:
                        self._indices[name][value] = len(known)
                        known.append(value)
            return
        self.fields[name] = case_field
        symbol = prefix + name
        if case_field.kind in (MONEY, NUMBER):
            self.terms[name] = z3.Real(symbol)
        elif case_field.kind == INTEGER:
            self.terms[name] = z3.Int(symbol)
        elif case_field.kind == BOOL:
            self.terms[name] = z3.Bool(symbol)
        elif case_field.kind == TEXT:
            self.terms[name] = z3.String(symbol)
        else:
            self.terms[name] = z3.Int(symbol)
            self.choices[name] = list(case_field.values)
            self._indices[name] = {value: index for index, value in enumerate(case_field.values)}

    def domain(self, fields: Iterable[CaseField]) -> list[z3.BoolRef]:
        """What the case reader admits for these fields: choices among their listed values,
        money never negative, bounds where declared."""
        constraints = []
        for case_field in fields:
            term = self.terms[case_field.name]
            if case_field.kind == ENUM:
                constraints.append(among(term, [self.value_index(case_field.name, value) for value in case_field.values]))
                continue
            low, high = value_range(case_field)
            if low is not None:
                constraints.append(term >= rational(low) if case_field.kind != INTEGER else term >= int(low))
            if high is not None:
                constraints.append(term <= rational(high) if case_field.kind != INTEGER else term <= int(high))
        return constraints

    def value_index(self, field_name: str, value: str) -> int:
        """The index standing for `value`, or -1 (no value of the field) for a name it does not list."""
        return self._indices[field_name].get(value, -1)


@dataclass(frozen=True)
class Division:
    """A `/` in the policy: where it is, what it divides by, and when the engine computes it."""

    node: ast.Binary
    divisor: z3.ArithRef
    evaluated: z3.BoolRef
    subject: str  # `let profit`, `rule "Late"`...


@dataclass
class RuleTerms:
    """One rule's amounts for a case it decides: as written, and after the engine's adjustments.

    Built twice per rule: once with the engine's rounding to the minor unit, once exact (clamped at
    zero, never rounded). A finding about the guideline's design holds in both, so that a cent of
    rounding on a one-cent price is not reported as a mistake in the policy."""

    index: int
    guideline: Guideline
    decides: z3.BoolRef
    raw_floor: z3.ArithRef
    raw_ceiling: z3.ArithRef
    raw_open: z3.ArithRef | None
    raw_step: z3.ArithRef | None
    raw_extra: z3.ArithRef | None
    floor: z3.ArithRef = None  # the guideline's own floor, rounded and clamped
    ceiling: z3.ArithRef = None
    raised_ceiling: z3.ArithRef = None  # raised to the floor when the floor is above it
    final_floor: z3.ArithRef = None  # after matching entitlements lift them
    final_ceiling: z3.ArithRef = None
    wanted_open: z3.ArithRef | None = None  # the opening offer as written, rounded
    open_at: z3.ArithRef = None
    step: z3.ArithRef | None = None
    extra: z3.ArithRef | None = None

    def adjusted(self, amount: Callable, matches: list, minimums: list) -> RuleTerms:
        """The engine's `_range` with `amount` as its rounding: a copy with every adjusted amount."""
        floor, ceiling = amount(self.raw_floor), amount(self.raw_ceiling)
        raised = z3.If(floor > ceiling, floor, ceiling)
        lifting = [z3.If(m, minimum, z3.RealVal(0)) for m, minimum in zip(matches, minimums) if not z3.is_false(m)]
        final_floor, final_ceiling = _max([floor, *lifting]), _max([raised, *lifting])
        wanted = amount(self.raw_open) if self.raw_open is not None else None
        open_at = final_floor if wanted is None else _min([_max([wanted, final_floor]), final_ceiling])
        return replace(self, floor=floor, ceiling=ceiling, raised_ceiling=raised, final_floor=final_floor,
                       final_ceiling=final_ceiling, wanted_open=wanted, open_at=open_at,
                       step=amount(self.raw_step) if self.raw_step is not None else None,
                       extra=amount(self.raw_extra) if self.raw_extra is not None else None)


@dataclass
class Encoding:
    """A policy over one symbolic case. Build with `encode`."""

    policy: Policy
    case: CaseVariables
    domain: list[z3.BoolRef]
    values: dict[str, z3.ExprRef]
    rule_matches: list[z3.BoolRef]
    entitlement_matches: list[z3.BoolRef]
    route_matches: list[z3.BoolRef]
    minimums: list[z3.ArithRef]
    raw_minimums: list[z3.ArithRef]
    rules: list[RuleTerms] = field(default_factory=list)  # as the engine computes them, rounded
    exact_rules: list[RuleTerms] = field(default_factory=list)  # the same, never rounded
    exact_minimums: list[z3.ArithRef] = field(default_factory=list)
    divisions: list[Division] = field(default_factory=list)

    @property
    def no_rule(self) -> z3.BoolRef:
        return z3.Not(z3.Or(self.rule_matches)) if self.rule_matches else z3.BoolVal(True)

    def decided(self) -> z3.BoolRef:
        """The engine decides the case: no divisor it computes is zero."""
        return z3.And([z3.Implies(d.evaluated, d.divisor != 0) for d in self.divisions])

    def valid(self) -> list[z3.BoolRef]:
        """A case the reader admits and the engine decides."""
        return [*self.domain, self.decided()]

    def condition(self, expr: ast.Expr | None) -> z3.BoolRef:
        """Any condition over the policy's fields and lets (used by properties)."""
        return _Terms(self, "a property").term(expr) if expr is not None else z3.BoolVal(True)


def encode(policy: Policy, case: CaseVariables | None = None) -> Encoding:
    """The policy's meaning over `case` (new variables when None)."""
    case = case or CaseVariables(policy.fields)
    for case_field in policy.fields:
        case.add(case_field)
    encoding = Encoding(policy, case, case.domain(policy.fields), {n: case.terms[n] for n in (f.name for f in policy.fields)},
                        [], [], [], [], [])
    for let in policy.lets:
        encoding.values[let.name] = _Terms(encoding, f"let {let.name}").term(let.expr)
    conditions = [("rule", g.name, g.condition, encoding.rule_matches) for g in policy.guidelines]
    conditions += [("entitlement", e.name, e.condition, encoding.entitlement_matches) for e in policy.entitlements]
    conditions += [("route", r.name, r.condition, encoding.route_matches) for r in policy.routes]
    for kind, name, condition, into in conditions:
        into.append(_Terms(encoding, f'{kind} "{name}"').term(condition) if condition is not None else z3.BoolVal(True))
    scale = 10 ** policy.minor_unit
    for index, entitlement in enumerate(policy.entitlements):
        raw = _Terms(encoding, f'entitlement "{entitlement.name}"', encoding.entitlement_matches[index]).term(entitlement.amount)
        encoding.raw_minimums.append(raw)
        encoding.minimums.append(rounded(raw, scale))
    encoding.exact_minimums = exact_minimums = [positive(raw) for raw in encoding.raw_minimums]
    for index, guideline in enumerate(policy.guidelines):
        earlier = [encoding.rule_matches[j] for j in range(index)
                   if not disjoint(policy.guidelines[j].condition, guideline.condition)]
        decides = z3.And(encoding.rule_matches[index], *[z3.Not(m) for m in earlier])
        raw = _raw_amounts(encoding, index, guideline, decides)
        # An entitlement that can never match a case this rule decides never lifts its range.
        competing = [j for j, e in enumerate(policy.entitlements) if not disjoint(e.condition, guideline.condition)]
        matches = [encoding.entitlement_matches[j] if j in competing else z3.BoolVal(False) for j in range(len(policy.entitlements))]
        encoding.rules.append(raw.adjusted(lambda x: rounded(x, scale), matches, encoding.minimums))
        encoding.exact_rules.append(raw.adjusted(positive, matches, exact_minimums))
    return encoding


def disjoint(first: ast.Expr | None, second: ast.Expr | None) -> bool:
    """The two conditions test one choice field with `is` for values that do not overlap, so no
    case matches both. Rules tiered by `situation` are disjoint across situations; leaving such
    rules out of each other's questions keeps every question about the few rules that compete."""
    allowed_first, allowed_second = _choices_allowed(first), _choices_allowed(second)
    return any(not (allowed_first[name] & allowed_second[name]) for name in allowed_first.keys() & allowed_second.keys())


def _choices_allowed(condition: ast.Expr | None) -> dict[str, frozenset[str]]:
    allowed: dict[str, frozenset[str]] = {}
    for part in conjuncts(condition):
        if isinstance(part, ast.IsOneOf) and not part.negated and isinstance(part.subject, ast.Name):
            values = frozenset(value.name for value in part.values)
            name = part.subject.name
            allowed[name] = allowed[name] & values if name in allowed else values
    return allowed


def positive(raw: z3.ArithRef) -> z3.ArithRef:
    return z3.If(raw > 0, raw, z3.RealVal(0))


def rounded(raw: z3.ArithRef, scale: int) -> z3.ArithRef:
    """The engine's `_amount`: half-up to the minor unit, a negative amount clamped to zero."""
    return z3.ToReal(z3.ToInt(positive(raw) * scale + z3.RealVal(1) / 2)) / scale


def clamped(raw: z3.ArithRef, scale: int) -> z3.BoolRef:
    """The amount rounds (half away from zero) below zero, so the engine clamps it with a note."""
    return raw * scale <= z3.RealVal(-1) / 2


def _raw_amounts(encoding: Encoding, index: int, guideline: Guideline, decides: z3.BoolRef) -> RuleTerms:
    terms = _Terms(encoding, f'rule "{guideline.name}"', decides)
    optional = [terms.term(e) if e is not None else None
                for e in (guideline.open_at, guideline.step, guideline.extra.up_to if guideline.extra else None)]
    return RuleTerms(index, guideline, decides, terms.term(guideline.floor), terms.term(guideline.ceiling), *optional)


class _Terms:
    """Expressions to z3 terms, recording each division with the condition under which it runs.

    `evaluated` is when the statement's expressions are computed: always for lets and conditions
    (the engine derives every let and checks every condition's divisions before matching), when
    the rule decides for its amounts, when the entitlement matches for its minimum."""

    def __init__(self, encoding: Encoding, subject: str, evaluated: z3.BoolRef | None = None):
        self.encoding = encoding
        self.subject = subject
        self.evaluated = evaluated if evaluated is not None else z3.BoolVal(True)

    def term(self, expr: ast.Expr) -> z3.ExprRef:
        return getattr(self, f"_{type(expr).__name__}")(expr)

    def _Number(self, expr: ast.Number):
        return rational(expr.value)

    def _Percent(self, expr: ast.Percent):
        return rational(expr.percent / 100)

    def _Money(self, expr: ast.Money):
        return rational(expr.amount)

    def _Text(self, expr: ast.Text):
        return z3.StringVal(expr.value)

    def _Boolean(self, expr: ast.Boolean):
        return z3.BoolVal(expr.value)

    def _Name(self, expr: ast.Name):
        value = self.encoding.values[expr.name]
        case_field = self.encoding.case.fields.get(expr.name)
        if case_field is not None and case_field.kind == INTEGER:
            return z3.ToReal(value)
        return value

    def _Call(self, expr: ast.Call):
        arguments = [self.term(argument) for argument in expr.arguments]
        return (_min if expr.function.name == "min" else _max)(arguments)

    def _PercentOf(self, expr: ast.PercentOf):
        return rational(expr.percent.percent / 100) * self.term(expr.operand)

    def _Negate(self, expr: ast.Negate):
        return -self.term(expr.operand)

    def _Binary(self, expr: ast.Binary):
        left, right = self.term(expr.left), self.term(expr.right)
        if expr.operator == "+":
            return left + right
        if expr.operator == "-":
            return left - right
        if expr.operator == "*":
            return left * right
        self.encoding.divisions.append(Division(expr, right, self.evaluated, self.subject))
        return left / right

    def _Compare(self, expr: ast.Compare):
        left, right = self._comparable(expr.left, expr.right), self._comparable(expr.right, expr.left)
        return {"<": lambda: left < right, "<=": lambda: left <= right, ">": lambda: left > right,
                ">=": lambda: left >= right, "==": lambda: left == right, "!=": lambda: left != right}[expr.operator]()

    def _comparable(self, side: ast.Expr, other: ast.Expr):
        """A text literal compared with a choice field stands for that value's index."""
        if isinstance(side, ast.Text) and isinstance(other, ast.Name) and other.name in self.encoding.case.choices:
            return z3.IntVal(self.encoding.case.value_index(other.name, side.value))
        return self.term(side)

    def _IsOneOf(self, expr: ast.IsOneOf):
        subject = self.term(expr.subject)
        case = self.encoding.case
        listed = among(subject, [case.value_index(expr.subject.name, value.name) for value in expr.values])
        return z3.Not(listed) if expr.negated else listed

    def _Not(self, expr: ast.Not):
        return z3.Not(self.term(expr.operand))

    def _Logical(self, expr: ast.Logical):
        left, right = self.term(expr.left), self.term(expr.right)
        return z3.And(left, right) if expr.operator == "and" else z3.Or(left, right)
