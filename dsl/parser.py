"""Text to syntax tree: the compiled grammar (`dsl.grammar`) and a transformer that builds the
frozen dataclasses of `dsl.ast`.

Syntax errors become `Diagnostic`s. After an error the parser blanks the offending line and tries
again, so one run reports every broken line rather than only the first.
"""

from __future__ import annotations

import re
from decimal import Decimal

from lark import Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedEOF, UnexpectedInput, UnexpectedToken

from dsl import ast, strings
from dsl.diagnostics import Diagnostic
from dsl.grammar import COMMENTS, lark_parser
from dsl.source import read_source, source_problems
from dsl.syntax_errors import explain_syntax_error, unclosed_parenthesis

MAX_SYNTAX_ERRORS = 20
# Deeper expressions are refused: building, checking and compiling them recurses once per level,
# and `a + b + ...` with hundreds of terms would otherwise end in a RecursionError.
MAX_NESTING = 100

_CURRENCY_SYMBOLS = "$€£"


@v_args(meta=True)
class _ToAst(Transformer):
    """Builds `dsl.ast` nodes from the Lark tree; one method per grammar rule or alias. Every
    span it makes counts its lines from `anchor` (see `dsl.ast.Anchor`), if one is given."""

    def __init__(self, anchor: ast.Anchor | None = None):
        super().__init__()
        self.anchor = anchor

    def _span(self, meta) -> ast.Span:
        if getattr(meta, "empty", True):
            return ast.NO_SPAN
        return ast.Span(meta.line, meta.column, meta.end_line, meta.end_column, self.anchor)

    def _token_span(self, token: Token) -> ast.Span:
        return ast.Span(token.line, token.column, token.end_line, token.end_column, self.anchor)

    # -- literals and names
    def money(self, meta, children):
        token = children[0]
        text = " ".join(token.value.split())
        if text[0] in _CURRENCY_SYMBOLS:
            return ast.Money(Decimal(text[1:].replace(",", "")), text, text[0], None, self._token_span(token))
        number, code = text.split(" ")
        return ast.Money(Decimal(number.replace(",", "")), text, None, code, self._token_span(token))

    def percent(self, meta, children):
        token = children[0]
        return ast.Percent(Decimal(token.value[:-1]), token.value, self._token_span(token))

    def percent_of(self, meta, children):
        return ast.PercentOf(self.percent(meta, children[:1]), children[1], self._span(meta))

    def number(self, meta, children):
        token = children[0]
        return ast.Number(Decimal(token.value), token.value, self._token_span(token))

    def text(self, meta, children):
        return self._text(children[0])

    def _text(self, token: Token) -> ast.Text:
        return ast.Text(strings.value(token.value), token.value, self._token_span(token))

    def true(self, meta, children):
        return ast.Boolean(True, self._span(meta))

    def false(self, meta, children):
        return ast.Boolean(False, self._span(meta))

    def name(self, meta, children):
        return self._name(children[0])

    def _name(self, token: Token) -> ast.Name:
        return ast.Name(token.value, self._token_span(token))

    def name_list(self, meta, children):
        return tuple(self._name(token) for token in children)

    def arguments(self, meta, children):
        return tuple(children)

    # -- operators
    def call(self, meta, children):
        function, arguments = children
        return ast.Call(self._name(function), arguments or (), self._span(meta))

    def negate(self, meta, children):
        return ast.Negate(children[1], self._span(meta))

    def binary(self, meta, children):
        left, operator, right = children
        return ast.Binary(operator.value, left, right, self._span(meta))

    def compare(self, meta, children):
        left, operator, right = children
        return ast.Compare(operator.value, left, right, self._span(meta))

    def is_value(self, meta, children):
        return ast.IsOneOf(children[0], (self._name(children[1]),), False, False, self._span(meta))

    def is_not_value(self, meta, children):
        return ast.IsOneOf(children[0], (self._name(children[1]),), True, False, self._span(meta))

    def is_one_of(self, meta, children):
        return ast.IsOneOf(children[0], children[1], False, True, self._span(meta))

    def is_not_one_of(self, meta, children):
        return ast.IsOneOf(children[0], children[1], True, True, self._span(meta))

    def not_op(self, meta, children):
        return ast.Not(children[0], self._span(meta))

    def and_op(self, meta, children):
        return ast.Logical("and", children[0], children[1], self._span(meta))

    def or_op(self, meta, children):
        return ast.Logical("or", children[0], children[1], self._span(meta))

    # -- statements
    def start(self, meta, children):
        return tuple(children)

    def policy_decl(self, meta, children):
        return ast.PolicyDecl(self._text(children[0]), self._span(meta))

    def version_decl(self, meta, children):
        return ast.VersionDecl(self._text(children[0]), self._span(meta))

    def currency_decl(self, meta, children):
        return ast.CurrencyDecl(children[0].value, self._span(meta))

    def simple_type(self, meta, children):
        return ast.FieldType(children[0].value, (), self._span(meta))

    def enum_type(self, meta, children):
        return ast.FieldType(None, children[0], self._span(meta))

    def field_bounds(self, meta, children):
        low, high = children
        return ast.FieldBounds(low, high, self._span(meta))

    def field_decl(self, meta, children):
        name, field_type, bounds, default = children
        return ast.FieldDecl(self._name(name), field_type, default, self._span(meta), bounds)

    def case_block(self, meta, children):
        return ast.CaseBlock(tuple(children), self._span(meta))

    def let_decl(self, meta, children):
        name, value = children
        return ast.LetDecl(self._name(name), value, self._span(meta))

    def authority_role(self, meta, children):
        name, limit = children
        return ast.AuthorityRole(self._name(name), limit, self._span(meta))

    def authority_block(self, meta, children):
        return ast.AuthorityBlock(tuple(children), self._span(meta))

    def otherwise_decl(self, meta, children):
        return ast.OtherwiseDecl(self._name(children[0]), self._span(meta))

    def _block(self, kind, meta, children):
        # `[_clause]` is an inlined rule, so Lark leaves no placeholder for it: whether the first
        # clause sits on the name's line is read from the positions instead.
        name, *rest = children
        clauses = tuple(clause for clause in rest if clause is not None)
        inline = int(bool(clauses) and clauses[0].span.line == name.line)
        return ast.Block(kind, self._text(name), clauses, inline, self._span(meta))

    def rule_decl(self, meta, children):
        return self._block("rule", meta, children)

    def entitlement_decl(self, meta, children):
        return self._block("entitlement", meta, children)

    def route_decl(self, meta, children):
        return self._block("route", meta, children)

    # -- clauses
    def when_clause(self, meta, children):
        return ast.WhenClause(children[0], self._span(meta))

    def offer_range(self, meta, children):
        return ast.OfferClause("range", children[0], children[1], self._span(meta))

    def offer_up_to(self, meta, children):
        return ast.OfferClause("up_to", None, children[0], self._span(meta))

    def offer_exactly(self, meta, children):
        return ast.OfferClause("exactly", children[0], None, self._span(meta))

    def offer_nothing(self, meta, children):
        return ast.OfferClause("nothing", None, None, self._span(meta))

    def open_clause(self, meta, children):
        return ast.OpenClause(children[0], self._span(meta))

    def step_clause(self, meta, children):
        return ast.StepClause(children[0], self._span(meta))

    def remedies_clause(self, meta, children):
        return ast.RemediesClause(children[0], self._span(meta))

    def say_clause(self, meta, children):
        return ast.SayClause(self._text(children[0]), self._span(meta))

    def follow_up_clause(self, meta, children):
        count, unit = children
        return ast.FollowUpClause(self.number(meta, [count]), unit.value, self._span(meta))

    def extra_clause(self, meta, children):
        gesture, up_to = children
        return ast.ExtraClause(self._text(gesture), up_to, self._span(meta))

    def escalate_clause(self, meta, children):
        return ast.EscalateClause(self._name(children[0]), self._span(meta))

    def at_least_clause(self, meta, children):
        return ast.AtLeastClause(children[0], self._span(meta))


