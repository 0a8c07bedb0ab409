"""Properties in policy tests: `redress test` proves them over every case or shows a counterexample
the engines confirm."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

POLICY = """\
policy "Delays"
version "1"
currency USD

case
  situation: one of late, lost
  delay_hours: number from 0 to 72
  price: money from $0 to $2,000

entitlement "Refund of a lost bag"
  when situation is lost
  at least price

rule "Very late"
  when situation is late and delay_hours >= 24
  offer no less than 20% of price but no more than 50% of price

rule "Late"
  when situation is late and delay_hours >= 3
  offer no less than 10% of price but no more than {late_ceiling}

rule "Lost"
  when situation is lost
  offer up to {lost_ceiling}

rule "Barely late"
  offer nothing
"""

TESTS = """\
policy: delays.policy
tests:
  - name: three hours late
    case: {situation: late, delay_hours: 3, price: 100}
    expect: {rule: Late}
properties:
  - name: A longer delay never lowers the floor or the ceiling
    monotonic: delay_hours
    when: situation is late
  - name: A late delivery is settled for $1,000 at most
    when: situation is late
    at_most: {ceiling: 1000}
  - name: Every lost bag is refunded within its guideline
    never_below_entitlement: true
"""


def write(tmp_path: Path, late_ceiling: str, lost_ceiling: str) -> Path:
    (tmp_path / "delays.policy").write_text(POLICY.format(late_ceiling=late_ceiling, lost_ceiling=lost_ceiling), encoding="utf-8")
    path = tmp_path / "delays.tests.yaml"
    path.write_text(TESTS, encoding="utf-8")
    return path


def test_properties_that_hold_are_proved(redress, tmp_path) -> None:
    path = write(tmp_path, "50% of price", "price")
    result = redress("test", path, "--format", "json")
    assert result.returncode == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["passed"] == 4 and data["failed"] == 0
    assert [t["name"] for t in data["tests"]][1:] == ["property: A longer delay never lowers the floor or the ceiling",
                                                     "property: A late delivery is settled for $1,000 at most",
                                                     "property: Every lost bag is refunded within its guideline"]
    assert [t["line"] for t in data["tests"]] == [3, 7, 10, 13]


def test_broken_properties_are_refuted_with_counterexamples_eval_confirms(redress, tmp_path) -> None:
    path = write(tmp_path, "60% of price", "90% of price")
    result = redress("test", path, "--format", "json")
    assert result.returncode == 1
    outcomes = {t["name"]: t for t in json.loads(result.stdout)["tests"]}
    monotonic = outcomes["property: A longer delay never lowers the floor or the ceiling"]
    assert monotonic["status"] == "failed"
    (lowered,) = [m for m in monotonic["mismatches"] if m["key"] == "ceiling"]
    higher, lower = lowered["case"], lowered["compared_with"]
    assert Decimal(higher["delay_hours"]) > Decimal(lower["delay_hours"])
    assert {k: v for k, v in higher.items() if k != "delay_hours"} == {k: v for k, v in lower.items() if k != "delay_hours"}
    before = json.loads(redress("eval", tmp_path / "delays.policy", "--case", json.dumps(lower)).stdout)
    after = json.loads(redress("eval", tmp_path / "delays.policy", "--case", json.dumps(higher)).stdout)
    assert Decimal(after["ceiling"]) < Decimal(before["ceiling"]) and after["ceiling"] == lowered["actual"]
    bound = outcomes["property: A late delivery is settled for $1,000 at most"]
    (over,) = bound["mismatches"]
    decided = json.loads(redress("eval", tmp_path / "delays.policy", "--case", json.dumps(over["case"])).stdout)
    assert Decimal(decided["ceiling"]) > 1000 and over["expected"] == "at most 1000"
    covered = outcomes["property: Every lost bag is refunded within its guideline"]
    (lifted,) = covered["mismatches"]
    decided = json.loads(redress("eval", tmp_path / "delays.policy", "--case", json.dumps(lifted["case"])).stdout)
    assert any('below the entitlement "Refund of a lost bag"' in note for note in decided["notes"])


def test_the_text_report_prints_the_counterexample(redress, tmp_path) -> None:
    path = write(tmp_path, "60% of price", "price")
    result = redress("test", path)
    assert result.returncode == 1
    assert "FAILED property: A longer delay never lowers the floor or the ceiling" in result.stdout
    assert "case: {\"situation\": \"late\"" in result.stdout and "compared with: {" in result.stdout


@pytest.mark.parametrize("statement, words", [
    ("monotonic: colour", "`colour` is not a number, integer or money field"),
    ("at_most: {bonus: 5}", "amounts are some of floor, ceiling, open_at"),
    ("when: situation is gone\n    at_most: {ceiling: 5}", "`gone` is not a value of `situation`"),
    ("nothing: true", "exactly one of monotonic, at_most, at_least, never_below_entitlement"),
    ("never_below_entitlement: true\n    timeout: soon", "`timeout` is a number of seconds, not 'soon'"),
])
def test_a_property_that_cannot_be_checked_is_an_error_that_says_why(redress, tmp_path, statement, words) -> None:
    path = write(tmp_path, "50% of price", "price")
    path.write_text(f"policy: delays.policy\nproperties:\n  - name: broken\n    {statement}\n", encoding="utf-8")
    result = redress("test", path, "--format", "json")
    assert result.returncode == 1
    (outcome,) = json.loads(result.stdout)["tests"]
    assert outcome["status"] == "error" and words in outcome["error"]
