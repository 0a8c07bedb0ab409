"""The main screen: the policy editor beside five panes (Problems, Try a case, Simulate, Diff,
History), a status line, and the footer.

The screen owns the editing session's derived state: the latest check of the buffer (run in a
worker after every keystroke, incrementally: `dsl.incremental`), which pane shows what, and the actions that start a
simulation, a diff, a restore or a publish. Saving, quitting and the autosave belong to the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.worker import Worker, WorkerState
from textual.widgets import Footer, Label, TabbedContent, TabPane, TextArea

from dsl.checker import CheckResult
from dsl.diagnostics import Diagnostic
from dsl.formatter import FormatError, format_source
from dsl.incremental import IncrementalChecker
from workbench.colors import BAD, GOOD, WARN
from workbench.completion import Vocabulary
from qa.history import HistoryError, Version
from workbench.messages import AnalysisFinished, CheckFinished, JumpTo, LoadWitness, PublishChecked, VersionChosen
from qa.publish import publish_verdict
from workbench.screens.dialogs import ConfirmDialog
from workbench.widgets.case_form import CaseForm
from workbench.widgets.case_pane import CasePane
from workbench.widgets.diagnostics import DiagnosticsList
from workbench.widgets.diff_pane import SAVED_FILE, DiffPane
from workbench.widgets.editor import PolicyEditor
from workbench.widgets.history_pane import HistoryPane
from workbench.widgets.impact_view import Baseline, ImpactView
from workbench.widgets.simulate_pane import SimulatePane

if TYPE_CHECKING:
    from workbench.app import WorkbenchApp

ANALYSIS_TIME_LIMIT = 2.0  # seconds per solver question while typing (`redress analyze` allows more)
PANES = {"problems": "Problems", "try": "Try a case", "simulate": "Simulate", "diff": "Diff", "history": "History"}


class MainScreen(Screen):
    BINDINGS = [
        Binding("f1", "app.help", "Help", tooltip="Keys and the policy language on one page", id="help", priority=True),
        Binding("ctrl+s", "app.save", "Save", tooltip="Save atomically; every save is kept in the history", id="save", priority=True),
        Binding("f5", "simulate", "Simulate", tooltip="Replay the historic cases against the editor's text", id="simulate", priority=True),
        Binding("f6", "diff", "Diff", tooltip="Compare the editor's text with the saved file or a saved version", id="diff", priority=True),
        Binding("f8", "focus_editor", "Editor", tooltip="Back to the editor, from any pane", id="focus-editor", priority=True),
        Binding("ctrl+q", "app.quit", "Quit", tooltip="Quit (asks first when there are unsaved changes)", id="quit", priority=True),
        Binding("escape", "cancel_run", "Cancel", tooltip="Stop the running simulation or diff", id="cancel-run", priority=True),
        Binding("f2", "show_pane('problems')", "Problems", tooltip="Show the checker's findings", id="show-problems", show=False),
        Binding("f3", "show_pane('try')", "Try", tooltip="Try a case against the policy", id="show-try", show=False),
        Binding("f4", "show_pane('history')", "History", tooltip="Saved versions of this policy", id="show-history", show=False),
        Binding("f9", "zoom", "Zoom", tooltip="Give the focused panel the whole screen (again to restore)", id="zoom", show=False),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.initial_text = text
        self.generation = 0
        self.checked: CheckResult | None = None
        self.versions: list[Version] = []
        self._checker: IncrementalChecker | None = None
        self._checking = self._check_again = False
        self._analysis_timer = None

    @property
    def workbench(self) -> WorkbenchApp:
        return cast("WorkbenchApp", self.app)

    def compose(self) -> ComposeResult:
        with Container(id="workspace"):
            with Vertical(id="editor-column"):
                yield Label(id="file-status")
                yield PolicyEditor(self.initial_text, id="editor")
                yield Label(id="editor-hint")
            with TabbedContent(id="panes"):
                with TabPane(PANES["problems"], id="problems"):
                    yield DiagnosticsList(id="diagnostics")
                with TabPane(PANES["try"], id="try"):
                    yield CasePane(id="case-pane")
                with TabPane(PANES["simulate"], id="simulate"):
                    yield SimulatePane(id="simulate-pane")
                with TabPane(PANES["diff"], id="diff"):
                    yield DiffPane(id="diff-pane")
                with TabPane(PANES["history"], id="history"):
                    yield HistoryPane(id="history-pane")
        yield Footer()

    @property
    def editor(self) -> PolicyEditor:
        return self.query_one(PolicyEditor)

    def on_mount(self) -> None:
        self.editor.cursor_blink = self.workbench.cursor_blink
        self.editor.focus()
        self.refresh_versions()
        self.update_status()
        self.check_now()
        self.workbench.main_screen_ready()

    # ---------------------------------------------------------------- live checking
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.generation += 1  # also cancels a running analysis of the text before
        self._stop_analysis_timer()
        self.update_status()
        self.query_one(ImpactView).stale()
        self.mark_diff_stale()
        self.check_now()

    def mark_diff_stale(self) -> None:
        document = self.workbench.document
        self.query_one(DiffPane).mark_stale(self.editor.text, document.saved_text if document.disk_digest is not None else None)

    def check_now(self) -> None:
        """Check the editor's text in a worker. One check runs at a time: a keystroke during a check
        asks for one more, of the newest text, as soon as it ends, so a burst of typing costs at
        most one check behind and the UI thread never waits for the checker."""
        if self._checking:
            self._check_again = True
            return
        self._checking, self._check_again = True, False
        path = self.workbench.document.check_path
        if self._checker is None or self._checker.path != path:
            self._checker = IncrementalChecker(path)
        self._check(self._checker, self.generation, self.editor.text)

    @work(thread=True, group="check", exit_on_error=False)
    def _check(self, checker: IncrementalChecker, generation: int, text: str) -> None:
        self.post_message(CheckFinished(generation, checker.check(text)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A checker bug must not cost the user their buffer: the failed check becomes a finding
        and the next keystroke checks again (with a fresh checker, in case its cache is to blame)."""
        if event.worker.group == "analyze" and event.state == WorkerState.ERROR:
            self.notify(f"The analysis over every case failed: {event.worker.error}", severity="warning", timeout=10)
        if event.worker.group == "check" and event.state == WorkerState.ERROR:
            self._checker = None
            path = self.workbench.document.check_path
            failed = Diagnostic(path, 1, 1, "error", "internal", f"the checker failed: {event.worker.error!r}")
            self.post_message(CheckFinished(self.generation, CheckResult(None, [failed], None, self.editor.text)))

    @property
    def checking(self) -> bool:
        """Whether a check of the editor's text is running or due."""
        return self._checking or self._check_again

    async def on_check_finished(self, message: CheckFinished) -> None:
        self._checking = False
        if self._check_again or message.generation != self.generation:
            self.check_now()  # the text changed meanwhile: check the newest
            return
        self.checked = message.result
        diagnostics = message.result.diagnostics
        self.editor.set_diagnostics(diagnostics)
        if message.result.tree is not None:
            self.editor.set_vocabulary(Vocabulary.of(message.result.tree))
        self.query_one(DiagnosticsList).show(diagnostics, message.result.ok)
        errors = sum(d.severity == "error" for d in diagnostics)
        label = PANES["problems"] + (f" ({len(diagnostics)})" if diagnostics else "")
        self.query_one(TabbedContent).get_tab("problems").label = Text(label, style=f"bold {BAD}" if errors else "")
        await self.query_one(CasePane).use_policy(message.result.policy)
        self.update_status()
        self._show_hint()
        if message.result.ok:
            self.price_the_change()
            self._stop_analysis_timer()
            self._analysis_timer = self.set_timer(self.workbench.analysis_delay, self.analyze_now)

    # ---------------------------------------------------------------- analysis over every case
    def _stop_analysis_timer(self) -> None:
        if self._analysis_timer is not None:
            self._analysis_timer.stop()
            self._analysis_timer = None

    def analyze_now(self) -> None:
        """Analyse the text that checked clean, in a worker (what the timer after a clean check
        calls): the findings of `redress analyze` join Problems. The next keystroke cancels it."""
        self._analysis_timer = None
        if self.checked is not None and self.checked.ok and self.checked.source == self.editor.text:
            self._analyze(self.checked, self.generation)

    @work(thread=True, group="analyze", exclusive=True, exit_on_error=False)
    def _analyze(self, checked: CheckResult, generation: int) -> None:
        from analysis import analyze
        from analysis.report import FAILING
        from analysis.solving import Cancelled

        try:
            report = analyze(checked.policy, ANALYSIS_TIME_LIMIT, cancelled=lambda: generation != self.generation)
        except Cancelled:
            return
        self.post_message(AnalysisFinished(generation, [f for f in report.findings if f.severity in FAILING]))

    def on_analysis_finished(self, message: AnalysisFinished) -> None:
        if message.generation != self.generation or self.checked is None or not self.checked.ok:
            return  # the text changed since: its own check and analysis follow
        shown = [*self.checked.diagnostics, *message.findings]
        self.query_one(DiagnosticsList).show(shown, True)
        label = PANES["problems"] + (f" ({len(shown)})" if shown else "")
        self.query_one(TabbedContent).get_tab("problems").label = Text(label, style=f"bold {WARN}" if message.findings else "")

    async def on_load_witness(self, message: LoadWitness) -> None:
        self.action_show_pane("try")
        pane = self.query_one(CasePane)
        pane.query_one(CaseForm).load(message.case)
        pane.decide()

    def impact_baseline(self) -> Baseline | None:
        """What a change is priced against: the version in force, else the saved file."""
        app = self.workbench
        path = app.document.check_path
        in_force = next((version for version in self.versions if version.in_force), None)
        if in_force is not None and app.history is not None:
            try:
                return Baseline(app.history.content(in_force.id), path, f"version #{in_force.id}, in force")
            except (KeyError, HistoryError):
                pass  # the history cannot give it back: fall back to the saved file
        if app.document.disk_digest is not None:
            return Baseline(app.document.saved_text, path, "the saved file (nothing is published)")
        return None

    def price_the_change(self) -> None:
        """Start the Impact tab's run, a moment from now, for the text that just checked clean."""
        app = self.workbench
        baseline = self.impact_baseline()
        if app.cases is None or baseline is None or self.checked is None or not self.checked.ok:
            return
        self.query_one(ImpactView).schedule(baseline, self.checked.source, app.cases.rows, self.checked.policy.currency,
                                            app.impact_delay)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "try":
            self.query_one(CasePane).decide()  # its engine is built while it is shown

    def on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        self._show_hint()

    def _show_hint(self) -> None:
        """Under the editor: the finding on the cursor's line, so it can be read while typing;
        otherwise where the cursor is."""
        row, column = self.editor.cursor_location
        found = self.editor.diagnostics_on_line(row)
        hint = self.query_one("#editor-hint", Label)
        hint.set_class(bool(found) and found[0].severity == "error", "-error")
        hint.set_class(bool(found) and found[0].severity != "error", "-warning")
        if found:
            first = found[0]
            hint.update(f"{first.severity}: {first.message}" + (f" ({first.hint})" if first.hint else ""))
        else:
            hint.update(f"line {row + 1}, column {column + 1}    F1 help · Ctrl+P commands")

    def on_jump_to(self, message: JumpTo) -> None:
        editor = self.editor
        editor.move_cursor((message.line - 1, max(0, message.column - 1)), center=True)
        editor.focus()

    # ---------------------------------------------------------------- status
    def update_status(self) -> None:
        app = self.workbench
        text = Text()
        text.append(app.document.name, style="bold")
        if app.document.is_modified(self.editor.text):
            text.append("  ● unsaved", style=f"bold {WARN}")
        if self.checked is not None:
            errors = sum(d.severity == "error" for d in self.checked.diagnostics)
            text.append(f"  ✗ {errors} error{'s' * (errors != 1)}" if errors else "  ✓ checks", style=BAD if errors else GOOD)
        if app.cases is not None:
            text.append(f"  {len(app.cases.rows):,} cases from {app.cases.name}", style="dim")
        in_force = next((version for version in self.versions if version.in_force), None)
        if in_force is not None:
            text.append(f"  in force: #{in_force.id}", style="dim")
        self.query_one("#file-status", Label).update(text)

    def refresh_versions(self) -> None:
        app = self.workbench
        try:
            versions = app.history.versions(app.document.path) if app.history and app.document.path else []
        except HistoryError as error:
            self.notify(f"The save history cannot be read: {error}", severity="error", timeout=10)
            versions = []
        self.versions = versions
        self.query_one(HistoryPane).show(versions)
        self.query_one(DiffPane).set_versions(versions)

    # ---------------------------------------------------------------- actions
    def action_show_pane(self, pane: str) -> None:
        self.query_one(TabbedContent).active = pane

    def action_focus_editor(self) -> None:
        self.editor.focus()

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        panes = self.query_one("#panes")
        focused = self.focused
        inside_panes = focused is not None and panes in focused.ancestors
        self.maximize(panes if inside_panes else self.editor, container=False)

    def action_simulate(self) -> None:
        app = self.workbench
        self.action_show_pane("simulate")
        if app.cases is None:
            self.notify("No historic cases are loaded. Start with --cases FILE, or choose “Load historic cases” "
                        "or “Generate sample cases” in the command palette (Ctrl+P).", severity="warning")
            return
        if self.checked is not None and not self.checked.ok and self.checked.source == self.editor.text:
            self.notify("The policy has errors; fix them to simulate (see Problems, F2).", severity="error")
            return
        currency = self.checked.policy.currency if self.checked and self.checked.ok else "USD"
        self.query_one(SimulatePane).start(self.editor.text, app.document.check_path, app.cases.rows, currency)

    def action_diff(self, base: int | None = None) -> None:
        """Compare the editor's text with the saved file (base 0) or history version `base`."""
        app = self.workbench
        pane = self.query_one(DiffPane)
        base = pane.base if base is None else base
        self.action_show_pane("diff")
        if base == SAVED_FILE:
            if app.document.disk_digest is None:
                self.notify("There is no saved file to compare with yet; Ctrl+S saves.", severity="warning")
                return
            old_text, label = app.document.saved_text, "the saved file"
        else:
            try:
                old_text, label = app.history.content(base), f"version #{base}"
            except (KeyError, AttributeError, HistoryError):
                self.notify(f"Version #{base} cannot be read from the history.", severity="error")
                return
        path = app.document.check_path
        currency = self.checked.policy.currency if self.checked and self.checked.ok else "USD"
        pane.start(base, label, (old_text, path), (self.editor.text, path), app.cases.rows if app.cases else None, currency)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "cancel_run":
            return self.query_one(SimulatePane).running or self.query_one(DiffPane).running
        return True

    def action_cancel_run(self) -> None:
        for pane in (self.query_one(SimulatePane), self.query_one(DiffPane)):
            if pane.running:
                pane.cancel()

    def action_format(self) -> None:
        text = self.editor.text
        try:
            formatted = format_source(text, self.workbench.document.check_path)
        except FormatError as error:
            self.notify(f"Cannot format a policy with syntax errors: {error}", severity="error")
            return
        if formatted == text:
            self.notify("Already in the canonical layout.")
            return
        self.replace_text(formatted)
        self.notify("Formatted (Ctrl+Z undoes).")

    def replace_text(self, text: str) -> None:
        """Replace the whole buffer as one edit, so Ctrl+Z brings the old text back."""
        editor = self.editor
        editor.replace(text, (0, 0), editor.document.end)

    # ---------------------------------------------------------------- versions
    def on_version_chosen(self, message: VersionChosen) -> None:
        app = self.workbench
        if message.action == "diff":
            self.action_diff(message.version_id)
            return
        try:
            content = app.history.content(message.version_id)
        except (KeyError, AttributeError, HistoryError):
            self.notify(f"Version #{message.version_id} cannot be read from the history.", severity="error")
            return
        if message.action == "restore":
            self._restore(message.version_id, content)
        elif message.action == "publish" and app.document.path:
            self.notify(f"Checking version #{message.version_id} and running its policy tests…")
            self._check_publish(message.version_id, content, app.document.path)

    def _restore(self, version_id: int, content: str) -> None:
        def answered(answer: str | None) -> None:
            if answer == "restore":
                self.replace_text(content)
                self.notify(f"Version #{version_id} is in the editor; Ctrl+S saves it, Ctrl+Z undoes.")

        if self.workbench.document.is_modified(self.editor.text):
            self.app.push_screen(ConfirmDialog(
                f"Restore version #{version_id}?",
                "The editor has unsaved changes. Restoring replaces its text (Ctrl+Z brings it back).",
                [("Restore", "restore", "warning"), ("Cancel", "cancel", "default")]), answered)
        else:
            answered("restore")

    @work(thread=True, group="publish", exit_on_error=False)
    def _check_publish(self, version_id: int, content: str, path: str) -> None:
        self.post_message(PublishChecked(version_id, publish_verdict(content, path)))

    def on_publish_checked(self, message: PublishChecked) -> None:
        verdict = message.verdict
        if not verdict.allowed:
            self.app.push_screen(ConfirmDialog(f"Version #{message.version_id} cannot be published",
                                               "\n".join(f"• {reason}" for reason in verdict.reasons),
                                               [("OK", "ok", "primary")]))
            return
        app = self.workbench
        in_force = next((v for v in self.versions if v.in_force), None)
        replaces = f"It replaces version #{in_force.id}, in force since {in_force.published_at}. " if in_force else ""

        def answered(answer: str | None) -> None:
            if answer != "publish":
                return
            try:
                app.history.publish(message.version_id)
            except HistoryError as error:
                self.notify(f"Version #{message.version_id} was not published: {error}", severity="error")
                return
            self.refresh_versions()
            self.update_status()
            self.price_the_change()
            self.notify(f"Version #{message.version_id} is now in force ({'; '.join(verdict.reasons)}).")

        self.app.push_screen(ConfirmDialog(
            f"Publish version #{message.version_id}?",
            f"It checks and {'; '.join(verdict.reasons)}. {replaces}Publishing puts it in force for "
            f"`redress eval --published`; the history records that {app.user()} published it, and when.",
            [("Publish", "publish", "primary"), ("Cancel", "cancel", "default")]), answered)
