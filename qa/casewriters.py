"""Cases written as case files that `qa.casefiles` reads back: CSV, JSON Lines, a JSON array,
YAML, Parquet.

Writers stream, so a million generated cases never sit in memory (unless the columns must be
gathered first), and exact amounts stay exact: a `Decimal` is written as its text, never as a float.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from decimal import Decimal
from typing import IO, Any, Iterable

import yaml

from qa.atomic import replacing
from qa.casefiles import EXTENSIONS, FORMATS
from qa.exact_json import stream_encoder


class CaseWriteError(ValueError):
    """A case file that cannot be written where or how it was asked for, in words for the user."""


def write_cases(cases: Iterable[dict], path: str, format: str | None = None, columns: list[str] | None = None) -> int:
    """Write cases as a case file `open_cases` reads back, and return how many were written.

    The format comes from `format` or the extension. Columns (CSV header, Parquet schema) come from
    `columns`, else from the cases' own `columns` (as `generate_cases` has), else from every key in
    order of appearance, which means holding the cases in memory. The file appears whole or not at
    all: written beside the target, fsynced, then renamed over it. `-` writes text formats to stdout.
    Raises `CaseWriteError` before a single case is drawn when the destination cannot work.
    """
    kind = destination_format(path, format)
    columns = columns or getattr(cases, "columns", None)
    if columns is None and kind in ("csv", "parquet"):
        cases = list(cases)
        columns = list(dict.fromkeys(key for case in cases for key in case))
    if path == "-":
        return _WRITERS[kind](cases, sys.stdout, columns)
    try:
        with replacing(path) as temporary:
            if kind == "parquet":
                count = _write_parquet(cases, temporary, columns)
            else:
                with open(temporary, "w", encoding="utf-8", newline="") as stream:
                    count = _WRITERS[kind](cases, stream, columns)
    except OSError as error:
        raise CaseWriteError(f"{path}: cannot be written: {error.strerror or error}") from None
    return count


def destination_format(path: str, format: str | None) -> str:
    """The format to write `path` in, after checking that it can be written there at all."""
    kind = (format or EXTENSIONS.get(os.path.splitext(path)[1].lower(), "")).lower()
    if kind not in FORMATS:
        shown = "standard output" if path == "-" else path
        raise CaseWriteError(f"{shown}: cannot tell which format to write from its extension; name it .csv, .jsonl, "
                             f".json, .yaml or .parquet, or give --output-format ({', '.join(FORMATS)})")
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


def _plain(case: dict) -> dict:
    """JSON and YAML writers know no Decimal: an exact amount is written as its text."""
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in case.items()}


def _write_csv(cases: Iterable[dict], stream: IO[str], columns: list[str]) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for count, case in enumerate(cases, start=1):
        writer.writerow([_cell(case.get(column)) for column in columns])
    return count


def _write_jsonl(cases: Iterable[dict], stream: IO[str], columns: list[str] | None) -> int:
    encode = stream_encoder()
    count = 0
    for count, case in enumerate(cases, start=1):
        stream.write(encode(case) + "\n")
    return count


def _write_json(cases: Iterable[dict], stream: IO[str], columns: list[str] | None) -> int:
    count = 0
    stream.write("[")
    for count, case in enumerate(cases, start=1):
        stream.write(("\n  " if count == 1 else ",\n  ") + json.dumps(_plain(case), ensure_ascii=False))
    stream.write("\n]\n")
    return count


def _write_yaml(cases: Iterable[dict], stream: IO[str], columns: list[str] | None) -> int:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    count = 0
    for count, case in enumerate(cases, start=1):
        stream.write(yaml.dump([_plain(case)], Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False))
    if count == 0:
        stream.write("[]\n")
    return count


_WRITERS = {"csv": _write_csv, "jsonl": _write_jsonl, "json": _write_json, "yaml": _write_yaml}
_PARQUET_BATCH = 10_000


def _write_parquet(cases: Iterable[dict], path: str, columns: list[str]) -> int:
    """Record batches; each column's type is taken from its first batch (bools, ints, or text for
    anything else, Decimals included so that no precision is ever chosen for the user)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, schema, count, batch = None, None, 0, []
    iterator = iter(cases)
    while True:
        batch = [case for _, case in zip(range(_PARQUET_BATCH), iterator)]
        if not batch and writer is not None:
            break
        values = {column: [case.get(column) for case in batch] for column in columns}
        if schema is None:
            schema = pa.schema([(column, _arrow_type(values[column])) for column in columns])
            writer = pq.ParquetWriter(path, schema)
        arrays = [pa.array(values[field.name] if field.type != pa.string() else
                           [None if value is None else _cell(value) for value in values[field.name]], field.type)
                  for field in schema]
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        count += len(batch)
        if len(batch) < _PARQUET_BATCH:
            break
    writer.close()
    return count


def _arrow_type(values: list) -> Any:
    import pyarrow as pa

    present = [value for value in values if value is not None]
    if present and all(isinstance(value, bool) for value in present):
        return pa.bool_()
    if present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return pa.int64()
    return pa.string()
