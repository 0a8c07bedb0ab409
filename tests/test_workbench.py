"""The workbench, driven through Textual's Pilot: every flow a policy owner relies on, checked
against the engine and the CLI computing the same thing independently.

Each test works on a private copy of the hardware store sample (policy, policy tests and its 2,000
historic cases), so saves, the history database and autosaves never touch the repository.
"""

from __future__ import annotations

import asyncio
import functools
import json
from pathlib import Path

from textual import events

from bench.workbench_check import sized_policy
from conftest import REPO
from dsl.checker import check_source
from qa.casefiles import open_cases
from engine.decide import load_engine
from qa.diff import BehaviourDiff, CaseDiff
from qa.replay import Replay, Tally
from workbench.app import WorkbenchApp, run
from workbench.highlight import tokenize_line
from qa.history import HISTORY_FILE, History
from workbench.messages import CheckFinished, SimulationFinished
from workbench.screens.dialogs import ConfirmDialog
from workbench.quickref import KEYS
from workbench.screens.help import HelpScreen
from workbench.screens.main import MainScreen
from workbench.widgets.case_form import CaseForm
from workbench.widgets.case_pane import CasePane
from workbench.widgets.diagnostics import DiagnosticsList
from workbench.widgets.diff_pane import DiffPane
from workbench.widgets.history_pane import HistoryPane, HistoryTable
from workbench.widgets.simulate_pane import SimulatePane

SAMPLE = "hardware_store"
SIZE = (120, 40)
GOOD_CASE = {"situation": "defective_product", "price": "120", "cost": "50", "warranty": "active", "legal_issue": True}


def pilot_test(scenario):
    """Run an async Pilot scenario as a plain test (no asyncio plugin needed); fixtures still apply."""
    @functools.wraps(scenario)
    def test(*args, **kwargs) -> None:
        asyncio.run(scenario(*args, **kwargs))
    return test


def make_app(policy: Path, cases: Path | None = None, **options) -> WorkbenchApp:
    options.setdefault("impact_delay", 3600)  # the Impact tab prices a change only in the tests that ask for it
    options.setdefault("analysis_delay", 3600)  # and the analysis runs only in the tests that call it (`analyze_now`)
    options.setdefault("clock", lambda: "2026-11-20T10:00:00Z")
    options.setdefault("user", lambda: "maria")
    return WorkbenchApp(str(policy), str(cases) if cases else None, cursor_blink=False, **options)


