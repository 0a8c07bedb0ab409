"""`redress negotiate` as an agent drives it: the ladder on the sample policies, counters, the
impasse and its briefing, settling and the follow-up on an injected clock, state across processes,
two processes answering the same turn, and every call in the wrong state refused."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import REPO

POLICIES = REPO / "policies"
HARDWARE = POLICIES / "hardware_store.policy"
FIELD = POLICIES / "field_service.policy"
RESTAURANT = POLICIES / "restaurant_catering.policy"
THEME_PARK = POLICIES / "theme_park.policy"
NOON = "2026-12-03T12:00:00Z"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "sessions.sqlite"


@pytest.fixture
def negotiate(invoke, store: Path, monkeypatch: pytest.MonkeyPatch):
    """`redress negotiate ...` in-process, on a private store and a clock stopped at noon; returns
    (exit code, JSON printed)."""
    monkeypatch.setenv("REDRESS_NOW", NOON)
    monkeypatch.setenv("REDRESS_SESSIONS", str(store))

    def run(*args: str) -> tuple[int, dict | list]:
        result = invoke("negotiate", args[0], "--format", "json", *args[1:])
        return result.exit_code, json.loads(result.stdout)

    return run


def _start(negotiate, policy: Path, case: dict) -> dict:
    code, session = negotiate("start", str(policy), "--case", json.dumps(case), "--store", os.environ["REDRESS_SESSIONS"])
    assert code == 0, session
    return session


def _decision(redress, policy: Path, case: dict) -> dict:
    result = redress("eval", policy, "--case", json.dumps(case))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _climb(negotiate, session: dict) -> tuple[list[dict], dict]:
    """Decline until the session is no longer offered: every offer made, and the final answer."""
    offers = [session]
    while True:
        code, answer = negotiate("decline", session["session"], "--seq", str(offers[-1]["seq"]))
        assert code == 0, answer
        if answer["status"] != "offered":
            return offers, answer
        offers.append(answer)
        assert len(offers) < 100, "the ladder never ends"


# ---------------------------------------------------------------- the ladder
def test_offers_rise_by_exactly_the_step_and_stop_at_the_ceiling(negotiate, redress) -> None:
    """Hardware store, broken after warranty, $90 sale that cost $40: open at 10% of price ($9),
    step 5% of price ($4.50), ceiling the $50 profit, which the steps do not land on."""
    case = {"situation": "broken_after_warranty", "price": 90, "cost": 40}
    decision = _decision(redress, HARDWARE, case)
    assert (decision["open_at"], decision["step"], decision["ceiling"]) == ("9.00", "4.50", "50.00")
    offers, final = _climb(negotiate, _start(negotiate, HARDWARE, case))

    amounts = [Decimal(o["offer"]) for o in offers]
    assert amounts[0] == Decimal(decision["open_at"]) < Decimal(decision["ceiling"])  # never the best offer first
    assert all(later - earlier == Decimal("4.50") for earlier, later in zip(amounts, amounts[1:-1]))
    assert amounts[-2:] == [Decimal("49.50"), Decimal("50.00")]  # the last step is cut at the ceiling
    assert len(amounts) == 11
    assert all(o["offer"] == f"{Decimal(o['offer']):.2f}" for o in offers)  # exact, to the cent
    assert [o["remedy"] for o in offers[:2]] == ["discount", "replace"] and {o["remedy"] for o in offers[2:]} == {"replace"}
    assert all(f"${Decimal(o['offer']):.2f}" in o["say"] for o in offers)  # {offer} is the amount on the table
    assert [o["approver"] for o in offers] == ["clerk"] * len(offers)

    assert final["status"] == "escalated"
    assert final["escalate_to"] == "supervisor"  # $50 needed the clerk; the next role up takes over


def test_the_impasse_briefing_tells_the_whole_story(negotiate, redress) -> None:
    case = {"id": "C-7", "situation": "broken_after_warranty", "price": 90, "cost": 40}
    offers, final = _climb(negotiate, _start(negotiate, HARDWARE, case))
    briefing = final["briefing"]
    assert briefing["case"] == case
    assert briefing["escalate_to"] == "supervisor" and "impasse" in briefing["reason"]
    assert [(o["amount"], o["remedy"], o["answer"], o["at"]) for o in briefing["offers"]] == [
        (o["offer"], o["remedy"], "declined", NOON) for o in offers]
    assert briefing["decision"]["rule"] == "Broke after warranty"
    assert briefing["decision"]["floor"] == _decision(redress, HARDWARE, case)["floor"]
    explained = {entry["name"]: entry["matched"] for entry in briefing["decision"]["trace"]}
    assert explained["Broke after warranty"] is True and explained["Legal claim"] is False


def test_a_rules_own_escalate_to_takes_the_impasse(negotiate) -> None:
    """Theme park, upgrade request at an impasse: no step, so the second offer is the ceiling, and
    the rule hands over to the duty manager."""
    case = {"situation": "upgrade_request", "current_price": 100, "requested_price": 200, "demands_keep_rising": True}
    offers, final = _climb(negotiate, _start(negotiate, THEME_PARK, case))
    assert [o["offer"] for o in offers] == ["20.00", "30.00"]  # 10% and 15% of €200
    assert final["status"] == "escalated" and final["escalate_to"] == "duty_manager"


def test_remedies_are_offered_in_the_policys_order(negotiate) -> None:
    """Field service, repeat failure: repair, loaner, replace, least costly first; without a step
    the amount goes straight to the ceiling, and the ladder ends on the last remedy."""
    case = {"situation": "repeat_failure", "visit_charge": 90, "repair_cost": 300, "replacement_cost": 500}
    offers, final = _climb(negotiate, _start(negotiate, FIELD, case))
    assert [(o["offer"], o["remedy"]) for o in offers] == [("300.00", "repair"), ("500.00", "loaner"), ("500.00", "replace")]
    assert [o["approver"] for o in offers] == ["branch_manager"] * 3
    assert final["escalate_to"] == "regional_director"


def test_catering_ladder_steps_ten_percent_up_to_half(negotiate) -> None:
    case = {"situation": "late_catering", "price": 300}
    offers, final = _climb(negotiate, _start(negotiate, RESTAURANT, case))
    assert [o["offer"] for o in offers] == ["60.00", "90.00", "120.00", "150.00"]
    assert [o["approver"] for o in offers] == ["shift_supervisor"] * 4
    assert final["escalate_to"] == "restaurant_manager"


def test_a_case_no_guideline_covers_is_escalated_at_once(negotiate) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "other", "price": 10, "cost": 5})
    assert session["status"] == "escalated" and session["escalate_to"] == "supervisor"
    assert session["offer"] is None and session["briefing"]["reason"] == "no guideline matches this case"
    assert session["next"] == ["done"]


# ---------------------------------------------------------------- counters and settling
def test_a_counter_inside_the_range_is_acceptable_with_its_approver(negotiate) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "broken_after_warranty", "price": 90, "cost": 40})
    code, countered = negotiate("counter", session["session"], "45.50")
    assert code == 0 and countered["status"] == "countered"
    assert countered["counter"] == {"amount": "45.50", "acceptable": True, "settles_at": "45.50", "approver": "clerk"}
    assert countered["offer"] == "9.00"  # what we offered still stands
    code, settled = negotiate("accept", session["session"], "--seq", "2")
    assert code == 0 and settled["status"] == "settled"
    outcome = settled["record"]["outcome"]
    assert (outcome["amount"], outcome["remedy"], outcome["approver"]) == ("45.50", "discount", "clerk")
    assert settled["record"]["counters"][0]["answer"] == "accepted" and settled["record"]["offers"][0]["answer"] == "countered"


def test_a_counter_above_a_clerks_limit_names_the_approver(negotiate) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "broken_after_warranty", "price": 200, "cost": 40,
                                           "average_purchase": 100, "purchases_per_year": 2})
    assert session["ceiling"] == "160.00"
    code, countered = negotiate("counter", session["session"], "120")
    assert countered["counter"]["approver"] == "supervisor"


def test_a_counter_below_the_floor_settles_at_the_floor(negotiate) -> None:
    """An active warranty makes the item's cost the floor: a customer asking less still gets it."""
    session = _start(negotiate, HARDWARE, {"situation": "defective_product", "price": 100, "cost": 40, "warranty": "active"})
    assert session["floor"] == "40.00"
    _, countered = negotiate("counter", session["session"], "20")
    assert countered["counter"]["settles_at"] == "40.00"
    _, settled = negotiate("accept", session["session"])
    assert settled["record"]["outcome"]["amount"] == "40.00"


