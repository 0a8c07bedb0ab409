"""Field bounds (`delay_hours: number from 0 to 72`) and the case domain: money in a case is never
negative. The checker, formatter, schema, case reader and generator all honour them."""

from __future__ import annotations

import json
from decimal import Decimal

import jsonschema
import pytest

from dsl.checker import check_source
from dsl.formatter import format_source
from dsl.parser import parse
from engine.cases import CaseError, CaseReader
from engine.schema import case_schema
from qa.generate import generate_cases

POLICY = """\
policy "Delays"
version "1"
currency USD

case
  delay_hours: number from 0 to 72 = 3
  price: money from $0 to $10,000
  nights: integer from 1 to 30
  to: number = 0
  from: number = 1

rule "Late"
  when delay_hours > 6
  offer up to price

rule "Any"
  offer nothing
"""


@pytest.fixture
def policy():
    result = check_source(POLICY, "delays.policy")
    assert result.ok, result.diagnostics
    return result.policy


def test_bounds_reach_the_model(policy) -> None:
    delay, price, nights = policy.fields[:3]
    assert (delay.low, delay.high, delay.default) == (Decimal(0), Decimal(72), Decimal(3))
    assert (price.low, price.high) == (Decimal(0), Decimal(10000))
    assert (nights.low, nights.high) == (Decimal(1), Decimal(30))
    assert policy.fields[3].low is None and policy.fields[3].high is None


def test_bounds_format_to_themselves_and_keep_their_meaning() -> None:
    messy = POLICY.replace("number from 0 to 72 = 3", "number   from 0   to 72=3")
    formatted = format_source(messy)
    assert formatted == POLICY
    assert parse(formatted).tree == parse(messy).tree


def test_fields_may_still_be_called_from_and_to(policy) -> None:
    assert [f.name for f in policy.fields][3:] == ["to", "from"]


@pytest.mark.parametrize("raw, field, words", [
    ({"price": "10000.01", "nights": 2}, "price", "outside its bounds"),
    ({"price": "-1", "nights": 2}, "price", "outside its bounds"),
    ({"price": "10", "nights": 0}, "nights", "outside its bounds"),
    ({"price": "10", "nights": 2, "delay_hours": "72.5"}, "delay_hours", "outside its bounds"),
])
def test_the_case_reader_refuses_a_value_outside_the_bounds(policy, raw, field, words) -> None:
    with pytest.raises(CaseError) as error:
        CaseReader(policy).read(raw)
    assert error.value.field == field and words in error.value.message
    low, high = {"price": ("0", "10000"), "nights": ("1", "30"), "delay_hours": ("0", "72")}[field]
    assert error.value.expected == f"a value from {low} to {high}"


def test_the_bounds_themselves_are_inside(policy) -> None:
    values = CaseReader(policy).read({"price": "10000", "nights": 30, "delay_hours": 0}).values
    assert values["price"] == Decimal(10000) and values["nights"] == 30


def test_a_money_amount_is_never_negative_even_without_bounds() -> None:
    result = check_source(POLICY.replace("price: money from $0 to $10,000", "price: money"))
    with pytest.raises(CaseError) as error:
        CaseReader(result.policy).read({"price": "-0.01", "nights": 2})
    assert error.value.field == "price" and "cannot be negative" in error.value.message


def test_eval_reports_the_field_and_its_bounds(redress, tmp_path) -> None:
    path = tmp_path / "delays.policy"
    path.write_text(POLICY, encoding="utf-8")
    result = redress("eval", path, "--case", '{"price": 50, "nights": 31}')
    assert result.returncode == 2
    assert "`nights` is 31, outside its bounds" in result.stderr and "from 1 to 30" in result.stderr


def test_the_schema_carries_minimum_and_maximum(policy) -> None:
    schema = case_schema(policy)
    properties = schema["properties"]
    assert (properties["delay_hours"]["minimum"], properties["delay_hours"]["maximum"]) == (0, 72)
    assert (properties["price"]["minimum"], properties["price"]["maximum"]) == (0, 10000)
    assert "minimum" not in properties["to"]
    validator = jsonschema.Draft202012Validator(json.loads(json.dumps(schema, default=int)))
    assert validator.is_valid({"price": 10, "nights": 30})
    assert not validator.is_valid({"price": 10, "nights": 31})
    assert not validator.is_valid({"price": -1, "nights": 3})


def test_generated_cases_stay_inside_the_bounds(policy) -> None:
    reader = CaseReader(policy)
    cases = list(generate_cases(policy, 400, seed=3))
    for case in cases:
        reader.read(case, extras=set())  # raises for a value outside the bounds
    assert {int(case["nights"]) for case in cases} <= set(range(1, 31))
