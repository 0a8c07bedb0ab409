"""Tokens of one line of policy text, for syntax highlighting only.

The language is line-oriented: a string never spans lines and a comment ends at the line's end, so
each line can be tokenised on its own, and only the lines on screen ever are. The patterns mirror
the terminals of `dsl/policy.lark`; the parser stays the single judge of what is valid, and a line
it rejects is still coloured as well as it can be.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

KEYWORDS = frozenset(
    "policy version currency case let authority route entitlement rule otherwise escalate to when offer no "
    "less than but more up exactly nothing open at step remedies say follow within extra least one of "
    "and or not is".split())
CONSTANTS = frozenset({"true", "false"})
TYPES = frozenset({"money", "number", "integer", "bool", "text"})
UNITS = frozenset({"days", "day", "hours", "hour"})

_TOKEN = re.compile(r"""
    (?P<comment>\#.*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"?)
  | (?P<money>[$€£]\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d|,\d) | [$€£]\d+(?:\.\d+)?
             | \d{1,3}(?:,\d{3})+(?:\.\d+)?[\t\ ]+[A-Z]{3}\b | \d+(?:\.\d+)?[\t\ ]+[A-Z]{3}\b)
  | (?P<percent>\d+(?:\.\d+)?%)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator><=|>=|==|!=|[<>+\-*/=:,()])
""", re.VERBOSE)
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# `  price: money`, `let profit = ...`: the name being declared.
_DECLARATION = re.compile(r"^\s*(?:let\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::|=)")


class Token(NamedTuple):
    start: int
    end: int
    kind: str  # keyword, string, placeholder, money, number, comment, declaration, type, constant, operator, function


@functools.lru_cache(maxsize=4096)
def tokenize_line(line: str) -> tuple[Token, ...]:
    """The coloured spans of one line, in order. Cached by text: scrolling back over a line that
    did not change costs nothing."""
    tokens: list[Token] = []
    declared = _DECLARATION.match(line)
    declared_at = declared.start(1) if declared and declared.group(1) not in KEYWORDS else -1
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup
        start, end = match.span()
        if kind == "name":
            kind = _name_kind(match.group(), start, declared_at, line, end)
            if kind is None:
                continue
        elif kind == "percent":
            kind = "number"
        elif kind == "string":
            tokens.append(Token(start, end, "string"))
            tokens.extend(Token(start + m.start(), start + m.end(), "placeholder")
                          for m in _PLACEHOLDER.finditer(match.group()))
            continue
        tokens.append(Token(start, end, kind))
    return tuple(tokens)


def _name_kind(word: str, start: int, declared_at: int, line: str, end: int) -> str | None:
    if start == declared_at:
        return "declaration"
    if word in KEYWORDS or word in UNITS:
        return "keyword"
    if word in CONSTANTS:
        return "constant"
    if word in TYPES:
        return "type"
    if _CURRENCY_CODE.fullmatch(word):
        return "money"
    if line[end:end + 1] == "(":
        return "function"
    return None
