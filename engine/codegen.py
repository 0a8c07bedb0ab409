"""Expressions to Python source, the one place that fixes what arithmetic and conditions mean at
run time. Both engines evaluate lets and amounts with code made here; the compiled engine also
evaluates conditions with it, the durable engine hands conditions to durable_rules instead.

Names become locals `n_<name>` (a field may be called `class` or `from`); literals become
module constants, so no Decimal is parsed while deciding.
"""

from __future__ import annotations

from decimal import Decimal

from dsl import ast


class EvaluationError(ArithmeticError):
    """A case made an expression impossible to compute (a division by zero)."""


def divide(numerator: Decimal, denominator: Decimal, where: str) -> Decimal:
    if not denominator:
        raise EvaluationError(f"division by zero in {where}")
    return numerator / denominator


def local(name: str) -> str:
    return f"n_{name}"


class SourceWriter:
    """Turns expressions into Python source, collecting the constants the source refers to."""

    def __init__(self) -> None:
        self.constants: dict[str, object] = {"divide": divide}
        self._by_value: dict[tuple, str] = {}

    def constant(self, value: object) -> str:
        key = (type(value).__name__, str(value)) if not isinstance(value, frozenset) else ("set", tuple(sorted(value)))
        if key not in self._by_value:
            name = f"c{len(self._by_value)}"
            self._by_value[key] = name
            self.constants[name] = value
        return self._by_value[key]

    def source(self, expr: ast.Expr, where: str = "an expression") -> str:
        """Python source for `expr`; `where` names the statement, for division-by-zero messages."""
        method = getattr(self, f"_{type(expr).__name__}")
        return method(expr, where)

    def _Number(self, expr: ast.Number, where: str) -> str:
        return self.constant(expr.value)

    def _Percent(self, expr: ast.Percent, where: str) -> str:
        return self.constant(expr.percent / 100)

    def _Money(self, expr: ast.Money, where: str) -> str:
        return self.constant(expr.amount)

    def _Text(self, expr: ast.Text, where: str) -> str:
        return repr(expr.value)

    def _Boolean(self, expr: ast.Boolean, where: str) -> str:
        return "True" if expr.value else "False"

    def _Name(self, expr: ast.Name, where: str) -> str:
        return local(expr.name)

    def _Call(self, expr: ast.Call, where: str) -> str:
        arguments = ", ".join(self.source(argument, where) for argument in expr.arguments)
        if len(expr.arguments) == 1:
            return f"({arguments})"
        return f"{expr.function.name}({arguments})"

    def _PercentOf(self, expr: ast.PercentOf, where: str) -> str:
        return f"({self._Percent(expr.percent, where)} * {self.source(expr.operand, where)})"

    def _Negate(self, expr: ast.Negate, where: str) -> str:
        return f"(-{self.source(expr.operand, where)})"

    def _Binary(self, expr: ast.Binary, where: str) -> str:
        left, right = self.source(expr.left, where), self.source(expr.right, where)
        if expr.operator == "/":
            return f"divide({left}, {right}, {where!r})"
        return f"({left} {expr.operator} {right})"

    def _Compare(self, expr: ast.Compare, where: str) -> str:
        return f"({self.source(expr.left, where)} {expr.operator} {self.source(expr.right, where)})"

    def _IsOneOf(self, expr: ast.IsOneOf, where: str) -> str:
        subject = self.source(expr.subject, where)
        values = [value.name for value in expr.values]
        if len(values) == 1:
            return f"({subject} {'!=' if expr.negated else '=='} {values[0]!r})"
        return f"({subject} {'not in' if expr.negated else 'in'} {self.constant(frozenset(values))})"

    def _Not(self, expr: ast.Not, where: str) -> str:
        return f"(not {self.source(expr.operand, where)})"

    def _Logical(self, expr: ast.Logical, where: str) -> str:
        return f"({self.source(expr.left, where)} {expr.operator} {self.source(expr.right, where)})"
