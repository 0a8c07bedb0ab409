"""Rows read by the Python readers, as Arrow tables of text columns for the SQL engine.

Every table has the columns of `qa.bulk_sources` (`_row`, `_i`, `_python`). A value of a type SQL
cannot check as Python does (a JSON number for a text field, a list) marks its row for the
compiled engine. pyarrow is imported only here, so a replay of a file DuckDB reads itself never
loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from dsl.model import BOOL, INTEGER, MONEY, NUMBER
from engine.cases import CASE_ID_KEY, CaseError, read_case_id
from qa.bulk_sources import INDEX, PYTHON, ROW
from qa.casefiles import CaseFile, RawRow
from qa.casefiles.columnar import ColumnarFile

BATCH_ROWS = 262_144


@dataclass
class Batch:
    """Rows read by Python, as an Arrow table; `raw(i)` is row i; `python` the indices marked."""

    table: pa.Table
    raw: Callable[[int], RawRow]
    python: list[int] = field(default_factory=list)
    # the columns holding a value in some row; None: found from the raw rows
    present_columns: Callable[[], set[str]] | None = None

    @property
    def rows(self) -> int:
        return self.table.num_rows


def batches_of(cases: CaseFile | Iterable[RawRow], policy_fields: dict[str, str], strict: bool = False) -> Iterator[Batch]:
    """The rows of a case file (read by the Python reader) or of an iterable, in batches;
    `policy_fields` maps every field name (of every policy being decided) to its kind. `strict`:
    a key that is no field (nor `id`) is an error, so its row goes to the compiled engine (`eval`);
    otherwise it is an extra column, ignored (replays)."""
    rows = cases.rows() if isinstance(cases, CaseFile) else iter(cases)
    yield from _row_batches(rows, policy_fields, strict)


ARROW_UNIT_ROWS = 1 << 20


def arrow_batches(case_file: ColumnarFile) -> Iterator[Batch]:
    """An Arrow IPC file's record batches as they are stored (typed: DECIMAL, integers, BOOLEAN,
    text), about `ARROW_UNIT_ROWS` rows a unit, with `_row`, `_i` and `_python`: no Python object
    per value, and memory bounded by a unit whatever the file's size. Its rows for the numbers SQL
    hands back are the Python reader's (`row_of`)."""
    first, pending, count = 0, [], 0
    for record_batch in case_file.record_batches():
        pending.append(record_batch)
        count += record_batch.num_rows
        if count >= ARROW_UNIT_ROWS:
            yield _typed_batch(case_file, pending, first)
            first, pending, count = first + count, [], 0
    if pending or first == 0:
        yield _typed_batch(case_file, pending, first)


def _typed_batch(case_file: ColumnarFile, record_batches: list, first: int) -> Batch:
    table = pa.Table.from_batches(record_batches, schema=case_file.schema)
    rows = table.num_rows
    positions = pc.subtract(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), rows)), 1)  # 0, 1, 2, ...
    table = table.append_column(ROW, pc.add(positions, first + 1))
    table = table.append_column(INDEX, positions)
    table = table.append_column(PYTHON, pa.repeat(pa.scalar(False), rows))

    def raw(index: int) -> RawRow:
        return case_file.row_of(table.slice(index, 1).combine_chunks().to_batches()[0], 0, first + index + 1)

    def present() -> set[str]:
        return {name for name in case_file.columns if table.column(name).null_count < rows}

    return Batch(table, raw, present_columns=present)


# Built column by column (a list comprehension per field), not cell by cell: a row's cells are looked
# at in C-speed loops and only the odd value takes a function call. A row marked for the compiled
# engine keeps whatever text its other cells have: SQL's answer for it is never used.
_ABSENT = object()  # the key is not in the row (JSON null is None, a value SQL cannot check)
_UNCHECKED = object()  # a value SQL cannot check as Python does
_NUMERIC = (MONEY, NUMBER, INTEGER, "offered")


