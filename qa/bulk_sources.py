"""Case files as Arrow batches for the SQL engine, each row numbered as the Python readers number it.

Three ways in, all giving `Batch`es (an Arrow table with `_row` and `_i`, and the way back to the
`RawRow` the Python readers would have given for any row, for the rows SQL hands back):

- Parquet: record batches as stored; types kept (DECIMAL, integers, BOOLEAN, text).
- Plain CSV: a file without quotes, NUL bytes, bare carriage returns or blank lines inside is cut into
  lines and cells with Arrow's vectorised string kernels; that is exactly what Python's `csv` reads
  from such a file, and a line's number is known. A line with the wrong number of cells goes to
  Python (`python` in the batch) and gets the reader's own message.
- Anything else (quoted CSV, JSON Lines, JSON, YAML, rows in memory): the Python reader's rows,
  turned into text columns. A value of a type SQL cannot check as Python would (a JSON number for a
  text field, a list) sends its row to Python.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from dsl.model import BOOL, INTEGER, MONEY, NUMBER, Policy
from engine.cases import CASE_ID_KEY
from qa.casefiles import CaseFile, RawRow
from qa.casefiles.framing import parse_csv

BATCH_ROWS = 262_144
CHUNK_BYTES = 1 << 24
ROW, INDEX, PYTHON = "_row", "_i", "_python"  # row number, index in the batch, "Python decides it"


@dataclass
class Batch:
    """Rows for one query. `raw(i)` is row i as the Python readers give it; `python` lists the
    indices that must be decided by the compiled engine whatever SQL says; `unreadable` are rows
    outside the table (a CSV line with the wrong number of cells), already as `RawRow`s."""

    table: pa.Table
    raw: Callable[[int], RawRow]
    python: list[int] = field(default_factory=list)  # also marked in the table's `_python` column
    unreadable: list[RawRow] = field(default_factory=list)
    seen_columns: set[str] = field(default_factory=set)  # columns holding a value in some row

    @property
    def rows(self) -> int:
        return self.table.num_rows + len(self.unreadable)


def batches_of(cases: CaseFile | Iterable[RawRow], policy_fields: dict[str, str]) -> Iterator[Batch]:
    """The batches of a case file or of rows; `policy_fields` maps every field name (of every
    policy being decided) to its kind."""
    if isinstance(cases, CaseFile) and cases.format == "parquet":
        yield from _parquet_batches(cases)
        return
    if isinstance(cases, CaseFile) and cases.format == "csv" and _plain_csv(cases):
        yield from _plain_csv_batches(cases)
        return
    rows = cases.rows() if isinstance(cases, CaseFile) else iter(cases)
    yield from _row_batches(rows, policy_fields)


# ---------------------------------------------------------------- Parquet
def _parquet_batches(case_file) -> Iterator[Batch]:
    start = 0
    for record_batch in case_file.record_batches(BATCH_ROWS):
        table = pa.Table.from_batches([record_batch])
        columns = {}
        for name, column in zip(table.column_names, table.columns):
            if pa.types.is_dictionary(column.type):
                column = column.cast(column.type.value_type)
            columns[name] = column
        count = table.num_rows
        columns[ROW] = pa.array(range(start + 1, start + count + 1), pa.int64())
        columns[INDEX] = pa.array(range(count), pa.int64())
        columns[PYTHON] = pa.nulls(count, pa.bool_()).fill_null(False)
        seen = {name for name, column in columns.items() if column.null_count < count}
        first = start + 1
        yield Batch(pa.table(columns), lambda i, b=record_batch, n=first: case_file.row_of(b, i, n + i), seen_columns=seen)
        start += count


# ---------------------------------------------------------------- plain CSV
def _chunks(stream) -> Iterator[tuple[bytes, bool]]:
    """The stream in chunks, each with whether it is the last."""
    chunk = stream.read(CHUNK_BYTES)
    while chunk:
        following = stream.read(CHUNK_BYTES)
        yield chunk, not following
        chunk = following


def _plain_csv(case_file) -> bool:
    """Whether the file after its header holds no quote, NUL, bare CR or blank line (blank lines at
    the very end are ignored, as the Python reader ignores them), and is UTF-8."""
    if case_file.path == "-" or len(case_file.columns) < 2:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(case_file.path, "rb") as stream:
        stream.readline()
        previous = b"\n"
        for chunk, last in _chunks(stream):
            if b'"' in chunk or b"\x00" in chunk or chunk.count(b"\r") != chunk.count(b"\r\n") or chunk.endswith(b"\r"):
                return False
            joined = previous + chunk
            if last:
                joined = joined.rstrip(b"\r\n")
            if b"\n\n" in joined or b"\n\r\n" in joined:
                return False
            try:
                decoder.decode(chunk, final=last)
            except UnicodeDecodeError:
                return False
            previous = chunk[-1:]
    return True


def _lines(path: str) -> Iterator[tuple[int, pa.Array, bool]]:
    """(number of the first line, the lines without breaks, whether the last line lacks its break)
    of the data, in chunks cut at line breaks; blank lines at the end are left out."""
    with open(path, "rb") as stream:
        stream.readline()
        number, rest = 2, b""
        for chunk, last in _chunks(stream):
            data = rest + chunk
            cut = len(data) if last else data.rfind(b"\n") + 1
            rest = data[cut:]
            block = data[:cut]
            unbroken = last and not block.endswith(b"\n")
            block = block.rstrip(b"\r\n") if last else block[:-1]
            if block:
                lines = pc.utf8_rtrim(pc.split_pattern(pa.array([block.decode("utf-8")]), "\n").flatten(), characters="\r")
                yield number, lines, unbroken
                number += len(lines)


def _plain_csv_batches(case_file) -> Iterator[Batch]:
    header = tuple(case_file.columns)
    width = len(header)
    for first, lines, unbroken in _lines(case_file.path):
        cells = pc.split_pattern(lines, ",")
        widths = pc.list_value_length(cells)
        fits = pc.equal(widths, width)
        numbers = pa.array(range(first, first + len(lines)), pa.int64())
        unreadable = []
        if not pc.all(fits).as_py():
            misfits = pc.invert(fits)
            last_line = first + len(lines) - 1
            for number, text in zip(numbers.filter(misfits).to_pylist(), lines.filter(misfits).to_pylist()):
                ending = "" if unbroken and number == last_line else "\n"
                unreadable += parse_csv(header, [(number, (text + ending).encode("utf-8"))])
            cells, numbers, lines = cells.filter(fits), numbers.filter(fits), lines.filter(fits)
        columns = {}
        for index, name in enumerate(header):
            column = pc.list_element(cells, index)
            columns[name] = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        count = len(numbers)
        columns[ROW] = numbers
        columns[INDEX] = pa.array(range(count), pa.int64())
        columns[PYTHON] = pa.nulls(count, pa.bool_()).fill_null(False)
        table = pa.table(columns)
        seen = {name for name in header if table.column(name).null_count < count}

        def raw(i: int, table=table, lines=lines) -> RawRow:
            data = {name: table.column(name)[i].as_py() for name in header}
            return RawRow(table.column(ROW)[i].as_py(), {k: v for k, v in data.items() if v is not None}, None, lines[i].as_py())

        yield Batch(table, raw, unreadable=unreadable, seen_columns=seen)


# ---------------------------------------------------------------- rows from the Python readers
def _as_text(value, kind: str | None) -> str | None:
    """The value as SQL text when SQL can check it exactly as Python does, else None."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is bool:
        return ("true" if value else "false") if kind == BOOL else None
    if cls in (int, Decimal) and kind in (MONEY, NUMBER, INTEGER, "offered"):
        return str(value)
    return None