def test_a_counter_above_the_ceiling_escalates_with_a_briefing(negotiate) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "broken_after_warranty", "price": 90, "cost": 40})
    code, escalated = negotiate("counter", session["session"], "50.01")
    assert code == 0 and escalated["status"] == "escalated" and escalated["escalate_to"] == "supervisor"
    assert escalated["briefing"]["counters"] == [
        {"seq": 2, "at": NOON, "amount": "50.01", "acceptable": False, "settles_at": None, "approver": None, "answer": None}]
    assert "50.01" in escalated["briefing"]["reason"] and "50.00" in escalated["briefing"]["reason"]


def test_declining_a_counter_climbs_the_ladder(negotiate) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "broken_after_warranty", "price": 90, "cost": 40})
    negotiate("counter", session["session"], "30")
    code, answer = negotiate("decline", session["session"])
    assert code == 0 and (answer["status"], answer["offer"], answer["counter"]) == ("offered", "13.50", None)


def test_settling_makes_the_follow_up_due_exactly_at_the_time_frame(negotiate, store: Path) -> None:
    """Shipped to the wrong address: `follow up within 4 hours`. Due at 16:00, and not a second before."""
    session = _start(negotiate, HARDWARE, {"situation": "wrong_address", "price": 80, "cost": 30})
    code, settled = negotiate("accept", session["session"], "--at", "2026-12-03T12:00:00+00:00")
    assert settled["due_at"] == "2026-12-03T16:00:00Z" and settled["record"]["follow_up"]["within"] == "4 hours"
    assert negotiate("due", "--at", "2026-12-03T15:59:59Z") == (0, [])
    code, due = negotiate("due", "--at", "2026-12-03T16:00:00Z")
    assert [row["session"] for row in due] == [session["session"]] and due[0]["due_at"] == "2026-12-03T16:00:00Z"
    code, due_by_clock = negotiate("due")  # the injected clock: noon, before it falls due
    assert due_by_clock == []

    code, closed = negotiate("done", session["session"], "--at", "2026-12-03T15:30:00Z")
    assert closed["status"] == "done" and closed["record"]["follow_up"]["done_at"] == "2026-12-03T15:30:00Z"
    assert negotiate("due", "--at", "2026-12-31T00:00:00Z") == (0, [])


