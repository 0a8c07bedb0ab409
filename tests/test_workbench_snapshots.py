"""Snapshots of the workbench's main screens at 100x30 (pytest-textual-snapshot).

Each snapshot runs on a private copy of the hardware store sample; the interaction happens in
`run_before`, which waits for the live check and every worker, so nothing depends on timing. The
cursor does not blink and nothing shown depends on the clock. After a deliberate change to the look,
review the new pictures and accept them with `pytest tests/test_workbench_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

from test_workbench import GOOD_CASE, after_typing, make_app, settle
from workbench.widgets.case_form import CaseForm

TERMINAL = (100, 30)


def test_editor(snap_compare, workspace: Path) -> None:
    assert snap_compare(make_app(workspace), terminal_size=TERMINAL, run_before=settle)


def test_editor_with_an_error(snap_compare, workspace: Path) -> None:
    async def type_an_error(pilot) -> None:
        await settle(pilot)
        editor = pilot.app.main_screen.editor
        row = next(i for i, line in enumerate(editor.text.split("\n")) if "at least cost" in line)
        editor.move_cursor((row, len("  at least cost")))
        await pilot.press("x")
        await after_typing(pilot)

    assert snap_compare(make_app(workspace), terminal_size=TERMINAL, run_before=type_an_error)


def test_try_a_case(snap_compare, workspace: Path) -> None:
    async def fill_the_form(pilot) -> None:
        await settle(pilot)
        await pilot.press("f3")
        form = pilot.app.main_screen.query_one(CaseForm)
        for name, value in GOOD_CASE.items():
            form.set_value(name, value)
        form.set_value("legal_issue", False)
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=TERMINAL, run_before=fill_the_form)


def test_simulate(snap_compare, workspace: Path) -> None:
    async def simulate(pilot) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=TERMINAL, run_before=simulate)


def test_simulate_cases(snap_compare, workspace: Path) -> None:
    async def show_cases(pilot) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        screen = pilot.app.main_screen
        screen.query_one("#simulate-tabs").active = "simulate-cases-tab"
        screen.query_one("#filter-status").value = "over"
        await settle(pilot)
        screen.query_one("#simulate-table").focus()
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=TERMINAL, run_before=show_cases)


def test_diff(snap_compare, workspace: Path) -> None:
    async def change_and_diff(pilot) -> None:
        await settle(pilot)
        screen = pilot.app.main_screen
        screen.replace_text(screen.editor.text.replace("offer up to profit\n  remedies repair", "offer up to price\n  remedies repair"))
        await after_typing(pilot)
        await pilot.press("f6")
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=TERMINAL, run_before=change_and_diff)


def test_impact_against_the_published_version(snap_compare, workspace: Path) -> None:
    from qa.history import History
    from test_workbench_impact import MORE, priced

    history = History(str(workspace.parent), clock=lambda: "2026-11-20T10:00:00Z", user=lambda: "maria")
    history.record(str(workspace), workspace.read_text())
    history.publish(1)

    async def change_and_price(pilot) -> None:
        await priced(pilot)  # the saved text, priced as the workbench opens
        screen = pilot.app.main_screen
        screen.replace_text(screen.editor.text.replace(*MORE).replace("  clerk up to $50", "  clerk up to $20"))
        await priced(pilot)
        screen.action_show_pane("simulate")
        screen.query_one("#impact").focus()
        await pilot.press("f9")  # the panes get the whole screen
        await settle(pilot)

    assert snap_compare(make_app(workspace, impact_delay=0), terminal_size=(120, 60), run_before=change_and_price)


def test_help(snap_compare, workspace: Path) -> None:
    async def open_help(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(workspace), terminal_size=TERMINAL, run_before=open_help)


def test_light_theme_at_80_by_24(snap_compare, workspace: Path) -> None:
    assert snap_compare(make_app(workspace, theme="textual-light"), terminal_size=(80, 24), run_before=settle)
