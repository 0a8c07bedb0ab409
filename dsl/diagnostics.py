"""Diagnostics: what the parser and the checker report, and how a person reads it.

One `Diagnostic` is one finding with a stable `code` (agents match on it), a place, a message and a
hint. `render` prints it the way compilers do, with the source line and a caret under the spot.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import asdict, dataclass
from typing import Iterable

from dsl.ast import Span
from dsl.source import BOM


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    column: int
    severity: str  # "error" or "warning"
    code: str
    message: str
    hint: str | None = None
    end_column: int | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        del data["end_column"]
        return data


class DiagnosticSink:
    """Collects diagnostics for one file, so the checker can report every problem in one run."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Diagnostic] = []

    def error(self, span: Span, code: str, message: str, hint: str | None = None) -> None:
        self._add("error", span, code, message, hint)

    def warning(self, span: Span, code: str, message: str, hint: str | None = None) -> None:
        self._add("warning", span, code, message, hint)

    def _add(self, severity: str, span: Span, code: str, message: str, hint: str | None) -> None:
        end = span.end_column if span.end_line == span.line else None
        self.items.append(Diagnostic(self.file, span.line, span.column, severity, code, message, hint, end))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def render(diagnostic: Diagnostic, source: str | None) -> str:
    """`file:line:col: severity: message`, the source line, a caret under the spot, the hint."""
    head = f"{diagnostic.file}:{diagnostic.line}:{diagnostic.column}: {diagnostic.severity}: {diagnostic.message}"
    lines = [head]
    source_lines = _source_lines(source) if source is not None else ()
    if 1 <= diagnostic.line <= len(source_lines):
        text = source_lines[diagnostic.line - 1].rstrip("\r").replace("\t", " ").replace("\r", "\u240d")
        width = 1
        if diagnostic.end_column and diagnostic.end_column > diagnostic.column:
            width = diagnostic.end_column - diagnostic.column
        gutter = f"{diagnostic.line:>4} | "
        lines.append(f"{gutter}{text}")
        lines.append(" " * (len(gutter) - 2) + "| " + " " * (diagnostic.column - 1) + "^" * width)
    if diagnostic.hint:
        lines.append(f"     = hint: {diagnostic.hint}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=4)
def _source_lines(source: str) -> tuple[str, ...]:
    """Lines as the parser counts them (see `dsl.source`): only "\n" ends one (str.splitlines also
    splits on form feeds and U+2028, which would put the caret under the wrong line), and a BOM is
    not in line 1. Cached, so rendering every diagnostic of a long file splits it once."""
    return tuple(source.removeprefix(BOM).split("\n"))