def test_a_follow_up_in_days_counts_days(negotiate) -> None:
    session = _start(negotiate, RESTAURANT, {"situation": "late_catering", "price": 300})
    _, settled = negotiate("accept", session["session"], "--at", "2026-12-03T18:30:00Z")
    assert settled["follow_up"] == "1 day" and settled["due_at"] == "2026-12-04T18:30:00Z"
    assert settled["record"]["extra"] is None


def test_the_record_offers_the_extra_gesture_after_agreement(negotiate) -> None:
    session = _start(negotiate, FIELD, {"situation": "missed_appointment", "visit_charge": 120, "unit_price": 500,
                                        "service_per_year": 200, "supplies_per_year": 250})
    _, settled = negotiate("accept", session["session"])
    assert settled["record"]["extra"] == {"gesture": "fruit basket", "up_to": "40.00"}


# ---------------------------------------------------------------- records without remarks
@pytest.mark.parametrize("note", ["Customer is a moron", "It was our fault, a known defect", "don't offer this jerk anything"])
def test_a_note_with_a_remark_or_an_admission_is_refused(negotiate, invoke, note: str) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "broken_after_warranty", "price": 90, "cost": 40})
    result = invoke("negotiate", "decline", session["session"], "--note", note)
    assert result.exit_code == 2
    assert "refused" in result.stderr
    _, shown = negotiate("show", session["session"])
    assert shown["seq"] == 1  # nothing was written


def test_a_factual_note_is_kept_in_the_record(negotiate) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "wrong_address", "price": 80, "cost": 30})
    note = "Customer can't be home before 6pm; reship to the office address on file."
    _, settled = negotiate("accept", session["session"], "--note", note)
    assert settled["record"]["notes"] == [{"seq": 2, "at": NOON, "note": note}]


