"""Quoted texts: which escapes they may hold, and the value they stand for.

A literal is decoded here, character by character, never by a codec: Python's `unicode_escape`
reads its input as Latin-1 (so `"café \\\\"` came out as `cafÃ©`), raises on `\\x` without digits,
and lets `\\ud800` through to crash the first `encode` at run time. Every escape is either one of
`ESCAPES` or an `EscapeProblem` the parser reports at its column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SIMPLE = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_HEX = re.compile(r"[0-9A-Fa-f]*")
_NAMED = re.compile(r"\{([^{}\"]*)\}")
ESCAPES = r'\"  \'  \\  \n  \t  \xHH  \uXXXX  \UXXXXXXXX  \N{NAME}'
ESCAPES_HINT = f"the escapes a text may hold are {ESCAPES} (H, X: hex digits); write \\\\ for a backslash"


@dataclass(frozen=True)
class EscapeProblem:
    """A bad escape: where it starts in the literal (0-based, the backslash), how long it is, why."""

    offset: int
    length: int
    message: str


def decode(literal: str) -> tuple[str, list[EscapeProblem]]:
    """The value of a quoted literal (quotes included), and its bad escapes (left out of the value)."""
    body = literal[1:-1]
    if "\\" not in body:
        return body, []
    out: list[str] = []
    problems: list[EscapeProblem] = []
    index = 0
    while index < len(body):
        backslash = body.find("\\", index)
        if backslash < 0:
            out.append(body[index:])
            break
        out.append(body[index:backslash])
        value, end, problem = _escape(body, backslash)
        if problem is None:
            out.append(value)
        else:
            problems.append(EscapeProblem(backslash + 1, end - backslash, problem))
        index = end
    return "".join(out), problems


def _escape(body: str, backslash: int) -> tuple[str, int, str | None]:
    """One escape starting at `backslash`: its value, where it ends, and what is wrong with it."""
    kind = body[backslash + 1:backslash + 2]
    if kind in _SIMPLE:
        return _SIMPLE[kind], backslash + 2, None
    if kind in _HEX_DIGITS:
        wanted = _HEX_DIGITS[kind]
        digits = _HEX.match(body, backslash + 2, backslash + 2 + wanted).group()
        end = backslash + 2 + len(digits)
        if len(digits) < wanted:
            return "", end, f"`\\{kind}` needs exactly {wanted} hex digits, as in `\\{kind}{'00e9'.zfill(wanted)[-wanted:]}`"
        code = int(digits, 16)
        if 0xD800 <= code <= 0xDFFF:
            return "", end, f"`\\{kind}{digits}` is half of a surrogate pair, not a character"
        if code > 0x10FFFF:
            return "", end, f"`\\{kind}{digits}` is past the last Unicode character (U+10FFFF)"
        return chr(code), end, None
    if kind == "N":
        named = _NAMED.match(body, backslash + 2)
        if named is None:
            return "", backslash + 2, "`\\N` needs a character name in braces, as in `\\N{EURO SIGN}`"
        end = named.end()
        try:
            return unicodedata.lookup(named.group(1)), end, None
        except KeyError:
            return "", end, f"`{named.group(1)}` is not the name of a Unicode character"
    shown = kind or "\\"
    return "", backslash + 1 + len(kind), f"`\\{shown}` is not an escape"


def value(literal: str) -> str:
    """The value of a literal already known to be valid (the parser has reported any problems)."""
    return decode(literal)[0]
