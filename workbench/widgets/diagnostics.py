"""The Problems pane: every finding of the live check, in file order, then the findings of the
analysis over every possible case (`redress analyze`). Choosing one (Enter or a click) moves the
editor's cursor to it; `w` loads an analysis finding's witness case into Try a case."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from dsl.diagnostics import Diagnostic
from workbench.colors import BAD, WARN
from workbench.messages import JumpTo, LoadWitness


class DiagnosticsList(OptionList):
    BINDINGS = [Binding("w", "load_witness", "Try witness", tooltip="Load the highlighted finding's witness case into Try a case")]
    DEFAULT_CSS = """
    DiagnosticsList { height: 1fr; border: none; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.diagnostics: list[Diagnostic] = []

    def show(self, diagnostics: list, policy_ok: bool) -> None:
        """Show checker diagnostics and analysis findings (`analysis.report.Finding`: the same attributes, and a witness)."""
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

    def action_load_witness(self) -> None:
        if self.highlighted is None or not self.diagnostics:
            return
        witness = getattr(self.diagnostics[self.highlighted], "witness", None)
        if witness is None:
            self.notify("This finding has no witness case: only the analysis's findings have one.", severity="warning")
            return
        self.post_message(LoadWitness(witness))


def _describe(diagnostic: Diagnostic) -> Text:
    error = diagnostic.severity == "error"
    text = Text()
    text.append("✗ " if error else "! ", style=f"bold {BAD}" if error else f"bold {WARN}")
    text.append(f"line {diagnostic.line}:{diagnostic.column} ", style="bold")
    text.append(diagnostic.message)
    if diagnostic.hint:
        text.append(f"\n  hint: {diagnostic.hint}", style="dim")
    if getattr(diagnostic, "witness", None) is not None:
        text.append("\n  found by the analysis over every case; w: try the witness case", style="dim")
    return text
