"""The command palette (Ctrl+P): every action, plus the ones that depend on the moment: a
version to compare with, restore or publish for each saved version, "Cancel" only while something
runs."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Iterator, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench.messages import VersionChosen

if TYPE_CHECKING:
    from workbench.app import WorkbenchApp
    from workbench.screens.main import MainScreen


def _choose(screen: MainScreen, action: str, version_id: int) -> None:
    screen.post_message(VersionChosen(action, version_id))


class WorkbenchCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        from workbench.screens.main import MainScreen

        app = cast("WorkbenchApp", self.app)
        screen = next((s for s in app.screen_stack if isinstance(s, MainScreen)), None)
        if screen is None:
            return
        yield "Save", app.action_save, "Write the policy (Ctrl+S); the save is kept in the history"
        yield "Save with a message…", app.action_save_with_message, "Save and describe the change in the history"
        yield "Simulate", screen.action_simulate, "Replay the historic cases against the editor's text (F5)"
        yield "Diff with the saved file", partial(screen.action_diff, 0), "Text, structure and behaviour (F6)"
        if screen.query_one("SimulatePane").running or screen.query_one("DiffPane").running:
            yield "Cancel the running simulation or diff", screen.action_cancel_run, "Escape"
        yield "Load historic cases…", app.action_load_cases, "Read a case file (.csv, .jsonl, .json, .yaml, .parquet)"
        yield "Generate sample cases", app.action_generate_cases, "Cases drawn from the policy itself, when it has no history yet"
        yield "Format the policy", screen.action_format, "Rewrite the text in the canonical layout (undoable)"
        for pane, title in (("problems", "Problems"), ("try", "Try a case"), ("simulate", "Simulate"), ("diff", "Diff"),
                            ("history", "History")):
            yield f"Show {title}", partial(screen.action_show_pane, pane), f"Switch to the {title} pane"
        yield "Zoom the focused panel", screen.action_zoom, "F9; again to restore"
        yield "Toggle light / dark theme", app.action_toggle_dark, "Ctrl+T"
        yield "Help: keys and the policy language", app.action_help, "F1"
        for version in screen.query_one("HistoryPane").versions:
            for verb, action in (("Diff with", "diff"), ("Restore", "restore"), ("Publish", "publish")):
                yield (f"{verb} version {version.label}", partial(_choose, screen, action, version.id),
                       f"{verb} this saved version")
        yield "Quit", app.action_quit, "Ctrl+Q (asks first when there are unsaved changes)"

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            if "version #" not in name:
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