async def settle(pilot) -> None:
    """Let every message be handled and every worker finish."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def after_typing(pilot) -> None:
    """Wait until the live check (it runs after every keystroke) has reported on the text as it is."""
    screen = pilot.app.main_screen
    await settle(pilot)
    while screen.checking or screen.checked is None or screen.checked.source != screen.editor.text:
        await settle(pilot)


def line_index(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if fragment in line)


def rows_of(path: Path) -> list:
    with open_cases(str(path)) as case_file:
        return list(case_file.rows())


# ---------------------------------------------------------------- writing and live checking
@pilot_test
async def test_a_typed_error_is_reported_at_its_line_and_fixing_it_clears_it(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        assert screen.checked.ok and screen.query_one(DiagnosticsList).diagnostics == []
        row = line_index(screen.editor.text, "at least cost")
        screen.editor.move_cursor((row, len("  at least cost")))
        await pilot.press("x")
        await after_typing(pilot)
        diagnostics = screen.query_one(DiagnosticsList).diagnostics
        assert (diagnostics[0].line, diagnostics[0].column, diagnostics[0].severity) == (row + 1, 12, "error")
        assert "costx" in diagnostics[0].message and diagnostics[0].hint == "did you mean `cost`?"
        assert screen.editor.diagnostics_on_line(row) == diagnostics
        assert "costx" in str(screen.query_one("#editor-hint").render())
        # Choosing the finding puts the cursor on it.
        screen.editor.move_cursor((0, 0))
        screen.query_one(DiagnosticsList).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.editor.cursor_location == (row, 11) and screen.editor.has_focus
        screen.editor.move_cursor((row, len("  at least costx")))
        await pilot.press("backspace")
        await after_typing(pilot)
        assert screen.checked.ok
        assert screen.query_one(DiagnosticsList).diagnostics == [] and screen.editor.diagnostics_on_line(row) == []


def test_highlighting_colours_every_kind_of_token() -> None:
    line = '  when price >= $1,000 and warranty is active  # "quoted" in a comment'
    kinds = {line[start:end]: kind for start, end, kind in tokenize_line(line)}
    assert kinds == {"when": "keyword", ">=": "operator", "$1,000": "money", "and": "keyword", "is": "keyword",
                     '# "quoted" in a comment': "comment"}
    say = tokenize_line('  say "We extend {offer} today."')
    assert [kind for _, _, kind in say] == ["keyword", "string", "placeholder"]
    assert [kind for _, _, kind in tokenize_line("  price: money = $0")] == ["declaration", "operator", "type", "operator", "money"]


def test_highlighting_finds_the_literals_the_grammar_lexes_on_every_sample_line() -> None:
    """The highlighter's patterns come from the grammar; this holds them to the real lexer on every
    line of every sample: the same texts, amounts, percentages, numbers and comments, at the same places."""
    from dsl.grammar import lark_parser

    kinds = {"STRING": "string", "MONEY": "money", "PERCENT": "number", "NUMBER": "number", "COMMENT": "comment"}
    lexer = lark_parser()
    checked = 0
    for sample in sorted((REPO / "policies").glob("*.policy")):
        for line in sample.read_text().split("\n"):
            lexed = [(t.start_pos, t.end_pos, kinds[t.type]) for t in lexer.lex(line, dont_ignore=True) if t.type in kinds]
            # A lone currency code (`currency USD`) is lexed as one only where the parser expects one.
            coloured = [(start, end, kind) for start, end, kind in tokenize_line(line)
                        if kind in kinds.values() and not (kind == "money" and line[start:end].isalpha())]
            assert coloured == lexed, line
            checked += bool(lexed)
    assert checked > 300


@pilot_test
async def test_a_2000_line_policy_is_checked_after_every_keystroke(tmp_path: Path) -> None:
    """How fast is measured in bench/workbench_check.py; here: the live check of a long policy
    follows each key and ends on exactly the findings `redress check` gives for the final text."""
    big = tmp_path / "big.policy"
    big.write_text(sized_policy(2000))
    app = make_app(big)
    async with app.run_test(size=SIZE) as pilot:
        await after_typing(pilot)
        screen = app.main_screen
        assert screen.checked.ok
        screen.editor.action_cursor_document_end()
        await pilot.press(*"let x = y")
        await after_typing(pilot)
        shown = screen.query_one(DiagnosticsList).diagnostics
        assert shown == check_source(screen.editor.text, str(big)).diagnostics
        assert any("`y`" in d.message for d in shown)


# ---------------------------------------------------------------- try a case
@pilot_test
async def test_the_case_form_gives_the_decision_redress_eval_gives(workspace: Path, redress) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        form = app.main_screen.query_one(CaseForm)
        assert form.raw_values()["warranty"] == "none" and form.raw_values()["years_expected"] == "10"
        assert form.raw_values()["legal_issue"] is False and form.raw_values()["situation"] is None
        for name, value in GOOD_CASE.items():
            form.set_value(name, value)
        await settle(pilot)
        shown = app.main_screen.query_one(CasePane).decision.to_json()
    policy = check_source(workspace.read_text(), str(workspace)).policy
    for kind in ("durable", "compiled"):
        assert shown == load_engine(policy, kind).decide(GOOD_CASE, explain=True).to_json()
    evaluated = redress("eval", workspace, "--case", json.dumps(GOOD_CASE), "--explain")
    assert evaluated.returncode == 0, evaluated.stderr
    assert shown == json.loads(evaluated.stdout)
    assert shown["rule"] == "Legal claim" and shown["routes"] == ["Attorney's Office"]


@pilot_test
async def test_the_case_form_says_what_is_missing_and_follows_the_policy(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        pane = app.main_screen.query_one(CasePane)
        assert pane.decision is None and "situation" in pane.problem
        form = pane.query_one(CaseForm)
        form.set_value("situation", "wrong_item")
        form.set_value("price", "30")
        form.set_value("cost", "10")
        await settle(pilot)
        assert pane.decision.rule == "Wrong item"
        # A new field in the case block appears in the form; the values typed so far stay.
        app.main_screen.replace_text(app.main_screen.editor.text.replace(
            "  accounting_issue: bool = false", "  accounting_issue: bool = false\n  loyal: bool = true"))
        await after_typing(pilot)
        assert form.raw_values()["loyal"] is True and form.raw_values()["price"] == "30"
        assert pane.decision.rule == "Wrong item"


# ---------------------------------------------------------------- simulate
@pilot_test
async def test_f5_replays_the_cases_and_matches_redress_replay(workspace: Path, redress) -> None:
    cases = workspace.with_name(f"{SAMPLE}.cases.csv")
    app = make_app(workspace)  # the cases beside the policy are found without --cases
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.cases is not None and len(app.cases.rows) == 2000
        await pilot.press("f5")
        await settle(pilot)
        pane = app.main_screen.query_one(SimulatePane)
        summary = pane.tally.to_json()
        table = pane.query_one("#simulate-table")
        assert table.row_count == 2000
        # Filter by status, then by rule; sort by ceiling, largest first.
        pane.query_one("#filter-status").value = "over"
        await settle(pilot)
        assert table.row_count == summary["status"]["over"] and {o.status for o in pane.shown} == {"over"}
        rule = next(iter(summary["rules"]))
        pane.query_one("#filter-rule").value = rule
        await settle(pilot)
        assert table.row_count == summary["rules"][rule]["status"]["over"]
        pane.query_one("#filter-status").clear()
        await settle(pilot)
        assert table.row_count == summary["rules"][rule]["cases"]
        for _ in range(2):  # a click on the header sorts; a second click reverses
            pane.post_message(table.HeaderSelected(table, table.columns["ceiling"].key, 4, table.columns["ceiling"].label))
            await settle(pilot)
        ceilings = [o.ceiling for o in pane.shown]
        assert ceilings == sorted(ceilings, reverse=True)
        pane.query_one("#sort-by").value = "offered"  # the same, from the keyboard
        await settle(pilot)
        offered = [o.offered for o in pane.shown if o.offered is not None]
        assert offered == sorted(offered)
        # Highlighting a case explains it.
        table.move_cursor(row=0)
        await settle(pilot)
        decision = pane.query_one("#simulate-decision").decision
        assert decision.rule == pane.shown[0].rule and decision.ceiling == pane.shown[0].ceiling and decision.trace
    independent = Tally()
    for outcome in Replay(workspace.read_text(), str(workspace)).outcomes(rows_of(cases)):
        independent.add(outcome)
    assert summary == independent.to_json()
    cli = redress("replay", workspace, cases, "--format", "json", "--workers", "1")
    assert cli.returncode == 0, cli.stderr
    printed = json.loads(cli.stdout)
    for key in ("cases", "status", "totals", "rules"):
        assert summary[key] == printed[key], key


@pilot_test
async def test_f5_simulates_the_unsaved_text_and_refuses_a_broken_one(workspace: Path) -> None:
    app = make_app(workspace)
    changed = workspace.read_text().replace("offer up to $25\n  open at $10", "offer up to $40\n  open at $10")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.replace_text(changed)
        await after_typing(pilot)
        await pilot.press("f5")
        await settle(pilot)
        summary = app.main_screen.query_one(SimulatePane).tally.to_json()
        app.main_screen.replace_text(changed.replace("at least cost", "at least cots"))
        await after_typing(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert app.main_screen.query_one(SimulatePane).tally.to_json() == summary  # the last good run stays
    independent = Tally()
    for outcome in Replay(changed, str(workspace)).outcomes(rows_of(workspace.with_name(f"{SAMPLE}.cases.csv"))):
        independent.add(outcome)
    assert summary == independent.to_json()
    assert summary["rules"]["Wrong item"]["ceiling"] != "0"


class Arrivals:
    """A `message_hook` that lets a test wait for a message a worker thread will post (a worker
    superseded by a newer one counts as complete at once, before the newer one has finished)."""

    def __init__(self, kind: type) -> None:
        self.kind, self.seen = kind, asyncio.Event()

    def __call__(self, message) -> None:
        if isinstance(message, self.kind):
            self.seen.set()

    async def wait(self, pilot) -> None:
        await asyncio.wait_for(self.seen.wait(), timeout=30)
        await settle(pilot)


@pilot_test
async def test_escape_cancels_a_running_simulation(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.cases.rows *= 50  # 100,000 cases: seconds of work
        pane = app.main_screen.query_one(SimulatePane)
        # Keys go in as a terminal sends them, back to back: Pilot's `press` waits for the CPU to
        # go idle, which it does not while cases are being decided.
        app.post_message(events.Key("f5", None))
        app.post_message(events.Key("escape", None))
        await settle(pilot)  # a cancelled worker is complete at once, whether or not its thread began
        assert not pane.running and pane.tally is None
        assert "cancelled" in str(pane.query_one("#simulate-status").render())


@pilot_test
async def test_a_second_f5_supersedes_the_first(workspace: Path) -> None:
    app = make_app(workspace)
    finished = Arrivals(SimulationFinished)
    async with app.run_test(size=SIZE, message_hook=finished) as pilot:
        await settle(pilot)
        app.post_message(events.Key("f5", None))
        app.post_message(events.Key("f5", None))
        await finished.wait(pilot)
        pane = app.main_screen.query_one(SimulatePane)
        assert not pane.running and pane.run_number == 2 and pane.tally.cases == 2000
        assert str(pane.query_one("#simulate-status").render()).startswith("Simulated 2,000 cases")


# ---------------------------------------------------------------- diff
@pilot_test
async def test_f6_shows_the_changed_count_redress_diff_shows(workspace: Path, redress, tmp_path: Path) -> None:
    cases = workspace.with_name(f"{SAMPLE}.cases.csv")
    saved = workspace.read_text()
    changed = saved.replace("offer up to profit\n  remedies repair", "offer up to price\n  remedies repair")
    app = make_app(workspace, cases)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.replace_text(changed)
        await after_typing(pilot)
        await pilot.press("f6")
        await settle(pilot)
        pane = app.main_screen.query_one(DiffPane)
        shown = pane.behaviour.to_json()
        assert pane.query_one("#diff-table").row_count == shown["changed"] > 0
        assert len(pane.query_one("#diff-sparkline").data) == shown["changed"]
        assert "Defective product" in str(pane.query_one("#diff-structure").render())
        assert "+  offer up to price" in str(pane.query_one("#diff-source").render())
    independent = BehaviourDiff()
    for change in CaseDiff((saved, str(workspace)), (changed, str(workspace))).changes(rows_of(cases)):
        independent.add(change)
    assert shown == independent.to_json()
    new_file = tmp_path / "changed.policy"
    new_file.write_text(changed)
    cli = redress("diff", workspace, new_file, "--cases", cases, "--format", "json", "--workers", "1")
    assert cli.returncode == 1, cli.stderr
    printed = json.loads(cli.stdout)
    assert (shown["changed"], shown["unchanged"], shown["ceiling_delta"]) == (printed["changed"], printed["unchanged"], printed["ceiling_delta"])


@pilot_test
async def test_diff_with_an_earlier_saved_version(workspace: Path) -> None:
    app = make_app(workspace)
    original = workspace.read_text()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.replace_text(original.replace("clerk up to $50", "clerk up to $75"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        versions = app.main_screen.versions
        assert [v.message for v in versions] == ["", "as found on disk before saving"]
        await pilot.press("f4")
        table = app.main_screen.query_one("#history-table")
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("d")
        await settle(pilot)
        pane = app.main_screen.query_one(DiffPane)
        assert pane.base == versions[1].id and app.main_screen.query_one("#panes").active == "diff"
        assert "clerk" in str(pane.query_one("#diff-structure").render())
        assert pane.behaviour.changed > 0
        # "Compare with" the saved file: the editor holds what was saved, so nothing changes.
        pane.query_one("#diff-base").value = 0
        await settle(pilot)
        assert pane.base == 0 and pane.behaviour.changed == 0
        assert "same" in str(pane.query_one("#diff-source").render())


# ---------------------------------------------------------------- saving without losing work
@pilot_test
async def test_ctrl_s_writes_atomically_and_records_a_version(workspace: Path) -> None:
    app = make_app(workspace)
    changed = workspace.read_text().replace('version "2026-11"', 'version "2026-12"')
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.replace_text(changed)
        app.autosave_now()
        await settle(pilot)
        assert Path(app.autosave.path).exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert workspace.read_text() == changed
        assert not app.document.is_modified(app.main_screen.editor.text)
        assert not Path(app.autosave.path).exists()
        assert "unsaved" not in str(app.main_screen.query_one("#file-status").render())
    history = History(str(workspace.parent))
    versions = history.versions(str(workspace))
    assert (workspace.parent / HISTORY_FILE).exists() and len(versions) == 2
    assert history.content(versions[0].id) == changed and versions[0].user == "maria"
    assert [p.name for p in workspace.parent.iterdir() if p.name.endswith(".tmp")] == []


@pilot_test
async def test_a_file_changed_on_disk_is_not_overwritten_without_asking(workspace: Path) -> None:
    app = make_app(workspace)
    mine = workspace.read_text().replace('version "2026-11"', 'version "mine"')
    theirs = workspace.read_text().replace('version "2026-11"', 'version "theirs"')
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.replace_text(mine)
        workspace.write_text(theirs)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert await pilot.click("#answer-cancel")
        await settle(pilot)
        assert workspace.read_text() == theirs
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert await pilot.click("#answer-overwrite")
        await settle(pilot)
        assert workspace.read_text() == mine
        contents = [app.history.content(v.id) for v in app.history.versions(str(workspace))]
        assert contents == [mine, theirs]  # their version is kept in the history


@pilot_test
async def test_quitting_with_unsaved_changes_asks_first(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert await pilot.click("#answer-cancel")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog) and app.main_screen.editor.text.startswith("a")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert await pilot.click("#answer-save")
        await settle(pilot)
    assert app.return_value == 0
    assert workspace.read_text().startswith("a#")


@pilot_test
async def test_quitting_without_changes_does_not_ask(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_value == 0


@pilot_test
async def test_the_autosave_is_offered_on_the_next_start(workspace: Path) -> None:
    crashed = make_app(workspace)
    async with crashed.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("z", "z")
        await pilot.pause()
        crashed.autosave_now()  # what the autosave timer calls every few seconds
        await settle(pilot)
        autosave = Path(crashed.autosave.path)
        assert autosave.read_text().startswith("zz#")
    # The session ended without saving (as a crash would): the autosave survives.
    restored = make_app(workspace)
    async with restored.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(restored.screen, ConfirmDialog)
        assert await pilot.click("#answer-restore")
        await settle(pilot)
        assert restored.main_screen.editor.text.startswith("zz#")
        assert restored.document.is_modified(restored.main_screen.editor.text)
    discarded = make_app(workspace)
    async with discarded.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert await pilot.click("#answer-discard")
        await settle(pilot)
        assert discarded.main_screen.editor.text == workspace.read_text()
    assert not autosave.exists()


# ---------------------------------------------------------------- history: restore and publish
@pilot_test
async def test_restore_and_publish_a_version(workspace: Path) -> None:
    app = make_app(workspace)
    original = workspace.read_text()
    failing = original.replace("at least cost", "at least $1")  # its policy tests fail
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.replace_text(failing)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("f4")
        table = app.main_screen.query_one("#history-table")
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and "policy tests fail" in str(app.screen.message)
        assert await pilot.click("#answer-ok")
        await settle(pilot)
        assert app.history.in_force(str(workspace)) is None
        # Restore the version found on disk (the original), save it, publish it.
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("r")
        await settle(pilot)
        assert app.main_screen.editor.text == original
        await pilot.press("ctrl+s")
        await settle(pilot)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and "maria published it" in str(app.screen.message)
        await pilot.press("right", "enter")  # Cancel: nothing is published
        await settle(pilot)
        assert app.history.in_force(str(workspace)) is None
        table.focus()
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("enter")  # Publish
        await settle(pilot)
        in_force = app.history.in_force(str(workspace))
        assert in_force is not None and app.history.content(in_force.id) == original
        assert (in_force.published_by, in_force.published_at) == ("maria", "2026-11-20T10:00:00Z")
        assert app.main_screen.query_one(HistoryPane).versions[0].in_force
        assert f"in force: #{in_force.id}" in str(app.main_screen.query_one("#file-status").render())


# ---------------------------------------------------------------- help, palette, start-up
@pilot_test
async def test_f1_help_and_the_command_palette(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"simulate")
        await settle(pilot)  # the palette's search is a worker
        await pilot.press("enter")
        await settle(pilot)
        assert app.main_screen.query_one(SimulatePane).tally.cases == 2000


def _key_label(key: str) -> str:
    """A binding's key as the help writes it: `ctrl+n` is Ctrl+N, `f5` is F5, a letter stays."""
    return key if len(key) == 1 else "+".join(part.upper() if len(part) == 1 else part.capitalize() for part in key.split("+"))


