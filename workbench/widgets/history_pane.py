"""History (F4): every saved version of this policy, newest first, with the one in force marked.
A version can be compared with the editor's text, restored into the editor, or published; the
pane only asks (it posts `VersionChosen`), the screen decides and acts."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label

from workbench.colors import GOOD
from qa.history import Version
from workbench.messages import VersionChosen

COLUMNS = ("#", "saved (UTC)", "by", "digest", "message")


class HistoryTable(DataTable):
    BINDINGS = [
        Binding("d", "choose('diff')", "Diff", tooltip="Compare this version with the editor's text", id="history-diff"),
        Binding("r", "choose('restore')", "Restore", tooltip="Put this version in the editor (save to keep it)", id="history-restore"),
        Binding("p", "choose('publish')", "Publish", tooltip="Mark this version as in force, if it checks and its tests pass", id="history-publish"),
    ]

    def action_choose(self, action: str) -> None:
        pane = self.parent
        if isinstance(pane, HistoryPane):
            pane.choose(action)


class HistoryPane(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.versions: list[Version] = []

    def compose(self) -> ComposeResult:
        yield Label("No saved versions yet: Ctrl+S saves and records one.", id="history-status")
        with Horizontal(classes="history-actions"):
            yield Button("Diff (d)", id="history-diff", compact=True)
            yield Button("Restore (r)", id="history-restore", compact=True)
            yield Button("Publish (p)", id="history-publish", compact=True, variant="primary")
        yield HistoryTable(id="history-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(HistoryTable)
        for column in COLUMNS:
            table.add_column(column, key=column)

    def show(self, versions: list[Version]) -> None:
        self.versions = versions
        table = self.query_one(HistoryTable)
        table.clear()
        for version in versions:
            mark = Text(" in force", style=f"bold {GOOD}") if version.in_force else ""
            table.add_row(Text(str(version.id), justify="right"), version.saved_at.replace("T", " ").removesuffix("Z"),
                          version.user, version.digest.removeprefix("sha256:")[:10], Text.assemble(version.message, mark),
                          key=str(version.id))
        in_force = next((v for v in versions if v.in_force), None)
        status = f"{len(versions)} saved version{'s' * (len(versions) != 1)}"
        status += f"; #{in_force.id} is in force." if in_force else "; none published yet."
        self.query_one("#history-status", Label).update(status if versions else "No saved versions yet: Ctrl+S saves and records one.")

    def selected(self) -> Version | None:
        table = self.query_one(HistoryTable)
        if not self.versions or table.cursor_row is None or not 0 <= table.cursor_row < len(self.versions):
            return None
        return self.versions[table.cursor_row]

    def choose(self, action: str) -> None:
        version = self.selected()
        if version is None:
            self.app.notify("Select a saved version first.", severity="warning")
            return
        self.post_message(VersionChosen(action, version.id))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.choose(str(event.button.id).removeprefix("history-"))
