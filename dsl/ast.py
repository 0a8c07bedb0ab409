"""The syntax tree of a policy: frozen dataclasses (`@record`), each carrying the span it came from.

The parser builds these and nothing else sees a Lark tree. Spans are excluded from equality so
that two trees compare equal when they mean the same text, wherever it sits in a file: the
formatter's round-trip tests rely on that.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, field
from functools import total_ordering

from dsl.records import record
from decimal import Decimal
from typing import Iterator


class Anchor:
    """Where a piece of text starts in its file: the number of lines above it. Every span parsed
    from the piece with this anchor (`dsl.parser.parse(..., anchor=)`) counts its lines from it,
    so moving the piece (Enter on the first line moves every statement below) moves all its spans
    with one assignment instead of a copy of its tree. `dsl.incremental` keeps one per chunk."""

    __slots__ = ("lines",)

    def __init__(self, lines: int = 0):
        self.lines = lines


@total_ordering
class Span:
    """Where a node sits in its file: 1-based lines and columns, end exclusive. Immutable, like a
    frozen dataclass, except that an anchored span's lines follow its anchor."""

    __slots__ = ("_line", "column", "_end_line", "end_column", "anchor")

    def __init__(self, line: int, column: int, end_line: int, end_column: int, anchor: Anchor | None = None):
        _set = object.__setattr__
        _set(self, "_line", line)
        _set(self, "column", column)
        _set(self, "_end_line", end_line)
        _set(self, "end_column", end_column)
        _set(self, "anchor", anchor)

    @property
    def line(self) -> int:
        return self._line if self.anchor is None else self._line + self.anchor.lines

    @property
    def end_line(self) -> int:
        return self._end_line if self.anchor is None else self._end_line + self.anchor.lines

    def _place(self) -> tuple[int, int, int, int]:
        return (self.line, self.column, self.end_line, self.end_column)

    def __eq__(self, other):
        return self._place() == other._place() if other.__class__ is Span else NotImplemented

    def __lt__(self, other):
        return self._place() < other._place() if other.__class__ is Span else NotImplemented

    def __hash__(self):
        return hash(self._place())

    def __repr__(self):
        return "Span(line={}, column={}, end_line={}, end_column={})".format(*self._place())

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __reduce__(self):
        """A copy or a pickle keeps where the span is now, not its anchor."""
        return (Span, self._place())


