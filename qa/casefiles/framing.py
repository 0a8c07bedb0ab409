"""Cutting line-based files (CSV, JSON Lines) into records without parsing them, and parsing
batches of records into rows.

The two halves are apart so a replay can run them in different processes: the reading process only
frames (a quote scan per line that has a quote), and the workers parse, decide and tally. Reading a
file row by row uses the same two functions, so both paths give the same rows and the same errors.

How a CSV file is cut, so that no line is ever lost (every line is a row, or part of one):
- A quote opens a quoted cell only at the start of a cell, as RFC 4180 and Python's csv reader have
  it; anywhere else it is text (`5" screen`). Inside a quoted cell `""` is a quote, and the next
  lone quote closes it.
- A quoted cell left open at a line's end may hold line breaks: the record goes on until the cell
  closes, within `MAX_CELL_LINES` lines. A cell that does not close by then (or by the end of the
  file) was an unclosed quote: the line it opened on is a record of its own, bounded by its line
  end (an invalid row), and the lines after it are framed afresh.
- A record of several lines that is not a well-formed row (the header's number of cells, quoting
  that closes), or that has a line that is a well-formed row by itself, was stray quotes joining
  lines, not a cell with line breaks: the worker parses each of its lines as a row of its own.
So a file has one row per line, but for quoted cells with line breaks, whose lines are one row.
Empty lines are held back: an error in the middle of a file, ignored at its end.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from typing import IO, Callable, Iterator

from qa.casefiles.base import RawRow, kind_of, present_values, without_break
from qa.exact_json import stream_decoder

Record = tuple[int, bytes]  # (the line the record starts on, its bytes with line breaks)
MAX_CELL_LINES = 100  # a quoted cell with more line breaks than this is an unclosed quote
MAX_CELL_BYTES = 1 << 20


def _is_empty_csv(line: bytes) -> bool:
    return not line.rstrip(b"\r\n")


def _is_empty_jsonl(line: bytes) -> bool:
    return not line.strip()


def ends_in_quoted_cell(line: bytes, inside: bool = False) -> bool:
    """Whether `line` ends inside a quoted cell, read as Python's csv reader reads it; `inside`:
    the line starts inside one (a cell opened on an earlier line)."""
    position = 0
    if not inside and line.startswith(b'"'):
        inside, position = True, 1
    while True:
        while inside:
            quote = line.find(b'"', position)
            if quote < 0:
                return True
            if line.startswith(b'"', quote + 1):  # `""`: a quote inside the cell
                position = quote + 2
            else:
                position, inside = quote + 1, False
        comma = line.find(b",", position)
        if comma < 0:
            return False
        position = comma + 1
        if line.startswith(b'"', position):
            inside, position = True, position + 1


def _numbered(stream: IO[bytes], first_line: int) -> Iterator[Record]:
    for number, line in enumerate(stream, start=first_line):
        if number == first_line:
            line = line.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not part of the text
        yield number, line


def frame(stream: IO[bytes], first_line: int, quoted: bool) -> Iterator[Record]:
    """Records from `stream`, whose first line is numbered `first_line`. `quoted`: CSV quoting may
    join lines into one record."""
    lines = _numbered(stream, first_line)
    return _csv_records(lines) if quoted else _line_records(lines)


def _line_records(lines: Iterator[Record]) -> Iterator[Record]:
    held: list[int] = []
    for number, line in lines:
        if _is_empty_jsonl(line):
            held.append(number)
            continue
        for empty in held:
            yield empty, b""
        held.clear()
        yield number, line


def _csv_records(lines: Iterator[Record]) -> Iterator[Record]:
    held: list[int] = []
    again: deque[Record] = deque()  # lines read ahead for a cell that never closed, to frame afresh
    while True:
        item = again.popleft() if again else next(lines, None)
        if item is None:
            return
        number, line = item
        if _is_empty_csv(line):
            held.append(number)
            continue
        for empty in held:
            yield empty, b""
        held.clear()
        if b'"' not in line or not ends_in_quoted_cell(line):
            yield item
            continue
        following: list[Record] = []
        size, closed = len(line), False
        while not closed and len(following) < MAX_CELL_LINES and size < MAX_CELL_BYTES:
            after = again.popleft() if again else next(lines, None)
            if after is None:
                break
            following.append(after)
            size += len(after[1])
            closed = not ends_in_quoted_cell(after[1], inside=True)
        if closed:
            yield number, line + b"".join(part for _, part in following)
        else:  # the quote never closed: its line alone is the row, and the lines after it are framed afresh
            yield item
            again.extendleft(reversed(following))


def _decoded(number: int, data: bytes, what: str) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), f"{what} {number} is not UTF-8 text"


def parse_csv(header: tuple[str, ...], records: list[Record]) -> list[RawRow]:
    """Rows from CSV records, each checked against the header's width. A record of several lines
    that is not a well-formed row gives one row per line (the module's docstring says why)."""
    rows = []
    for number, data in records:
        row = _csv_row(header, number, data)
        if b"\n" in data.rstrip(b"\r\n"):  # a quoted cell with line breaks, or lines joined by stray quotes
            lines = [_csv_row(header, number + offset, line) for offset, line in enumerate(_lines_of(data))]
            if row.error is not None or any(line.error is None for line in lines[1:]):
                rows += lines
                continue
        rows.append(row)
    return rows


def _lines_of(data: bytes) -> list[bytes]:
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _csv_row(header: tuple[str, ...], number: int, data: bytes) -> RawRow:
    if _is_empty_csv(data):
        return RawRow(number, None, f"row {number} is an empty line", "")
    raw, problem = _decoded(number, data, "row")
    text = without_break(raw)
    if problem is not None:
        return RawRow(number, None, problem, text)
    try:
        cells = next(csv.reader((raw,), strict=True), [])
    except csv.Error as error:
        if ends_in_quoted_cell(data):
            problem = f"row {number} has a quoted cell that is not closed on its line (a cell that starts with `\"` ends with one)"
        else:
            problem = f"row {number} cannot be read as CSV: {error}"
        return RawRow(number, None, problem, text)
    width = len(header)
    if len(cells) != width:
        cut = "; the file ends in the middle of this row" if len(cells) < width and text == raw else ""
        return RawRow(number, None, f"row {number} has {len(cells)} cells, the header has {width}{cut}", text)
    return RawRow(number, {key: value for key, value in zip(header, cells) if value}, None, text)


def json_problem(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} (column {error.colno})"
    return str(error)


def parse_jsonl(records: list[Record]) -> list[RawRow]:
    """Rows from JSON Lines records: one object per line, numbers as exact decimals."""
    rows = []
    decode = stream_decoder()
    for number, data in records:
        raw, problem = _decoded(number, data, "line")
        text = without_break(raw)
        if not data:
            rows.append(RawRow(number, None, f"line {number}: empty line", ""))
            continue
        if problem is not None:
            rows.append(RawRow(number, None, f"line {number}: not UTF-8 text", text))
            continue
        try:
            item = decode(text)
        except (ValueError, RecursionError) as error:
            reason = json_problem(error) if isinstance(error, ValueError) else "nested too deeply"
            rows.append(RawRow(number, None, f"line {number}: invalid JSON: {reason}", text))
            continue
        if isinstance(item, dict):
            rows.append(RawRow(number, present_values(item), None, text))
        else:
            rows.append(RawRow(number, None, f"line {number}: {kind_of(item)}, not an object", text))
    return rows


def framed_rows(records: Iterator[Record], parse: Callable[[list[Record]], list[RawRow]], size: int = 256) -> Iterator[RawRow]:
    """Rows of a framed file, read in this process."""
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield from parse(batch)
            batch = []
    if batch:
        yield from parse(batch)
