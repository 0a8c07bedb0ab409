"""Checking as fast as typing: between keystrokes, parse and check only the statements that changed.

A policy is a list of independent top-level statements, and each starts on a line that begins
(column 1) with its keyword. `IncrementalChecker.check` splits the text into *chunks* at those
lines, parses each chunk on its own (cached by its text, so an edit re-parses one chunk), moves the
cached trees to where the chunk now sits, and checks the whole with `dsl.checker.check_parsed`,
replaying the earlier check of every rule, entitlement and route that did not move and whose context
(currency, roles, field and let types) did not change, and the wording warnings of every block whose
text did not change, moved to its new lines (a check's messages may name lines; wording's never do).
The engine is not built here at all: whoever decides cases builds it when needed.

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
from decimal import Decimal
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


class _Placed:
    """One chunk's parse, moved to its place in the file."""

    __slots__ = ("text", "offset", "parsed", "statements", "comments", "diagnostics")

    def __init__(self, text: str, offset: int, parsed: ParseResult, path: str):
        self.text, self.offset, self.parsed = text, offset, parsed  # parsed.tree: the statements as if at line 1
        tree = parsed.tree
        self.statements = tuple(shift(s, offset) for s in tree.statements) if tree is not None else ()
        self.comments = tuple(dataclasses.replace(c, line=c.line + offset) for c in tree.comments) if tree is not None else ()
        self.diagnostics = [dataclasses.replace(d, file=path, line=d.line + offset) for d in parsed.diagnostics]

    @property
    def syntax_errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.code == _SYNTAX]


class IncrementalChecker:
    """Checks successive versions of one file's text, reusing the work of the previous check.
    One instance per file; not for use from two threads at once."""

    def __init__(self, path: str = "<policy>"):
        self.path = path
        self._parsed: dict[str, ParseResult] = {}  # chunk text -> its parse as if at line 1
        self._placed: dict[tuple[str, int], _Placed] = {}  # (chunk text, line offset) -> moved parse
        self._checked: dict[int, tuple[Any, list[Diagnostic], Any]] = {}  # id(block) -> (block, diagnostics, item)
        self._context: Any = None
        self._worded: dict[int, tuple[Any, list[Diagnostic]]] = {}  # id(block as if at line 1) -> (block, its warnings there)
        self._chunks: list[_Placed] = []  # the chunks of the last text parsed whole from chunks

    def check(self, source: str, data: bytes | None = None) -> CheckResult:
        parsed = self._parse(source)
        if parsed is None:
            return check_parsed(parse(source, self.path), source, self.path, data)
        fresh: dict[int, tuple[Any, list[Diagnostic], Any]] = {}
        result = check_parsed(parsed, source, self.path, data, reuse=lambda *args: self._reuse(fresh, *args), wording=False)
        self._checked = fresh
        if parsed.tree is not None:
            # As `check_parsed` with wording would: the warnings after the checker's findings, then
            # one stable sort by place.
            warnings = self._wording()
            result.diagnostics = sorted(result.diagnostics + warnings, key=lambda d: (d.line, d.column))
        return result

    def _wording(self) -> list[Diagnostic]:
        """The wording warnings of every block, found once per block text and moved with it: a
        warning depends only on the block's own text and says nothing of other lines."""
        from dsl.wording import check_wording

        fresh: dict[int, tuple[Any, list[Diagnostic]]] = {}
        found: list[Diagnostic] = []
        for chunk in self._chunks:
            for block in chunk.parsed.tree.statements:
                if not isinstance(block, ast.Block):
                    continue
                entry = self._worded.get(id(block))
                if entry is None or entry[0] is not block:
                    sink = DiagnosticSink(self.path)
                    check_wording(sink, [block])
                    entry = (block, sink.items)
                fresh[id(block)] = entry
                found.extend(dataclasses.replace(d, line=d.line + chunk.offset) if chunk.offset else d for d in entry[1])
        self._worded = fresh
        return found

    # ---------------------------------------------------------------- parsing
    def _parse(self, source: str) -> ParseResult | None:
        """The parse `dsl.parser.parse` gives, assembled from chunks; None when only a full parse
        can say (too many syntax errors, refused characters)."""
        lines = source.split("\n")
        starts = chunk_starts(lines) + [len(lines)]
        placed: dict[tuple[str, int], _Placed] = {}
        chunks: list[_Placed] = []
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
        self._placed, self._chunks = placed, chunks
        self._parsed = {chunk.text: chunk.parsed for chunk in placed.values()}
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

    def _place(self, lines: list[str], start: int, end: int, placed: dict) -> _Placed:
        text = "\n".join(lines[start:end]) + ("\n" if end < len(lines) else "")
        key = (text, start)
        chunk = placed.get(key) or self._placed.get(key)
        if chunk is None:
            parsed = self._parsed.get(text)
            if parsed is None:
                parsed = self._parsed[text] = parse(text, self.path)
            chunk = _Placed(text, start, parsed, self.path)
        placed[key] = chunk
        return chunk

    # ---------------------------------------------------------------- checking
    def _reuse(self, fresh: dict, block: ast.Block, context: tuple, sink, check: Callable) -> Any:
        """Replay the previous check of this very block (same text, same place) in the same context."""
        if context != self._context:
            self._checked, self._context = {}, context
        entry = self._checked.get(id(block))
        if entry is not None and entry[0] is block:
            sink.items.extend(entry[1])
            fresh[id(block)] = entry
            return entry[2]
        before = len(sink.items)
        item = check(block)
        fresh[id(block)] = (block, sink.items[before:], item)
        return item


def _opens_broken(chunk: _Placed) -> bool:
    """Whether a syntax error lies on the chunk's first line: the parser then blanks that line,
    and what follows it is read as the continuation of the statement above."""
    return any(d.line == chunk.offset + 1 for d in chunk.syntax_errors)


def _may_run_on(chunk: _Placed, lines: list[str], end: int) -> bool:
    """Whether a syntax error of this chunk lies on its last line with text (or later), where a
    statement left open (`and` at the end of the line, an unclosed `(`) would continue below."""
    errors = chunk.syntax_errors
    if not errors:
        return False
    last = next((i for i in range(end - 1, chunk.offset - 1, -1) if lines[i].strip() and not lines[i].lstrip().startswith("#")),
                chunk.offset)
    return any(d.line >= last + 1 for d in errors)


_LEAVES = frozenset({str, int, bool, Decimal, type(None)})


def shift(node: Any, lines: int) -> Any:
    """`node` with every span moved down `lines` lines (the AST is frozen: a moved copy). Built
    field by field, without the dataclasses' `__init__`: moving every block of a long policy (Enter
    on its first line) must cost far less than parsing it again."""
    return node if lines == 0 else _shift(node, lines)


def _shift(node: Any, lines: int) -> Any:
    cls = node.__class__
    if cls is tuple:
        return tuple([item if item.__class__ in _LEAVES else _shift(item, lines) for item in node])
    if node is ast.NO_SPAN:
        return node
    moved = object.__new__(cls)  # a frozen dataclass's `__init__` guards every assignment: fill its dict
    fields = moved.__dict__
    if cls is ast.Span:
        fields.update(node.__dict__)
        fields["line"] += lines
        fields["end_line"] += lines
        return moved
    for name, value in node.__dict__.items():
        fields[name] = value if value.__class__ in _LEAVES else _shift(value, lines)
    return moved
