"""What the columnar readers (Parquet, Arrow IPC) share: Arrow record batches turned into raw rows,
column by column. Integers, booleans and text stay as they are, decimals are `Decimal`, a float
becomes the decimal of its shortest round-trip text (`Decimal(repr(x))`, so numbers stay exact as in
every other format), dates and times are ISO text, and nulls are left out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Iterator

from qa.casefiles.base import CaseFile, RawRow


class ColumnarFile(CaseFile):
    """A case file of Arrow record batches; a subclass opens the file, sets `columns` with
    `_use_schema` and gives its batches, in order, from `record_batches`."""

    def _use_schema(self, schema) -> None:
        self.schema = schema
        self.columns = list(schema.names)
        self._converters = [_converter(self, field.name, field.type) for field in schema]

    def record_batches(self) -> Iterator:
        """The file's record batches, in order; raises `CaseFileError` where the file breaks."""
        raise NotImplementedError

    def rows(self) -> Iterator[RawRow]:
        names, converters, number = self.columns, self._converters, 0
        for batch in self.record_batches():
            columns = [convert(column.to_pylist()) for convert, column in zip(converters, batch.columns)]
            for values in zip(*columns):
                number += 1
                yield RawRow(number, {key: value for key, value in zip(names, values) if value is not None}, None, None)

    def row_of(self, batch, index: int, number: int) -> RawRow:
        """Row `index` of a record batch as `rows()` gives it (for the rows the SQL engine hands back)."""
        values = [convert([column[index].as_py()])[0] for convert, column in zip(self._converters, batch.columns)]
        return RawRow(number, {key: value for key, value in zip(self.columns, values) if value is not None}, None, None)


def _converter(case_file: CaseFile, name: str, kind: Any) -> Callable[[list], list]:
    import pyarrow.types as t

    if t.is_dictionary(kind):
        kind = kind.value_type
    if t.is_integer(kind) or t.is_boolean(kind) or t.is_string(kind) or t.is_large_string(kind) \
            or t.is_decimal(kind) or t.is_null(kind):
        return _unchanged
    if t.is_floating(kind):
        return _float_decimals
    if t.is_temporal(kind) and not t.is_duration(kind) and not t.is_interval(kind):
        return _iso_texts
    raise case_file._error(f"column `{name}` has type {kind}, which a case cannot hold; "
                           "expected integers, decimals, floats, booleans, text or dates")


def _unchanged(values: list) -> list:
    return values


def _float_decimals(values: list) -> list:
    return [None if value is None else Decimal(repr(value)) for value in values]


def _iso_texts(values: list) -> list:
    return [None if value is None else value.isoformat() for value in values]
