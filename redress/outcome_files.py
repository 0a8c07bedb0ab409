"""Per-case result files (`replay --out`, `--rejects`): CSV, JSON Lines or Parquet by extension.

Rows are streamed to a temporary file beside the target and renamed into place when complete, so a
crash or Ctrl+C never leaves a half-written result where a complete one is expected.
"""

from __future__ import annotations

import csv
import os
import sys

from qa.atomic import replacing
from qa.exact_json import stream_encoder
from redress.output import fail

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
PARQUET_BATCH = 50_000


def format_for(path: str) -> str:
    extension = os.path.splitext(path)[1].lower()
    if extension not in FORMATS:
        fail(f"{path}: cannot tell the format from the extension; use one of {', '.join(sorted(FORMATS))}")
    return FORMATS[extension]


class RowWriter:
    """Writes dict rows with fixed `columns` to `path`, atomically."""

    def __init__(self, path: str, columns: list[str]):
        self.path = path
        self.columns = columns
        self.format = format_for(path)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            fail(f"{path}: the folder {directory} does not exist")
        self._replacing = replacing(path)
        self.temporary = self._replacing.__enter__()
        self._buffer: list[dict] = []
        self._parquet = None
        if self.format == "parquet":
            self._stream = None
        else:
            # A lone surrogate (a JSON `\\ud800` in a rejected row) is written as that escape, not a crash.
            self._stream = open(self.temporary, "w", encoding="utf-8", errors="backslashreplace", newline="")
            self._encode = stream_encoder()
            if self.format == "csv":
                self._csv = csv.DictWriter(self._stream, columns, extrasaction="ignore")
                self._csv.writeheader()

    def write(self, row: dict) -> None:
        if self.format == "csv":
            self._csv.writerow({k: ("" if v is None else v) for k, v in row.items()})
        elif self.format == "jsonl":
            self._stream.write(self._encode(row) + "\n")
        else:
            self._buffer.append(row)
            if len(self._buffer) >= PARQUET_BATCH:
                self._flush_parquet()

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(name, pa.string()) for name in self.columns])
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.temporary, schema)
        columns = {name: [None if row.get(name) is None else str(row[name]) for row in self._buffer] for name in self.columns}
        self._parquet.write_table(pa.table(columns, schema=schema))
        self._buffer.clear()

    def __enter__(self) -> "RowWriter":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if self.format == "parquet":
                if self._buffer or self._parquet is None:
                    self._flush_parquet()
                self._parquet.close()
            else:
                self._stream.close()
        except BaseException:
            self._replacing.__exit__(*sys.exc_info())
            raise
        self._replacing.__exit__(kind, error, traceback)
