"""`@record` behaves as `@dataclass(frozen=True)` does, for everything the tree and the model rely
on: construction, defaults, equality without spans, hashing, repr, immutability, dataclass tools,
pickling (the policy cache)."""

from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal

import pytest

from dsl import ast
from dsl.model import CaseField
from dsl.records import record


@dataclasses.dataclass(frozen=True)
class _Reference:
    value: Decimal
    text: str
    span: ast.Span = dataclasses.field(default=ast.NO_SPAN, compare=False, repr=False)


@record
class _Record:
    value: Decimal
    text: str
    span: ast.Span = dataclasses.field(default=ast.NO_SPAN, compare=False, repr=False)


SPAN = ast.Span(1, 2, 1, 5)


def test_construction_equality_hash_and_repr_match_a_frozen_dataclass() -> None:
    for kind in (_Reference, _Record):
        placed, unplaced = kind(Decimal("1.5"), "1.5", SPAN), kind(text="1.5", value=Decimal("1.5"))
        assert placed == unplaced and hash(placed) == hash(unplaced)  # spans do not count
        assert placed != kind(Decimal("2"), "2") and placed != (Decimal("1.5"), "1.5")
        assert unplaced.span == ast.NO_SPAN
    assert repr(_Record(Decimal("1.5"), "1.5", SPAN)) == repr(_Reference(Decimal("1.5"), "1.5", SPAN)).replace("_Reference", "_Record")
    assert _Record(Decimal(1), "1") != _Reference(Decimal(1), "1")


def test_records_are_frozen() -> None:
    number = ast.Number(Decimal(1), "1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        number.value = Decimal(2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        del number.text


@pytest.mark.parametrize("arguments, keywords", [((Decimal(1),), {}), ((Decimal(1), "1", SPAN, 4), {}),
                                                 ((Decimal(1), "1"), {"value": Decimal(2)}), ((), {"value": 1, "txt": "1"})])
def test_wrong_arguments_are_refused_as_a_dataclass_refuses_them(arguments: tuple, keywords: dict) -> None:
    with pytest.raises(TypeError):
        _Reference(*arguments, **keywords)
    with pytest.raises(TypeError):
        _Record(*arguments, **keywords)


def test_dataclass_tools_and_pickling_work() -> None:
    field = CaseField("price", "money", default=Decimal("0"), line=3)
    assert dataclasses.is_dataclass(field) and [f.name for f in dataclasses.fields(field)][:2] == ["name", "kind"]
    assert dataclasses.replace(field, name="cost") == CaseField("cost", "money", default=Decimal("0"), line=3)
    assert dataclasses.asdict(ast.Name("x", SPAN))["name"] == "x"
    tree = ast.Binary("+", ast.Name("price", SPAN), ast.Number(Decimal("0.1"), "0.1", SPAN), SPAN)
    copy = pickle.loads(pickle.dumps(tree))
    assert copy == tree and copy.left.span == SPAN
