"""The Problems pane: every finding of the live check, in file order. Choosing one (Enter or a
click) moves the editor's cursor to it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from dsl.diagnostics import Diagnostic
from workbench.colors import BAD, WARN
from workbench.messages import JumpTo


class DiagnosticsList(OptionList):
    DEFAULT_CSS = """
    DiagnosticsList { height: 1fr; border: none; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.diagnostics: list[Diagnostic] = []

    def show(self, diagnostics: list[Diagnostic], policy_ok: bool) -> None:
        self.diagnostics = list(diagnostics)
        self.clear_options()
        if not diagnostics:
            self.add_option(Option(Text("✓ No problems: the policy checks cleanly.", style="bold"), disabled=True))
            return
        for index, diagnostic in enumerate(diagnostics):
            self.add_option(Option(_describe(diagnostic), id=f"diagnostic-{index}"))
        if policy_ok:
            return
        self.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        diagnostic = self.diagnostics[event.option_index]
        self.post_message(JumpTo(diagnostic.line, diagnostic.column))


def _describe(diagnostic: Diagnostic) -> Text:
    error = diagnostic.severity == "error"
    text = Text()
    text.append("✗ " if error else "! ", style=f"bold {BAD}" if error else f"bold {WARN}")
    text.append(f"line {diagnostic.line}:{diagnostic.column} ", style="bold")
    text.append(diagnostic.message)
    if diagnostic.hint:
        text.append(f"\n  hint: {diagnostic.hint}", style="dim")
    return text
