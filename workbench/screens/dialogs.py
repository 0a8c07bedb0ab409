"""Small modal questions: confirm (with any set of answers) and ask for a line of text. Each
dismisses with the answer, so callers pass a callback and never block the UI."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


# Left/Right move between a dialog's buttons as Tab/Shift+Tab do (an Input keeps them for its caret:
# the focused widget's own keys come first).
_BUTTON_KEYS = [
    Binding("left", "app.focus_previous", "Previous", tooltip="The answer on the left", id="dialog-left", show=False),
    Binding("right", "app.focus_next", "Next", tooltip="The answer on the right", id="dialog-right", show=False),
]


class ConfirmDialog(ModalScreen[str]):
    """Asks a question; dismisses with the value of the chosen answer, or `cancel_value` on Escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without choosing", id="dialog-cancel"), *_BUTTON_KEYS]

    def __init__(self, title: str, message: str, answers: list[tuple[str, str, str]], cancel_value: str = "cancel"):
        super().__init__(classes="dialog-screen")
        self.title_text, self.message, self.answers, self.cancel_value = title, message, answers, cancel_value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                for label, value, variant in self.answers:
                    yield Button(label, id=f"answer-{value}", variant=variant)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(str(event.button.id).removeprefix("answer-"))

    def action_cancel(self) -> None:
        self.dismiss(self.cancel_value)


class TextDialog(ModalScreen[str | None]):
    """Asks for one line of text (a file name, a save message); None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without answering", id="dialog-cancel"), *_BUTTON_KEYS]

    def __init__(self, title: str, message: str, value: str = "", placeholder: str = "", allow_empty: bool = True):
        super().__init__(classes="dialog-screen")
        self.title_text, self.message, self.value, self.placeholder = title, message, value, placeholder
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-message")
            yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="dialog-ok", variant="primary")
                yield Button("Cancel", id="dialog-cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._answer(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "dialog-ok":
            self._answer(self.query_one(Input).value)
        else:
            self.dismiss(None)

    def _answer(self, value: str) -> None:
        if not value.strip() and not self.allow_empty:
            self.notify("Please type a value, or press Escape.", severity="warning")
            return
        self.dismiss(value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
