"""Parquet case files, streamed a record batch at a time (values as `qa.casefiles.columnar` reads them)."""

from __future__ import annotations

from typing import IO, Iterator

from qa.casefiles.columnar import ColumnarFile


class ParquetFile(ColumnarFile):
    """A Parquet file's row groups, read `BATCH_ROWS` rows at a time."""

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
        self._use_schema(schema)

    def record_batches(self) -> Iterator:
        import pyarrow as pa

        batches, number = self._parquet.iter_batches(batch_size=self.BATCH_ROWS), 0
        while True:
            try:
                batch = next(batches, None)
            except (pa.ArrowException, OSError, ValueError) as error:
                raise self._error(f"row {number + 1} onwards cannot be read: {error}") from None
            if batch is None:
                return
            number += batch.num_rows
            yield batch
