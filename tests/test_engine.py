"""Deciding cases against decisions computed by hand, through both engines.

Every expected value here is written out literally (worked from LANGUAGE.md and the policy text), never
produced by the code under test; the only computed expectation is the digest, which LANGUAGE.md defines
as the SHA-256 of the policy file's bytes.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from dsl.checker import check_file, check_source
from engine.cases import CaseError
from engine.decide import ENGINE_KINDS, load_engine

EXAMPLE = Path(__file__).resolve().parent / "data" / "language_example.policy"

EDGE_POLICY = '''\
policy "Edge cases"
version "7"
currency USD

case
  kind: one of clamp, entitled, open_low, open_high, exact, hours, unmatched
  price: money = $100
  cost: money = $0
  member: bool = false
  courier: bool = false
  note: text = ""
  visits: integer = 1

let margin = price - cost
let per_visit = price / visits

authority
  clerk up to $50
  supervisor up to $200
  president

route "Shipping" when courier
route "Accounting" when member and note == "refund"

entitlement "Member minimum"
  when member
  at least $75

entitlement "Courier minimum"
  when courier
  at least $60

rule "Clamp"
  when kind is clamp
  offer up to margin

rule "Entitled"
  when kind is entitled
  offer no less than $10 but no more than $20

rule "Open low"
  when kind is open_low
  offer no less than $20 but no more than $40
  open at $5

rule "Open high"
  when kind is open_high
  offer no less than $20 but no more than $40
  open at $45

rule "Exact"
  when kind is exact
  offer exactly price
  step $2.50
  extra "a free coffee" up to $4.995
  say "We can offer {offer} (at most {ceiling}) for {note}."
  follow up within 1 day
  escalate to supervisor

rule "Hours"
  when kind is hours
  offer nothing
  follow up within 4 hours

otherwise escalate to president
'''

NO_AUTHORITY_POLICY = '''\
policy "No chain"
version "1"
currency EUR

case
  amount: money

rule "Everything"
  offer up to amount + €0.50
'''

# The decision LANGUAGE.md documents for the missed-appointment case (its digest is a placeholder).
EXAMPLE_DECISION = {key: value for key, value in json.loads(
    (Path(__file__).parent / "data" / "language_example_decision.json").read_text(encoding="utf-8")).items() if key != "digest"}


def _engines(policy):
    return {kind: load_engine(policy, kind) for kind in ENGINE_KINDS}


@pytest.fixture(scope="module")
def example_engines():
    result = check_file(str(EXAMPLE))
    assert result.ok, result.diagnostics
    return _engines(result.policy)


@pytest.fixture(scope="module")
def edge_engines():
    result = check_source(EDGE_POLICY, "edge.policy")
    assert result.ok, result.diagnostics
    return _engines(result.policy)


@pytest.fixture(scope="module")
def no_authority_engines():
    result = check_source(NO_AUTHORITY_POLICY, "no_authority.policy")
    assert result.ok, result.diagnostics
    return _engines(result.policy)


@pytest.fixture(params=ENGINE_KINDS)
def kind(request) -> str:
    return request.param


def test_durable_engine_is_really_durable(example_engines):
    """Otherwise every `durable` case below would silently test the compiled engine twice."""
    engine = example_engines["durable"]
    assert engine.kind == "durable" and engine.fallback_reason is None


def _decide(engines, kind, case, explain=False) -> dict:
    return engines[kind].decide(case, explain=explain).to_json()


# ---------------------------------------------------------------- the LANGUAGE.md decision


def test_language_example_decision(example_engines, kind):
    decision = _decide(example_engines, kind, {"situation": "missed_appointment", "price": 120, "cost": 50})
    digest = decision.pop("digest")
    assert decision == EXAMPLE_DECISION
    assert list(decision) == [key for key in EXAMPLE_DECISION]  # every key, in LANGUAGE.md's order
    assert digest == "sha256:" + hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()


# ---------------------------------------------------------------- boundaries of a condition


def test_yearly_value_at_exactly_the_threshold_is_a_valued_customer(example_engines, kind):
    decision = _decide(example_engines, kind, {"situation": "broken_after_warranty", "price": 200, "cost": 150,
                                               "average_purchase": 100, "purchases_per_year": 10})
    assert decision["rule"] == "Broke after warranty, valued customer"
    # 10% and 100% of $200, open at 20%, step $10
    assert (decision["floor"], decision["ceiling"], decision["open_at"], decision["step"]) == ("20.00", "200.00", "40.00", "10.00")
    assert decision["remedies"] == ["discount", "replace"]
    assert decision["approver"] == "supervisor"


def test_yearly_value_a_cent_below_the_threshold_is_not(example_engines, kind):
    decision = _decide(example_engines, kind, {"situation": "broken_after_warranty", "price": 200, "cost": 150,
                                               "average_purchase": "99.999", "purchases_per_year": 10})
    assert decision["rule"] == "Broke after warranty"
    # min(profit $50, 15% of $200 = $30)
    assert (decision["floor"], decision["ceiling"], decision["open_at"], decision["step"]) == ("0.00", "30.00", "0.00", None)
    assert decision["remedies"] == ["discount"]
    assert decision["approver"] == "clerk"


# ---------------------------------------------------------------- approver


@pytest.mark.parametrize(("price", "ceiling", "approver"), [
    (25, "50.00", "clerk"),                    # exactly the clerk's $50 limit
    ("25.01", "50.01", "supervisor"),          # one cent above it
    (175, "200.00", "supervisor"),
    ("175.01", "200.01", "department_manager"),
    (4975, "5000.00", "division_vp"),
    ("4975.01", "5000.01", "president"),       # above every limit: the last role
    (1000000, "1000025.00", "president"),
])
def test_approver_is_the_lowest_role_covering_the_ceiling(example_engines, kind, price, ceiling, approver):
    decision = _decide(example_engines, kind, {"situation": "defective_product", "price": price, "cost": 1})
    assert decision["rule"] == "Defective product"
    assert decision["ceiling"] == ceiling  # price + $25
    assert decision["approver"] == approver


def test_policy_without_authority_has_no_approver(no_authority_engines, kind):
    decision = _decide(no_authority_engines, kind, {"amount": "10.25"})
    assert decision["rule"] == "Everything"
    assert (decision["floor"], decision["ceiling"], decision["currency"]) == ("0.00", "10.75", "EUR")
    assert decision["approver"] is None


# ---------------------------------------------------------------- amounts


def test_half_up_rounding_to_the_cent(example_engines, kind):
    decision = _decide(example_engines, kind, {"situation": "missed_appointment", "price": "100.02", "cost": 0})
    # 25% of 100.02 = 25.005 -> 25.01; 50% = 50.01 (a cent above the clerk)
    assert (decision["floor"], decision["ceiling"], decision["open_at"]) == ("25.01", "50.01", "25.01")
    assert decision["approver"] == "supervisor"
    assert decision["say"] == "We realize you were inconvenienced and would like to extend $25.01 to show our sincere apologies."


def test_half_up_rounding_of_an_extra(edge_engines, kind):
    decision = _decide(edge_engines, kind, {"kind": "exact", "price": 10, "note": "it"})
    assert decision["extra"] == {"gesture": "a free coffee", "up_to": "5.00"}  # $4.995


def test_bound_below_zero_is_clamped_with_a_note(edge_engines, kind):
    decision = _decide(edge_engines, kind, {"kind": "clamp", "price": 30, "cost": 50})
    assert (decision["floor"], decision["ceiling"], decision["open_at"]) == ("0.00", "0.00", "0.00")
    assert decision["approver"] == "clerk"
    assert len(decision["notes"]) == 1
    assert "ceiling" in decision["notes"][0].lower() and "$0.00" in decision["notes"][0]


def test_entitlement_above_the_ceiling_raises_the_range(edge_engines, kind):
    decision = _decide(edge_engines, kind, {"kind": "entitled", "member": True})
    assert decision["rule"] == "Entitled"
    assert (decision["floor"], decision["ceiling"], decision["open_at"]) == ("75.00", "75.00", "75.00")
    assert decision["entitlements"] == ["Member minimum"]
    assert decision["approver"] == "supervisor"  # the raised ceiling counts
    assert len(decision["notes"]) == 1 and "Member minimum" in decision["notes"][0]


def test_entitlement_inside_the_range_only_raises_the_floor(example_engines, kind):
    case = {"situation": "defective_product", "warranty": "active", "price": 80, "cost": 30}
    decision = _decide(example_engines, kind, case)
    assert decision["entitlements"] == ["Warranty replacement"]
    assert (decision["floor"], decision["ceiling"], decision["open_at"]) == ("80.00", "105.00", "80.00")
    assert decision["notes"] == []
    assert decision["extra"] == {"gesture": "two movie tickets", "up_to": "30.00"}
    assert decision["remedies"] == ["repair", "replace", "exchange", "refund"]
    assert decision["step"] is None


@pytest.mark.parametrize(("case_kind", "open_at", "moved_to"), [("open_low", "20.00", "$20.00"), ("open_high", "40.00", "$40.00")])
def test_opening_offer_is_moved_into_the_range(edge_engines, kind, case_kind, open_at, moved_to):
    decision = _decide(edge_engines, kind, {"kind": case_kind})
    assert (decision["floor"], decision["ceiling"], decision["open_at"]) == ("20.00", "40.00", open_at)
    assert len(decision["notes"]) == 1 and moved_to in decision["notes"][0]


def test_offer_exactly_step_wording_follow_up_and_escalation(edge_engines, kind):
    decision = _decide(edge_engines, kind, {"kind": "exact", "price": 1250, "note": "the delay"})
    assert (decision["floor"], decision["ceiling"], decision["open_at"], decision["step"]) == ("1250.00", "1250.00", "1250.00", "2.50")
    assert decision["say"] == "We can offer $1,250.00 (at most $1,250.00) for the delay."
    assert decision["follow_up"] == "1 day"
    assert decision["escalate_to"] == "supervisor"
    assert decision["approver"] == "president"


def test_offer_nothing_and_a_follow_up_in_hours(edge_engines, kind):
    decision = _decide(edge_engines, kind, {"kind": "hours"})
    assert (decision["floor"], decision["ceiling"], decision["open_at"]) == ("0.00", "0.00", "0.00")
    assert decision["follow_up"] == "4 hours"
    assert decision["say"] is None and decision["extra"] is None


def test_say_renders_the_opening_offer_with_thousands(example_engines, kind):
    decision = _decide(example_engines, kind, {"situation": "missed_appointment", "price": 5000, "cost": 0})
    assert (decision["floor"], decision["ceiling"]) == ("1250.00", "2500.00")
    assert decision["say"] == "We realize you were inconvenienced and would like to extend $1,250.00 to show our sincere apologies."
    assert decision["approver"] == "division_vp"


# ---------------------------------------------------------------- no rule, routes, entitlements


def test_no_rule_matched(example_engines, kind):
    decision = _decide(example_engines, kind, {"situation": "wrong_item", "price": 10, "cost": 5})
    decision.pop("digest")
    assert decision == {
        "policy": "Hardware store service recovery", "version": "2026-11", "case_id": None, "rule": None,
        "currency": "USD", "floor": None, "ceiling": None, "open_at": None, "step": None, "remedies": [],
        "approver": None, "escalate_to": "supervisor", "routes": [], "entitlements": [], "say": None,
        "follow_up": None, "extra": None, "notes": [],
    }


def test_no_rule_matched_still_lists_entitlements(edge_engines, kind):
    decision = _decide(edge_engines, kind, {"kind": "unmatched", "member": True})
    assert decision["rule"] is None and decision["floor"] is None and decision["approver"] is None
    assert decision["escalate_to"] == "president"
    assert decision["entitlements"] == ["Member minimum"]


def test_routes_and_entitlements_in_file_order(edge_engines, kind):
    decision = _decide(edge_engines, kind, {"kind": "open_low", "courier": True, "member": True, "note": "refund"})
    assert decision["routes"] == ["Shipping", "Accounting"]
    assert decision["entitlements"] == ["Member minimum", "Courier minimum"]
    # the higher entitlement ($75) wins over the $60 one and over the $20-$40 guideline
    assert (decision["floor"], decision["ceiling"], decision["open_at"]) == ("75.00", "75.00", "75.00")


def test_route_when_a_bool_field_is_true(example_engines, kind):
    case = {"situation": "missed_appointment", "price": 120, "cost": 50}
    assert _decide(example_engines, kind, {**case, "legal_issue": True})["routes"] == ["Attorney's Office"]
    assert _decide(example_engines, kind, {**case, "legal_issue": False})["routes"] == []


def test_text_condition(edge_engines, kind):
    base = {"kind": "open_low", "member": True}
    assert _decide(edge_engines, kind, {**base, "note": "refund"})["routes"] == ["Accounting"]
    assert _decide(edge_engines, kind, {**base, "note": "Refund"})["routes"] == []
    assert _decide(edge_engines, kind, {**base, "note": "refund" + "!" * 70000})["routes"] == []


# ---------------------------------------------------------------- the case


@pytest.mark.parametrize("case_id", [17, "A-17"])
def test_case_id_is_echoed(example_engines, kind, case_id):
    decision = _decide(example_engines, kind, {"id": case_id, "situation": "missed_appointment", "price": 120, "cost": 50})
    assert decision["case_id"] == case_id


def test_explain_trace(example_engines, kind):
    case = {"situation": "broken_after_warranty", "price": 200, "cost": 150, "average_purchase": "99.999",
            "purchases_per_year": 10, "warranty": "expired"}
    decision = _decide(example_engines, kind, case, explain=True)
    assert decision["rule"] == "Broke after warranty"
    assert decision["trace"] == [
        {"kind": "rule", "name": "Missed appointment", "line": 33, "matched": False, "decides": False,
         "values": {"situation": "broken_after_warranty"}},
        {"kind": "rule", "name": "Broke after warranty, valued customer", "line": 39, "matched": False, "decides": False,
         "values": {"situation": "broken_after_warranty", "yearly_value": "999.990", "average_purchase": "99.999",
                    "purchases_per_year": "10"}},
        {"kind": "rule", "name": "Broke after warranty", "line": 46, "matched": True, "decides": True,
         "values": {"situation": "broken_after_warranty"}},
        {"kind": "rule", "name": "Defective product", "line": 51, "matched": False, "decides": False,
         "values": {"situation": "broken_after_warranty"}},
        {"kind": "entitlement", "name": "Warranty replacement", "line": 29, "matched": False,
         "values": {"warranty": "expired", "situation": "broken_after_warranty"}},
        {"kind": "route", "name": "Attorney's Office", "line": 27, "matched": False, "values": {"legal_issue": False}},
    ]


def test_explain_marks_every_matching_rule_but_only_the_first_decides(example_engines, kind):
    case = {"situation": "broken_after_warranty", "price": 200, "cost": 150, "average_purchase": 1000, "purchases_per_year": 1,
            "legal_issue": True}
    trace = _decide(example_engines, kind, case, explain=True)["trace"]
    assert [(entry["name"], entry["matched"], entry.get("decides")) for entry in trace] == [
        ("Missed appointment", False, False),
        ("Broke after warranty, valued customer", True, True),
        ("Broke after warranty", True, False),
        ("Defective product", False, False),
        ("Warranty replacement", False, None),
        ("Attorney's Office", True, None),
    ]


def test_decision_without_explain_has_no_trace(example_engines, kind):
    assert "trace" not in _decide(example_engines, kind, {"situation": "missed_appointment", "price": 1, "cost": 1})


def test_strings_and_integers_are_exact_decimals(example_engines, kind):
    case = {"situation": "missed_appointment", "price": "100.02", "cost": 7, "average_purchase": "0.1",
            "purchases_per_year": "3"}
    decision = _decide(example_engines, kind, case, explain=True)
    assert decision["floor"] == "25.01"
    values = decision["trace"][1]["values"]
    assert values["yearly_value"] == "0.3"  # 0.1 x 3, not 0.30000000000000004
    assert values["average_purchase"] == "0.1"


ERROR_CASES = [
    # (case, field, words the message must contain)
    ({"situation": "missed_appointment", "cost": 50}, "price", ["missing", "price"]),
    ({"price": 1, "cost": 1}, "situation", ["missing", "situation"]),
    ({"situation": "missed_apointment", "price": 1, "cost": 1}, "situation", ["did you mean", "missed_appointment"]),
    ({"situation": "missed_appointment", "price": 1, "cost": 1, "warranty": "lifetime"}, "warranty", ["lifetime"]),
    ({"situation": "missed_appointment", "price": "abc", "cost": 1}, "price", ["price"]),
    ({"situation": "missed_appointment", "price": True, "cost": 1}, "price", ["price"]),
    ({"situation": "missed_appointment", "price": [1], "cost": 1}, "price", ["price"]),
    ({"situation": "missed_appointment", "price": 1, "cost": 1, "legal_issue": 1}, "legal_issue", ["true or false"]),
    ({"situation": "missed_appointment", "price": 1, "cost": 1, "legal_issue": "maybe"}, "legal_issue", ["true or false"]),
    ({"situation": "missed_appointment", "price": 1, "cost": 1, "note": 5}, "note", ["note"]),
    ({"situation": 3, "price": 1, "cost": 1}, "situation", ["situation"]),
    ({"situation": "missed_appointment", "price": 1, "cost": 1, "warrenty": "active"}, "warrenty",
     ["unknown", "warrenty", "did you mean", "warranty"]),
    ({"situation": "missed_appointment", "price": 120.0, "cost": 50}, "price", ["price"]),  # a float
    ({"situation": "missed_appointment", "price": 120, "cost": 0.1}, "cost", ["cost"]),
]


@pytest.mark.parametrize(("case", "field", "words"), ERROR_CASES)
def test_case_errors(example_engines, kind, case, field, words):
    with pytest.raises(CaseError) as raised:
        example_engines[kind].decide(case)
    assert raised.value.field == field
    for word in words:
        assert word in raised.value.message
    assert raised.value.expected


def test_a_case_must_be_an_object(example_engines, kind):
    with pytest.raises(CaseError) as raised:
        example_engines[kind].decide(["missed_appointment", 120, 50])
    assert raised.value.field is None


def test_integer_field_refuses_a_fraction(edge_engines, kind):
    with pytest.raises(CaseError) as raised:
        edge_engines[kind].decide({"kind": "exact", "visits": "2.5"})
    assert raised.value.field == "visits"
    assert _decide(edge_engines, kind, {"kind": "exact", "visits": "2.0"})["rule"] == "Exact"


def test_division_by_zero_in_a_let_names_the_let(edge_engines, kind):
    with pytest.raises(CaseError) as raised:
        edge_engines[kind].decide({"kind": "exact", "visits": 0})
    assert "division by zero" in raised.value.message
    assert "per_visit" in raised.value.message


# ---------------------------------------------------------------- durable_rules' fixed capacities

def _policy_with_routes(count: int) -> str:
    routes = "\n".join(f'route "Route {i}" when x > {i}' for i in range(count))
    return f'policy "p"\nversion "1"\ncurrency USD\ncase\n  x: number\n{routes}\nrule "r"\n  offer nothing\n'


def test_a_case_past_durable_rules_capacity_is_matched_by_the_compiled_matcher() -> None:
    policy = check_source(_policy_with_routes(70), "many_routes.policy").policy
    durable, compiled = load_engine(policy, "durable"), load_engine(policy, "compiled")
    assert durable.kind == "durable" and durable.fallback_reason is None
    case = {"x": 100}  # all 70 routes hold at once: more alternatives than durable_rules can hold
    assert durable.decide(case).to_json() == compiled.decide(case).to_json()
    assert len(durable.decide(case).routes) == 70
    assert durable.matcher.fallbacks == 2
    assert durable.decide({"x": 3}).routes == ["Route 0", "Route 1", "Route 2"]
    assert durable.matcher.fallbacks == 2


def test_a_policy_of_more_than_512_rules_is_spread_over_several_rulesets() -> None:
    # durable_rules 2.0.28 never returns from create_ruleset past 512 rules in one ruleset.
    rules = "\n".join(f'rule "Rule {i}"\n  when y > {i}\n  offer exactly ${i}' for i in range(1199, -1, -1))
    source = f'policy "p"\nversion "1"\ncurrency USD\ncase\n  y: number\n{rules}\n'
    policy = check_source(source, "many_rules.policy").policy
    engine = load_engine(policy, "durable")
    assert engine.kind == "durable"
    assert engine.decide({"y": 5}).rule == "Rule 4"
    assert engine.matcher.fallbacks == 0
    assert engine.decide({"y": 1000}).rule == "Rule 999"  # 1,000 rules hold at once: past durable_rules' 64
    assert engine.matcher.fallbacks == 1


def test_a_policy_durable_rules_refuses_falls_back_to_compiled_and_says_why(monkeypatch) -> None:
    import durable_rules_engine

    def refuse(name, definition):
        raise durable_rules_engine.error("Could not create ruleset, error code: 113")

    monkeypatch.setattr(durable_rules_engine, "create_ruleset", refuse)
    policy = check_file(str(EXAMPLE)).policy
    engine = load_engine(policy, "durable")
    assert engine.kind == "compiled"
    assert "durable_rules cannot load this policy (Could not create ruleset, error code: 113)" in engine.fallback_reason
    assert engine.decide({"situation": "missed_appointment", "price": 120, "cost": 50}).floor == Decimal("30.00")
