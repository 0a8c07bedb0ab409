"""Tokens of one line of policy text, for syntax highlighting only.

The language is line-oriented: a string never spans lines and a comment ends at the line's end, so
each line can be tokenised on its own, and only the lines on screen ever are. The keywords and the
literal patterns are read from the compiled grammar (`dsl/policy.lark`); the parser stays the single
judge of what is valid, and a line it rejects is still coloured as well as it can be.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

CONSTANTS = frozenset({"true", "false"})
TYPES = frozenset({"money", "number", "integer", "bool", "text"})


def _terminals() -> dict:
    from dsl.grammar import lark_parser

    return {terminal.name: terminal.pattern for terminal in lark_parser().terminals}


_GRAMMAR = _terminals()
# Every word the grammar spells out is a keyword (`true`/`false` are coloured as constants), and the
# literals are the grammar's own regular expressions, so the colours cannot drift from the parser.
KEYWORDS = frozenset(p.value for p in _GRAMMAR.values() if p.type == "str" and p.value.isalpha()) - CONSTANTS
UNITS = frozenset(re.findall(r"[a-z]+", _GRAMMAR["TIME_UNIT"].value))

_TOKEN = re.compile("|".join((
    rf"(?P<comment>{_GRAMMAR['COMMENT'].to_regexp()})",
    # a text being typed is coloured before its closing quote is
    rf"(?P<string>{_GRAMMAR['STRING'].to_regexp()}|\"(?:[^\"\\\n]|\\.)*$)",
    rf"(?P<money>{_GRAMMAR['MONEY'].to_regexp()})",
    rf"(?P<percent>{_GRAMMAR['PERCENT'].to_regexp()})",
    rf"(?P<number>{_GRAMMAR['NUMBER'].to_regexp()})",
    rf"(?P<name>{_GRAMMAR['NAME'].to_regexp()})",
    rf"(?P<operator>{_GRAMMAR['COMPARE_OP'].to_regexp()}|[+\-*/=:,()])",
)))
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
