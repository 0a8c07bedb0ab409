"""Checking as fast as typing: between keystrokes, parse and check only the statements that changed.

A policy is a list of independent top-level statements, and each starts on a line that begins
(column 1) with its keyword. `IncrementalChecker.check` splits the text into *chunks* at those
lines, parses each chunk on its own (cached by its text, so an edit re-parses one chunk), and checks
the whole with `dsl.checker.check_parsed`, replaying the earlier check of every rule, entitlement
and route whose text and context (currency, roles, field and let types) did not change, and the
wording warnings of every block whose text did not change. The engine is not built here at all:
whoever decides cases builds it when needed.

Moving is free. A chunk is parsed against an `ast.Anchor`, so when it moves (Enter on the first
line moves every chunk below) its spans follow by one assignment instead of a copy of its tree.
Findings are kept with the line their block started on and moved with it; a block's check is
replayed after a move only if it found nothing, since its messages may name a line ("already has
`when` (line 12)"); wording warnings never do. So a tree this checker returned is not fixed in
place: its spans follow the latest text checked, which is the text on screen.

The result is exactly what `check_source` gives for the same text (tests/test_incremental.py
compares them on edited and random policies). That holds because a chunk that parses on its own
leaves the parser where the next statement starts, and tokens never cross a line except the
newline itself. The exceptions are handled by falling back towards the full parse:
- a chunk whose syntax error lies on its last line may run on into the next chunk (a dangling
  `and`, an unclosed `(`), so it is parsed again together with the next chunk;
- a chunk whose first line has a syntax error loses that line (the parser blanks it), and the rest
  then belongs to the statement above, so it is parsed again together with the previous chunk;
- past `MAX_SYNTAX_ERRORS` the full parser stops counting, and a file whose characters are refused
  (a lone CR) is refused as a whole, so then the whole text is parsed at once;
- an expression nested too deep is reported alone, and only the first, and bad escapes only when
  nothing else is wrong, as the full parser does.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

from dsl import ast
from dsl.checker import CheckResult, check_parsed
from dsl.diagnostics import Diagnostic, DiagnosticSink
from dsl.parser import MAX_SYNTAX_ERRORS, ParseResult, parse

_STATEMENT_START = re.compile(r"(?:policy|version|currency|case|let|authority|route|entitlement|rule|otherwise)\b")
_SYNTAX, _NESTING, _ESCAPE = "syntax", "nesting", "escape"


def chunk_starts(lines: list[str]) -> list[int]:
    """The 0-based line indexes where a chunk starts: the first line, and every line that begins
    with a statement keyword (blank and comment lines belong to the chunk above)."""
    return [0] + [index for index in range(1, len(lines)) if _STATEMENT_START.match(lines[index])]


class _Chunk:
    """One chunk's parse, anchored where the chunk sits in the file."""

    __slots__ = ("text", "parsed", "anchor", "offset", "comments", "diagnostics", "parse_number")

    def __init__(self, text: str, path: str):
        self.text, self.anchor = text, ast.Anchor()
        self.parsed = parse(text, path, self.anchor)  # spans follow the anchor; diagnostics are as if at line 1
        self.offset: int | None = None
        self.comments: tuple[ast.Comment, ...] = ()
        self.diagnostics: list[Diagnostic] = []
        self.parse_number = 0  # of the checker's last `_parse` that placed it

    def place(self, offset: int) -> None:
        """Move the chunk to start after `offset` lines, and every span in its tree with it."""
        if offset == self.offset:
            return
        self.anchor.lines = self.offset = offset
        tree = self.parsed.tree
        self.comments = tuple(dataclasses.replace(c, line=c.line + offset) for c in tree.comments) if tree is not None else ()
        self.diagnostics = [dataclasses.replace(d, line=d.line + offset) for d in self.parsed.diagnostics]

    @property
    def statements(self) -> tuple:
        return self.parsed.tree.statements if self.parsed.tree is not None else ()

    @property
    def syntax_errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.code == _SYNTAX]


