"""Cutting line-based files (CSV, JSON Lines) into records without parsing them, and parsing
batches of records into rows.

The two halves are apart so a replay can run them in different processes: the reading process only
frames (a quote count per line), and the workers parse, decide and tally. Reading a file row by row
uses the same two functions, so both paths give the same rows and the same errors.

A CSV record is one line, or several when a quoted cell holds line breaks: a record is complete when
its count of `"` is even (a quote inside a quoted cell is written `""`, which keeps the parity).
Empty lines are held back: an error in the middle of a file, ignored at its end.
"""

from __future__ import annotations

import csv
import json
from typing import IO, Callable, Iterator

from qa.casefiles.base import RawRow, kind_of, present_values, without_break
from qa.exact_json import stream_decoder

Record = tuple[int, bytes]  # (the line the record starts on, its bytes with line breaks)


def _is_empty_csv(line: bytes) -> bool:
    return not line.rstrip(b"\r\n")


def _is_empty_jsonl(line: bytes) -> bool:
    return not line.strip()


def frame(stream: IO[bytes], first_line: int, quoted: bool) -> Iterator[Record]:
    """Records from `stream`, whose first line is numbered `first_line`. `quoted`: CSV quoting may
    join lines into one record."""
    is_empty = _is_empty_csv if quoted else _is_empty_jsonl
    held: list[int] = []
    number = first_line - 1
    record: list[bytes] = []
    start = 0
    for line in stream:
        number += 1
        if number == first_line:
            line = line.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark is not part of the text
        if record:
            record.append(line)
            if line.count(b'"') % 2:
                yield start, b"".join(record)
                record = []
            continue
        if is_empty(line):
            held.append(number)
            continue
        for empty in held:
            yield empty, b""
        held.clear()
        if quoted and line.count(b'"') % 2:
            record, start = [line], number
        else:
            yield number, line
    if record:
        yield start, b"".join(record)  # an unclosed quote swallowed the rest of the file


def _decoded(number: int, data: bytes, what: str) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), f"{what} {number} is not UTF-8 text"


def parse_csv(header: tuple[str, ...], records: list[Record]) -> list[RawRow]:
    """Rows from CSV records, each checked against the header's width."""
    rows = []
    width = len(header)
    for number, data in records:
        raw, problem = _decoded(number, data, "row")
        text = without_break(raw)
        if not data:
            rows.append(RawRow(number, None, f"row {number} is an empty line", ""))
            continue
        if problem is None:
            try:
                cells = next(csv.reader((raw,), strict=True), [])
            except csv.Error as error:
                problem = f"row {number} cannot be read as CSV: {error}"
        if problem is not None:
            rows.append(RawRow(number, None, problem, text))
        elif len(cells) != width:
            cut = "; the file ends in the middle of this row" if len(cells) < width and text == raw else ""
            rows.append(RawRow(number, None, f"row {number} has {len(cells)} cells, the header has {width}{cut}", text))
        else:
            rows.append(RawRow(number, {key: value for key, value in zip(header, cells) if value}, None, text))
    return rows


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
