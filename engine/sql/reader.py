"""The case reader's checks in SQL: each field's raw column to its exact value and a verdict.

A row is decided in SQL only when every field is on the reader's *fast path*: a plain decimal
within the domain, a listed choice, `true`/`false`, a text; a missing optional field takes its
default. Everything else (a wrong type, a missing required field, a number written `1e3` or with more
decimals than the domain) makes the row `ok = false`, and the caller hands that row to the compiled
engine, which either decides it or gives the very reason text of `engine.cases`. SQL only ever says
"yes, exactly this value" or "ask Python", so it can never disagree with the case reader.

A column's SQL type says how its values arrive: text (CSV, JSON Lines read by Python), DECIMAL,
integers, BOOLEAN (Parquet, Arrow). Other types (DOUBLE, dates) are never on the fast path.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, CaseField
from engine.cases import value_range
from engine.sql.column_types import ColumnType
from engine.sql.digits import Digits
from engine.sql.expressions import Value, column, constant, decimal, decimal_type



@dataclass(frozen=True)
class ReadField:
    """One field as read: its value (default filled in), whether the row is on the fast path for
    it, and for numbers the text Python would print for the value (`format(value, "f")`)."""

    value: Value
    good: exp.Expression
    number_text: exp.Expression | None = None


def plain_number_pattern(digits: Digits, integer: bool) -> str:
    """The fast-path shape of a number: what `engine.cases` reads as exactly this decimal."""
    whole, scale = digits.whole, digits.scale
    if integer or scale == 0:
        body = rf"[+-]?[0-9]{{1,{whole}}}"
    else:
        body = rf"[+-]?([0-9]{{1,{whole}}}(\.[0-9]{{0,{scale}}})?|\.[0-9]{{1,{scale}}})"
    return rf"^ *{body} *$"


def _regexp(raw: exp.Expression, pattern: str) -> exp.Expression:
    return exp.RegexpLike(this=raw, expression=exp.Literal.string(pattern))


def _within(raw: exp.Expression, whole: int) -> exp.Expression:
    bound = exp.Literal.number("1" + "0" * whole)
    return exp.LT(this=exp.Abs(this=raw), expression=bound)


def _number(raw: exp.Expression, source: ColumnType, digits: Digits, integer: bool) -> tuple[exp.Expression, exp.Expression, exp.Expression]:
    """(good, value, text) of a numeric column."""
    target = decimal_type(digits)
    if source.family == "text":
        value = exp.TryCast(this=exp.Trim(this=raw), to=target, safe=True)
        # A negative zero (`-0.00`) keeps its sign in Python's decimals and shows as -$0.00; SQL has
        # no negative zero, so such a row is left to the compiled engine.
        negative_zero = exp.and_(exp.func("STARTS_WITH", exp.Trim(this=raw.copy()), exp.Literal.string("-")),
                                 exp.EQ(this=value.copy(), expression=exp.Literal.number(0)), copy=False)
        good = exp.and_(_regexp(raw.copy(), plain_number_pattern(digits, integer)), exp.Not(this=exp.Paren(this=negative_zero)),
                        copy=False)
        return good, value, decimal_text(raw.copy())
    if source.family == "decimal" and source.scale <= digits.scale and not (integer and source.scale):
        return _within(raw, digits.whole), exp.TryCast(this=raw, to=target, safe=True), exp.cast(raw, "VARCHAR", copy=False)
    if source.family == "integer":
        return _within(raw, digits.whole), exp.TryCast(this=raw, to=target, safe=True), exp.cast(raw, "VARCHAR", copy=False)
    return exp.false(), exp.Null(), exp.Null()


def _in_range(field: CaseField, good: exp.Expression, value: exp.Expression) -> exp.Expression:
    """`good`, and the value within what the case reader admits: the field's `from ... to ...`
    bounds, and never a negative amount of money. A row outside them is left to the compiled
    engine, which refuses it with the reason and row number."""
    low, high = value_range(field)
    checks = [good]
    if low is not None:
        checks.append(exp.GTE(this=value.copy(), expression=constant(low).sql))
    if high is not None:
        checks.append(exp.LTE(this=value.copy(), expression=constant(high).sql))
    return exp.and_(*checks, copy=False)


def decimal_text(raw: exp.Expression) -> exp.Expression:
    """`format(Decimal(text), "f")` of a fast-path number text: no `+`, no leading zeros, `.5` as
    `0.5`, `5.` as `5`, the decimals as written."""
    body = exp.Trim(this=raw)
    sign = exp.If(this=exp.func("STARTS_WITH", body, exp.Literal.string("-")), true=exp.Literal.string("-"),
                  false=exp.Literal.string(""))
    unsigned = exp.Trim(this=body, expression=exp.Literal.string("+-"), position="LEADING")
    whole = exp.Trim(this=exp.SplitPart(this=unsigned, delimiter=exp.Literal.string("."), part_index=exp.Literal.number(1)),
                     expression=exp.Literal.string("0"), position="LEADING")
    fraction = exp.SplitPart(this=unsigned, delimiter=exp.Literal.string("."), part_index=exp.Literal.number(2))
    whole_text = exp.If(this=exp.EQ(this=whole, expression=exp.Literal.string("")), true=exp.Literal.string("0"), false=whole)
    point = exp.If(this=exp.EQ(this=fraction, expression=exp.Literal.string("")), true=exp.Literal.string(""),
                   false=exp.DPipe(this=exp.Literal.string("."), expression=fraction))
    return exp.DPipe(this=exp.DPipe(this=sign, expression=whole_text), expression=point)


def read_field(field: CaseField, column_name: str | None, source: ColumnType, digits: Digits) -> ReadField:
    """The field read from `column_name` (None: the relation has no such column)."""
    numeric = field.kind in (MONEY, NUMBER, INTEGER)
    if field.kind == INTEGER:
        digits = Digits(digits.whole, 0)
    default: Value | None = None
    default_text = None
    if field.default is not None:
        if numeric:
            default = Value(decimal(constant(field.default).sql, digits), digits)
            default_text = exp.Literal.string(format(field.default, "f"))
        elif field.kind == BOOL:
            default = Value(exp.Boolean(this=bool(field.default)))
        else:
            default = Value(exp.Literal.string(str(field.default)))
    if column_name is None:
        if default is None:
            return ReadField(Value(exp.Null(), digits if numeric else None), exp.false())
        return ReadField(default, exp.true(), default_text)
    raw = column(column_name)
    present = exp.Not(this=exp.Is(this=raw, expression=exp.Null()))
    text = None
    if numeric:
        good, value, text = _number(raw, source, digits, field.kind == INTEGER)
        good = _in_range(field, good, value)
    elif field.kind == BOOL:
        if source.family == "text":
            good, value = exp.In(this=raw, expressions=[exp.Literal.string("true"), exp.Literal.string("false")]), \
                exp.EQ(this=raw, expression=exp.Literal.string("true"))
        elif source.family == "boolean":
            good, value = exp.true(), raw
        else:
            good, value = exp.false(), exp.Null()
    elif field.kind == ENUM:
        good = exp.In(this=raw, expressions=[exp.Literal.string(v) for v in field.values]) if source.family == "text" else exp.false()
        value = raw
    else:  # TEXT
        assert field.kind == TEXT
        good, value = (exp.true(), raw) if source.family == "text" else (exp.false(), exp.Null())
    if default is None:
        return ReadField(Value(value, digits if numeric else None), exp.and_(present, good, copy=False), text)
    filled = exp.Coalesce(this=value, expressions=[default.sql])
    filled_text = exp.Coalesce(this=text, expressions=[default_text]) if text is not None else None
    verdict = exp.Or(this=exp.Paren(this=exp.Not(this=exp.Paren(this=present))), expression=exp.Paren(this=good))
    return ReadField(Value(filled, digits if numeric else None), verdict, filled_text)


def decimal_value(column_name: str, source: ColumnType, digits: Digits) -> tuple[exp.Expression, exp.Expression, exp.Expression]:
    """(good, value, text) of an amount column outside the policy (replay's `offered`)."""
    return _number(column(column_name), source, digits, False)