class IncrementalChecker:
    """Checks successive versions of one file's text, reusing the work of the previous check.
    One instance per file; not for use from two threads at once."""

    def __init__(self, path: str = "<policy>"):
        self.path = path
        self._chunks_by_text: dict[str, list[_Chunk]] = {}  # every chunk parsed for the last text, by its text
        self._chunks: list[_Chunk] = []  # the chunks of the last text parsed whole from chunks
        # id(block) -> (block, its diagnostics, its checked item, the line it started on then)
        self._checked: dict[int, tuple[Any, list[Diagnostic], Any, int]] = {}
        self._context: Any = None
        self._parses = 0  # how many texts `_parse` has read: a chunk is placed once per text
        self._worded: dict[int, tuple[Any, list[Diagnostic], int]] = {}  # id(block) -> (block, its warnings, its line then)

    def check(self, source: str, data: bytes | None = None) -> CheckResult:
        parsed = self._parse(source)
        if parsed is None:
            return check_parsed(parse(source, self.path), source, self.path, data)
        fresh: dict[int, tuple[Any, list[Diagnostic], Any, int]] = {}
        result = check_parsed(parsed, source, self.path, data, reuse=lambda *args: self._reuse(fresh, *args), wording=False)
        self._checked = fresh
        if parsed.tree is not None:
            # As `check_parsed` with wording would: the warnings after the checker's findings, then
            # one stable sort by place.
            warnings = self._wording()
            result.diagnostics = sorted(result.diagnostics + warnings, key=lambda d: (d.line, d.column))
        return result

    def _wording(self) -> list[Diagnostic]:
        """The wording warnings of every block, found once per block and moved with it: a warning
        depends only on the block's own text and names no other line."""
        from dsl.wording import check_wording

        fresh: dict[int, tuple[Any, list[Diagnostic], int]] = {}
        found: list[Diagnostic] = []
        for chunk in self._chunks:
            for block in chunk.statements:
                if not isinstance(block, ast.Block):
                    continue
                entry = self._worded.get(id(block))
                if entry is None or entry[0] is not block:
                    sink = DiagnosticSink(self.path)
                    check_wording(sink, [block])
                    entry = (block, sink.items, block.span.line)
                fresh[id(block)] = entry
                found.extend(_moved(entry[1], block.span.line - entry[2]))
        self._worded = fresh
        return found

    # ---------------------------------------------------------------- parsing
    def _parse(self, source: str) -> ParseResult | None:
        """The parse `dsl.parser.parse` gives, assembled from chunks; None when only a full parse
        can say (too many syntax errors, refused characters)."""
        lines = source.split("\n")
        starts = chunk_starts(lines) + [len(lines)]
        self._parses += 1
        placed: dict[tuple[str, int], _Chunk] = {}
        chunks: list[_Chunk] = []
        index = 0
        while index < len(starts) - 1:
            begin, index = starts[index], index + 1
            chunk = self._place(lines, begin, starts[index], placed)
            while True:
                if chunks and _opens_broken(chunk):
                    begin = chunks.pop().offset  # its first line blanked, the rest reads as part of the statement above
                elif index < len(starts) - 1 and _may_run_on(chunk, lines, starts[index]):
                    index += 1  # its error may be the start of a statement that goes on below
                else:
                    break
                chunk = self._place(lines, begin, starts[index], placed)
            chunks.append(chunk)
        self._chunks = chunks
        self._chunks_by_text = {}
        for chunk in placed.values():
            self._chunks_by_text.setdefault(chunk.text, []).append(chunk)
        found = [d for chunk in chunks for d in chunk.diagnostics]
        errors = [d for d in found if d.code == _SYNTAX]
        if len(errors) >= MAX_SYNTAX_ERRORS or any(d.code not in (_SYNTAX, _NESTING, _ESCAPE) for d in found):
            return None  # past the cap, or what the file is made of (a lone CR): the whole text decides
        if errors:
            return ParseResult(None, sorted(errors, key=lambda d: (d.line, d.column)))
        too_deep = next((d for d in found if d.code == _NESTING), None)
        if too_deep is not None:
            return ParseResult(None, [too_deep])
        if found:  # bad escapes, in file order, as many as the full parser reports
            return ParseResult(None, found[:MAX_SYNTAX_ERRORS])
        statements = tuple(s for chunk in chunks for s in chunk.statements)
        comments = tuple(sorted((c for chunk in chunks for c in chunk.comments), key=lambda c: c.line))
        return ParseResult(ast.PolicyFile(statements, comments), [])

    def _place(self, lines: list[str], start: int, end: int, placed: dict[tuple[str, int], _Chunk]) -> _Chunk:
        """The chunk of lines `start` to `end`, placed there: one placed already for this text, else
        an earlier parse of the same text (the one already there, if any), else a new parse. A parse
        sits in one place per text: the same text twice (two identical statements) is parsed twice."""
        text = "\n".join(lines[start:end]) + ("\n" if end < len(lines) else "")
        chunk = placed.get((text, start))
        if chunk is None:
            free = [c for c in self._chunks_by_text.get(text, ()) if c.parse_number != self._parses]
            chunk = next((c for c in free if c.offset == start), free[0] if free else None) or _Chunk(text, self.path)
            chunk.place(start)
            chunk.parse_number = self._parses
            placed[(text, start)] = chunk
        return chunk

    # ---------------------------------------------------------------- checking
    def _reuse(self, fresh: dict, block: ast.Block, context: tuple, sink, check: Callable) -> Any:
        """Replay the previous check of this very block in the same context: as it was if the block
        did not move, moved with it if it found nothing."""
        if context != self._context:
            self._checked, self._context = {}, context
        line = block.span.line
        entry = self._checked.get(id(block))
        if entry is not None and entry[0] is block and (entry[3] == line or not entry[1]):
            if entry[3] != line:
                item = entry[2]
                entry = (block, entry[1], item if item is None else dataclasses.replace(item, line=line), line)
            sink.items.extend(entry[1])
            fresh[id(block)] = entry
            return entry[2]
        before = len(sink.items)
        item = check(block)
        fresh[id(block)] = (block, sink.items[before:], item, line)
        return item


def _opens_broken(chunk: _Chunk) -> bool:
    """Whether a syntax error lies on the chunk's first line: the parser then blanks that line,
    and what follows it is read as the continuation of the statement above."""
    return any(d.line == chunk.offset + 1 for d in chunk.syntax_errors)


def _may_run_on(chunk: _Chunk, lines: list[str], end: int) -> bool:
    """Whether a syntax error of this chunk lies on its last line with text (or later), where a
    statement left open (`and` at the end of the line, an unclosed `(`) would continue below."""
    errors = chunk.syntax_errors
    if not errors:
        return False
    last = next((i for i in range(end - 1, chunk.offset - 1, -1) if lines[i].strip() and not lines[i].lstrip().startswith("#")),
                chunk.offset)
    return any(d.line >= last + 1 for d in errors)


def _moved(diagnostics: list[Diagnostic], lines: int) -> list[Diagnostic]:
    return [dataclasses.replace(d, line=d.line + lines) for d in diagnostics] if lines else diagnostics
