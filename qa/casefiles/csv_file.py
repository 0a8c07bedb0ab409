"""CSV case files: framed into records by qa.casefiles.framing, parsed against the header."""

from __future__ import annotations

import csv
from functools import partial
from typing import IO, Callable, Iterator

from qa.casefiles.base import CaseFile, RawRow, sniff_text
from qa.casefiles.framing import Record, frame, framed_rows, parse_csv


class CsvFile(CaseFile):
    """Comma-separated, header first. An empty cell leaves its key out. A row is reported by the line
    it starts on; a quoted cell may span lines, and a stray or unclosed quote never joins lines that
    are not one well-formed row (`qa.casefiles.framing` says how)."""

    format = "csv"

    def __init__(self, path: str, stream: IO[bytes], own_stream: bool = True):
        super().__init__(path, stream, own_stream)
        sniff_text(self, stream)
        self._records = frame(stream, 1, quoted=True)
        number, first = next(self._records, (1, b""))
        if not first:
            raise self._error("the first line is empty; expected a header naming the columns", 1)
        if b"\n" in first.rstrip(b"\r\n"):
            raise self._error("the header has a quoted name that is not closed on its line", 1)
        try:
            text = first.decode("utf-8")
        except UnicodeDecodeError:
            raise self._error("the header is not UTF-8 text; save the file as UTF-8", 1) from None
        try:
            header = next(csv.reader((text,), strict=True), [])
        except csv.Error as error:
            raise self._error(f"the header cannot be read: {error}", 1) from None
        if len(header) == 1:
            for delimiter, name in ((";", ";"), ("\t", "tab"), ("|", "|")):
                if delimiter in header[0]:
                    raise self._error(f"the header is one column containing {delimiter!r}: the file looks like "
                                      f"{name}-separated; save it comma-separated", 1)
        for index, name in enumerate(header, start=1):
            if not name.strip():
                raise self._error(f"column {index} of the header has no name", 1)
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise self._error(f"the header names column `{duplicates[0]}` more than once", 1)
        self.columns = header

    def framing(self) -> tuple[Iterator[Record], Callable[[list[Record]], list[RawRow]]]:
        return self._records, partial(parse_csv, tuple(self.columns))

    def rows(self) -> Iterator[RawRow]:
        return framed_rows(*self.framing())
