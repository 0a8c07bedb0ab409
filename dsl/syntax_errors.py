"""Friendly words for syntax errors.

Lark says which token it did not expect and which it would have taken; policy owners are not
programmers, so we name tokens in plain words and, for the mistakes people really make, match the
error against a table of examples (Lark's `match_examples`) and say what to write instead.
"""

from __future__ import annotations

import functools
import re

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from dsl.grammar import lark_parser

_HEADER = 'policy "p"\nversion "1"\ncurrency USD\ncase\n  price: money\n'

# label -> (message, hint); each label has examples in _EXAMPLES.
_MISTAKES = {
    "assign_in_condition": (
        "`=` is not a comparison",
        "compare with `==`, or write `situation is missed_appointment` for a choice",
    ),
    "unquoted_name": (
        "a rule, entitlement or route name must be in double quotes",
        'write it like `rule "Missed appointment"`',
    ),
    "offer_between": (
        "an offer is written `offer no less than A but no more than B`",
        "other forms: `offer up to B`, `offer exactly A`, `offer nothing`",
    ),
    "field_equals": (
        "a case field is written `name: type`",
        "for example `price: money` or `warranty: one of active, expired = active`",
    ),
    "clause_without_rule": (
        "this clause belongs inside a rule, entitlement or route",
        'start one with `rule "NAME"` on the line above',
    ),
    "follow_up_unit": (
        "a follow-up is written `follow up within N days` or `follow up within N hours`",
        None,
    ),
}

_EXAMPLES = {
    "assign_in_condition": [
        _HEADER + 'rule "r"\n  when price = $5\n',
        _HEADER + 'route "r" when price = $5\n',
        _HEADER + 'rule "r"\n  when (price = $5)\n',
    ],
    "unquoted_name": [
        _HEADER + "rule Missed appointment\n",
        _HEADER + "rule missed\n",
        _HEADER + "entitlement warranty\n",
        _HEADER + "route legal when price > $1\n",
    ],
    "offer_between": [
        _HEADER + 'rule "r"\n  offer between $1 and $2\n',
        _HEADER + 'rule "r"\n  offer $5\n',
        _HEADER + 'rule "r"\n  offer no less than $1 and no more than $2\n',
        _HEADER + 'rule "r"\n  offer at least $1\n',
    ],
    "field_equals": [
        'policy "p"\nversion "1"\ncurrency USD\ncase\n  price = money\n',
        'policy "p"\nversion "1"\ncurrency USD\ncase\n  price money\n',
    ],
    "clause_without_rule": [
        _HEADER + "when price > $5\n",
        _HEADER + "offer up to $5\n",
        _HEADER + 'say "hello"\n',
    ],
    "follow_up_unit": [
        _HEADER + 'rule "r"\n  offer nothing\n  follow up within 2 weeks\n',
        _HEADER + 'rule "r"\n  offer nothing\n  follow up in 2 days\n',
    ],
}

# Plain words for the tokens a person may see in "expected ..." lists.
_TOKEN_WORDS = {
    "NAME": "a name",
    "STRING": "a quoted text",
    "MONEY": "an amount such as $50",
    "NUMBER": "a number",
    "PERCENT": "a percentage such as 10%",
    "CURRENCY_CODE": "a currency code such as USD",
    "TIME_UNIT": "`days` or `hours`",
    "COMPARE_OP": "a comparison (`<`, `>=`, `==`...)",
    "_NL": "the end of the line",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "COMMA": "`,`",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "$END": "the end of the file",
}


def describe_token(token_type: str) -> str:
    if token_type in _TOKEN_WORDS:
        return _TOKEN_WORDS[token_type]
    return f"`{token_type.lower()}`"


@functools.lru_cache(maxsize=1)
def _example_errors() -> tuple[tuple[str, int, frozenset, str], ...]:
    """Each example's error as (label, parser state, accepted tokens, token type), computed once.

    Lark's own `match_examples` re-parses every example for every error, also requires the same
    stack depth (so a mistake in a rule's second clause would not match one in its first), and in
    lark 1.3 crashes formatting a debug message when two states match but accept different tokens."""
    found = []
    for label, examples in _EXAMPLES.items():
        for example in examples:
            try:
                lark_parser().parse(example)
            except UnexpectedToken as error:
                found.append((label, error.state.position, frozenset(error.accepts or ()), error.token.type))
    return tuple(found)