def test_a_refused_note_says_why_in_json(invoke, negotiate) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "wrong_address", "price": 80, "cost": 30})
    result = invoke("negotiate", "accept", session["session"], "--note", "we were negligent", "--format", "json")
    error = json.loads(result.stdout)["error"]
    assert result.exit_code == 2 and "admits fault" in error["reasons"][0]


# ---------------------------------------------------------------- wrong calls
def test_a_decline_after_settling_is_refused(negotiate, invoke) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "wrong_address", "price": 80, "cost": 30})
    negotiate("accept", session["session"])
    result = invoke("negotiate", "decline", session["session"], "--format", "json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert (error["status"], error["event"], error["accepted"]) == ("settled", "decline", ["done"])
    negotiate("done", session["session"])
    code, error = negotiate("accept", session["session"])
    assert code == 2 and "closed" in error["error"]["message"]


def test_an_unknown_session_is_refused(negotiate, store: Path) -> None:
    _start(negotiate, HARDWARE, {"situation": "wrong_address", "price": 80, "cost": 30})
    code, error = negotiate("decline", "s_0000000000")
    assert code == 2 and error["error"]["session"] == "s_0000000000" and str(store) in error["error"]["message"]


@pytest.mark.parametrize("amount, says", [("abc", "not an amount"), ("-5", "0 or more"), ("10.005", "more decimals"),
                                          ("NaN", "0 or more")])
def test_a_counter_that_is_not_money_is_refused(negotiate, amount: str, says: str) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "wrong_address", "price": 80, "cost": 30})
    code, error = negotiate("counter", session["session"], "--", amount)
    assert code == 2 and says in error["error"]["message"]


def test_times_must_be_readable_and_in_order(negotiate) -> None:
    session = _start(negotiate, HARDWARE, {"situation": "wrong_address", "price": 80, "cost": 30})
    code, error = negotiate("decline", session["session"], "--at", "yesterday")
    assert code == 2 and "ISO 8601" in error["error"]["message"]
    code, error = negotiate("decline", session["session"], "--at", "2026-12-03T11:59:59Z")
    assert code == 2 and "before the session's last event" in error["error"]["message"]


def test_a_bad_case_is_refused_with_its_field(negotiate) -> None:
    code, error = negotiate("start", str(HARDWARE), "--case", '{"situation": "broken_after_warranty", "price": 90, "cots": 4}')
    assert code == 2 and error["error"]["field"] == "cots"


def test_a_missing_or_broken_store_is_refused(invoke, tmp_path: Path) -> None:
    result = invoke("negotiate", "list", "--store", str(tmp_path / "nowhere.sqlite"))
    assert result.exit_code == 2 and "no such sessions file" in result.stderr
    broken = tmp_path / "broken.sqlite"
    broken.write_text("not a database", encoding="utf-8")
    result = invoke("negotiate", "show", "s_1", "--store", str(broken))
    assert result.exit_code == 2 and "broken.sqlite" in result.stderr


def test_list_filters_by_status(negotiate, invoke) -> None:
    settled = _start(negotiate, HARDWARE, {"situation": "wrong_address", "price": 80, "cost": 30})
    open_one = _start(negotiate, HARDWARE, {"situation": "wrong_item", "price": 80, "cost": 30})
    negotiate("accept", settled["session"])
    _, rows = negotiate("list", "--status", "offered,countered")
    assert [row["session"] for row in rows] == [open_one["session"]]
    _, rows = negotiate("list")
    assert {row["session"] for row in rows} == {settled["session"], open_one["session"]}
    result = invoke("negotiate", "list", "--status", "setled")
    assert result.exit_code == 2 and "the states are offered" in result.stderr


# ---------------------------------------------------------------- across processes
def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "redress.cli", "negotiate", *args], capture_output=True, text=True,
                            timeout=60, env=env, cwd=REPO)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def cli_env(tmp_path: Path) -> dict:
    return dict(os.environ, REDRESS_NOW=NOON, REDRESS_SESSIONS=str(tmp_path / "shared.sqlite"))


