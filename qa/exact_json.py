"""JSON with exact numbers, and fast for streams of small documents (JSON Lines, `eval --jsonl`).

Money must never pass through binary floating point: `100.02` is read as `Decimal("100.02")`, and
NaN and Infinity are refused. The standard library does that (`parse_float=Decimal`) at about 9 µs
a case; msgspec does the same in 2.5 µs, because its `float_hook` hands Decimal the number's own
text, never a float. (orjson is faster still but turns every number with a fraction or exponent, and
every integer past 64 bits, into a float first: `12345678901234567890.123` would come back as
12345678901234567000.) Anything msgspec refuses is decoded again by the standard library, so
results and error messages are exactly the standard library's; msgspec only makes the common case
fast. msgspec is imported by the first stream, not by a single `eval --case`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Callable


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number a case can hold")


DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant)


def loads(text: str) -> Any:
    """One JSON document with exact numbers (the standard library: for a single case, where
    importing a faster decoder would cost more than it saves)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


def stream_decoder() -> Callable[[str | bytes], Any]:
    """`loads` for many documents in a row: the same results and errors, several times faster."""
    import msgspec

    decode = msgspec.json.Decoder(float_hook=Decimal).decode
    refused = msgspec.DecodeError

    def decode_exactly(text: str | bytes) -> Any:
        try:
            return decode(text)
        except (refused, RecursionError):
            return loads(text)

    return decode_exactly


def objects_decoder() -> Callable[[bytes], list | None]:
    """For a block of JSON Lines: every line's object, decoded in one call (msgspec's
    `decode_lines`), or None when that would not give what decoding line by line gives. The
    line decoder reads values across line breaks and skips blank lines, so it is used only when
    every line starts with `{` and ends with `}` (then no value can run on into the next line: an
    object's next token after a `}` is `,`, `}` or `]`) and it finds as many values as there are
    lines, each one alone on its line."""
    import msgspec

    decode_lines = msgspec.json.Decoder(float_hook=Decimal).decode_lines
    refused = msgspec.DecodeError

    def decode_objects(block: bytes) -> list | None:
        body = block.removesuffix(b"\n")
        breaks = body.count(b"\n")
        if not (body.startswith(b"{") and body.endswith(b"}") and body.count(b"\n{") == breaks == body.count(b"}\n")):
            return None
        try:
            objects = decode_lines(body)
        except (refused, RecursionError):
            return None
        return objects if len(objects) == breaks + 1 else None

    return decode_objects


def stream_encoder() -> Callable[[Any], str]:
    """Compact JSON text for one line of a file Redress writes (JSON Lines cases and results), UTF-8
    kept as is; a Decimal is written as a string of its own digits, never through a float."""
    import msgspec

    encode = msgspec.json.Encoder(decimal_format="string").encode

    def encode_text(data: Any) -> str:
        try:
            return encode(data).decode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (JSON allows `\\ud800`): the standard library keeps it
            return json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))

    return encode_text
