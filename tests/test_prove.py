"""`diff --prove`: equivalent rewrites are proved equivalent; a one-character boundary edit is refuted
by a counterexample sitting exactly on the boundary; the worst changes of floor and ceiling."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from analysis.equivalence import prove
from conftest import EXAMPLE_POLICY
from dsl.checker import check_source

EXAMPLE = EXAMPLE_POLICY.read_text(encoding="utf-8")


def checked(source: str):
    result = check_source(source, "v.policy")
    assert result.ok, result.diagnostics
    return result.policy


def proof_of(old: str, new: str):
    return prove(checked(old), checked(new), time_limit=10)


def rewrite(source: str, *pairs: tuple[str, str]) -> str:
    for before, after in pairs:
        assert before in source, before
        source = source.replace(before, after)
    return source


MISSED = '''rule "Missed appointment"
  when situation is missed_appointment
  offer no less than 25% of price but no more than 50% of price
  say "We realize you were inconvenienced and would like to extend {offer} to show our sincere apologies."
  follow up within 2 days

'''

EQUIVALENT = {
    "lets inlined": rewrite(EXAMPLE, ("yearly_value >= $1,000", "average_purchase * purchases_per_year >= $1,000"),
                            ("min(profit, 15% of price)", "min(price - cost, 15% of price)")),
    "disjoint rules reordered": rewrite(EXAMPLE, (MISSED, ""), ("otherwise escalate", MISSED + "otherwise escalate")),
    "25% of x as x / 4": rewrite(EXAMPLE, ("no less than 25% of price", "no less than price / 4"),
                                 ("no more than 50% of price", "no more than price * 0.5")),
    "negated conditions": rewrite(EXAMPLE, ("when warranty is active and situation is defective_product",
                                            "when not (warranty is not active or situation != \"defective_product\")")),
}


@pytest.mark.parametrize("new", EQUIVALENT.values(), ids=EQUIVALENT.keys())
def test_equivalent_rewrites_are_proved_equivalent(new) -> None:
    proof = proof_of(EXAMPLE, new)
    assert proof.equivalent is True, proof.to_json()
    assert proof.counterexamples == [] and proof.unknown == []
    assert proof.floor_delta == {"min": "0.00", "max": "0.00"} and proof.ceiling_delta == {"min": "0.00", "max": "0.00"}


NIGHTS = '''policy "Stays"
version "1"
currency USD

case
  nights: {kind}
  price: money

rule "Long stay"
  when nights {condition}
  offer up to 20% of price

rule "Short stay"
  offer up to 10% of price
'''


def test_an_integer_above_six_is_the_same_as_at_least_seven() -> None:
    proof = proof_of(NIGHTS.format(kind="integer", condition="> 6"), NIGHTS.format(kind="integer", condition=">= 7"))
    assert proof.equivalent is True


def test_a_number_above_six_is_not_at_least_seven() -> None:
    proof = proof_of(NIGHTS.format(kind="number", condition="> 6"), NIGHTS.format(kind="number", condition=">= 7"))
    assert proof.equivalent is False
    nights = Decimal(proof.counterexamples[0]["case"]["nights"])
    assert 6 < nights < 7


BOUNDARY_EDITS = [
    ("yearly_value >= $1,000", "yearly_value > $1,000", {"average_purchase", "purchases_per_year"}, Decimal(1000)),
    ("situation is broken_after_warranty and yearly_value >= $1,000", "situation is broken_after_warranty and yearly_value >= $1,001",
     {"average_purchase", "purchases_per_year"}, Decimal(1000)),
]


@pytest.mark.parametrize("before, after, fields, boundary", BOUNDARY_EDITS, ids=[">= to >", "1,000 to 1,001"])
def test_a_one_character_boundary_edit_is_refuted_on_the_boundary(before, after, fields, boundary) -> None:
    proof = proof_of(EXAMPLE, rewrite(EXAMPLE, (before, after)))
    assert proof.equivalent is False
    rule_change = next(c for c in proof.counterexamples if "rule" in c["differs"])
    case = rule_change["case"]
    assert Decimal(case["average_purchase"]) * Decimal(case["purchases_per_year"]) == boundary
    assert rule_change["old"]["rule"] == "Broke after warranty, valued customer"
    assert rule_change["new"]["rule"] == "Broke after warranty"


def test_a_counterexample_sits_exactly_on_a_simple_boundary() -> None:
    old = NIGHTS.format(kind="number", condition=">= 3")
    proof = proof_of(old, NIGHTS.format(kind="number", condition=">= 4"))
    assert {key for example in proof.counterexamples for key in example["differs"]} == {"rule", "ceiling"}
    for example in proof.counterexamples:
        assert Decimal(example["case"]["nights"]) == 3
        assert (example["old"]["rule"], example["new"]["rule"]) == ("Long stay", "Short stay")


def test_the_worst_changes_of_floor_and_ceiling() -> None:
    old = NIGHTS.format(kind="integer", condition=">= 3")
    new = rewrite(old, ("offer up to 20% of price", "offer no less than $5 but no more than 30% of price + $10"))
    proof = proof_of(old, new)
    assert proof.floor_delta == {"min": "0.00", "max": "5.00"}
    assert proof.ceiling_delta == {"min": "0.00", "max": "unbounded"}


def test_a_bounded_field_bounds_the_worst_change() -> None:
    old = NIGHTS.format(kind="integer", condition=">= 3").replace("price: money", "price: money from $0 to $1,000")
    new = rewrite(old, ("offer up to 20% of price", "offer up to 25% of price"))
    proof = proof_of(old, new)
    assert proof.ceiling_delta == {"min": "0.00", "max": "50.00"}


def test_every_counterexample_shows_both_decisions_for_each_kind_of_difference() -> None:
    new = rewrite(EXAMPLE, ("clerk up to $50", "clerk up to $60"), ("step $10", "step $5"),
                  ('follow up within 2 days', 'follow up within 3 days'))
    proof = proof_of(EXAMPLE, new)
    differs = {key for example in proof.counterexamples for key in example["differs"]}
    assert {"approver", "step", "follow_up"} <= differs
    for example in proof.counterexamples:
        assert all(example["old"][key] != example["new"][key] for key in example["differs"])


def test_a_case_block_change_is_reported() -> None:
    new = rewrite(EXAMPLE, ("years_expected: number = 10", "years_expected: number = 12"))
    proof = proof_of(EXAMPLE, new)
    assert proof.equivalent is False
    assert proof.case_block == ["the default of `years_expected` changed: a case that leaves it out is decided with another value"]


def test_diff_prove_reports_the_proof_in_json_and_text(redress, tmp_path) -> None:
    old, new, same = tmp_path / "old.policy", tmp_path / "new.policy", tmp_path / "same.policy"
    old.write_text(EXAMPLE, encoding="utf-8")
    new.write_text(rewrite(EXAMPLE, ("yearly_value >= $1,000", "yearly_value > $1,000")), encoding="utf-8")
    same.write_text(EQUIVALENT["25% of x as x / 4"], encoding="utf-8")
    changed = redress("diff", old, new, "--prove", "--format", "json")
    assert changed.returncode == 1
    proof = json.loads(changed.stdout)["proof"]
    assert set(proof) >= {"equivalent", "counterexamples", "floor_delta", "ceiling_delta"}
    assert proof["equivalent"] is False
    example = next(c for c in proof["counterexamples"] if "rule" in c["differs"])
    assert {"case", "old", "new", "differs"} <= set(example)
    decided = json.loads(redress("eval", new, "--case", json.dumps(example["case"])).stdout)
    assert decided["rule"] == example["new"]["rule"] == "Broke after warranty"
    assert proof["floor_delta"] == {"min": "unbounded", "max": "0.00"}
    proved = redress("diff", old, same, "--prove", "--format", "json")
    assert json.loads(proved.stdout)["proof"]["equivalent"] is True
    assert proved.returncode == 0, "the text changed, but no case is decided differently"
    text = redress("diff", old, new, "--prove")
    assert "Proof over every possible case: the versions differ." in text.stdout
    assert "rule: \"Broke after warranty, valued customer\" -> \"Broke after warranty\"" in text.stdout


def test_diff_prove_with_cases_gives_history_and_the_worst_case_in_one_report(redress, tmp_path) -> None:
    old, new, cases = tmp_path / "old.policy", tmp_path / "new.policy", tmp_path / "cases.jsonl"
    old.write_text(EXAMPLE, encoding="utf-8")
    new.write_text(rewrite(EXAMPLE, ("no more than 50% of price", "no more than 60% of price")), encoding="utf-8")
    cases.write_text('{"situation": "missed_appointment", "price": 100, "cost": 10}\n', encoding="utf-8")
    result = redress("diff", old, new, "--cases", cases, "--prove", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["changed"] == 1 and data["proof"]["equivalent"] is False
    assert data["proof"]["ceiling_delta"] == {"min": "0.00", "max": "unbounded"}
