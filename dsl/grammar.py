"""The one compiled Lark parser for the policy language, with its post-lexer and comment collector.

Kept apart from `dsl.parser` (text -> AST) so that the syntax-error explainer can parse its table of
typical mistakes without importing the parser that imports it.
"""

from __future__ import annotations

import functools
import re
import threading

from lark import Lark, Token

from dsl import ast

# A newline after one of these tokens (or inside parentheses) continues the line.
_CONTINUES_LINE = {"AND", "OR", "NOT", "COMMA", "PLUS", "MINUS", "STAR", "SLASH", "COMPARE_OP", "IS", "OF", "LPAR"}


class _LineContinuation:
    """Post-lexer: drops a newline inside parentheses or after a dangling operator, and makes
    sure the token stream ends with a newline, so the last line needs no trailing newline."""

    always_accept = ("_NL",)

    def process(self, stream):
        depth = 0
        previous = None
        last = None
        for token in stream:
            last = token
            if token.type == "_NL":
                if depth > 0 or previous in _CONTINUES_LINE:
                    continue
            elif token.type == "LPAR":
                depth += 1
            elif token.type == "RPAR":
                depth = max(0, depth - 1)
            previous = token.type
            yield token
        if last is not None and previous != "_NL":
            yield Token("_NL", "\n", last.end_pos, last.end_line, last.end_column, last.end_line, last.end_column, last.end_pos)


class _CommentCollector(threading.local):
    """Lexer callbacks that keep every comment, with its line, for the formatter.

    Thread-local because one compiled parser serves every thread (the workbench checks in a
    worker while the main thread may format)."""

    _IN_NEWLINE = re.compile(r"#[^\n]*")

    def __init__(self) -> None:
        self.comments: list[ast.Comment] = []

    def trailing(self, token: Token) -> Token:
        self.comments.append(ast.Comment(token.value.rstrip(), token.line, trailing=True))
        return token

    def in_newline(self, token: Token) -> Token:
        # Newlines are counted from the previous comment, not from the token's start: one token
        # may hold a run of thousands of comment lines.
        line, counted_to = token.line, 0
        for match in self._IN_NEWLINE.finditer(token.value):
            line += token.value.count("\n", counted_to, match.start())
            counted_to = match.start()
            self.comments.append(ast.Comment(match.group().rstrip(), line, trailing=False))
        return token


COMMENTS = _CommentCollector()


@functools.lru_cache(maxsize=None)
def _grammar_text() -> str:
    from importlib import resources

    return resources.files("dsl").joinpath("policy.lark").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The one compiled parser (building it costs tens of milliseconds)."""
    return Lark(
        _grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_LineContinuation(),
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"COMMENT": COMMENTS.trailing, "_NL": COMMENTS.in_newline},
        cache=True,
    )