_TRANSFORMER = _ToAst()


class ParseResult:
    """A parsed file: the tree (None when the text has syntax errors) and the syntax errors."""

    def __init__(self, tree: ast.PolicyFile | None, diagnostics: list[Diagnostic]):
        self.tree = tree
        self.diagnostics = diagnostics


def parse(source: str, file: str = "<policy>", anchor: ast.Anchor | None = None) -> ParseResult:
    """Parse policy text. Every syntax error is reported, one per broken line.

    The text is read as `dsl.source` says (BOM dropped, CRLF as LF, a lone CR refused), so every
    caller counts the same lines; positions are those of the text as given, moved by `anchor`'s
    lines in the tree's spans (the diagnostics are not moved)."""
    text = read_source(source).text
    unreadable = source_problems(text, MAX_SYNTAX_ERRORS)
    if unreadable:
        return ParseResult(None, [Diagnostic(file, p.line, p.column, "error", p.code, p.message, p.hint) for p in unreadable])
    diagnostics: list[Diagnostic] = []
    while True:
        COMMENTS.comments = []
        try:
            tree = lark_parser().parse(text)
        except UnexpectedInput as error:
            diagnostic = _syntax_diagnostic(error, text, file)
            diagnostics.append(diagnostic)
            blanked = _blank_line(text, diagnostic.line)
            if len(diagnostics) >= MAX_SYNTAX_ERRORS or blanked == text:
                return ParseResult(None, sorted(diagnostics, key=lambda d: (d.line, d.column)))
            text = blanked
            continue
        if diagnostics:
            return ParseResult(None, sorted(diagnostics, key=lambda d: (d.line, d.column)))
        too_deep = _first_too_deep(tree)
        if too_deep is not None:
            return ParseResult(None, [Diagnostic(
                file, too_deep.meta.line, too_deep.meta.column, "error", "nesting",
                f"this expression is nested more than {MAX_NESTING} levels deep",
                "split it into smaller parts with `let`")])
        bad_escapes = _escape_diagnostics(tree, file)
        if bad_escapes:
            return ParseResult(None, bad_escapes)
        statements = (_TRANSFORMER if anchor is None else _ToAst(anchor)).transform(tree)
        comments = tuple(sorted(COMMENTS.comments, key=lambda comment: comment.line))
        return ParseResult(ast.PolicyFile(statements, comments), [])


