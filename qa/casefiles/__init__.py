"""Historic case files (CSV, JSON Lines, a JSON array, YAML, Parquet, Arrow IPC) as a stream of raw rows.

QA replays years of past cases, so every reader streams and memory stays flat however long the file;
YAML alone is loaded whole (`yaml_file` says why). One module a format: `csv_file`, `json_files`
(JSON Lines and a JSON array), `yaml_file`, `parquet_file` and `arrow_file` (both on `columnar`);
`base` holds what they share: the row, the error for a file that cannot be read, and the checks on a
file's first bytes. `open_cases` picks the reader.

Values stay raw for `engine.cases.CaseReader` to check, with two conventions shared by every format:
numbers are exact (`Decimal`, never `float`), and an absent value (an empty CSV cell, a JSON/YAML
`null`, a Parquet null) leaves its key out, so the field's default applies.
"""

from __future__ import annotations

import io
import os
import sys
from typing import IO

from qa.casefiles.base import EXTENSIONS, FORMATS, CaseFile, CaseFileError, RawRow, keep_open
from qa.casefiles.arrow_file import ArrowFile
from qa.casefiles.csv_file import CsvFile
from qa.casefiles.json_files import JsonArrayFile, JsonLinesFile
from qa.casefiles.parquet_file import ParquetFile

__all__ = ["EXTENSIONS", "FORMATS", "STDIN", "CaseFile", "CaseFileError", "DecimalLoader", "RawRow", "load_yaml",
           "open_cases"]

STDIN = "-"


def __getattr__(name: str):
    """The YAML reader's names, imported on first use: PyYAML costs a replay of any other format
    a tenth of its start-up (PEP 562)."""
    if name in ("DecimalLoader", "load_yaml"):
        from qa.casefiles import yaml_file

        return getattr(yaml_file, name)
    raise AttributeError(f"module 'qa.casefiles' has no attribute {name!r}")


def open_cases(path: str, input_format: str | None = None) -> CaseFile:
    """Open a case file, its format given or taken from the extension; `-` is standard input, JSON
    Lines unless told otherwise. Raises `CaseFileError` for a file that cannot be read at all."""
    name = "<stdin>" if path == STDIN else path
    kind = input_format.lower() if input_format else "jsonl" if path == STDIN else _format_of(path)
    if kind not in FORMATS:
        raise CaseFileError(name, f"unknown input format `{input_format}`; expected one of {', '.join(FORMATS)}")
    release = keep_open
    if path == STDIN:
        stream: IO[bytes] = sys.stdin.buffer
        if not hasattr(stream, "peek"):  # a test harness's BytesIO, say; detached after, never closed
            stream = io.BufferedReader(stream)
            release = stream.detach
    else:
        try:
            stream = open(path, "rb")
        except FileNotFoundError:
            raise CaseFileError(name, "no such file") from None
        except IsADirectoryError:
            raise CaseFileError(name, "is a directory, not a case file") from None
        except OSError as error:
            raise CaseFileError(name, f"cannot be opened: {error.strerror or error}") from None
    if kind == "yaml":
        from qa.casefiles.yaml_file import YamlFile as reader
    else:
        reader = {"csv": CsvFile, "jsonl": JsonLinesFile, "json": JsonArrayFile, "parquet": ParquetFile,
                  "arrow": ArrowFile}[kind]
    try:
        case_file = reader(name, stream, path != STDIN)
    except BaseException:
        if path == STDIN:
            release()
        else:
            stream.close()
        raise
    if path == STDIN:
        case_file._release = release
    return case_file


def _format_of(path: str) -> str:
    extension = os.path.splitext(path)[1].lower()
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    shown = f"extension `{extension}`" if extension else "no extension"
    raise CaseFileError(path, f"has {shown}; name it .csv, .jsonl, .json, .yaml, .parquet or .arrow, or give --input-format")
