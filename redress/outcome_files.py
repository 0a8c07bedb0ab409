"""Per-case result files (`replay --out`, `--rejects`, `diff --out`): CSV, JSON Lines or Parquet by
extension, written by the writers that write case files (`qa.casewriters`), so a result file is
streamed to a temporary file beside the target and renamed into place when complete: a crash or
Ctrl+C never leaves a half-written result where a complete one is expected. This module adds what
the command line needs: the format from the extension, and a clear error for a name or folder that
cannot work, before any case is decided."""

from __future__ import annotations

import os

from qa.casewriters import RowFileWriter
from redress.output import fail

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def format_for(path: str) -> str:
    extension = os.path.splitext(path)[1].lower()
    if extension not in FORMATS:
        fail(f"{path}: cannot tell the format from the extension; use one of {', '.join(sorted(FORMATS))}")
    return FORMATS[extension]


class RowWriter(RowFileWriter):
    """Writes dict rows with fixed `columns` to `path`, atomically; every column is text."""

    def __init__(self, path: str, columns: list[str]):
        kind = format_for(path)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            fail(f"{path}: the folder {directory} does not exist")
        super().__init__(path, kind, columns, text_only=True)
