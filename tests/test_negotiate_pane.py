"""Negotiate mode of Try a case, driven through Textual's pilot: Ctrl+N opens the ladder for the
form's case, Decline / Counter / Accept walk it exactly as `redress negotiate` does, an escalation
shows its briefing, and wording warnings appear in Problems."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from textual.widgets import Button, Input, Static

from test_workbench import SIZE, make_app, pilot_test, settle
from workbench.widgets.case_form import CaseForm
from workbench.widgets.case_pane import CasePane
from workbench.widgets.diagnostics import DiagnosticsList
from workbench.widgets.negotiate_pane import NegotiatePane

CASE = {"situation": "broken_after_warranty", "price": "90", "cost": "40"}


def shown(pane: NegotiatePane) -> str:
    console = Console(width=120, record=True, file=open("/dev/null", "w"))
    console.print(pane.query_one("#negotiate-session", Static).content)
    return console.export_text()


async def negotiating(pilot, case: dict = CASE) -> NegotiatePane:
    """Fill the form with `case`, then Ctrl+N from inside it."""
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.main_screen
    form = screen.query_one(CaseForm)
    for name, value in case.items():
        form.set_value(name, value)
    await settle(pilot)
    form.query(Input).first().focus()
    await pilot.press("ctrl+n")
    await settle(pilot)
    return screen.query_one(NegotiatePane)


async def click(pilot, pane: NegotiatePane, button: str) -> None:
    """Click the button itself: a click that lands on anything else fails here, not two steps on."""
    await pilot.wait_for_scheduled_animations()
    assert await pilot.click(pane.query_one(f"#negotiate-{button}", Button)), f"the click missed {button}"
    await settle(pilot)


@pilot_test
async def test_ctrl_n_opens_the_ladder_and_decline_climbs_it_as_the_cli_does(workspace: Path, redress, tmp_path: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        pane = await negotiating(pilot)
        assert pane.active and pane.session.status == "offered"
        offers = [pane.session.events[-1].facts["offer"]]
        assert "Offer 9.00 USD (discount)" in shown(pane)
        for _ in range(2):
            await click(pilot, pane, "decline")
            offers.append(pane.session.events[-1].facts["offer"])
        assert "Offer 18.00 USD (replace)" in shown(pane)
    store = tmp_path / "cli.sqlite"
    started = json.loads(redress("negotiate", "start", workspace, "--case", json.dumps(CASE), "--store", store).stdout)
    cli = [started["offer"]] + [json.loads(redress("negotiate", "decline", started["session"], "--store", store).stdout)["offer"]
                                for _ in range(2)]
    assert offers == cli == ["9.00", "13.50", "18.00"]


@pilot_test
async def test_counter_then_accept_settles_and_closes_the_ladder(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        pane = await negotiating(pilot)
        pane.query_one("#negotiate-amount", Input).value = "30"
        await click(pilot, pane, "counter")
        assert pane.session.status == "countered" and "Counter 30.00 USD is acceptable" in shown(pane)
        await click(pilot, pane, "accept")
        assert pane.session.status == "settled" and "Settled at 30.00 USD, approved by clerk" in shown(pane)
        assert all(pane.query_one(f"#negotiate-{name}", Button).disabled for name in ("decline", "counter", "accept"))
        await click(pilot, pane, "restart")
        assert pane.session.status == "offered" and not pane.query_one("#negotiate-decline", Button).disabled


@pilot_test
async def test_the_impasse_shows_the_briefing(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        pane = await negotiating(pilot, {"situation": "wrong_address", "price": "80", "cost": "30"})
        await click(pilot, pane, "decline")  # $10 reship, then the $50 ceiling with the refund of shipping
        await click(pilot, pane, "decline")
        text = shown(pane)
        assert pane.session.status == "escalated"
        assert "Escalate to supervisor" in text and "Briefing" in text
        assert "10.00" in text and "50.00" in text and "declined" in text


@pilot_test
async def test_ctrl_n_again_leaves_negotiate_mode(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        pane = await negotiating(pilot)
        app.main_screen.query_one(CaseForm).query(Input).first().focus()
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert not pane.active and not pane.display


@pilot_test
async def test_wording_warnings_appear_in_problems(workspace: Path) -> None:
    source = workspace.read_text(encoding="utf-8")
    workspace.write_text(source.replace("to thank you for your patience.", "since it was our fault."), encoding="utf-8")
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the first check runs as the policy opens
        screen = app.main_screen
        found = screen.query_one(DiagnosticsList).diagnostics
        assert [d.code for d in found] == ["wording-admission"] and found[0].severity == "warning"
        await pilot.press("f3")  # the engine is built while Try a case is shown
        await settle(pilot)
        assert screen.query_one(CasePane).engine is not None  # a warning never stops the engine
