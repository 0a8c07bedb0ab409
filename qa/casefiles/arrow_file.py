"""Arrow IPC case files (`.arrow`, `.feather` version 2, and the stream format `.arrows`), a record
batch at a time (values as `qa.casefiles.columnar` reads them). The file format is read through a
memory map, so an uncompressed file's batches are never copied; the stream format is what a
pipeline writes to standard input."""

from __future__ import annotations

from typing import IO, Iterator

from qa.casefiles.columnar import ColumnarFile

FILE_MAGIC = b"ARROW1"


class ArrowFile(ColumnarFile):
    """The record batches of an Arrow IPC file or stream, in order."""

    format = "arrow"

    def __init__(self, path: str, stream: IO[bytes], own_stream: bool = True):
        super().__init__(path, stream, own_stream)
        import pyarrow as pa

        head = stream.peek(len(FILE_MAGIC))[:len(FILE_MAGIC)]
        if not head:
            raise self._error("is empty; expected an Arrow IPC file of cases")
        try:
            if head.startswith(FILE_MAGIC):
                source = pa.memory_map(path) if own_stream else pa.BufferReader(stream.read())  # stdin cannot seek
                self._reader = pa.ipc.open_file(source)
                self._batch_count = self._reader.num_record_batches
            else:
                self._reader = pa.ipc.open_stream(stream)
                self._batch_count = None
            schema = self._reader.schema
        except (pa.ArrowException, OSError, ValueError) as error:
            if head.startswith(FILE_MAGIC):
                raise self._error(f"cannot be read as an Arrow IPC file: {error}") from None
            raise self._error("is neither an Arrow IPC file (which starts with `ARROW1`) nor an Arrow IPC stream: "
                              f"{error}") from None
        self._use_schema(schema)
        self._batches_read = 0

    def fraction_read(self) -> float | None:
        if self._batch_count is None:  # a stream: no way to know how much is left
            return None
        return self._batches_read / (self._batch_count or 1)

    def record_batches(self) -> Iterator:
        import pyarrow as pa

        number, index = 0, 0
        while True:
            try:
                if self._batch_count is None:
                    batch = self._reader.read_next_batch()
                elif index < self._batch_count:
                    batch = self._reader.get_batch(index)
                else:
                    return
            except StopIteration:
                return
            except (pa.ArrowException, OSError, ValueError) as error:
                raise self._error(f"row {number + 1} onwards cannot be read: {error}") from None
            index += 1
            self._batches_read = index
            number += batch.num_rows
            yield batch