def test_the_store_defaults_to_beside_the_policy_and_state_survives_processes(tmp_path: Path, cli_env: dict) -> None:
    policy = tmp_path / "store.policy"
    policy.write_bytes(HARDWARE.read_bytes())
    started = json.loads(_cli("start", str(policy), "--case", '{"situation": "wrong_item", "price": 80, "cost": 30}', env=cli_env).stdout)
    assert started["store"] == f"{policy}.sessions.sqlite" and Path(started["store"]).exists()
    env = dict(cli_env, REDRESS_SESSIONS=started["store"])
    assert json.loads(_cli("decline", started["session"], env=env).stdout)["offer"] == "15.00"
    assert json.loads(_cli("decline", started["session"], "--format", "json", env=env).stdout)["offer"] == "20.00"
    text = _cli("show", started["session"], "--format", "text", env=env)
    assert "20.00 USD" in text.stdout and "event 3" in text.stdout
    shown = json.loads(_cli("show", started["session"], env=env).stdout)
    assert [e["kind"] for e in shown["events"]] == ["start", "decline", "decline"]


def test_a_session_keeps_its_policy_when_the_file_changes(tmp_path: Path, cli_env: dict) -> None:
    policy = tmp_path / "changing.policy"
    policy.write_bytes(HARDWARE.read_bytes())
    env = dict(cli_env, REDRESS_SESSIONS=str(tmp_path / "s.sqlite"))
    started = json.loads(_cli("start", str(policy), "--case", '{"situation": "wrong_item", "price": 80, "cost": 30}',
                              "--store", env["REDRESS_SESSIONS"], env=env).stdout)
    policy.write_text(HARDWARE.read_text(encoding="utf-8").replace("  step $5\n", "  step $1\n"), encoding="utf-8")
    assert json.loads(_cli("decline", started["session"], env=env).stdout)["offer"] == "15.00"


def _start_shared(cli_env: dict) -> dict:
    return json.loads(_cli("start", str(HARDWARE), "--case", '{"situation": "broken_after_warranty", "price": 90, "cost": 40}',
                           "--store", cli_env["REDRESS_SESSIONS"], env=cli_env).stdout)


def _at_once(commands: list[list[str]], env: dict) -> list[tuple[int, str, str]]:
    processes = [subprocess.Popen([sys.executable, "-m", "redress.cli", "negotiate", *command], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env, cwd=REPO) for command in commands]
    return [(p.wait(timeout=60), *p.communicate()) for p in processes]


def test_two_processes_answering_the_same_turn_one_wins_the_other_is_told(cli_env: dict) -> None:
    session = _start_shared(cli_env)
    results = _at_once([["decline", session["session"], "--seq", "1", "--format", "json"]] * 2, cli_env)
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    loser = next(out for code, out, _ in results if code == 2)
    conflict = json.loads(loser)["error"]["conflict"]
    assert (conflict["answered"], conflict["seq"], conflict["kind"]) == (1, 2, "decline")
    shown = json.loads(_cli("show", session["session"], env=cli_env).stdout)
    assert [e["kind"] for e in shown["events"]] == ["start", "decline"] and shown["offer"] == "13.50"


def test_concurrent_declines_without_seq_are_all_kept_in_order(cli_env: dict) -> None:
    session = _start_shared(cli_env)
    results = _at_once([["decline", session["session"]]] * 3, cli_env)
    assert [code for code, _, _ in results] == [0, 0, 0], results
    offers = sorted(json.loads(out)["offer"] for _, out, _ in results)
    assert offers == ["13.50", "18.00", "22.50"]  # three turns, none lost, none repeated
    with sqlite3.connect(cli_env["REDRESS_SESSIONS"]) as connection:
        seqs = [row[0] for row in connection.execute("SELECT seq FROM events WHERE session_id = ? ORDER BY seq", (session["session"],))]
    assert seqs == [1, 2, 3, 4]


def test_without_a_store_the_commands_say_how_to_name_one(cli_env: dict) -> None:
    env = {key: value for key, value in cli_env.items() if key != "REDRESS_SESSIONS"}
    result = _cli("list", env=env)
    assert result.returncode == 2 and "--store" in result.stderr