def test_the_f1_help_names_every_key_of_the_workbench_and_its_panes() -> None:
    """A key that only one pane's footer shows (Ctrl+N in Try a case, w in Problems), or no footer
    (F2 to F4), is found by nobody who reads the help instead."""
    bound = [binding for owner in (WorkbenchApp, MainScreen, CasePane, DiagnosticsList, HistoryTable) for binding in owner.BINDINGS]
    keys = [key for binding in bound for key in binding.key.split(",")]
    assert {"ctrl+n", "w", "f2", "f5", "d"} <= set(keys)
    assert [key for key in keys if f"**{_key_label(key)}**" not in KEYS] == []


@pilot_test
async def test_a_new_policy_starts_from_a_template_and_asks_for_a_name(tmp_path: Path) -> None:
    app = WorkbenchApp(None, None, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.main_screen.checked.ok  # the starter policy checks
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        dialog.query_one("Input").value = str(tmp_path / "new.policy")
        await pilot.press("enter")
        await settle(pilot)
        assert (tmp_path / "new.policy").read_text() == app.main_screen.editor.text
        assert len(app.history.versions(str(tmp_path / "new.policy"))) == 1


def test_run_refuses_files_it_cannot_read(tmp_path: Path, capsys) -> None:
    assert run(str(tmp_path), None) == 2
    assert "is a directory" in capsys.readouterr().err
    assert run(str(tmp_path / "no" / "such.policy"), None) == 2
    assert "folder does not exist" in capsys.readouterr().err
    assert run(str(tmp_path / "missing.policy"), str(tmp_path / "missing.csv")) == 2
    assert "no such file" in capsys.readouterr().err
