"""Syntax tree to checked policy: every diagnostic LANGUAGE.md lists, all of them in one run.

`check_source` is the one entry point people and tools use: it parses, checks, and returns either a
`Policy` the engines can trust or the diagnostics that explain why not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from dsl import ast
from dsl.currency import minor_unit
from dsl.digest import policy_digest, text_digest
from dsl.diagnostics import Diagnostic, DiagnosticSink, did_you_mean
from dsl.lets import order_lets
from dsl.names import SNAKE_CASE, snake_case_hint
from dsl.model import (BOOL, ENUM, FIELD_TYPES, INTEGER, MONEY, NUMBER, TEXT, AuthorityChain, CaseField,
                       Derived, Policy, Role)
from dsl.rules import check_blocks
from dsl.typecheck import UNKNOWN, ExpressionChecker, ValueType, field_value_type

RESERVED_FIELDS = {"id": "the case's identifier"}


@dataclass
class CheckResult:
    policy: Policy | None
    diagnostics: list[Diagnostic]
    tree: ast.PolicyFile | None = None
    source: str = ""

    @property
    def ok(self) -> bool:
        return self.policy is not None


def check_source(source: str, path: str = "<policy>", data: bytes | None = None, wording: bool = True) -> CheckResult:
    """Parse and check policy text. `data` is the file's bytes, for the digest (default: UTF-8).
    `wording=False` skips the wording warnings (callers that show only errors, such as `eval`)."""
    from dsl.parser import parse  # Lark is imported only when a policy is parsed, not from a cached one

    parsed = parse(source, path)
    if parsed.tree is None:
        return CheckResult(None, parsed.diagnostics, None, source)
    digest = policy_digest(data) if data is not None else text_digest(source)
    sink = DiagnosticSink(path)
    policy = _Checker(sink, path, digest, source).check(parsed.tree)
    if wording:
        from dsl.wording import check_wording  # its word lists are read only by those who show warnings

        check_wording(sink, parsed.tree.statements)
    diagnostics = sorted(sink.items, key=lambda d: (d.line, d.column))
    return CheckResult(None if sink.has_errors else policy, diagnostics, parsed.tree, source)


def _trailing_notes(comments: tuple[ast.Comment, ...]) -> dict[int, str]:
    """The text of each comment that follows code, by line: a field's note, its description in
    the case schema."""
    return {c.line: c.text.lstrip("#").strip() for c in comments if c.trailing and c.text.lstrip("#").strip()}


def check_file(path: str, wording: bool = True) -> CheckResult:
    """Read and check a policy file. Raises OSError or UnicodeDecodeError for an unreadable file."""
    with open(path, "rb") as handle:
        data = handle.read()
    return check_source(data.decode("utf-8"), path, data, wording)


class _Checker:
    def __init__(self, sink: DiagnosticSink, path: str, digest: str, source: str):
        self.sink = sink
        self.path = path
        self.digest = digest
        self.source = source

    def check(self, tree: ast.PolicyFile) -> Policy | None:
        statements = tree.statements
        header = self._header(statements)
        currency = header.get("currency")
        fields = self._case_block(statements, currency, _trailing_notes(tree.comments))
        scope = {f.name: field_value_type(f.kind, f.values, f.name) for f in fields or ()}
        lets = self._lets(statements, scope, currency)
        authority = self._authority(statements, currency)
        roles = authority.names if authority else ()
        expressions = ExpressionChecker(self.sink, scope, currency)
        blocks = check_blocks(self.sink, expressions, statements, roles, scope)
        otherwise = self._otherwise(statements, roles)
        if self.sink.has_errors or fields is None:
            return None
        return Policy(
            name=header["policy"], version=header["version"], currency=currency, minor_unit=minor_unit(currency),
            fields=tuple(fields), lets=lets, authority=authority, routes=blocks.routes,
            entitlements=blocks.entitlements, guidelines=blocks.guidelines, otherwise=otherwise,
            digest=self.digest, path=self.path, source=self.source,
        )

    # ------------------------------------------------------------ header
    def _header(self, statements) -> dict[str, str]:
        kinds = (("policy", ast.PolicyDecl), ("version", ast.VersionDecl), ("currency", ast.CurrencyDecl))
        header: dict[str, str] = {}
        first_other = next((s for s in statements if not isinstance(s, tuple(k for _, k in kinds))), None)
        # A header line is out of place after any other statement or after a header line that
        # belongs below it; a missing header line is reported as missing, not as disorder.
        latest_position, after_other = -1, False
        for statement in statements:
            for position, (word, kind) in enumerate(kinds):
                if not isinstance(statement, kind):
                    continue
                if word in header:
                    self.sink.error(statement.span, "duplicate", f"`{word}` is declared twice", "keep one")
                    continue
                header[word] = _header_value(statement)
                if after_other or position < latest_position:
                    self.sink.error(statement.span, "header-order", f"`{word}` is out of place",
                                    "a policy starts with `policy`, `version` and `currency`, in that order")
                latest_position = max(latest_position, position)
                break
            else:
                after_other = True
        for word, _ in kinds:
            if word not in header:
                at = first_other.span if first_other else ast.Span(1, 1, 1, 2)
                example = {"policy": 'policy "Hardware store"', "version": 'version "2026-11"', "currency": "currency USD"}[word]
                self.sink.error(at, "missing-header", f"the policy has no `{word}` line",
                                f"start the file with `policy`, `version` and `currency`, e.g. `{example}`")
        return header

    # ------------------------------------------------------------ case block
    def _case_block(self, statements, currency, notes: dict[int, str]) -> list[CaseField] | None:
        blocks = [s for s in statements if isinstance(s, ast.CaseBlock)]
        if not blocks:
            self.sink.error(_first_span(statements), "missing-case", "the policy has no `case` block",
                            "list the fields every case carries, e.g. `case` then `price: money`")
            return None
        for extra in blocks[1:]:
            self.sink.error(extra.span, "duplicate", "there is a second `case` block", "put all fields in one block")
        fields: list[CaseField] = []
        seen: dict[str, int] = {}
        for decl in (d for block in blocks for d in block.fields):
            name = decl.name.name
            self._check_name(decl.name, "field")
            if name in RESERVED_FIELDS:
                self.sink.error(decl.name.span, "reserved", f"`{name}` is reserved for {RESERVED_FIELDS[name]}",
                                "choose another name")
            if name in seen:
                self.sink.error(decl.name.span, "duplicate", f"field `{name}` is declared twice (first on line {seen[name]})")
                continue
            seen[name] = decl.span.line
            field = self._field(decl, currency)
            if field is not None:
                fields.append(replace(field, note=notes.get(decl.name.span.line)))
        return fields

    def _field(self, decl: ast.FieldDecl, currency) -> CaseField | None:
        kind, values = decl.type.name, tuple(v.name for v in decl.type.values)
        if kind is None:
            kind = ENUM
            listed: set[str] = set()
            for value in decl.type.values:
                self._check_name(value, "value")
                if value.name in listed:
                    self.sink.error(value.span, "duplicate", f"`{value.name}` is listed twice")
                listed.add(value.name)
        elif kind not in FIELD_TYPES:
            self.sink.error(decl.type.span, "unknown-type", f"unknown type `{kind}`",
                            did_you_mean(kind, FIELD_TYPES) or f"the types are {', '.join(FIELD_TYPES)} and `one of a, b`")
            return None
        default = None
        if decl.default is not None:
            default = self._default(decl, kind, values, currency)
            if default is None:
                return None
        low, high = self._bounds(decl, kind, currency) if decl.bounds is not None else (None, None)
        if low is not None and default is not None and not low <= default <= high:
            self.sink.error(decl.default.span, "bounds", f"the default of `{decl.name.name}` lies outside its bounds",
                            f"choose a default from {_literal_text(decl.bounds.low)} to {_literal_text(decl.bounds.high)}")
        return CaseField(decl.name.name, kind, values, default, decl.span.line, low, high)

    def _bounds(self, decl: ast.FieldDecl, kind: str, currency) -> tuple[Decimal | None, Decimal | None]:
        """`from LOW to HIGH`: literals of the field's own type, LOW <= HIGH, money never below zero."""
        bounds = decl.bounds
        if kind not in (MONEY, NUMBER, INTEGER):
            self.sink.error(bounds.span, "bounds", f"only money, number and integer fields take `from ... to ...`",
                            f"`{decl.name.name}` is declared as {kind if kind != ENUM else 'a choice'}")
            return None, None
        found = []
        for expr in (bounds.low, bounds.high):
            if _is_money(expr):
                ExpressionChecker(self.sink, {}, currency).type_of(expr)  # reports a foreign currency
            value = _literal_value(expr)
            fits = isinstance(value, Decimal) and _is_money(expr) == (kind == MONEY) and not isinstance(expr, ast.Percent)
            if fits and kind == INTEGER and value != value.to_integral_value():
                fits = False
            if not fits:
                wanted = {MONEY: "an amount such as `$0`", NUMBER: "a number such as `0`", INTEGER: "a whole number such as `0`"}[kind]
                self.sink.error(expr.span, "bounds", f"a bound of `{decl.name.name}` must be {wanted}", f"`{decl.name.name}` is declared as {kind}")
                return None, None
            found.append(value)
        low, high = found
        if low > high:
            self.sink.error(bounds.span, "bounds", f"the bounds of `{decl.name.name}` are the wrong way round",
                            f"write the lower bound first: `from {_literal_text(bounds.high)} to {_literal_text(bounds.low)}`")
            return None, None
        if kind == MONEY and low < 0:
            self.sink.error(bounds.low.span, "bounds", "a money amount in a case is never negative", "start the bounds at `$0` or above")
            return None, None
        return low, high

    def _default(self, decl: ast.FieldDecl, kind: str, values: tuple[str, ...], currency):
        expr = decl.default
        if isinstance(expr, ast.Money):
            ExpressionChecker(self.sink, {}, currency).type_of(expr)  # reports a foreign currency
        value = _literal_value(expr)
        ok = {
            MONEY: isinstance(expr, ast.Money) or (isinstance(expr, ast.Negate) and isinstance(expr.operand, ast.Money)),
            NUMBER: isinstance(value, Decimal) and not _is_money(expr),
            INTEGER: isinstance(value, Decimal) and not _is_money(expr) and value == value.to_integral_value(),
            BOOL: isinstance(value, bool),
            TEXT: isinstance(expr, ast.Text),
            ENUM: isinstance(expr, ast.Name) and expr.name in values,
        }[kind]
        if ok and kind == MONEY and value < 0:
            self.sink.error(expr.span, "bounds", f"the default of `{decl.name.name}` is negative, but a money amount in a case never is",
                            "use `$0` or more")
            return None
        if ok:
            return value
        if kind == ENUM and isinstance(expr, ast.Name):
            self.sink.error(expr.span, "unknown-value", f"`{expr.name}` is not a value of `{decl.name.name}`",
                            did_you_mean(expr.name, values) or f"the values are {', '.join(values)}")
        else:
            wanted = {MONEY: "an amount such as `$0`", NUMBER: "a number such as `0`", INTEGER: "a whole number such as `0`",
                      BOOL: "`true` or `false`", TEXT: 'a quoted text such as `""`', ENUM: f"one of {', '.join(values)}"}[kind]
            self.sink.error(expr.span, "type", f"the default of `{decl.name.name}` must be {wanted}",
                            f"`{decl.name.name}` is declared as {kind if kind != ENUM else 'a choice'}")
        return None

    # ------------------------------------------------------------ lets
    def _lets(self, statements, scope: dict[str, ValueType], currency) -> tuple[Derived, ...]:
        decls: list[ast.LetDecl] = []
        names: dict[str, int] = {}
        for decl in (s for s in statements if isinstance(s, ast.LetDecl)):
            name = decl.name.name
            self._check_name(decl.name, "let")
            if name in scope:
                self.sink.error(decl.name.span, "duplicate", f"`{name}` is already a case field", "choose another name for the let")
            elif name in names:
                self.sink.error(decl.name.span, "duplicate", f"let `{name}` is defined twice (first on line {names[name]})",
                                "a let cannot be redefined; give the new value its own name")
            else:
                names[name] = decl.span.line
                decls.append(decl)
        ordered = order_lets(self.sink, decls, set(scope))
        lets = []
        checker = ExpressionChecker(self.sink, scope, currency)
        for decl in ordered:
            found = checker.type_of(decl.value)
            if found.kind in (TEXT, ENUM):
                self.sink.error(decl.value.span, "type", f"a let holds an amount, a number or true/false, but this is {found}")
            scope[decl.name.name] = found
            lets.append(Derived(decl.name.name, decl.value, found.kind, decl.span.line))
        for name in names.keys() - {let.name for let in lets}:
            scope[name] = UNKNOWN  # caught in a cycle, already reported
        return tuple(lets)

    # ------------------------------------------------------------ authority and otherwise
    def _authority(self, statements, currency) -> AuthorityChain | None:
        blocks = [s for s in statements if isinstance(s, ast.AuthorityBlock)]
        if not blocks:
            return None
        for extra in blocks[1:]:
            self.sink.error(extra.span, "duplicate", "there is a second `authority` block", "one chain, lowest role first")
        roles: list[Role] = []
        checker = ExpressionChecker(self.sink, {}, currency)
        for index, decl in enumerate(blocks[0].roles):
            name = decl.name.name
            self._check_name(decl.name, "role")
            if name in (r.name for r in roles):
                self.sink.error(decl.name.span, "duplicate", f"role `{name}` appears twice in the chain")
                continue
            limit = None
            if decl.limit is None and index != len(blocks[0].roles) - 1:
                self.sink.error(decl.span, "authority-limit", f"`{name}` has no limit, but only the last role may have none",
                                f"write `{name} up to $AMOUNT`")
            elif decl.limit is not None:
                limit = self._limit(decl, checker, roles)
            roles.append(Role(name, limit))
        return AuthorityChain(tuple(roles))

    def _limit(self, decl: ast.AuthorityRole, checker: ExpressionChecker, roles: list[Role]) -> Decimal | None:
        if isinstance(decl.limit, ast.Number):
            checker.expect(decl.limit, MONEY, "an authority limit")
            return None
        if not isinstance(decl.limit, ast.Money):
            self.sink.error(decl.limit.span, "authority-limit", "an authority limit must be a fixed amount such as `$50`")
            return None
        checker.type_of(decl.limit)
        limit = decl.limit.amount
        below = next((r for r in reversed(roles) if r.limit is not None), None)
        if below is not None and limit <= below.limit:
            self.sink.error(decl.limit.span, "authority-order",
                            f"`{decl.name.name}` may approve up to {decl.limit.text}, which does not rise above `{below.name}`",
                            "list roles lowest first, each with a higher limit than the one before")
        return limit

    def _otherwise(self, statements, roles) -> str | None:
        decls = [s for s in statements if isinstance(s, ast.OtherwiseDecl)]
        for extra in decls[1:]:
            self.sink.error(extra.span, "duplicate", "`otherwise` is declared twice", "keep one")
        if not decls:
            return None
        role = decls[0].role
        if role.name not in roles:
            self.sink.error(role.span, "unknown-role", f"unknown role `{role.name}`",
                            did_you_mean(role.name, roles) or _roles_hint(roles))
        return role.name

    def _check_name(self, name: ast.Name, what: str) -> None:
        if not SNAKE_CASE.match(name.name):
            self.sink.error(name.span, "naming", f"{what} names are lowercase snake_case", snake_case_hint(name.name))


