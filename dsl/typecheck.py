"""Types of expressions: money, number, bool, text and enumerations, checked before anything runs.

The rules are LANGUAGE.md's: money +/- money is money, money x number is money, money / money is a
number; adding money to a plain number, or comparing money with text, is an error. Once an error is
reported for a sub-expression its type becomes UNKNOWN, which silences the errors that would only
repeat it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from dsl import ast
from dsl.currency import SYMBOL_CURRENCIES
from dsl.diagnostics import DiagnosticSink, did_you_mean
from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT

FUNCTIONS = ("min", "max")


@dataclass(frozen=True)
class ValueType:
    kind: str  # money, number, bool, text, enum, or unknown
    values: tuple[str, ...] = ()  # an enumeration's values
    field: str | None = None  # the enumeration field it came from

    @functools.cached_property
    def allowed(self) -> frozenset[str]:
        """The values as a set: a `one of` may list thousands, and each test looks one up."""
        return frozenset(self.values)

    def __str__(self) -> str:
        if self.kind == ENUM:
            return f"a choice ({', '.join(self.values)})"
        return {MONEY: "money", NUMBER: "a number", BOOL: "true/false", TEXT: "text"}.get(self.kind, self.kind)


UNKNOWN = ValueType("unknown")
MONEY_T, NUMBER_T, BOOL_T, TEXT_T = ValueType(MONEY), ValueType(NUMBER), ValueType(BOOL), ValueType(TEXT)
_NUMERIC = (MONEY, NUMBER)


def field_value_type(kind: str, values: tuple[str, ...] = (), name: str | None = None) -> ValueType:
    if kind == INTEGER:
        return NUMBER_T
    if kind == ENUM:
        return ValueType(ENUM, values, name)
    return ValueType(kind)


class ExpressionChecker:
    """Infers the type of expressions over a scope of fields and lets, reporting what does not fit."""

    def __init__(self, sink: DiagnosticSink, scope: dict[str, ValueType], currency: str | None):
        self.sink = sink
        self.scope = scope
        self.currency = currency

    # ------------------------------------------------------------ entry points
    def expect(self, expr: ast.Expr, kind: str, role: str) -> ValueType:
        """Check `expr` and require a `kind` (money or bool) for the role it plays."""
        found = self.type_of(expr)
        if found is UNKNOWN or found.kind == kind:
            return found
        if kind == BOOL:
            self.sink.error(expr.span, "type", f"{role} must be true or false, but this is {found}",
                            "compare it, for example `price > $50`")
        elif kind == MONEY and found.kind == NUMBER:
            self.sink.error(expr.span, "type", f"{role} must be an amount of money, but this is a plain number",
                            _money_hint(expr))
        else:
            self.sink.error(expr.span, "type", f"{role} must be {ValueType(kind)}, but this is {found}")
        return UNKNOWN

    def type_of(self, expr: ast.Expr) -> ValueType:
        method = getattr(self, f"_type_{type(expr).__name__}")
        return method(expr)

    # ------------------------------------------------------------ literals and names
    def _type_Number(self, expr: ast.Number) -> ValueType:
        return NUMBER_T

    def _type_Percent(self, expr: ast.Percent) -> ValueType:
        return NUMBER_T

    def _type_Text(self, expr: ast.Text) -> ValueType:
        return TEXT_T

    def _type_Boolean(self, expr: ast.Boolean) -> ValueType:
        return BOOL_T

    def _type_Money(self, expr: ast.Money) -> ValueType:
        if self.currency is None:
            return MONEY_T
        if expr.symbol is not None and self.currency not in SYMBOL_CURRENCIES[expr.symbol]:
            codes = "/".join(sorted(SYMBOL_CURRENCIES[expr.symbol]))
            self.sink.error(expr.span, "currency", f"`{expr.text}` is in {codes}, but this policy's currency is {self.currency}",
                            f"write the amount as `{_plain(expr.amount)} {self.currency}`")
            return UNKNOWN
        if expr.currency is not None and expr.currency != self.currency:
            self.sink.error(expr.span, "currency", f"`{expr.text}` is in {expr.currency}, but this policy's currency is {self.currency}",
                            f"write the amount as `{_plain(expr.amount)} {self.currency}`")
            return UNKNOWN
        return MONEY_T

    def _type_Name(self, expr: ast.Name) -> ValueType:
        found = self.scope.get(expr.name)
        if found is None:
            self.sink.error(expr.span, "unknown-name", f"unknown field or let `{expr.name}`",
                            did_you_mean(expr.name, self.scope) or "declare it in the `case` block or with `let`")
            return UNKNOWN
        return found

    # ------------------------------------------------------------ arithmetic
    def _type_Call(self, expr: ast.Call) -> ValueType:
        name = expr.function.name
        if name not in FUNCTIONS:
            self.sink.error(expr.function.span, "unknown-function", f"unknown function `{name}`",
                            did_you_mean(name, FUNCTIONS) or "the functions are `min(...)` and `max(...)`")
            return UNKNOWN
        if not expr.arguments:
            self.sink.error(expr.span, "type", f"`{name}` needs at least one value")
            return UNKNOWN
        types = [self.type_of(argument) for argument in expr.arguments]
        known = [t for t in types if t is not UNKNOWN]
        if len(known) < len(types):
            return UNKNOWN
        for argument, found in zip(expr.arguments, types):
            if found.kind not in _NUMERIC:
                self.sink.error(argument.span, "type", f"`{name}` takes amounts or numbers, but this is {found}")
                return UNKNOWN
        if len({t.kind for t in known}) > 1:
            self.sink.error(expr.span, "type", f"`{name}` mixes money and plain numbers", _money_hint(expr))
            return UNKNOWN
        return known[0]

    def _type_PercentOf(self, expr: ast.PercentOf) -> ValueType:
        found = self.type_of(expr.operand)
        if found is UNKNOWN:
            return UNKNOWN
        if found.kind not in _NUMERIC:
            self.sink.error(expr.operand.span, "type", f"`{expr.percent.text} of` takes an amount or a number, but this is {found}")
            return UNKNOWN
        return found

    def _type_Negate(self, expr: ast.Negate) -> ValueType:
        found = self.type_of(expr.operand)
        if found is not UNKNOWN and found.kind not in _NUMERIC:
            self.sink.error(expr.span, "type", f"only amounts and numbers can be negative, but this is {found}")
            return UNKNOWN
        return found

    def _type_Binary(self, expr: ast.Binary) -> ValueType:
        left, right = self.type_of(expr.left), self.type_of(expr.right)
        if UNKNOWN in (left, right):
            return UNKNOWN
        for side, found in ((expr.left, left), (expr.right, right)):
            if found.kind not in _NUMERIC:
                self.sink.error(side.span, "type", f"`{expr.operator}` works on amounts and numbers, but this is {found}")
                return UNKNOWN
        result = _ARITHMETIC.get((expr.operator, left.kind, right.kind))
        if result is None:
            message, hint = _arithmetic_error(expr, left, right)
            self.sink.error(expr.span, "type", message, hint)
            return UNKNOWN
        return ValueType(result)

    # ------------------------------------------------------------ conditions
    def _type_Compare(self, expr: ast.Compare) -> ValueType:
        left, right = self.type_of(expr.left), self.type_of(expr.right)
        if UNKNOWN in (left, right):
            return BOOL_T
        if expr.operator in ("==", "!=") and ENUM in (left.kind, right.kind):
            return self._compare_choice(expr, left, right)
        ordered = expr.operator not in ("==", "!=")
        if ordered and (left.kind not in _NUMERIC or right.kind not in _NUMERIC):
            bad = left if left.kind not in _NUMERIC else right
            self.sink.error(expr.span, "type", f"`{expr.operator}` compares amounts or numbers, but one side is {bad}")
        elif left.kind != right.kind:
            hint = _money_hint(expr) if {left.kind, right.kind} == {MONEY, NUMBER} else None
            self.sink.error(expr.span, "type", f"cannot compare {left} with {right}", hint)
        return BOOL_T

    def _compare_choice(self, expr: ast.Compare, left: ValueType, right: ValueType) -> ValueType:
        choice, other, other_expr = (left, right, expr.right) if left.kind == ENUM else (right, left, expr.left)
        if other.kind == TEXT and isinstance(other_expr, ast.Text):
            self._check_choice_value(other_expr.value, other_expr.span, choice)
        elif other.kind != ENUM or other.values != choice.values:
            self.sink.error(expr.span, "type", f"cannot compare {left} with {right}")
        return BOOL_T

    def _type_IsOneOf(self, expr: ast.IsOneOf) -> ValueType:
        subject = self.type_of(expr.subject)
        if subject is UNKNOWN:
            return BOOL_T
        if subject.kind != ENUM:
            hint = "write the field on its own, or `not FIELD`" if subject.kind == BOOL else "use `==` to compare it"
            self.sink.error(expr.subject.span, "type", f"`is` tests a choice field, but this is {subject}", hint)
            return BOOL_T
        for value in expr.values:
            self._check_choice_value(value.name, value.span, subject)
        return BOOL_T

    def _check_choice_value(self, value: str, span: ast.Span, choice: ValueType) -> None:
        if value not in choice.allowed:
            field = f"`{choice.field}`" if choice.field else "this choice"
            self.sink.error(span, "unknown-value", f"`{value}` is not a value of {field}",
                            did_you_mean(value, choice.values) or f"the values are {', '.join(choice.values)}")

    def _type_Not(self, expr: ast.Not) -> ValueType:
        self.expect(expr.operand, BOOL, "what follows `not`")
        return BOOL_T

    def _type_Logical(self, expr: ast.Logical) -> ValueType:
        self.expect(expr.left, BOOL, f"each side of `{expr.operator}`")
        self.expect(expr.right, BOOL, f"each side of `{expr.operator}`")
        return BOOL_T


_ARITHMETIC = {
    ("+", MONEY, MONEY): MONEY, ("-", MONEY, MONEY): MONEY,
    ("+", NUMBER, NUMBER): NUMBER, ("-", NUMBER, NUMBER): NUMBER,
    ("*", MONEY, NUMBER): MONEY, ("*", NUMBER, MONEY): MONEY, ("*", NUMBER, NUMBER): NUMBER,
    ("/", MONEY, NUMBER): MONEY, ("/", MONEY, MONEY): NUMBER, ("/", NUMBER, NUMBER): NUMBER,
}


def _arithmetic_error(expr: ast.Binary, left: ValueType, right: ValueType) -> tuple[str, str | None]:
    if expr.operator in "+-":
        verb = "add" if expr.operator == "+" else "subtract"
        return f"cannot {verb} {right} {'to' if verb == 'add' else 'from'} {left}", _money_hint(expr)
    if expr.operator == "*":
        return "cannot multiply money by money", "multiply an amount by a number or a percentage"
    return "cannot divide a number by money", "divide money by a number or by money"


def _money_hint(expr: ast.Expr) -> str | None:
    """For a plain number where money was meant, suggest the money literal."""
    number = _find_plain_number(expr)
    if number is None:
        return "write amounts with their currency, for example `$50`"
    if isinstance(number, ast.Percent):
        return f"a percentage needs something to be a percentage of: `{number.text} of price`"
    return f"write `${number.text}` for an amount of money"


def _find_plain_number(expr: ast.Expr) -> ast.Number | ast.Percent | None:
    if isinstance(expr, (ast.Number, ast.Percent)):
        return expr
    children = [getattr(expr, name, None) for name in ("left", "right", "operand")]
    for child in [*children, *getattr(expr, "arguments", ())]:
        found = _find_plain_number(child) if child is not None else None
        if found is not None:
            return found
    return None


def _plain(amount) -> str:
    return f"{amount:,}"
