"""Checking rules, entitlements and routes: which clauses each takes, their types, their names, and
rules that can never be reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from dsl import ast
from dsl.diagnostics import DiagnosticSink, did_you_mean
from dsl.model import BOOL, MONEY, Entitlement, Extra, Guideline, Route
from dsl.names import SNAKE_CASE, snake_case_hint
from dsl.typecheck import ExpressionChecker, ValueType

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DECISION_PLACEHOLDERS = ("offer", "floor", "ceiling", "step", "extra")

# The clauses each kind of block accepts: clause class -> its keyword in messages.
_CLAUSE_WORDS = {
    ast.WhenClause: "when", ast.OfferClause: "offer", ast.OpenClause: "open at", ast.StepClause: "step",
    ast.RemediesClause: "remedies", ast.SayClause: "say", ast.FollowUpClause: "follow up",
    ast.ExtraClause: "extra", ast.EscalateClause: "escalate to", ast.AtLeastClause: "at least",
}
_ACCEPTS = {
    "rule": set(_CLAUSE_WORDS) - {ast.AtLeastClause},
    "entitlement": {ast.WhenClause, ast.AtLeastClause},
    "route": {ast.WhenClause},
}
_REQUIRED = {"rule": ast.OfferClause, "entitlement": ast.AtLeastClause}


@dataclass
class CheckedBlocks:
    guidelines: tuple[Guideline, ...]
    entitlements: tuple[Entitlement, ...]
    routes: tuple[Route, ...]


def check_blocks(sink: DiagnosticSink, expressions: ExpressionChecker, statements, roles: tuple[str, ...],
                 scope: dict[str, ValueType], reuse=None) -> CheckedBlocks:
    """`reuse(block, context, sink, check)` may replay an earlier check of the same block in the
    same context (currency, roles, field and let types) instead of calling `check(block)`, as
    `dsl.incremental` does between keystrokes."""
    blocks = [s for s in statements if isinstance(s, ast.Block)]
    checker = _BlockChecker(sink, expressions, roles, scope)
    check = checker.check
    if reuse is not None:
        context = (expressions.currency, tuple(roles), tuple(scope.items()))
        check = lambda block: reuse(block, context, sink, checker.check)  # noqa: E731
    seen: dict[tuple[str, str], int] = {}
    built = {"rule": [], "entitlement": [], "route": []}
    for block in blocks:
        key = (block.kind, block.name.value)
        if key in seen:
            sink.error(block.name.span, "duplicate", f"there is already {_a(block.kind)} named {block.name.text} (line {seen[key]})",
                       f"{block.kind} names must be unique")
        else:
            seen[key] = block.span.line
        item = check(block)
        if item is not None:
            built[block.kind].append(item)
    rules = [b for b in blocks if b.kind == "rule"]
    if not rules:
        span = statements[-1].span if statements else ast.Span(1, 1, 1, 2)
        sink.error(span, "missing-rule", "the policy has no rule",
                   'add at least one, e.g. `rule "Missed appointment"` with `offer up to 50% of price`')
    _report_unreachable(sink, rules)
    return CheckedBlocks(tuple(built["rule"]), tuple(built["entitlement"]), tuple(built["route"]))


class _BlockChecker:
    def __init__(self, sink: DiagnosticSink, expressions: ExpressionChecker, roles, scope):
        self.sink = sink
        self.expressions = expressions
        self.roles = roles
        self.scope = scope

    def check(self, block: ast.Block):
        clauses: dict[type, ast.Clause] = {}
        for clause in block.clauses:
            kind = type(clause)
            word = _CLAUSE_WORDS[kind]
            if kind not in _ACCEPTS[block.kind]:
                self.sink.error(clause.span, "clause", f"{_a(block.kind)} cannot have `{word}`", _accepts_hint(block.kind))
            elif kind in clauses:
                self.sink.error(clause.span, "duplicate", f"this {block.kind} already has `{word}` (line {clauses[kind].span.line})",
                                "keep one")
            else:
                clauses[kind] = clause
                self._check_clause(clause, block.kind)
        required = _REQUIRED.get(block.kind)
        if required and required not in clauses:
            example = "offer up to $50" if block.kind == "rule" else "at least price"
            self.sink.error(block.name.span, "missing-clause", f"{block.kind} {block.name.text} has no `{_CLAUSE_WORDS[required]}`",
                            f"add a line such as `{example}`")
            return None
        condition = clauses[ast.WhenClause].condition if ast.WhenClause in clauses else None
        if block.kind == "route":
            return Route(block.name.value, condition, block.span.line)
        if block.kind == "entitlement":
            return Entitlement(block.name.value, condition, clauses[ast.AtLeastClause].amount, block.span.line)
        return self._guideline(block, clauses, condition)

    def _check_clause(self, clause: ast.Clause, kind: str) -> None:
        expect = self.expressions.expect
        if isinstance(clause, ast.WhenClause):
            expect(clause.condition, BOOL, "a `when` condition")
        elif isinstance(clause, ast.OfferClause):
            for bound in (clause.floor, clause.ceiling):
                if bound is not None:
                    expect(bound, MONEY, "an offer")
        elif isinstance(clause, (ast.OpenClause, ast.StepClause, ast.AtLeastClause)):
            expect(clause.amount, MONEY, f"`{_CLAUSE_WORDS[type(clause)]}`")
        elif isinstance(clause, ast.ExtraClause):
            expect(clause.up_to, MONEY, "an extra gesture's limit")
        elif isinstance(clause, ast.EscalateClause):
            self._check_role(clause.role)
        elif isinstance(clause, ast.FollowUpClause):
            count = clause.count.value
            if count != count.to_integral_value() or count < 1:
                self.sink.error(clause.count.span, "follow-up", "a follow-up is a whole number of days or hours, at least 1")
        elif isinstance(clause, ast.SayClause):
            self._check_template(clause.template)
        elif isinstance(clause, ast.RemediesClause):
            for index, remedy in enumerate(clause.remedies):
                if not SNAKE_CASE.match(remedy.name):
                    self.sink.error(remedy.span, "naming", "remedy names are lowercase snake_case", snake_case_hint(remedy.name))
                elif remedy.name in (r.name for r in clause.remedies[:index]):
                    self.sink.error(remedy.span, "duplicate", f"remedy `{remedy.name}` is listed twice")

    def _check_role(self, role: ast.Name) -> None:
        if role.name not in self.roles:
            hint = did_you_mean(role.name, self.roles)
            if hint is None:
                hint = f"the roles are {', '.join(self.roles)}" if self.roles else "declare the roles in an `authority` block"
            self.sink.error(role.span, "unknown-role", f"unknown role `{role.name}`", hint)

    def _check_template(self, template: ast.Text) -> None:
        known = (*DECISION_PLACEHOLDERS, *self.scope)
        for match in PLACEHOLDER.finditer(template.value):
            name = match.group(1)
            if name not in known:
                span = template.span
                column = span.column + 1 + template.text[1:].find("{" + name + "}")
                where = ast.Span(span.line, column, span.line, column + len(name) + 2)
                self.sink.error(where, "unknown-placeholder", f"`{{{name}}}` is not something a decision can fill in",
                                did_you_mean(name, known) or "use {offer}, {floor}, {ceiling} or a field name")

    def _guideline(self, block: ast.Block, clauses, condition) -> Guideline:
        offer: ast.OfferClause = clauses[ast.OfferClause]
        zero = ast.Money(Decimal(0), "$0", None, None, offer.span)
        floor = offer.floor if offer.floor is not None else zero
        ceiling = offer.ceiling if offer.ceiling is not None else (floor if offer.form == "exactly" else zero)
        follow_up = None
        if ast.FollowUpClause in clauses:
            clause = clauses[ast.FollowUpClause]
            count = int(clause.count.value)
            unit = clause.unit.rstrip("s")
            follow_up = f"{count} {unit}{'' if count == 1 else 's'}"
        extra = None
        if ast.ExtraClause in clauses:
            extra = Extra(clauses[ast.ExtraClause].gesture.value, clauses[ast.ExtraClause].up_to)
        return Guideline(
            name=block.name.value, condition=condition, floor=floor, ceiling=ceiling,
            open_at=clauses[ast.OpenClause].amount if ast.OpenClause in clauses else None,
            step=clauses[ast.StepClause].amount if ast.StepClause in clauses else None,
            remedies=tuple(r.name for r in clauses[ast.RemediesClause].remedies) if ast.RemediesClause in clauses else (),
            say=clauses[ast.SayClause].template.value if ast.SayClause in clauses else None,
            follow_up=follow_up, extra=extra,
            escalate_to=clauses[ast.EscalateClause].role.name if ast.EscalateClause in clauses else None,
            line=block.span.line,
        )


def _a(kind: str) -> str:
    """`a rule`, `an entitlement`."""
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _accepts_hint(kind: str) -> str:
    words = sorted(_CLAUSE_WORDS[c] for c in _ACCEPTS[kind])
    return f"{_a(kind)} takes " + ", ".join(f"`{w}`" for w in words)


def conjuncts(condition: ast.Expr | None) -> frozenset:
    """The `and`-ed parts of a condition; an absent condition has none and matches everything."""
    if condition is None:
        return frozenset()
    if isinstance(condition, ast.Logical) and condition.operator == "and":
        return conjuncts(condition.left) | conjuncts(condition.right)
    return frozenset({condition})


def _report_unreachable(sink: DiagnosticSink, rules: list[ast.Block]) -> None:
    """A rule whose condition includes every part of an earlier rule's condition can never decide:
    the earlier rule matches first. This catches a rule without `when` placed early, a repeated
    `when`, and a specific rule placed after its general one."""
    # Conjuncts are numbered once (equal conditions, wherever written, get one number) and each
    # earlier rule is filed under its newest-numbered part, the one fewest rules share: a rule can
    # only be shadowed by rules filed under one of its own parts, so thousands of rules stay cheap.
    numbers: dict = {}
    filed: dict[int, list[tuple[int, ast.Block, frozenset]]] = {}
    catch_all: tuple[int, ast.Block] | None = None
    for position, rule in enumerate(rules):
        when = next((c.condition for c in rule.clauses if isinstance(c, ast.WhenClause)), None)
        parts = frozenset(numbers.setdefault(part, len(numbers)) for part in conjuncts(when))
        shadows = [(at, other) for number in parts for at, other, other_parts in filed.get(number, ()) if other_parts <= parts]
        if catch_all is not None:
            shadows.append(catch_all)
        if shadows:
            shadow = min(shadows, key=lambda found: found[0])[1]
            why = "has no `when` and matches every case" if not _has_when(shadow) else "matches every case this one would"
            sink.error(rule.name.span, "unreachable", f"rule {rule.name.text} can never apply: rule {shadow.name.text} "
                       f"(line {shadow.span.line}) comes first and {why}", "move the more specific rule above the general one")
        if not parts:
            catch_all = catch_all or (position, rule)
        else:
            filed.setdefault(max(parts), []).append((position, rule, parts))


def _has_when(block: ast.Block) -> bool:
    return any(isinstance(c, ast.WhenClause) for c in block.clauses)