# Mistakes recognised only on the same kind of token as their examples: the state after an
# operand is reached in every expression, and only an `=` there means "`=` is not a comparison".
_TOKEN_SPECIFIC = {"assign_in_condition"}


def _mistake(error: UnexpectedInput) -> str | None:
    """The label of the example whose error happens in the same parser state, if any; an example
    that also stumbles on the same kind of token wins."""
    state = getattr(error, "state", None)
    if not isinstance(error, UnexpectedToken) or not hasattr(state, "position"):
        return None
    accepts = frozenset(error.accepts or ())
    same_state = [(label, token_type) for label, position, example_accepts, token_type in _example_errors()
                  if position == state.position and example_accepts == accepts
                  and (label not in _TOKEN_SPECIFIC or token_type == error.token.type)]
    exact = next((label for label, token_type in same_state if token_type == error.token.type), None)
    return exact or (same_state[0][0] if same_state else None)


_NAME_WORDS = re.compile(r"\s*(let\s+)?([A-Za-z_][A-Za-z0-9_]*(?:[\t ]+[A-Za-z_][A-Za-z0-9_]*)+)[\t ]*$")


def _spaced_name(error: UnexpectedInput, text: str) -> tuple[str, str] | None:
    """`purchase price: money`, `let net profit = ...`: a name written as several words, seen as
    a second word where `:` or `=` should follow the first."""
    if not isinstance(error, UnexpectedToken) or error.token.type != "NAME" or not error.token.line:
        return None
    line = text.split("\n")[error.token.line - 1]
    head, rest = line[:error.token.column - 1] + error.token.value, line[error.token.column - 1 + len(error.token.value):]
    accepts = error.accepts or error.expected or ()
    mark = ":" if "COLON" in accepts else "=" if "EQUAL" in accepts else None
    words = _NAME_WORDS.match(head + rest.split(mark)[0]) if mark and mark in rest.split("#")[0] else None
    if words is None or bool(words.group(1)) != (mark == "="):
        return None
    what = "a let's name" if mark == "=" else "a field name"
    joined = "_".join(words.group(2).lower().split())
    return f"{what} is one word, without spaces", f"join the words with `_`: `{joined}`"


def unclosed_parenthesis(text: str, line: int, column: int) -> tuple[int, int] | None:
    """Where the `(` still open at (line, column) was written, when that is on an earlier line: the
    statement then ran on below it, and the `(` is the mistake to point at, once."""
    stack: list[tuple[int, int]] = []
    for number, content in enumerate(text.split("\n")[:line], start=1):
        in_text = False
        end = column - 1 if number == line else len(content)
        index = 0
        while index < end:
            char = content[index]
            if in_text:
                if char == "\\":
                    index += 1
                elif char == '"':
                    in_text = False
            elif char == '"':
                in_text = True
            elif char == "#":
                break
            elif char == "(":
                stack.append((number, index + 1))
            elif char == ")" and stack:
                stack.pop()
            index += 1
    return stack[-1] if stack and stack[-1][0] < line else None


def explain_syntax_error(error: UnexpectedInput, text: str) -> tuple[str, str | None]:
    """A message and a hint for a syntax error, in a policy owner's words."""
    spaced = _spaced_name(error, text)
    if spaced:
        return spaced
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        if char == '"':
            return "this text has no closing `\"`", "a quoted text must end on the same line"
        return f"unexpected character `{char}`", _expected_hint(error.allowed)
    label = _mistake(error)
    if label:
        return _MISTAKES[label]
    if isinstance(error, (UnexpectedToken, UnexpectedEOF)):
        hint = _expected_hint(getattr(error, "accepts", None) or error.expected)
        if isinstance(error, UnexpectedEOF) or error.token.type == "$END":
            return "the file ends in the middle of a statement", hint
        if error.token.type == "_NL":
            return "this line ends too early", hint
        return f"unexpected `{error.token.value}`", hint
    return str(error).splitlines()[0], None


def _expected_hint(expected) -> str | None:
    words = sorted({describe_token(name) for name in expected or () if not name.startswith("__")})
    if not words:
        return None
    if len(words) > 6:
        words = words[:6] + ["..."]
    return "expected " + ", ".join(words)