def _roles_hint(roles) -> str:
    return f"the roles are {', '.join(roles)}" if roles else "declare the roles in an `authority` block"


def _header_value(statement) -> str:
    if isinstance(statement, ast.PolicyDecl):
        return statement.name.value
    if isinstance(statement, ast.VersionDecl):
        return statement.version.value
    return statement.code


def _first_span(statements) -> ast.Span:
    return statements[0].span if statements else ast.Span(1, 1, 1, 2)


def _is_money(expr) -> bool:
    return isinstance(expr, ast.Money) or (isinstance(expr, ast.Negate) and isinstance(expr.operand, ast.Money))


def _literal_text(expr) -> str:
    return "-" + _literal_text(expr.operand) if isinstance(expr, ast.Negate) else getattr(expr, "text", "?")


def _literal_value(expr):
    """The value of a literal default, or None when the expression is not a literal."""
    if isinstance(expr, (ast.Money,)):
        return expr.amount
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Percent):
        return expr.percent / 100
    if isinstance(expr, ast.Negate):
        inner = _literal_value(expr.operand)
        return -inner if isinstance(inner, Decimal) else None
    if isinstance(expr, ast.Boolean):
        return expr.value
    if isinstance(expr, ast.Text):
        return expr.value
    if isinstance(expr, ast.Name):
        return expr.name
    return None