def _as_text(value, kind: str | None):
    """A value that is not a `str`, as SQL text when SQL can check it exactly as Python does; None
    when the key is absent; `_UNCHECKED` otherwise."""
    if value is _ABSENT:
        return None
    cls = value.__class__
    if cls is bool:
        return ("true" if value else "false") if kind == BOOL else _UNCHECKED
    if cls in (int, Decimal) and kind in _NUMERIC:
        return str(value)
    return _UNCHECKED


def _texts(datas: list[dict], name: str, kind: str) -> list:
    """The column `name` as SQL text (`_UNCHECKED` where SQL cannot check the value); the common
    classes of the field's kind are written inline, the rest go through `_as_text`."""
    if kind in _NUMERIC:
        return [value if (value := data.get(name, _ABSENT)).__class__ is str
                else str(value) if value.__class__ is Decimal or value.__class__ is int else _as_text(value, kind)
                for data in datas]
    if kind == BOOL:
        return [value if (value := data.get(name, _ABSENT)).__class__ is str
                else "true" if value is True else "false" if value is False else _as_text(value, kind)
                for data in datas]
    return [value if (value := data.get(name, _ABSENT)).__class__ is str else _as_text(value, kind) for data in datas]


def _readable_id(value) -> bool:
    if value is None or value.__class__ is int or (value.__class__ is str and value.isascii()):
        return True
    try:
        read_case_id(value)
    except CaseError:
        return False
    return True


def _row_batches(rows: Iterator[RawRow], policy_fields: dict[str, str], strict: bool) -> Iterator[Batch]:
    while batch := list(islice(rows, BATCH_ROWS)):
        table, forced = cases_table([row.data for row in batch], [row.number for row in batch], policy_fields, strict)
        yield Batch(table, batch.__getitem__, forced)
        if len(batch) < BATCH_ROWS:
            return


def cases_table(datas: list[dict | None], numbers: Iterable[int], policy_fields: dict[str, str],
                strict: bool) -> tuple[pa.Table, list[int]]:
    """Raw cases (None: not a case at all) as an Arrow table of text columns, with `_row` from
    `numbers`, `_i` (the position) and `_python`; and the positions marked for the compiled engine
    (see `batches_of`)."""
    kinds = dict(policy_fields) | {"offered": "offered"}
    allowed = set(policy_fields) | {CASE_ID_KEY}
    python = [index for index, data in enumerate(datas) if data is None]
    if python:
        datas = [{} if data is None else data for data in datas]
    if strict:  # a key that is no field (nor `id`)
        python += [index for index, data in enumerate(datas) if not allowed.issuperset(data)]
    # SQL carries the id unread: the case reader reads it
    python += [index for index, data in enumerate(datas) if CASE_ID_KEY in data and not _readable_id(data[CASE_ID_KEY])]
    table = {}
    for name, kind in kinds.items():
        texts = _texts(datas, name, kind)
        if texts.count(_UNCHECKED):
            unchecked = [index for index, text in enumerate(texts) if text is _UNCHECKED]
            python += unchecked
            for index in unchecked:
                texts[index] = None
        table[name] = _text_array(texts, python)
    table[ROW] = pa.array(numbers, pa.int64())
    table[INDEX] = pa.array(range(len(datas)), pa.int64())
    forced = sorted(set(python))
    marked = [False] * len(datas)
    for index in forced:
        marked[index] = True
    table[PYTHON] = pa.array(marked, pa.bool_())
    return pa.table(table), forced


def _text_array(values: list, python: list[int]) -> pa.Array:
    """A text column; a value Arrow cannot hold as UTF-8 (a lone surrogate) or that SQL text would
    not keep as Python does (a NUL) is left out and its row marked for the compiled engine."""
    try:
        array = pa.array(values, pa.string())
        if not pc.any(pc.match_substring(array, "\x00")).as_py():
            return array
    except UnicodeEncodeError:
        pass
    kept = []
    for index, value in enumerate(values):
        if value is not None and ("\x00" in value or not _encodable(value)):
            python.append(index)
            value = None
        kept.append(value)
    return pa.array(kept, pa.string())


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