def _escape_diagnostics(tree: Tree, file: str) -> list[Diagnostic]:
    """Every bad escape in every quoted text, at its column (a text never spans lines)."""
    found = []
    for token in tree.scan_values(lambda value: isinstance(value, Token) and value.type == "STRING"):
        for problem in strings.decode(token.value)[1]:
            found.append(Diagnostic(file, token.line, token.column + problem.offset, "error", "escape", problem.message,
                                    strings.ESCAPES_HINT, token.column + problem.offset + problem.length))
    return sorted(found, key=lambda d: (d.line, d.column))[:MAX_SYNTAX_ERRORS]


def parse_expression(source: str) -> ast.Expr:
    """Parse one expression (used by tools that evaluate a condition on its own)."""
    result = parse(f'policy "x"\nversion "x"\ncurrency USD\nlet value = {source}\n')
    if result.tree is None:
        raise ValueError(result.diagnostics[0].message)
    return result.tree.statements[-1].value


def _first_too_deep(tree: Tree) -> Tree | None:
    """The first node (in source order) more than MAX_NESTING levels below its statement."""
    for statement in tree.children:
        stack = [(statement, 0)] if isinstance(statement, Tree) else []
        while stack:
            node, depth = stack.pop()
            if depth > MAX_NESTING:
                return node
            stack.extend((child, depth + 1) for child in reversed(node.children) if isinstance(child, Tree))
    return None


_BLOCK_HEADER = re.compile(r"\s*(rule|entitlement|route)\b")


def _blank_line(text: str, line: int) -> str:
    """The text with a broken line taken out. A broken `rule`/`entitlement`/`route` line becomes a
    stand-in header, so its clauses stay inside a block instead of each failing on its own."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines) or not lines[line - 1].strip():
        return text
    header = _BLOCK_HEADER.match(lines[line - 1])
    stand_in = f'{header.group(1)} ""' if header else ""
    lines[line - 1] = stand_in if lines[line - 1] != stand_in else ""
    return "\n".join(lines)


def _syntax_diagnostic(error: UnexpectedInput, text: str, file: str) -> Diagnostic:
    line, column = error.line, error.column
    if isinstance(error, UnexpectedEOF) or line is None or line < 1:
        line = max(1, text.count("\n"))
        column = 1
    if isinstance(error, UnexpectedToken) and error.token.type == "_NL":
        # The newline token starts at the end of the previous line: point there.
        line, column = error.token.line, error.token.column
    opened = unclosed_parenthesis(text, line, column)
    if opened is not None:
        return Diagnostic(file, *opened, "error", "syntax", "this `(` is never closed",
                          "add the matching `)`: inside parentheses a statement runs on to the next lines")
    message, hint = explain_syntax_error(error, text)
    return Diagnostic(file, line, column, "error", "syntax", message, hint)

