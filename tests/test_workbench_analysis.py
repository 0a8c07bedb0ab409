"""The analysis over every possible case in the workbench, through Textual's pilot: once the text
checks clean, `redress analyze`'s errors and warnings join Problems (with the witness case that
shows each), `w` loads a witness into Try a case where the real engine decides it, and an answer
for text since edited is not shown."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TabbedContent

from analysis import analyze
from dsl.checker import check_file
from test_workbench import SIZE, make_app, pilot_test, settle
from workbench.messages import AnalysisFinished
from workbench.widgets.case_form import CaseForm
from workbench.widgets.case_pane import CasePane
from workbench.widgets.diagnostics import DiagnosticsList

# No case can match it (an amount in a case is never negative), which only arithmetic shows.
IMPOSSIBLE = '''rule "Wrong item, priced below nothing"
  when situation is wrong_item and price + cost < $0
  offer up to $80

'''


def planted(workspace: Path) -> Path:
    """The sample with a rule no case can reach."""
    source = workspace.read_text(encoding="utf-8")
    workspace.write_text(source.replace('rule "Wrong item"', IMPOSSIBLE + 'rule "Wrong item"', 1), encoding="utf-8")
    return workspace


async def analysed(pilot) -> DiagnosticsList:
    await settle(pilot)  # the live check
    pilot.app.main_screen.analyze_now()  # what the timer after a clean check calls
    await settle(pilot)
    return pilot.app.main_screen.query_one(DiagnosticsList)


@pilot_test
async def test_the_analysis_findings_join_problems_as_the_cli_reports_them(workspace: Path) -> None:
    policy = planted(workspace)
    expected = [f for f in analyze(check_file(str(policy)).policy).findings if f.severity in ("error", "warning")]
    assert "rule-never-applies" in [f.code for f in expected]
    app = make_app(policy)
    async with app.run_test(size=SIZE) as pilot:
        problems = await analysed(pilot)
        # The same findings at the same places, about the same rules; the solver may pick another
        # witness (any case that shows the finding will do, and the message quotes its amounts), but
        # a finding has one exactly when the CLI's has one.
        shown = [(d.code, d.line, d.column, d.subject, getattr(d, "witness", None) is None) for d in problems.diagnostics]
        assert shown == [(f.code, f.line, f.column, f.subject, f.witness is None) for f in expected]
        tab = app.main_screen.query_one(TabbedContent).get_tab("problems")
        assert f"({len(expected)})" in str(tab.label)


@pilot_test
async def test_w_loads_the_witness_into_try_a_case_and_the_engine_confirms_it(workspace: Path) -> None:
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        problems = await analysed(pilot)
        index, finding = next((i, d) for i, d in enumerate(problems.diagnostics)
                              if d.code == "open-outside-range" and d.witness is not None)
        problems.focus()
        problems.highlighted = index
        await pilot.press("w")
        await settle(pilot)
        screen = app.main_screen
        assert screen.query_one(TabbedContent).active == "try"
        form, pane = screen.query_one(CaseForm), screen.query_one(CasePane)
        assert {name: str(value) for name, value in form.case().items()} == \
               {name: str(value) for name, value in finding.witness.items()}
        # the engine decides the witness as the finding says: that rule, its opening offer moved into the range
        assert pane.decision.rule == finding.subject
        assert any("opening offer" in note and "outside the range" in note for note in pane.decision.notes)


@pilot_test
async def test_an_analysis_of_text_since_edited_is_not_shown(workspace: Path) -> None:
    policy = planted(workspace)
    findings = analyze(check_file(str(policy)).policy).findings
    app = make_app(policy)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        stale = screen.generation
        await pilot.press("end", "space")  # a keystroke: a new generation of the text
        await settle(pilot)
        screen.post_message(AnalysisFinished(stale, findings))
        await settle(pilot)
        assert [d.code for d in screen.query_one(DiagnosticsList).diagnostics] == []
