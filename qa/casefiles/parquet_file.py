"""Parquet case files, streamed a record batch at a time. A float becomes the decimal of its shortest
round-trip text, `Decimal(repr(x))`, so numbers stay exact as in every other format."""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any, Iterator

from qa.casefiles.base import CaseFile, RawRow


class ParquetFile(CaseFile):
    """Record batches converted column by column: integers, booleans and text as they are, decimals
    as Decimal, floats as `Decimal(repr(x))`, dates and times as ISO text, nulls left out."""

    format = "parquet"
    BATCH_ROWS = 65536

    def __init__(self, path: str, stream: IO[bytes], own_stream: bool = True):
        super().__init__(path, stream, own_stream)
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not stream.peek(1):
            raise self._error("is empty; expected a Parquet file of cases")
        source = stream if own_stream else pa.BufferReader(stream.read())  # standard input cannot seek
        try:
            self._parquet = pq.ParquetFile(source)
            schema = self._parquet.schema_arrow
        except (pa.ArrowException, OSError, ValueError) as error:
            raise self._error(f"cannot be read as Parquet: {error}") from None
        self.columns = list(schema.names)
        self._converters = [_converter(self, field.name, field.type) for field in schema]

    def rows(self) -> Iterator[RawRow]:
        import pyarrow as pa

        names, converters, number = self.columns, self._converters, 0
        batches = self._parquet.iter_batches(batch_size=self.BATCH_ROWS)
        while True:
            try:
                batch = next(batches, None)
            except (pa.ArrowException, OSError, ValueError) as error:
                raise self._error(f"row {number + 1} onwards cannot be read: {error}") from None
            if batch is None:
                return
            columns = [convert(column.to_pylist()) for convert, column in zip(converters, batch.columns)]
            for values in zip(*columns):
                number += 1
                yield RawRow(number, {key: value for key, value in zip(names, values) if value is not None}, None, None)


    def row_of(self, batch, index: int, number: int) -> RawRow:
        """Row `index` of a record batch as `rows()` gives it (for the rows the SQL engine hands back)."""
        values = [convert([column[index].as_py()])[0] for convert, column in zip(self._converters, batch.columns)]
        return RawRow(number, {key: value for key, value in zip(self.columns, values) if value is not None}, None, None)


def _converter(case_file: CaseFile, name: str, kind: Any):
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
