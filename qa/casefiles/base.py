"""What every case-file reader shares: the row it yields, the error for a file it cannot read, the
open-file protocol, and the checks on a file's first bytes that refuse what is plainly not text.

Every data row yields exactly one `RawRow`, readable or not, so a replay can account for every case:
a row that cannot be read carries the reason in `error` (and its original text, for a rejects file)
and reading goes on. `CaseFileError` is for a file that cannot be read at all.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from typing import IO, Any, Iterator

FORMATS = ("csv", "jsonl", "json", "yaml", "parquet", "arrow")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".yaml": "yaml",
              ".yml": "yaml", ".parquet": "parquet", ".pq": "parquet", ".arrow": "arrow", ".feather": "arrow",
              ".arrows": "arrow", ".ipc": "arrow"}
_SNIFF_BYTES = 8192
_MAGIC = ((b"PAR1", "a Parquet file; name it .parquet or use --input-format parquet"),
          (b"ARROW1", "an Arrow IPC file; name it .arrow or use --input-format arrow"),
          (b"\xff\xff\xff\xff", "an Arrow IPC stream; name it .arrows or use --input-format arrow"),
          (b"\x1f\x8b", "gzip-compressed; decompress it first"),
          (b"PK\x03\x04", "a ZIP archive (an Excel workbook?); export it as CSV"),
          (codecs.BOM_UTF16_LE, "UTF-16 text; save it as UTF-8"),
          (codecs.BOM_UTF16_BE, "UTF-16 text; save it as UTF-8"))


@dataclass(frozen=True)
class RawRow:
    """One data row of a case file. `number` counts as a person would: the CSV line the row starts
    on (line 1 is the header, so data starts at 2), the JSON Lines line, the 1-based item of a JSON
    array or YAML list, the 1-based Parquet row. `text` is the original text without its line break
    (CSV, JSON Lines, JSON array items), None for YAML and Parquet."""

    number: int
    data: dict | None
    error: str | None = None
    text: str | None = None


class CaseFileError(Exception):
    """A case file that cannot be read at all. `rows()` raises it too when a file breaks beyond any
    row (a truncated JSON array, a corrupt Parquet page), after yielding the rows before the break."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path, self.message, self.line = path, message, line
        super().__init__(f"{path}:{line}: {message}" if line is not None else f"{path}: {message}")


class CaseFile:
    """An open case file; a context manager. `rows()` streams it once."""

    format: str = ""

    def __init__(self, path: str, stream: IO[bytes] | None, own_stream: bool = True):
        self.path = path
        self.columns: list[str] | None = None
        self._stream = stream
        self._own_stream = own_stream
        self._release = stream.close if own_stream and stream is not None else keep_open
        self._size: int | None = None

    def rows(self) -> Iterator[RawRow]:
        raise NotImplementedError

    def fraction_read(self) -> float | None:
        """How far through the file the reading is, 0 to 1, where that can be known (a file on disk)."""
        stream = self._stream
        try:
            if stream is None or not stream.seekable():
                return None
            if self._size is None:
                self._size = os.fstat(stream.fileno()).st_size or 1
            return stream.tell() / self._size
        except (OSError, ValueError, AttributeError):
            return None

    def close(self) -> None:
        release, self._release = self._release, keep_open
        release()

    def __enter__(self) -> CaseFile:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _error(self, message: str, line: int | None = None) -> CaseFileError:
        return CaseFileError(self.path, message, line)


def keep_open() -> None:
    pass


def sniff_text(case_file: CaseFile, stream: IO[bytes]) -> bytes:
    """The file's first bytes, after refusing what is plainly not UTF-8 text."""
    head = stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise case_file._error(f"is {what}")
    if not head.strip():
        raise case_file._error("is empty; expected a header line and one case per line" if case_file.format == "csv"
                               else "is empty; expected cases")
    if b"\x00" in head:
        raise case_file._error("is binary, not text; expected UTF-8 text")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":  # not just a character cut short by the peek
            line = head.count(b"\n", 0, error.start) + 1
            raise case_file._error(f"is not UTF-8 text (byte 0x{head[error.start]:02x}); save it as UTF-8", line) from None
    return head


def without_break(text: str) -> str:
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith(("\n", "\r")) else text


def present_values(item: dict) -> dict:
    """The item without its nulls: an absent value leaves its key out, so the field's default applies."""
    return {key: value for key, value in item.items() if value is not None} if None in item.values() else item


def kind_of(item: Any) -> str:
    """What an item that should have been an object is, in words, for its row's error."""
    return {list: "a list", str: "a text", bool: "true or false", type(None): "null"}.get(type(item), "a number")