NO_SPAN = Span(0, 0, 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---------------------------------------------------------------- expressions


@record
class Number:
    value: Decimal
    text: str
    span: Span = _span()


@record
class Percent:
    """`P%`: the number P/100. `percent` keeps P as written, for messages and formatting."""

    percent: Decimal
    text: str
    span: Span = _span()


@record
class Money:
    """A money literal. `currency` is an ISO code (`USD`) or, when written with a symbol, None
    and `symbol` holds it; the checker decides whether the symbol fits the policy's currency."""

    amount: Decimal
    text: str
    symbol: str | None
    currency: str | None
    span: Span = _span()


@record
class Text:
    value: str
    text: str
    span: Span = _span()


@record
class Boolean:
    value: bool
    span: Span = _span()


@record
class Name:
    name: str
    span: Span = _span()


@record
class Call:
    function: Name
    arguments: tuple[Expr, ...]
    span: Span = _span()


@record
class PercentOf:
    """`P% of X`."""

    percent: Percent
    operand: Expr
    span: Span = _span()


@record
class Negate:
    operand: Expr
    span: Span = _span()


@record
class Binary:
    """Arithmetic: `+ - * /`."""

    operator: str
    left: Expr
    right: Expr
    span: Span = _span()


@record
class Compare:
    """`< <= > >= == !=`."""

    operator: str
    left: Expr
    right: Expr
    span: Span = _span()


@record
class IsOneOf:
    """`X is v`, `X is not v`, `X is one of a, b`, `X is not one of a, b`.

    `one_of` remembers which spelling was used, so the formatter can keep it."""

    subject: Expr
    values: tuple[Name, ...]
    negated: bool
    one_of: bool
    span: Span = _span()


@record
class Not:
    operand: Expr
    span: Span = _span()


@record
class Logical:
    """`and` / `or`."""

    operator: str
    left: Expr
    right: Expr
    span: Span = _span()


Expr = Number | Percent | Money | Text | Boolean | Name | Call | PercentOf | Negate | Binary | Compare | IsOneOf | Not | Logical


def children(expr: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of `expr`, in source order: what every walker descends into (names
    read, divisions, constants compared with, plain numbers). Parts that are not values are left
    out: a call's function name, the choice values after `is`, the `P%` of `P% of X`."""
    if isinstance(expr, (Binary, Compare, Logical)):
        return (expr.left, expr.right)
    if isinstance(expr, (Negate, Not, PercentOf)):
        return (expr.operand,)
    if isinstance(expr, IsOneOf):
        return (expr.subject,)
    if isinstance(expr, Call):
        return expr.arguments
    return ()


def walk(expr: Expr | None) -> Iterator[Expr]:
    """`expr` and every sub-expression under it, parents before children, left to right; nothing
    for None (an absent clause)."""
    if expr is None:
        return
    pending = [expr]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(reversed(children(node)))


# ---------------------------------------------------------------- the case block


@record
class FieldType:
    """`money`, `number`, `integer`, `bool`, `text` (`name` holds it) or `one of a, b` (`values`)."""

    name: str | None
    values: tuple[Name, ...] = ()
    span: Span = _span()


@record
class FieldBounds:
    """`from LOW to HIGH` after a field's type: the values a case may carry, both included."""

    low: Expr
    high: Expr
    span: Span = _span()


@record
class FieldDecl:
    name: Name
    type: FieldType
    default: Expr | None
    span: Span = _span()
    bounds: FieldBounds | None = None


@record
class CaseBlock:
    fields: tuple[FieldDecl, ...]
    span: Span = _span()


# ---------------------------------------------------------------- other statements


@record
class PolicyDecl:
    name: Text
    span: Span = _span()


@record
class VersionDecl:
    version: Text
    span: Span = _span()


@record
class CurrencyDecl:
    code: str
    span: Span = _span()


@record
class LetDecl:
    name: Name
    value: Expr
    span: Span = _span()


@record
class AuthorityRole:
    name: Name
    limit: Expr | None
    span: Span = _span()


@record
class AuthorityBlock:
    roles: tuple[AuthorityRole, ...]
    span: Span = _span()


@record
class OtherwiseDecl:
    role: Name
    span: Span = _span()


# ---------------------------------------------------------------- clauses


@record
class WhenClause:
    condition: Expr
    span: Span = _span()


@record
class OfferClause:
    """`form` is `range`, `up_to`, `exactly` or `nothing`; the bounds are None where the form
    has none (`up to B` has only `ceiling`, `exactly A` only `floor`)."""

    form: str
    floor: Expr | None
    ceiling: Expr | None
    span: Span = _span()


@record
class OpenClause:
    amount: Expr
    span: Span = _span()


@record
class StepClause:
    amount: Expr
    span: Span = _span()


@record
class RemediesClause:
    remedies: tuple[Name, ...]
    span: Span = _span()


@record
class SayClause:
    template: Text
    span: Span = _span()


@record
class FollowUpClause:
    count: Number
    unit: str
    span: Span = _span()


@record
class ExtraClause:
    gesture: Text
    up_to: Expr
    span: Span = _span()


@record
class EscalateClause:
    role: Name
    span: Span = _span()


@record
class AtLeastClause:
    amount: Expr
    span: Span = _span()


Clause = (
    WhenClause | OfferClause | OpenClause | StepClause | RemediesClause | SayClause | FollowUpClause
    | ExtraClause | EscalateClause | AtLeastClause
)


@record
class Block:
    """A `rule`, `entitlement` or `route`: a kind, a quoted name and clauses in source order.

    `inline` counts the clauses written on the name's line (0 or 1), for the formatter."""

    kind: str
    name: Text
    clauses: tuple[Clause, ...]
    inline: int = field(default=0, compare=False)
    span: Span = _span()


Statement = PolicyDecl | VersionDecl | CurrencyDecl | CaseBlock | LetDecl | AuthorityBlock | Block | OtherwiseDecl


@record
class Comment:
    """A `#` comment: its text (with the `#`), its line, and whether code precedes it there."""

    text: str
    line: int
    trailing: bool


@record
class PolicyFile:
    """A parsed file: its statements in source order, and its comments for the formatter."""

    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