def _row_batches(rows: Iterator[RawRow], policy_fields: dict[str, str]) -> Iterator[Batch]:
    kinds = dict(policy_fields) | {"offered": "offered"}
    while True:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                break
        if not batch:
            return
        names = dict.fromkeys(kinds)
        python, seen = [], set()
        columns: dict[str, list] = {name: [None] * len(batch) for name in names}
        for index, row in enumerate(batch):
            data = row.data
            if data is None:
                python.append(index)
                continue
            seen.update(data)
            for key, value in data.items():
                if key == CASE_ID_KEY or key not in columns:
                    continue
                as_text = _as_text(value, kinds[key])
                if as_text is None:
                    python.append(index)
                    break
                columns[key][index] = as_text
        table = {name: pa.array(values, pa.string()) for name, values in columns.items()}
        table[ROW] = pa.array([row.number for row in batch], pa.int64())
        table[INDEX] = pa.array(range(len(batch)), pa.int64())
        forced = set(python)
        table[PYTHON] = pa.array([index in forced for index in range(len(batch))], pa.bool_())
        yield Batch(pa.table(table), batch.__getitem__, sorted(forced), seen_columns=seen)
        if len(batch) < BATCH_ROWS:
            return


def fields_of(*policies: Policy) -> dict[str, str]:
    """Each field's kind; a name two policies give different kinds gets "mixed" (text only)."""
    kinds: dict[str, str] = {}
    for policy in policies:
        for case_field in policy.fields:
            if kinds.setdefault(case_field.name, case_field.kind) != case_field.kind:
                kinds[case_field.name] = "mixed"
    return kinds
