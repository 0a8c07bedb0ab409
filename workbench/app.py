"""The workbench app: app-wide keys, saving without losing work, the autosave, quitting safely.

The app owns the session's lasting state: the policy document (what is on disk), its save history,
its autosave and the loaded historic cases. Workers here (loading cases, writing the autosave) only
post messages or call back into the app on its own thread.

Entry point: `run(policy_path, cases_path)`, wired as `redress workbench [POLICY] [--cases FILE]`.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.worker import Worker, WorkerState

from qa.casefiles import CaseFileError
from workbench.autosave import AUTOSAVE_SECONDS, Autosave
from workbench.commands import WorkbenchCommands
from workbench.document import STARTER_POLICY, PolicyDocument
from qa.history import History, HistoryError, current_user, utc_now
from workbench.messages import CasesLoaded
from workbench.screens.dialogs import ConfirmDialog, TextDialog
from workbench.screens.help import HelpScreen
from workbench.screens.main import MainScreen
from qa.simulation import SAMPLE_CASES, LoadedCases, cases_beside, generated_cases, load_cases

THEMES = ("textual-dark", "textual-light")
IMPACT_DELAY = 0.5  # seconds after the text checks clean before its cost is computed again
ANALYSIS_DELAY = 0.5  # and before it is analysed over every possible case (`redress analyze`)


class WorkbenchApp(App[int]):
    CSS_PATH = "workbench.tcss"
    TITLE = "Redress workbench"
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    # F1, Ctrl+S and Ctrl+Q are bound on the main screen, in the order the footer shows them.
    BINDINGS = [
        Binding("ctrl+t", "toggle_dark", "Theme", tooltip="Switch between the light and the dark theme", id="toggle-theme", show=False),
    ]

    def __init__(self, policy_path: str | None = None, cases_path: str | None = None, *, theme: str = THEMES[0],
                 clock: Callable[[], str] = utc_now, user: Callable[[], str] = current_user,
                 autosave_seconds: float = AUTOSAVE_SECONDS, cursor_blink: bool = True,
                 impact_delay: float = IMPACT_DELAY, analysis_delay: float = ANALYSIS_DELAY) -> None:
        super().__init__()
        self.document = PolicyDocument.open(policy_path)
        self.cases_path = cases_path or cases_beside(policy_path)
        self.cases: LoadedCases | None = None
        self.clock, self.user = clock, user
        self.history: History | None = None
        self.autosave: Autosave | None = None
        self.autosave_seconds = autosave_seconds
        self.impact_delay = impact_delay
        self.analysis_delay = analysis_delay
        self.cursor_blink = cursor_blink
        self.initial_theme = theme
        if self.document.path:
            self._attach(self.document.path)

    def _attach(self, path: str) -> None:
        """History and autosave live beside the policy, so they follow its path."""
        self.history = History(os.path.dirname(os.path.abspath(path)), self.clock, self.user)
        self.autosave = Autosave(path)

    def get_default_screen(self) -> MainScreen:
        text = self.document.saved_text if self.document.disk_digest is not None else STARTER_POLICY
        return MainScreen(text)

    @property
    def main_screen(self) -> MainScreen:
        return next(screen for screen in self.screen_stack if isinstance(screen, MainScreen))

    def on_mount(self) -> None:
        self.theme = self.initial_theme
        self.sub_title = self.document.name
        self.set_interval(self.autosave_seconds, self.autosave_now)

    def main_screen_ready(self) -> None:
        """The editor holds the policy: read the historic cases, offer back unsaved work."""
        if self.cases_path:
            self.load_cases(self.cases_path)
        self.call_after_refresh(self.offer_recovery)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """App keys belong to the main screen; a dialog or the help screen answers its own."""
        if isinstance(self.screen, ModalScreen) and action in ("help", "save", "quit"):
            return False
        return True

    # ---------------------------------------------------------------- historic cases
    @work(thread=True, exclusive=True, group="cases", exit_on_error=False)
    def load_cases(self, path: str) -> None:
        try:
            self.post_message(CasesLoaded(load_cases(path)))
        except CaseFileError as error:
            self.post_message(CasesLoaded(None, str(error)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Whatever a case file holds, the editor (and unsaved work) stays up: a reader bug ends
        its worker only, and is reported like an unreadable file."""
        if event.worker.group == "cases" and event.state == WorkerState.ERROR:
            self.post_message(CasesLoaded(None, f"the case file could not be read ({event.worker.error!r})"))

    def on_cases_loaded(self, message: CasesLoaded) -> None:
        if message.error:
            self.notify(f"Historic cases not loaded: {message.error}", severity="error", timeout=8)
            return
        self.cases = message.cases
        self.main_screen.update_status()
        self.main_screen.price_the_change()

    def action_load_cases(self) -> None:
        def answered(path: str | None) -> None:
            if path:
                self.load_cases(os.path.expanduser(path))

        self.push_screen(TextDialog("Load historic cases", "Path of a case file (.csv, .jsonl, .json, .yaml, .parquet):",
                                    self.cases_path or "", "cases.csv", allow_empty=False), answered)

    def action_generate_cases(self) -> None:
        """Sample cases from the policy in the editor, so a new policy can be simulated at once."""
        checked = self.main_screen.checked
        if checked is None or not checked.ok:
            self.notify("The policy has errors; fix them to generate cases from it (see Problems, F2).", severity="error")
            return
        self.post_message(CasesLoaded(generated_cases(checked.policy)))
        self.notify(f"{SAMPLE_CASES:,} sample cases generated from the policy; F5 simulates them.")

    # ---------------------------------------------------------------- saving
    def action_save(self) -> None:
        self.save()

    def action_save_with_message(self) -> None:
        def answered(message: str | None) -> None:
            if message is not None:
                self.save(message)

        self.push_screen(TextDialog("Save with a message", "What changed, for the history:", placeholder="raised the clerk's limit"), answered)

    def save(self, message: str = "", then: Callable[[], object] | None = None) -> None:
        """Save the editor's text: ask for a name if the policy has none, and ask before
        overwriting a file someone else changed since it was opened or last saved."""
        document = self.document
        text = self.main_screen.editor.text
        if document.path is None:
            def named(path: str | None) -> None:
                if path:
                    self._write(text, message, os.path.abspath(os.path.expanduser(path)), then)

            self.push_screen(TextDialog("Save as", "File name for this policy:", "my_store.policy", allow_empty=False), named)
            return
        if document.changed_on_disk():
            def answered(answer: str | None) -> None:
                if answer == "overwrite":
                    self._write(text, message, None, then)

            self.push_screen(ConfirmDialog(
                "The file changed on disk",
                f"{document.name} was changed outside the workbench since you opened or last saved it. "
                "Overwrite it with the editor's text? (The version on disk is kept in the history.)",
                [("Overwrite", "overwrite", "error"), ("Cancel", "cancel", "default")]), answered)
            return
        if not document.is_modified(text):
            self.notify("No changes to save.")
            if then is not None:
                then()
            return
        self._write(text, message, None, then)

    def _write(self, text: str, message: str, new_path: str | None, then: Callable[[], object] | None) -> None:
        """Write the file first, then the history: a history that cannot be written never stops
        a save, and the text found on disk before the save is kept as a version too."""
        document = self.document
        try:
            if new_path is not None:
                self._attach(new_path)
                document.path = new_path
            on_disk = document.disk_text()
            document.save(text)
        except (OSError, ValueError) as error:
            self.notify(f"Not saved: {error}", severity="error", timeout=10)
            return
        if self.autosave is not None:
            self.autosave.remove()
        self.sub_title = document.name
        try:
            assert self.history is not None and document.path is not None
            if on_disk is not None:
                self.history.remember(document.path, on_disk, "as found on disk before saving")
            version = self.history.record(document.path, text, message)
            saved = f"Saved {document.name} as version #{version.id}."
        except HistoryError as error:
            saved = f"Saved {document.name}, but the history could not record it ({error})."
        screen = self.main_screen
        screen.update_status()
        screen.refresh_versions()
        screen.price_the_change()  # against the saved file, when nothing is published, the base just moved
        screen.mark_diff_stale()
        checked = screen.checked
        errors = sum(d.severity == "error" for d in checked.diagnostics) if checked and checked.source == text else 0
        warning = f" It has {errors} error{'s' * (errors != 1)}." if errors else ""
        self.notify(saved + warning, severity="warning" if errors or "could not" in saved else "information")
        if then is not None:
            then()

    # ---------------------------------------------------------------- autosave
    def autosave_now(self) -> None:
        if self.autosave is None:
            return
        try:
            text = self.main_screen.editor.text
        except NoMatches:  # the app is closing: its widgets are gone, and the buffer with them
            return
        if self.document.is_modified(text):
            self._write_autosave(self.autosave, text)

    @work(thread=True, exclusive=True, group="autosave", exit_on_error=False)
    def _write_autosave(self, autosave: Autosave, text: str) -> None:
        try:
            autosave.write(text)
        except OSError as error:
            self.call_from_thread(self.notify, f"Autosave failed: {error}", severity="warning")

    def offer_recovery(self) -> None:
        """Called by the main screen once its editor holds the saved text."""
        if self.autosave is None:
            return
        recovered = self.autosave.read()
        if recovered is None:
            return
        if recovered.text == self.main_screen.editor.text:
            self.autosave.remove()
            return

        def answered(answer: str | None) -> None:
            if answer == "restore":
                self.main_screen.replace_text(recovered.text)
                self.notify("Unsaved work restored; Ctrl+S saves it.")
            elif answer == "discard":
                self.autosave.remove()

        self.push_screen(ConfirmDialog(
            "Restore unsaved work?",
            f"{self.document.name} has unsaved work from {recovered.saved_at:%Y-%m-%d %H:%M}, autosaved before the "
            "workbench stopped. Put it back in the editor?",
            [("Restore", "restore", "primary"), ("Discard", "discard", "error")], cancel_value="keep"), answered)

    # ---------------------------------------------------------------- app-wide actions
    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_toggle_dark(self) -> None:
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]

    async def action_quit(self) -> None:
        screen = self.main_screen
        if not self.document.is_modified(screen.editor.text):
            self.exit(0)
            return

        def answered(answer: str | None) -> None:
            if answer == "save":
                self.save(then=lambda: self.exit(0))
            elif answer == "discard":
                if self.autosave is not None:
                    self.autosave.remove()
                self.exit(0)

        self.push_screen(ConfirmDialog(
            "Quit with unsaved changes?", f"{self.document.name} has changes that are not saved.",
            [("Save and quit", "save", "primary"), ("Quit without saving", "discard", "error"), ("Cancel", "cancel", "default")]),
            answered)


def _startup_problem(policy_path: str | None, cases_path: str | None) -> str | None:
    if policy_path is not None:
        if os.path.isdir(policy_path):
            return f"{policy_path} is a directory; give a policy file"
        if not os.path.isdir(os.path.dirname(os.path.abspath(policy_path))):
            return f"cannot create {policy_path}: its folder does not exist"
        try:
            PolicyDocument.open(policy_path)
        except UnicodeDecodeError:
            return f"{policy_path} is not UTF-8 text"
        except OSError as error:
            return f"cannot read {policy_path}: {error.strerror or error}"
    if cases_path is not None and not os.path.isfile(cases_path):
        return f"cannot read historic cases {cases_path}: no such file"
    return None


def run(policy_path: str | None = None, cases_path: str | None = None) -> int:
    """Open the workbench; the exit code (0, or 2 when the files given cannot be read)."""
    problem = _startup_problem(policy_path, cases_path)
    if problem:
        print(f"redress: error: {problem}", file=sys.stderr)
        return 2
    app = WorkbenchApp(policy_path, cases_path)
    app.run()
    return app.return_code or 0
