"""The one child iterator every walker of expressions uses (`dsl.ast.children` / `walk`): it must
reach every sub-expression of every kind of node, in source order, and nothing that is not a value."""

from __future__ import annotations

import typing
from dataclasses import fields, is_dataclass

from dsl import ast
from dsl.names import names_used
from dsl.parser import parse_expression

# Every kind of expression node, at least once, with sub-expressions in every position.
EVERYTHING = ('min(price, 2 * -cost) + 10% of price / 3 - cost * 5% > $5 and not (warranty is one of active, none) '
              'or flag == true or note != "x"')
# Parts of a node that are not values a walker should see.
NOT_VALUES = {(ast.Call, "function"), (ast.IsOneOf, "values"), (ast.PercentOf, "percent")}
EXPR_KINDS = set(typing.get_args(ast.Expr))


def every_part(node) -> list:
    """Every expression node reachable through the dataclass fields, found by reflection."""
    found = [node]
    for field in fields(node):
        if field.name == "span" or (type(node), field.name) in NOT_VALUES:
            continue
        value = getattr(node, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if is_dataclass(item) and type(item) in EXPR_KINDS:
                found += every_part(item)
    return found


def test_walk_reaches_every_sub_expression_in_source_order():
    expr = parse_expression(EVERYTHING)
    walked = list(ast.walk(expr))
    assert {type(node) for node in walked} == EXPR_KINDS  # the example covers every kind of node
    assert [id(node) for node in walked] == [id(node) for node in every_part(expr)]
    starts = [(node.span.line, node.span.column) for node in walked if isinstance(node, ast.Name)]
    assert starts == sorted(starts)


def test_children_skip_what_is_not_a_value():
    expr = parse_expression("max(a, b) > 1 and c is one of x, y")
    assert names_used(expr) == ["a", "b", "c"]  # neither `max` nor the choices `x`, `y`
    assert list(ast.walk(None)) == []
    assert ast.children(parse_expression("$5")) == ()
