"""JSON case files, with exact numbers (`parse_float=Decimal`; NaN and Infinity refused): JSON Lines
streamed a line at a time, a JSON array item by item (`JSONDecoder.raw_decode` over chunks of text)."""

from __future__ import annotations

import io
import json
from typing import IO, Any, Callable, Iterator

from qa.casefiles.base import CaseFile, CaseFileError, RawRow, kind_of, present_values, sniff_text
from qa.casefiles.framing import Record, frame, framed_rows, parse_jsonl
from qa.exact_json import DECODER

JSON_CHUNK_CHARS = 1 << 16
MAX_JSON_ITEM_CHARS = 1 << 20  # an item that still does not parse after this much text is broken


# ---------------------------------------------------------------- JSON Lines


class JsonLinesFile(CaseFile):
    """One JSON object per line; an empty line is a bad row unless only empty lines follow it."""

    format = "jsonl"

    def __init__(self, path: str, stream: IO[bytes], own_stream: bool = True):
        super().__init__(path, stream, own_stream)
        sniff_text(self, stream)

    def framing(self) -> tuple[Iterator[Record], Callable[[list[Record]], list[RawRow]]]:
        return frame(self._stream, 1, quoted=False), parse_jsonl

    def rows(self) -> Iterator[RawRow]:
        return framed_rows(*self.framing())


# ---------------------------------------------------------------- a JSON array


class JsonArrayFile(CaseFile):
    """`[{...}, {...}]`, streamed: a buffer of text chunks, one `raw_decode` per item, the consumed
    text dropped as it goes. An item that is not an object is a bad row; broken JSON syntax leaves
    no reliable place to resume, so it is a `CaseFileError` (the rows before it are yielded)."""

    format = "json"

    def __init__(self, path: str, stream: IO[bytes], own_stream: bool = True):
        super().__init__(path, stream, own_stream)
        head = sniff_text(self, stream)
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if first == b"{":
            raise self._error("holds objects, not a JSON array of them: a JSON Lines file? "
                              "name it .jsonl or use --input-format jsonl", 1)
        if first != b"[":
            raise self._error("is not a JSON array; expected `[` followed by one object per case", 1)
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig")
        self._chunk_chars = JSON_CHUNK_CHARS
        self._buffer, self._eof = "", False
        self._line, self._column = 1, 1  # where the buffer starts

    def close(self) -> None:
        if self._text is not None:
            self._text.detach()  # the text layer must not close standard input when it goes
            self._text = None
        super().close()

    def _more(self) -> bool:
        try:
            chunk = self._text.read(self._chunk_chars)
        except UnicodeDecodeError as error:
            raise self._error(f"is not UTF-8 text (byte 0x{error.object[error.start]:02x}); save it as UTF-8",
                              self._line + self._buffer.count("\n")) from None
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def _skip_space(self, position: int) -> int:
        while True:
            buffer = self._buffer
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position < len(buffer) or not self._more():
                return position

    def _where(self, position: int) -> tuple[int, int]:
        newline = self._buffer.rfind("\n", 0, position)
        line = self._line + self._buffer.count("\n", 0, position)
        return line, position - newline if newline >= 0 else self._column + position

    def _drop_before(self, position: int) -> int:
        self._line, self._column = self._where(position)
        self._buffer = self._buffer[position:]
        return 0

    def _truncated(self, item: int) -> CaseFileError:
        line, _ = self._where(len(self._buffer))
        return self._error(f"the JSON array ends before its closing `]` (in item {item}): the file is truncated", line)

    def rows(self) -> Iterator[RawRow]:
        position = self._skip_space(0) + 1  # past the `[`
        number = 0
        while True:
            position = self._skip_space(position)
            if position >= len(self._buffer):
                raise self._truncated(number + 1)
            if number == 0 and self._buffer[position] == "]":
                break
            number += 1
            value, end = self._item(position, number)
            text = self._buffer[position:end]
            if isinstance(value, dict):
                yield RawRow(number, present_values(value), None, text)
            else:
                yield RawRow(number, None, f"item {number} is {kind_of(value)}, not an object", text)
            position = self._skip_space(end)
            if position >= len(self._buffer):
                raise self._truncated(number + 1)
            separator = self._buffer[position]
            if separator == "]":
                break
            if separator != ",":
                line, column = self._where(position)
                raise self._error(f"expected `,` or `]` after item {number} (column {column}), found `{separator}`", line)
            position += 1
            if position > self._chunk_chars:
                position = self._drop_before(position)
        position = self._skip_space(position + 1)
        if position < len(self._buffer):
            line, column = self._where(position)
            raise self._error(f"text after the closing `]` (column {column}); expected the end of the file", line)

    def _item(self, position: int, number: int) -> tuple[Any, int]:
        while True:
            try:
                value, end = DECODER.raw_decode(self._buffer, position)
                if end < len(self._buffer) or self._eof or not self._more():
                    return value, end
            except RecursionError:  # no end to resume after: the file cannot be read past it
                line, _ = self._where(position)
                raise self._error(f"item {number} is nested too deeply to be a case", line) from None
            except ValueError as error:
                incomplete = isinstance(error, json.JSONDecodeError) and len(self._buffer) - position <= MAX_JSON_ITEM_CHARS
                if self._eof or not incomplete or not self._more():
                    if self._eof and _at_end(error, self._buffer):
                        raise self._truncated(number) from None
                    at = getattr(error, "pos", position)
                    line, column = self._where(at)
                    raise self._error(f"item {number} is not valid JSON: {getattr(error, 'msg', error)} (column {column})", line) from None


def _at_end(error: ValueError, buffer: str) -> bool:
    if not isinstance(error, json.JSONDecodeError):
        return False
    return error.msg.startswith("Unterminated string") or not buffer[error.pos:].strip()
