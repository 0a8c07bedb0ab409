"""The checked policy: the small typed model the engines consume.

Only the checker builds it, and only from a policy without errors, so the engines may assume every
name resolves, every type fits and every role exists. Expressions stay as `dsl.ast` nodes; the
engines compile them.
"""

from __future__ import annotations

from dataclasses import field

from dsl.records import record
from decimal import Decimal

from dsl import ast

# Kinds of value a field or let can hold. An enumeration field's kind is "enum".
MONEY, NUMBER, INTEGER, BOOL, TEXT, ENUM = "money", "number", "integer", "bool", "text", "enum"
FIELD_TYPES = (MONEY, NUMBER, INTEGER, BOOL, TEXT)


@record
class CaseField:
    """A field of the `case` block. `default` is None for a required field. `low` and `high` are
    the bounds of `from LOW to HIGH` (both included), None where the field has none; a money field
    is never negative whether or not it has bounds."""

    name: str
    kind: str
    values: tuple[str, ...] = ()
    default: Decimal | bool | str | None = None
    line: int = 0
    low: Decimal | None = None
    high: Decimal | None = None
    note: str | None = None  # the comment after the field (`price: money  # what the customer paid`)

    @property
    def required(self) -> bool:
        return self.default is None


@record
class Derived:
    """A `let`: a value computed from fields and other lets. `kind` is money, number or bool."""

    name: str
    expr: ast.Expr
    kind: str
    line: int = 0


@record
class Role:
    name: str
    limit: Decimal | None


@record
class AuthorityChain:
    """The approval chain, lowest first; only the last role may have no limit."""

    roles: tuple[Role, ...]

    def approver_for(self, amount: Decimal) -> str:
        """The lowest role whose limit covers `amount`; above every limit, the last role."""
        for role in self.roles:
            if role.limit is None or amount <= role.limit:
                return role.name
        return self.roles[-1].name

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(role.name for role in self.roles)


@record
class Route:
    name: str
    condition: ast.Expr | None
    line: int = 0


@record
class Entitlement:
    name: str
    condition: ast.Expr | None
    amount: ast.Expr
    line: int = 0


@record
class Extra:
    gesture: str
    up_to: ast.Expr


@record
class Guideline:
    """A `rule`: when it applies, the range it allows and everything said with it.

    Every offer form is normalised to a floor and a ceiling expression."""

    name: str
    condition: ast.Expr | None
    floor: ast.Expr
    ceiling: ast.Expr
    open_at: ast.Expr | None = None
    step: ast.Expr | None = None
    remedies: tuple[str, ...] = ()
    say: str | None = None
    follow_up: str | None = None
    extra: Extra | None = None
    escalate_to: str | None = None
    line: int = 0


@record
class Policy:
    name: str
    version: str
    currency: str
    minor_unit: int
    fields: tuple[CaseField, ...]
    lets: tuple[Derived, ...]  # in an order where each depends only on fields and earlier lets
    authority: AuthorityChain | None
    routes: tuple[Route, ...]
    entitlements: tuple[Entitlement, ...]
    guidelines: tuple[Guideline, ...]
    otherwise: str | None
    digest: str = ""
    path: str = "<policy>"
    source: str = field(default="", repr=False, compare=False)

    def field_named(self, name: str) -> CaseField | None:
        return next((f for f in self.fields if f.name == name), None)
