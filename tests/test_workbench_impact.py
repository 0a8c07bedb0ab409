"""Impact: the editor's text priced against the version in force, by itself, in the Simulate pane.
Its headline is the ceiling change `redress diff --cases` reports for the same two versions; its
approver counts are those the engine gives each version, decided here independently."""

from __future__ import annotations

import io
import re
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from dsl.checker import check_source
from engine.decide import load_engine
from qa.history import History
from test_workbench import SIZE, after_typing, make_app, pilot_test, rows_of, settle
from workbench.widgets.diff_pane import DiffPane, render_behaviour
from workbench.widgets.impact_view import ImpactView

RAISED = ("  clerk up to $50", "  clerk up to $20")  # fewer cases within a clerk's limit
MORE = ("offer up to $25", "offer up to $40")  # wrong items get a higher ceiling


async def priced(pilot) -> ImpactView:
    """Wait until the live check and then the Impact run of the text as it is are both done."""
    await after_typing(pilot)
    view = pilot.app.main_screen.query_one(ImpactView)
    while view.pending:
        await settle(pilot)
    return view


def approvers(text: str, rows) -> Counter:
    engine = load_engine(check_source(text, "p.policy").policy, "compiled")
    return Counter(engine.decide(row.data, extras=set()).approver or "no approver" for row in rows)


