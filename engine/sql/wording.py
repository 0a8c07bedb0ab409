"""Text a decision shows, in SQL: money as a customer reads it (`$1,250.00`), the notes of
`engine.decision`, and the `say` template with its placeholders. The constant parts are made here
in Python with the very functions the compiled engine uses, so only the digits are computed in SQL.
"""

from __future__ import annotations

from sqlglot import exp

from dsl.currency import minor_unit, symbol_for

SPARK_DIALECTS = ("spark", "spark2", "databricks")


def text(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def joined(*parts: exp.Expression | str) -> exp.Expression:
    """`a || b || ...`; every part must be non-null (SQL `||` of a null is null everywhere)."""
    nodes = [text(part) if isinstance(part, str) else part for part in parts]
    result = nodes[0]
    for node in nodes[1:]:
        result = exp.DPipe(this=result, expression=node)
    return result


def _group_thousands(whole: exp.Expression, dialect: str) -> exp.Expression:
    """`1234567` -> `1,234,567`: reverse, a comma after every three digits, reverse back."""
    backreference = "$1," if dialect in SPARK_DIALECTS else "\\1,"
    replaced = exp.RegexpReplace(this=exp.func("REVERSE", whole), expression=text("([0-9]{3})"),
                                 replacement=text(backreference), modifiers=text("g"))
    return exp.Trim(this=exp.func("REVERSE", replaced), expression=text(","), position="LEADING")


def money_text(amount: exp.Expression, currency: str, dialect: str, negative: exp.Expression | None = None) -> exp.Expression:
    """`dsl.currency.format_money` of an amount already rounded to the minor unit. `negative`: whether
    the amount before rounding was below zero (Python keeps the sign: -0.004 shows as -$0.00)."""
    plain = exp.cast(exp.Abs(this=amount.copy()), "VARCHAR", copy=False)
    whole = exp.SplitPart(this=plain, delimiter=text("."), part_index=exp.Literal.number(1))
    digits = _group_thousands(whole, dialect)
    if minor_unit(currency):
        digits = joined(digits, ".", exp.SplitPart(this=plain, delimiter=text("."), part_index=exp.Literal.number(2)))
    if negative is None:
        negative = exp.LT(this=amount.copy(), expression=exp.Literal.number(0))
    sign = exp.If(this=negative, true=text("-"), false=text(""))
    symbol = symbol_for(currency)
    return joined(sign, symbol, digits) if symbol is not None else joined(sign, digits, f" {currency}")


def non_null(items: list[exp.Expression]) -> exp.Expression:
    """The array of the items that are not null, in order (the notes, the routes)."""
    if not items:
        return exp.cast(exp.Array(expressions=[]), "VARCHAR[]")
    x = exp.to_identifier("x")
    keep = exp.Lambda(this=exp.Not(this=exp.Is(this=exp.column("x"), expression=exp.Null())), expressions=[x])
    return exp.ArrayFilter(this=exp.Array(expressions=items), expression=keep)


def when(condition: exp.Expression, value: exp.Expression | str) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=condition, true=text(value) if isinstance(value, str) else value)])
