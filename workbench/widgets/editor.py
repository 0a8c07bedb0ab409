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
from textual import events
from textual.binding import Binding
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from dsl.diagnostics import Diagnostic
from workbench.completion import SNIPPETS, Vocabulary, snippet_for, suggestion
from workbench.highlight import tokenize_line

TOKEN_KINDS = ("keyword", "string", "placeholder", "money", "number", "comment", "declaration", "type", "constant",
               "operator", "function")


def _move_and_select(key: str, action: str, where: str) -> list[Binding]:
    """A cursor move, and the same move with Shift added extending the selection."""
    modifier, _, name = key.rpartition("+")
    return [Binding(key, action, f"To {where}", show=False),
            Binding(f"{modifier}+shift+{name}", f"{action}(True)", f"Select to {where}", show=False)]


class PolicyEditor(TextArea, inherit_bindings=False):
    """Keys: TextArea's cursor, selection and editing keys (the scrolling keys of a plain scrollable
    container would shadow them and leave the cursor behind), minus F6 ("select line", which is the
    workbench's Diff), plus the document start and end, word moves with Alt as terminals send them,
    and Shift+Tab to take one indent off the line. Tab completes the word (or expands a snippet
    keyword alone on its line), else indents; Escape leaves the editor for the panes."""

    BINDINGS = [
        *(b for b in TextArea.BINDINGS if getattr(b, "key", None) != "f6"),
        *_move_and_select("ctrl+home", "cursor_document_start", "the start of the policy"),
        *_move_and_select("ctrl+end", "cursor_document_end", "the end of the policy"),
        *_move_and_select("alt+left", "cursor_word_left", "a word left"),
        *_move_and_select("alt+right", "cursor_word_right", "a word right"),
        Binding("shift+pageup", "select_page(-1)", "Select a page up", show=False),
        Binding("shift+pagedown", "select_page(1)", "Select a page down", show=False),
        Binding("ctrl+shift+z", "redo", "Redo", show=False),
        Binding("shift+tab", "dedent", "Dedent", show=False),
    ]
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
        self.vocabulary = Vocabulary()

    # ---------------------------------------------------------------- keys
    def action_cursor_document_start(self, select: bool = False) -> None:
        self.move_cursor((0, 0), select=select)

    def action_cursor_document_end(self, select: bool = False) -> None:
        self.move_cursor(self.document.end, select=select)

    def action_select_page(self, direction: int) -> None:
        """Shift+PageUp/PageDown: extend the selection by a page, as Shift+Up/Down do by a line."""
        height = self.content_size.height
        target = self.navigator.get_location_at_y_offset(self.selection.end, direction * height)
        self.scroll_relative(y=direction * height, animate=False)
        self.move_cursor(target, select=True)

    def action_dedent(self) -> None:
        """Take one indent (or what there is of it) off the start of the cursor's line."""
        row, column = self.cursor_location
        line = self.document[row]
        width = min(self.indent_width, len(line) - len(line.lstrip(" ")))
        if width:
            self.delete((row, 0), (row, width))
            self.move_cursor((row, max(0, column - width)))

    async def on_key(self, event: events.Key) -> None:
        """Tab accepts the completion on show, or expands a snippet keyword; otherwise TextArea
        indents as usual."""
        if event.key != "tab" or self.read_only:
            return
        row, column = self.cursor_location
        keyword = snippet_for(self.document[row], column) if self.selection.is_empty else None
        if self.suggestion:
            self.insert(self.suggestion)
        elif keyword is not None:
            self.insert_snippet(keyword, (row, column - len(keyword)))
        else:
            return
        event.stop()
        event.prevent_default()

    def insert_snippet(self, keyword: str, start: tuple[int, int] | None = None) -> None:
        """Put the `keyword` block at `start` (default: the cursor, replacing any selection),
        indented like its line, with its name selected to be typed over."""
        template, _, selected = SNIPPETS[keyword]
        begin = start if start is not None else self.selection.start
        indent = " " * (len(self.document[begin[0]]) - len(self.document[begin[0]].lstrip(" ")))
        text = template.replace("\n", "\n" + indent) if begin[1] >= len(indent) else template
        self.replace(text, begin, self.selection.end)
        offset = text.index(selected)
        row = begin[0] + text.count("\n", 0, offset)
        line_start = text.rfind("\n", 0, offset) + 1
        column = offset - line_start + (begin[1] if line_start == 0 else 0)
        self.selection = Selection((row, column), (row, column + len(selected)))

    # ---------------------------------------------------------------- completion
    def set_vocabulary(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.update_suggestion()

    def update_suggestion(self) -> None:
        """Offer the rest of a known word as ghost text (Tab or Right takes it)."""
        row, column = self.cursor_location
        shown = suggestion(self.document[row], column, self.vocabulary) if self.selection.is_empty else ""
        if shown != self.suggestion:
            self.suggestion = shown

    def set_diagnostics(self, diagnostics: list[Diagnostic]) -> None:
        """Mark these findings (1-based lines and columns) until the next check replaces them."""
        marks: dict[int, list[Diagnostic]] = defaultdict(list)
        for diagnostic in diagnostics:
            marks[diagnostic.line - 1].append(diagnostic)
        if marks == self._marks:
            return
        self._marks = dict(marks)
        # TextArea caches rendered lines by cursor and scroll state; the marks are styles of the
        # lines, so they are announced as a style update, which drops that cache.
        self.notify_style_update()
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
