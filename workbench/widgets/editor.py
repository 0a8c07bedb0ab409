"""The policy editor: a TextArea that colours our language and marks the checker's findings.

Textual's built-in highlighting needs a tree-sitter grammar, which our language does not have, so
`get_line` styles each line itself from `workbench.highlight` (a per-line tokeniser: only the lines
on screen are ever tokenised, so typing in a 2,000-line policy stays smooth). Colours come from
component classes, so they follow the light and dark themes.
"""

from __future__ import annotations

from collections import defaultdict

from rich.style import Style
from rich.text import Text
from textual.containers import ScrollableContainer
from textual.widgets import TextArea

from dsl.diagnostics import Diagnostic
from workbench.highlight import tokenize_line

TOKEN_KINDS = ("keyword", "string", "placeholder", "money", "number", "comment", "declaration", "type", "constant",
               "operator", "function")


class PolicyEditor(TextArea, inherit_bindings=False):
    # TextArea's own bindings minus F6 ("select line"): F6 is the workbench's Diff, and a key the
    # editor never uses would still come first in the footer.
    BINDINGS = [*ScrollableContainer.BINDINGS, *(b for b in TextArea.BINDINGS if getattr(b, "key", None) != "f6")]
    COMPONENT_CLASSES = {f"policy-editor--{kind}" for kind in TOKEN_KINDS} | {
        "policy-editor--error", "policy-editor--warning", "policy-editor--error-line"}

    DEFAULT_CSS = """
    PolicyEditor {
        & > .policy-editor--keyword { color: $text-primary; text-style: bold; }
        & > .policy-editor--string { color: $text-success; }
        & > .policy-editor--placeholder { color: $text-accent; text-style: bold; }
        & > .policy-editor--money { color: $text-warning; }
        & > .policy-editor--number { color: $text-warning; }
        & > .policy-editor--comment { color: $text-muted; text-style: italic; }
        & > .policy-editor--declaration { color: $text-secondary; text-style: bold; }
        & > .policy-editor--type { color: $text-accent; }
        & > .policy-editor--constant { color: $text-warning; text-style: bold; }
        & > .policy-editor--operator { color: $text-muted; }
        & > .policy-editor--function { color: $text-accent; }
        & > .policy-editor--error { color: $text-error; text-style: bold underline; }
        & > .policy-editor--warning { color: $text-warning; text-style: underline; }
        & > .policy-editor--error-line { background: $error 15%; }
    }
    """

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(text, soft_wrap=False, tab_behavior="indent", show_line_numbers=True, **kwargs)
        self.indent_width = 2
        self._marks: dict[int, list[Diagnostic]] = {}
        self._styles: dict[str, Style] = {}

    def set_diagnostics(self, diagnostics: list[Diagnostic]) -> None:
        """Mark these findings (1-based lines and columns) until the next check replaces them."""
        marks: dict[int, list[Diagnostic]] = defaultdict(list)
        for diagnostic in diagnostics:
            marks[diagnostic.line - 1].append(diagnostic)
        if marks == self._marks:
            return
        self._marks = dict(marks)
        # TextArea caches rendered lines by cursor and scroll state only; findings are new content.
        self._line_cache.clear()
        self.refresh()

    def diagnostics_on_line(self, line_index: int) -> list[Diagnostic]:
        return self._marks.get(line_index, [])

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    def _style(self, kind: str) -> Style:
        """The style of a token kind. Colours are taken blended against the editor's background:
        themes define muted colours with transparency, which a partial style would lose."""
        style = self._styles.get(kind)
        if style is None:
            name = f"policy-editor--{kind}"
            full = self.get_component_rich_style(name, partial=False)
            if kind == "error-line":
                style = Style(bgcolor=full.bgcolor)
            else:
                style = self.get_component_rich_style(name, partial=True) + Style(color=full.color)
            self._styles[kind] = style
        return style

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        plain = line.plain
        for start, end, kind in tokenize_line(plain):
            line.stylize(self._style(kind), start, end)
        for diagnostic in self._marks.get(line_index, ()):
            self._mark(line, plain, diagnostic)
        return line

    def _mark(self, line: Text, plain: str, diagnostic: Diagnostic) -> None:
        error = diagnostic.severity == "error"
        if error:
            line.stylize(self._style("error-line"))
        start = max(0, min(diagnostic.column - 1, len(plain) - 1))
        end = diagnostic.end_column - 1 if diagnostic.end_column and diagnostic.end_column > diagnostic.column else None
        if end is None:
            word = start
            while word < len(plain) and (plain[word].isalnum() or plain[word] in "_$€£.,%"):
                word += 1
            end = max(word, start + 1)
        line.stylize(self._style("error" if error else "warning"), start, min(end, len(plain)) if plain else None)
