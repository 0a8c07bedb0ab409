"""Policy expressions to sqlglot trees: the SQL twin of `engine.codegen`.

Every numeric node carries its static bound (`Digits`) and is cast to the tight DECIMAL it needs,
so arithmetic stays exact in DuckDB and Spark alike (neither ever sees a DOUBLE). Division is exact
only by a constant with a finite reciprocal (`x / 4` is `x * 0.25`); any other division is refused
with `NotExact`, because Python rounds its quotient to 50 digits and SQL cannot match that digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from dsl import ast
from engine.sql.digits import Digits, NotExact, digits_of, exact_reciprocal, fits

_COMPARISONS = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}


@dataclass(frozen=True)
class Value:
    """A compiled expression: its SQL, and its bound when it is a number (None otherwise)."""

    sql: exp.Expression
    digits: Digits | None = None


def decimal_type(digits: Digits) -> exp.DataType:
    """DECIMAL(precision, scale) built as a tree: `DataType.build` parses its text, and a policy's
    query has thousands of casts (parsing them was a tenth of a bulk replay's start-up)."""
    return exp.DataType(this=exp.DataType.Type.DECIMAL, nested=False,
                        expressions=[exp.DataTypeParam(this=exp.Literal.number(size)) for size in (digits.precision, digits.scale)])


def decimal(sql: exp.Expression, digits: Digits) -> exp.Expression:
    return exp.cast(sql, decimal_type(digits), copy=False)


def constant(value: Decimal) -> Value:
    digits = digits_of(value)
    return Value(decimal(exp.Literal.number(format(value, "f")), digits), digits)


def column(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


# DuckDB computes the product of two DECIMALs of at most 18 digits in 64 bits, and stops with an
# overflow error past 18 digits even when the exact product has room in DECIMAL(38).
NARROW_PRODUCTS = 18


class ExpressionCompiler:
    """Compiles expressions over named values (fields and lets already in the relation).
    `widen_products`: widen a factor before a product that needs more than 18 digits (DuckDB)."""

    def __init__(self, scope: dict[str, Value], widen_products: bool = True):
        self.scope = scope
        self.widen_products = widen_products

    def value(self, expr: ast.Expr, where: str) -> Value:
        return getattr(self, f"_{type(expr).__name__}")(expr, where)

    def sql(self, expr: ast.Expr, where: str) -> exp.Expression:
        return self.value(expr, where).sql

    def _Number(self, expr: ast.Number, where: str) -> Value:
        return constant(expr.value)

    def _Percent(self, expr: ast.Percent, where: str) -> Value:
        return constant(expr.percent / 100)  # as engine.codegen computes the constant

    def _Money(self, expr: ast.Money, where: str) -> Value:
        return constant(expr.amount)

    def _Text(self, expr: ast.Text, where: str) -> Value:
        return Value(exp.Literal.string(expr.value))

    def _Boolean(self, expr: ast.Boolean, where: str) -> Value:
        return Value(exp.Boolean(this=expr.value))

    def _Name(self, expr: ast.Name, where: str) -> Value:
        value = self.scope[expr.name]  # a column: copied, as trees are built without copying
        return Value(value.sql.copy(), value.digits)

    def _Call(self, expr: ast.Call, where: str) -> Value:
        values = [self.value(argument, where) for argument in expr.arguments]
        if len(values) == 1:
            return values[0]
        digits = values[0].digits
        for value in values[1:]:
            digits = digits.union(value.digits)
        fits(digits, where)
        cast = [decimal(value.sql, digits) for value in values]
        node = exp.Greatest if expr.function.name == "max" else exp.Least
        return Value(node(this=cast[0], expressions=cast[1:]), digits)

    def _PercentOf(self, expr: ast.PercentOf, where: str) -> Value:
        return self._product(self._Percent(expr.percent, where), self.value(expr.operand, where), where)

    def _Negate(self, expr: ast.Negate, where: str) -> Value:
        operand = self.value(expr.operand, where)
        return Value(decimal(exp.Neg(this=exp.Paren(this=operand.sql)), operand.digits), operand.digits)

    def _Binary(self, expr: ast.Binary, where: str) -> Value:
        left = self.value(expr.left, where)
        if expr.operator == "/":
            if not isinstance(expr.right, (ast.Number, ast.Money, ast.Percent)):
                raise NotExact(f"{where} divides by a value that changes from case to case; SQL cannot round "
                               "the quotient to the same 50 digits as the compiled engine")
            divisor = expr.right.value if isinstance(expr.right, ast.Number) else \
                expr.right.amount if isinstance(expr.right, ast.Money) else expr.right.percent / 100
            reciprocal = exact_reciprocal(divisor)
            if reciprocal is None:
                raise NotExact(f"{where} divides by {format(divisor, 'f')}, whose quotient is not a finite decimal")
            return self._product(left, constant(reciprocal), where)
        right = self.value(expr.right, where)
        if expr.operator == "*":
            return self._product(left, right, where)
        digits = fits(Digits(max(left.digits.whole, right.digits.whole) + 1, max(left.digits.scale, right.digits.scale)), where)
        node = exp.Add if expr.operator == "+" else exp.Sub
        return Value(decimal(node(this=left.sql, expression=right.sql), digits), digits)

    def _product(self, left: Value, right: Value, where: str) -> Value:
        digits = fits(Digits(left.digits.whole + right.digits.whole, left.digits.scale + right.digits.scale), where)
        factor = left.sql
        if self.widen_products and digits.precision > NARROW_PRODUCTS:
            factor = decimal(factor, Digits(digits.precision - left.digits.scale, left.digits.scale))
        return Value(decimal(exp.Mul(this=factor, expression=right.sql), digits), digits)

    def _Compare(self, expr: ast.Compare, where: str) -> Value:
        left, right = self.value(expr.left, where), self.value(expr.right, where)
        node = _COMPARISONS[expr.operator]
        if left.digits is not None and right.digits is not None:
            digits = fits(left.digits.union(right.digits), where)
            return Value(node(this=decimal(left.sql, digits), expression=decimal(right.sql, digits)))
        return Value(node(this=left.sql, expression=right.sql))

    def _IsOneOf(self, expr: ast.IsOneOf, where: str) -> Value:
        subject = self.value(expr.subject, where).sql
        test = exp.In(this=subject, expressions=[exp.Literal.string(value.name) for value in expr.values])
        return Value(exp.Not(this=test) if expr.negated else test)

    def _Not(self, expr: ast.Not, where: str) -> Value:
        return Value(exp.Not(this=exp.Paren(this=self.sql(expr.operand, where))))

    def _Logical(self, expr: ast.Logical, where: str) -> Value:
        left, right = self.sql(expr.left, where), self.sql(expr.right, where)
        return Value(exp.and_(left, right, copy=False) if expr.operator == "and" else exp.or_(left, right, copy=False))