@pilot_test
async def test_the_headline_is_what_redress_diff_gives_against_the_published_version(workspace: Path, redress) -> None:
    cases = workspace.with_name("hardware_store.cases.csv")
    published = workspace.read_text()
    history = History(str(workspace.parent), clock=lambda: "2026-11-20T10:00:00Z", user=lambda: "maria")
    history.record(str(workspace), published)
    history.publish(1)
    saved = published.replace(*MORE)  # saved but not published: the impact ignores it
    workspace.write_text(saved)
    app = make_app(workspace, cases, impact_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        view = await priced(pilot)
        edited = saved.replace(*RAISED)
        app.main_screen.replace_text(edited)
        view = await priced(pilot)
        impact = view.impact
        headline = str(view.query_one("#impact-headline").render())
    old, new = workspace.with_name("old.policy"), workspace.with_name("new.policy")
    old.write_text(published)
    new.write_text(edited)
    diff = redress("diff", old, new, "--cases", cases, "--format", "json")
    assert diff.returncode == 1, diff.stderr
    expected = json.loads(diff.stdout)
    assert impact.delta == Decimal(expected["ceiling_delta"]) and impact.delta > 0
    assert impact.cases == expected["cases"] - expected["invalid"]
    replayed = json.loads(redress("replay", old, cases, "--format", "json").stdout)
    share = impact.delta * 100 / Decimal(replayed["totals"]["ceiling"])
    assert f"This change costs ${impact.delta:,.2f} more (+{share:.1f}%) over {impact.cases:,} historic cases." in headline
    assert "version #1, in force" in headline
    rows = [row for row in rows_of(cases) if row.data is not None]
    before, after = approvers(published, rows), approvers(edited, rows)
    assert {role: [before[role], after[role]] for role in before | after} == impact.approvers
    supervisors = after["supervisor"] - before["supervisor"]
    assert supervisors > 0 and f"{supervisors:,} more cases need a supervisor" in impact.approver_changes()


@pilot_test
async def test_without_a_published_version_the_saved_file_is_the_baseline_and_a_keystroke_makes_it_stale(workspace: Path) -> None:
    cases = workspace.with_name("hardware_store.cases.csv")
    app = make_app(workspace, cases, impact_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        view = await priced(pilot)
        assert view.impact.delta == 0 and "does not change the cost of 2,000 historic cases" in str(view.query_one("#impact-headline").render())
        app.main_screen.replace_text(app.main_screen.editor.text.replace(*MORE))
        view = await priced(pilot)
        assert view.impact.delta > 0 and "the saved file" in str(view.query_one("#impact-headline").render())
        app.impact_delay = 3600  # the next pricing waits: meanwhile the old figure shows, marked out of date
        app.main_screen.replace_text(app.main_screen.editor.text.replace("offer up to $40", "offer up to $10"))
        await after_typing(pilot)
        assert "(out of date: the text changed) This change costs" in str(view.query_one("#impact-headline").render())
        app.impact_delay = 0
        app.main_screen.price_the_change()
        view = await priced(pilot)
        assert view.impact.delta < 0 and min(view.impact.deltas) < 0  # decreases are charted too
        assert "less" in str(view.query_one("#impact-headline").render())


@pilot_test
async def test_a_policy_without_history_simulates_generated_sample_cases(tmp_path: Path, redress) -> None:
    """The palette's "Generate sample cases" gives the cases `redress cases generate` writes, so
    Simulate shows what `redress replay` says of that file."""
    policy = tmp_path / "new.policy"
    policy.write_text((Path(__file__).resolve().parents[1] / "policies" / "field_service.policy").read_text())
    app = make_app(policy)
    async with app.run_test(size=SIZE) as pilot:
        await after_typing(pilot)
        assert app.cases is None
        await pilot.press("ctrl+p", *"generate sample")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert len(app.cases.rows) == 2000 and "2,000 cases from 2,000 sample cases" in str(app.main_screen.query_one("#file-status").render())
        await pilot.press("f5")
        await settle(pilot)
        tally = app.main_screen.query_one("SimulatePane").tally
    cases = tmp_path / "generated.csv"
    assert redress("cases", "generate", policy, "--n", "2000", "--out", cases).returncode == 0
    replayed = json.loads(redress("replay", policy, cases, "--format", "json").stdout)
    assert tally.to_json()["status"] == replayed["status"] and tally.to_json()["totals"] == replayed["totals"]


@pilot_test
async def test_a_failing_simulation_or_case_reader_is_reported_and_the_editor_stays(workspace: Path, monkeypatch) -> None:
    import workbench.app
    import workbench.widgets.simulate_pane

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the replay")

    monkeypatch.setattr(workbench.widgets.simulate_pane, "simulate", broken)
    monkeypatch.setattr(workbench.app, "load_cases", broken)
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.cases is None  # the reader failed; the app is up
        app.cases = workbench.app.LoadedCases("x.csv", rows_of(workspace.with_name("hardware_store.cases.csv")))
        await pilot.press("f5")
        await settle(pilot)
        assert "Simulation failed: a bug in the replay" in str(app.main_screen.query_one("#simulate-status").render())
        await pilot.press("x")
        assert app.main_screen.editor.text.startswith("x")


def summary_text(screen) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(render_behaviour(screen.query_one(DiffPane).behaviour, "USD"))
    return console.export_text()


@pilot_test
async def test_a_rule_move_is_listed_in_the_diff(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        screen.replace_text(screen.editor.text.replace("  when situation is wrong_item", "  when situation is wrong_item and price > $1,000"))
        await after_typing(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert "Wrong item → (no rule)" in summary_text(screen)


@pilot_test
async def test_a_diff_shown_is_marked_out_of_date_when_either_side_changes_and_lists_only_real_rule_moves(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        screen.replace_text(screen.editor.text.replace(*MORE))  # ceilings change, no case changes rule
        await after_typing(pilot)
        await pilot.press("f6")
        await settle(pilot)
        status = screen.query_one("#diff-status")
        assert str(status.render()).startswith("Compared with the saved file:")
        assert "Rule changes" not in summary_text(screen)  # no "Wrong item → Wrong item"
        await pilot.press("x")
        await pilot.pause()
        assert "Out of date: the editor's text changed" in str(status.render())
        await pilot.press("backspace", "f6")
        await settle(pilot)
        assert str(status.render()).startswith("Compared with the saved file:")
        await pilot.press("ctrl+s")  # the other side: the saved file is now the editor's text
        await settle(pilot)
        assert "Out of date: the saved file changed" in str(status.render())


@pilot_test
async def test_the_diff_explains_each_changed_field_and_shows_the_proof_over_every_case(workspace: Path, redress, tmp_path: Path) -> None:
    """A clerk limit change moves approvers, not ceilings: the pane counts that field with its
    cause, names it in each changed case's row, and shows what `redress diff --prove` proves."""
    lowered = ("clerk up to $50", "clerk up to $40")
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        assert screen.editor.text.count(lowered[0]) == 1
        screen.replace_text(screen.editor.text.replace(*lowered))
        await after_typing(pilot)
        await pilot.press("f6")
        await settle(pilot)
        pane = screen.query_one(DiffPane)
        summary = summary_text(screen)
        approvers = pane.behaviour.fields["approver"]
        assert approvers > 0 and pane.behaviour.fields["ceiling"] == 0
        assert re.search(rf"^  approver\s+{approvers:,} cases$", summary, re.M), summary
        assert "clerk → supervisor" in summary and "the limits moved" in summary
        table = pane.query_one("#diff-table")
        assert {str(table.get_row_at(i)[-1]) for i in range(table.row_count)} == {"approver"}
        proof = str(pane.query_one("#diff-proof").render())
    new = tmp_path / "lowered.policy"
    new.write_text(workspace.read_text().replace(*lowered))
    printed = redress("diff", workspace, new, "--prove").stdout
    assert "Proof over every possible case: the versions differ." in proof
    assert printed[printed.index("Proof over every possible case"):].split("\n")[0] in proof
    assert "differs in approver" in proof
