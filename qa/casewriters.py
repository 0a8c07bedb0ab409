"""Writing rows to files: case files that `qa.casefiles` reads back (CSV, JSON Lines, a JSON array,
YAML, Parquet, Arrow IPC), and the per-case result files of replays and diffs, by one set of writers.

Writers stream, so a million generated cases never sit in memory (unless the columns must be
gathered first), and exact amounts stay exact: a `Decimal` is written as its text, never as a float.
A file appears whole or not at all: it is written beside the target, fsynced, then renamed over it
(`qa.atomic.replacing`); `-` writes a text format to stdout.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import ExitStack
from decimal import Decimal
from typing import IO, Any, Iterable

import yaml

from qa.atomic import replacing
from qa.casefiles import EXTENSIONS, FORMATS
from qa.exact_json import stream_encoder


class CaseWriteError(ValueError):
    """A case file that cannot be written where or how it was asked for, in words for the user."""


PARQUET_BATCH = 10_000


def write_cases(cases: Iterable[dict], path: str, format: str | None = None, columns: list[str] | None = None) -> int:
    """Write cases as a case file `open_cases` reads back, and return how many were written.

    The format comes from `format` or the extension. Columns (CSV header, Parquet or Arrow schema) come from
    `columns`, else from the cases' own `columns` (as `generate_cases` has), else from every key in
    order of appearance, which means holding the cases in memory.
    Raises `CaseWriteError` before a single case is drawn when the destination cannot work, or
    when it cannot be written after all.
    """
    kind = destination_format(path, format)
    columns = columns or getattr(cases, "columns", None)
    if columns is None and kind in ("csv", "parquet", "arrow"):
        cases = list(cases)
        columns = list(dict.fromkeys(key for case in cases for key in case))
    try:
        with RowFileWriter(path, kind, columns) as writer:
            for case in cases:
                writer.write(case)
    except OSError as error:
        raise CaseWriteError(f"{path}: cannot be written: {error.strerror or error}") from None
    return writer.count


class RowFileWriter:
    """Streams dict rows to `path` (`-`: stdout) in one of `FORMATS`, atomically; a context manager.

    `columns` are the CSV header and the Parquet or Arrow schema (other formats write each row's own
    keys). Parquet and Arrow columns take their type (bool, integer, else text) from the first batch,
    which suits case files; `text_only` makes every column text, for result files whose later rows
    could contradict a type guessed from the first ones. The file is renamed into place only when the
    block ends without an error.
    """

    def __init__(self, path: str, kind: str, columns: list[str] | None, text_only: bool = False):
        if kind not in FORMATS:
            raise ValueError(f"cannot write {kind!r}; choose one of {', '.join(FORMATS)}")
        self.count = 0
        self._stack = ExitStack()
        if path == "-":
            if kind == "parquet":
                raise ValueError("a Parquet file cannot be written to standard output; give a file name")
            if kind == "arrow":  # a pipe gets the stream format, which needs no footer
                self._rows = _ColumnarRows(None, columns, text_only, kind, sys.stdout.buffer)
            else:
                self._rows = _TEXT_WRITERS[kind](sys.stdout, columns)
            return
        with self._stack.pop_all() as stack:  # undone if opening fails part-way
            temporary = stack.enter_context(replacing(path))
            if kind in ("parquet", "arrow"):
                self._rows = _ColumnarRows(temporary, columns, text_only, kind)
            else:
                # A lone surrogate (a JSON `\\ud800` in a rejected row) is written as that escape, not a crash.
                stream = stack.enter_context(open(temporary, "w", encoding="utf-8", errors="backslashreplace", newline=""))
                self._rows = _TEXT_WRITERS[kind](stream, columns)
            self._stack = stack.pop_all()

    def write(self, row: dict) -> None:
        self._rows.write(row)
        self.count += 1

    def __enter__(self) -> RowFileWriter:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None:
            try:
                self._rows.finish()
            except BaseException:
                if not self._stack.__exit__(*sys.exc_info()):
                    raise
                return False
        return self._stack.__exit__(kind, error, traceback)


def destination_format(path: str, format: str | None) -> str:
    """The format to write `path` in, after checking that it can be written there at all."""
    kind = (format or EXTENSIONS.get(os.path.splitext(path)[1].lower(), "")).lower()
    if kind not in FORMATS:
        shown = "standard output" if path == "-" else path
        raise CaseWriteError(f"{shown}: cannot tell which format to write from its extension; name it .csv, .jsonl, "
                             f".json, .yaml, .parquet or .arrow, or give --output-format ({', '.join(FORMATS)})")
    if path == "-":
        if kind == "parquet":
            raise CaseWriteError("a Parquet file cannot be written to standard output; give --out FILE.parquet")
        return kind
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CaseWriteError(f"{path}: the folder {directory} does not exist")
    if os.path.isdir(path):
        raise CaseWriteError(f"{path}: is a folder; give a file name")
    if not os.access(directory, os.W_OK):
        raise CaseWriteError(f"{path}: the folder {directory} is not writable")
    return kind


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain(row: dict) -> dict:
    """YAML knows no Decimal: an exact amount is written as its text."""
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in row.items()}


def _json(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, default=str)  # a Decimal (at any depth) as its text


class _CsvRows:
    def __init__(self, stream: IO[str], columns: list[str]):
        self.columns = columns
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow(columns)

    def write(self, row: dict) -> None:
        self.writer.writerow([_cell(row.get(column)) for column in self.columns])

    def finish(self) -> None:
        pass


class _JsonLinesRows:
    def __init__(self, stream: IO[str], columns: list[str] | None):
        self.stream = stream
        self.encode = stream_encoder()

    def write(self, row: dict) -> None:
        self.stream.write(self.encode(row) + "\n")

    def finish(self) -> None:
        pass


class _JsonArrayRows:
    def __init__(self, stream: IO[str], columns: list[str] | None):
        self.stream = stream
        self.first = True
        stream.write("[")

    def write(self, row: dict) -> None:
        self.stream.write(("\n  " if self.first else ",\n  ") + _json(row))
        self.first = False

    def finish(self) -> None:
        self.stream.write("\n]\n")


class _YamlRows:
    def __init__(self, stream: IO[str], columns: list[str] | None):
        self.stream = stream
        self.empty = True
        self.dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def write(self, row: dict) -> None:
        self.stream.write(yaml.dump([_plain(row)], Dumper=self.dumper, sort_keys=False, allow_unicode=True,
                                    default_flow_style=False))
        self.empty = False

    def finish(self) -> None:
        if self.empty:
            self.stream.write("[]\n")


_TEXT_WRITERS = {"csv": _CsvRows, "jsonl": _JsonLinesRows, "json": _JsonArrayRows, "yaml": _YamlRows}


class _ColumnarRows:
    """Record batches of `PARQUET_BATCH` rows, as Parquet or an Arrow IPC file (`kind`), or an Arrow
    IPC stream to a binary stream (`path` None); the schema is fixed by the first batch."""

    def __init__(self, path: str | None, columns: list[str], text_only: bool, kind: str = "parquet", stream=None):
        self.path, self.columns, self.text_only, self.kind, self.stream = path, columns, text_only, kind, stream
        self.batch: list[dict] = []
        self.writer = self.schema = None

    def write(self, row: dict) -> None:
        self.batch.append(row)
        if len(self.batch) >= PARQUET_BATCH:
            self._flush()

    def finish(self) -> None:
        if self.batch or self.writer is None:
            self._flush()  # an empty file still has its columns
        self.writer.close()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        values = {column: [row.get(column) for row in self.batch] for column in self.columns}
        if self.writer is None:
            self.schema = pa.schema([(column, pa.string() if self.text_only else _arrow_type(values[column]))
                                     for column in self.columns])
            if self.kind == "parquet":
                self.writer = pq.ParquetWriter(self.path, self.schema)
            elif self.stream is not None:
                self.writer = pa.ipc.new_stream(self.stream, self.schema)
            else:
                self.writer = pa.ipc.new_file(self.path, self.schema)
        schema = self.schema
        arrays = [pa.array(values[field.name] if field.type != pa.string() else
                           [None if value is None else _cell(value) for value in values[field.name]], field.type)
                  for field in schema]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        self.batch.clear()


def _arrow_type(values: list) -> Any:
    import pyarrow as pa

    present = [value for value in values if value is not None]
    if present and all(isinstance(value, bool) for value in present):
        return pa.bool_()
    if present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return pa.int64()
    return pa.string()
