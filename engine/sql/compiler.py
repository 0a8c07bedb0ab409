"""A checked policy to one SELECT over a relation of raw cases (see `engine.sql` for the contract).

The query is built in layers, each a projection over the one before, in the order the compiled
engine computes a decision: read and check the fields (`engine.sql.reader`), the lets (a layer per
level of dependence), the conditions (first-match rule, entitlements, routes), the amounts rounded
half-up and clamped at zero, the range raised by each matched entitlement in turn, the opening
offer, and last the approver, notes and wording. `engine/decision.py` is the definition; every note
and clamp here mirrors a line there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from sqlglot import exp

from dsl import ast
from dsl.currency import format_money, minor_unit
from dsl.model import BOOL, ENUM, MONEY, TEXT, Policy
from dsl.names import names_used
from dsl.rules import PLACEHOLDER
from engine.sql.digits import DOMAINS, Digits, NotExact, TooManyDigits
from engine.sql.expressions import ExpressionCompiler, Value, column, decimal
from engine.sql.column_types import TEXT_COLUMN, ColumnType
from engine.sql.reader import read_field
from engine.sql.wording import joined, money_text, non_null, text, when

ROW = "_row"


@dataclass
class CompiledPolicy:
    """The query for one policy. `expression` is the sqlglot tree; `sql()` prints it."""

    policy: Policy
    dialect: str
    domain: Digits
    expression: exp.Select
    outputs: tuple[str, ...]
    carried: tuple[str, ...] = field(default=())

    def sql(self, pretty: bool = False) -> str:
        return self.expression.sql(dialect=self.dialect, pretty=pretty)


class _Layers:
    """SELECT *, new columns FROM (the previous layer): one projection per step."""

    def __init__(self, first: exp.Select):
        self.query = first
        self.depth = 0

    def add(self, columns: Mapping[str, exp.Expression]) -> None:
        if not columns:
            return
        self.depth += 1
        projections = [exp.Star(), *(exp.alias_(sql, name, quoted=True, copy=False) for name, sql in columns.items())]
        self.query = exp.select(*projections).from_(self.query.subquery(f"layer{self.depth}", copy=False), copy=False)


def _lets_by_level(policy: Policy) -> list[list]:
    names = {let.name for let in policy.lets}
    level: dict[str, int] = {}
    for let in policy.lets:  # already in dependency order
        level[let.name] = 1 + max((level[n] for n in names_used(let.expr) if n in names), default=-1)
    levels: list[list] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for let in policy.lets:
        levels[level[let.name]].append(let)
    return levels


class _Compiler:
    def __init__(self, policy: Policy, dialect: str, domain: Digits, source: exp.Expression,
                 columns: Mapping[str, ColumnType], carry: tuple[str, ...], wording: bool, settled: frozenset):
        self.policy, self.dialect, self.domain = policy, dialect, domain
        self.source, self.columns, self.carry, self.wording = source, columns, carry, wording
        self.settled = settled
        self.m = minor_unit(policy.currency)
        self.money_type = Digits(38 - self.m, self.m)
        self.scope: dict[str, Value] = {}
        self.kinds = {f.name: f.kind for f in policy.fields} | {let.name: let.kind for let in policy.lets}
        self.number_texts: dict[str, exp.Expression] = {}

    def money(self, amount: exp.Expression, negative: exp.Expression | None = None) -> exp.Expression:
        return money_text(amount, self.policy.currency, self.dialect, negative)

    def constant_money(self, amount) -> str:
        return format_money(amount, self.policy.currency)

    def compile(self) -> CompiledPolicy:
        policy = self.policy
        layers = self._read()
        for level in _lets_by_level(policy):
            compiler = ExpressionCompiler(self.scope, self.dialect == "duckdb")
            values = {let.name: compiler.value(let.expr, f"let {let.name}") for let in level}
            layers.add({f"_l_{name}": value.sql for name, value in values.items()})
            for name, value in values.items():
                self.scope[name] = Value(column(f"_l_{name}"), value.digits)
        layers.add(self._conditions())
        if self.settled:
            layers.add({"_settled": self._settled()})
        layers.add(self._rounded())
        layers.add(self._clamped())
        self._entitlement_layers(layers)
        layers.add(self._opening())
        outputs = self._outputs()
        query = exp.select(*(exp.alias_(sql, name, quoted=True, copy=False) for name, sql in outputs.items())).from_(
            layers.query.subquery("decided", copy=False), copy=False)
        return CompiledPolicy(policy, self.dialect, self.domain, query, tuple(outputs), self.carry)

    # ------------------------------------------------------------ reading
    def _read(self) -> _Layers:
        goods = []
        projections: dict[str, exp.Expression] = {ROW: column(ROW)}
        for name in self.carry:
            projections[name] = column(name) if name in self.columns else exp.Null()
        for case_field in self.policy.fields:
            source = self.columns.get(case_field.name)
            read = read_field(case_field, case_field.name if source is not None else None, source or TEXT_COLUMN, self.domain)
            goods.append(read.good)
            projections[f"_f_{case_field.name}"] = read.value.sql
            if read.number_text is not None:
                projections[f"_t_{case_field.name}"] = read.number_text
                self.number_texts[case_field.name] = column(f"_t_{case_field.name}")
            self.scope[case_field.name] = Value(column(f"_f_{case_field.name}"), read.value.digits)
        ok = exp.and_(*goods, copy=False) if goods else exp.true()
        projections["_ok"] = exp.Coalesce(this=exp.Paren(this=ok), expressions=[exp.false()])
        return _Layers(exp.select(*(exp.alias_(sql, name, quoted=True, copy=False) for name, sql in projections.items())).from_(self.source, copy=False))

    # ------------------------------------------------------------ matching
    def _conditions(self) -> dict[str, exp.Expression]:
        policy, compiler = self.policy, ExpressionCompiler(self.scope, self.dialect == "duckdb")
        rule = exp.Case()
        for index, guideline in enumerate(policy.guidelines):
            condition = exp.true() if guideline.condition is None else compiler.sql(guideline.condition, f'rule "{guideline.name}"')
            rule = rule.when(condition, exp.Literal.number(index), copy=False)
        columns = {"_rule": rule if policy.guidelines else exp.cast(exp.Null(), "INTEGER")}
        for kind, items in (("e", policy.entitlements), ("r", policy.routes)):
            for index, item in enumerate(items):
                where = f'{"entitlement" if kind == "e" else "route"} "{item.name}"'
                condition = exp.true() if item.condition is None else compiler.sql(item.condition, where)
                columns[f"_{kind}{index}"] = exp.Coalesce(this=exp.Paren(this=condition), expressions=[exp.false()])
        return columns

    def _settled(self) -> exp.Expression:
        """Whether the row matched a settled rule (or, when `None` is settled, no rule)."""
        rule = column("_rule")
        matched = [exp.Is(this=rule.copy(), expression=exp.Null())] if None in self.settled else []
        indexes = sorted(index for index in self.settled if index is not None)
        if indexes:
            matched.append(exp.In(this=rule.copy(), expressions=[exp.Literal.number(index) for index in indexes]))
        return exp.Coalesce(this=exp.Paren(this=exp.or_(*matched, copy=False)), expressions=[exp.false()])

    def _by_rule(self, pick) -> exp.Expression:
        """CASE _rule WHEN i THEN pick(rule i) ... END, leaving out rules where pick gives None and
        settled rules (their rows' amounts are never computed)."""
        case = exp.Case(this=column("_rule"))
        for index, guideline in enumerate(self.policy.guidelines):
            value = None if index in self.settled else pick(guideline)
            if value is not None:
                case = case.when(exp.Literal.number(index), value, copy=False)
        return case if case.args.get("ifs") else exp.Null()

    # ------------------------------------------------------------ amounts
    def _round(self, expr: ast.Expr, where: str) -> exp.Expression:
        value = ExpressionCompiler(self.scope, self.dialect == "duckdb").value(expr, where)
        if value.digits.whole + self.m > 38:
            raise TooManyDigits(f"{where} could need more digits than SQL's DECIMAL(38) holds")
        return decimal(exp.Round(this=value.sql, decimals=exp.Literal.number(self.m)), self.money_type)

    def _rounded(self) -> dict[str, exp.Expression]:
        columns = {
            "_floor_raw": self._by_rule(lambda g: self._round(g.floor, f'rule "{g.name}"')),
            "_ceiling_raw": self._by_rule(lambda g: self._round(g.ceiling, f'rule "{g.name}"')),
            "_open_raw": self._by_rule(lambda g: self._round(g.open_at, f'rule "{g.name}"') if g.open_at is not None else None),
            "_step_raw": self._by_rule(lambda g: self._round(g.step, f'rule "{g.name}"') if g.step is not None else None),
            "_extra_raw": self._by_rule(lambda g: self._round(g.extra.up_to, f'rule "{g.name}"') if g.extra else None),
        }
        for index, entitlement in enumerate(self.policy.entitlements):
            amount = self._round(entitlement.amount, f'entitlement "{entitlement.name}"')
            columns[f"_m_raw{index}"] = exp.Case(ifs=[exp.If(this=column(f"_e{index}"), true=amount)])
        return columns

    def _clamp(self, raw: str, what: str) -> tuple[exp.Expression, exp.Expression]:
        """`DecisionMaker._amount`: the amount clamped at zero, and its note when it was negative."""
        amount = column(raw)
        zero = decimal(exp.Literal.number(0), self.money_type)
        clamped = exp.Case(ifs=[exp.If(this=exp.LTE(this=amount, expression=zero), true=zero)], default=amount)
        note = when(exp.LT(this=amount, expression=zero),
                    joined(f"{what[0].upper()}{what[1:]} came out at ", self.money(amount),
                           f" and was raised to {self.constant_money(0)}."))
        return clamped, note

    def _clamped(self) -> dict[str, exp.Expression]:
        columns: dict[str, exp.Expression] = {}
        for index, entitlement in enumerate(self.policy.entitlements):
            columns[f"_m{index}"], columns[f"_note_m{index}"] = self._clamp(f"_m_raw{index}", f'entitlement "{entitlement.name}"')
        for key, what in (("floor", "the floor"), ("ceiling", "the ceiling"), ("open", "the opening offer"),
                          ("step", "the step"), ("extra", "the extra gesture")):
            columns[f"_{key}0"], columns[f"_note_{key}"] = self._clamp(f"_{key}_raw", what)
        return columns

    def _entitlement_layers(self, layers: _Layers) -> None:
        floor, ceiling = column("_floor0"), column("_ceiling0")
        inverted = exp.GT(this=floor, expression=ceiling)
        layers.add({
            "_fl_0": floor,
            "_ce_0": exp.Case(ifs=[exp.If(this=inverted, true=floor)], default=ceiling),
            "_note_inverted": when(inverted, joined("The guideline's floor (", self.money(floor), ") is above its ceiling (",
                                                    self.money(ceiling), "); the ceiling was raised to ", self.money(floor), ".")),
        })
        for index, entitlement in enumerate(self.policy.entitlements):
            minimum, matched = column(f"_m{index}"), column(f"_e{index}")
            floor, ceiling = column(f"_fl_{index}"), column(f"_ce_{index}")
            raises_floor = exp.and_(matched, exp.GT(this=minimum, expression=floor), copy=False)
            raises_ceiling = exp.and_(matched, exp.GT(this=minimum, expression=ceiling), copy=False)
            layers.add({
                f"_fl_{index + 1}": exp.Case(ifs=[exp.If(this=raises_floor, true=minimum)], default=floor),
                f"_ce_{index + 1}": exp.Case(ifs=[exp.If(this=raises_ceiling, true=minimum)], default=ceiling),
                f"_note_raise{index}": when(raises_ceiling, joined(
                    "The guideline's ceiling (", self.money(ceiling), f") is below the entitlement \"{entitlement.name}\" (",
                    self.money(minimum), "); the range was raised to honour it.")),
            })

    def _opening(self) -> dict[str, exp.Expression]:
        last = len(self.policy.entitlements)
        floor, ceiling, wanted = column(f"_fl_{last}"), column(f"_ce_{last}"), column("_open0")
        kept = exp.Least(this=exp.Greatest(this=wanted, expressions=[floor]), expressions=[ceiling])
        no_open = exp.Is(this=column("_open_raw"), expression=exp.Null())
        return {
            "_floor": floor, "_ceiling": ceiling,
            "_open_at": exp.Case(ifs=[exp.If(this=no_open, true=floor)], default=kept),
            "_note_moved": when(exp.and_(exp.Not(this=no_open), exp.NEQ(this=kept, expression=wanted), copy=False),
                                joined("The opening offer (", self.money(wanted), ") lies outside the range; it was moved to ",
                                       self.money(kept), ".")),
        }

    # ------------------------------------------------------------ the decision
    def _outputs(self) -> dict[str, exp.Expression]:
        policy = self.policy
        has_rule = exp.Not(this=exp.Is(this=column("_rule"), expression=exp.Null()))
        outputs: dict[str, exp.Expression] = {"row": column(ROW), "ok": column("_ok")}
        for name in self.carry:
            outputs[name] = column(name)
        outputs["rule"] = self._by_rule(lambda g: text(g.name))
        for name in ("floor", "ceiling", "open_at"):
            outputs[name] = column(f"_{name}")
        outputs["step"] = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=column("_step_raw"), expression=exp.Null())),
                                              true=column("_step0"))])
        outputs["approver"] = self._approver() if policy.authority else exp.cast(exp.Null(), "VARCHAR")
        outputs["escalate_to"] = exp.Case(ifs=[exp.If(this=has_rule, true=self._by_rule(
            lambda g: text(g.escalate_to) if g.escalate_to else None))],
            default=text(policy.otherwise) if policy.otherwise else exp.Null())
        outputs["follow_up"] = self._by_rule(lambda g: text(g.follow_up) if g.follow_up else None)
        outputs["remedies"] = exp.Coalesce(this=self._by_rule(
            lambda g: exp.Array(expressions=[text(r) for r in g.remedies]) if g.remedies else None),
            expressions=[exp.cast(exp.Array(expressions=[]), "VARCHAR[]")])
        outputs["routes"] = non_null([when(column(f"_r{i}"), route.name) for i, route in enumerate(policy.routes)])
        outputs["entitlements"] = non_null([when(column(f"_e{i}"), e.name) for i, e in enumerate(policy.entitlements)])
        outputs["extra_gesture"] = self._by_rule(lambda g: text(g.extra.gesture) if g.extra else None)
        outputs["extra_up_to"] = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=column("_extra_raw"), expression=exp.Null())),
                                                     true=column("_extra0"))])
        outputs["notes"] = non_null(self._notes())
        if self.wording:
            outputs["say"] = self._by_rule(lambda g: self._say(g.say) if g.say is not None else None)
        if self.settled:  # a settled row's decision is left null: only its row, `ok` and carried columns are made
            unsettled = exp.Not(this=column("_settled"))
            kept = {"row", "ok", *self.carry}
            outputs = {name: value if name in kept else exp.Case(ifs=[exp.If(this=unsettled.copy(), true=value)])
                       for name, value in outputs.items()}
        return outputs

    def _approver(self) -> exp.Expression:
        roles = self.policy.authority.roles
        case = exp.Case()
        for role in roles[:-1]:
            if role.limit is None:
                break
            limit = decimal(exp.Literal.number(format(role.limit, "f")), self.money_type)
            case = case.when(exp.LTE(this=column("_ceiling"), expression=limit), text(role.name), copy=False)
        approver = case.else_(text(roles[-1].name), copy=False) if case.args.get("ifs") else text(roles[-1].name)
        return exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=column("_rule"), expression=exp.Null())), true=approver)])

    def _notes(self) -> list[exp.Expression]:
        policy = self.policy
        no_rule = exp.Is(this=column("_rule"), expression=exp.Null())
        notes = [column(f"_note_m{i}") for i in range(len(policy.entitlements))]
        for index, entitlement in enumerate(policy.entitlements):
            notes.append(when(exp.and_(no_rule, column(f"_e{index}"), copy=False), joined(
                f'No guideline matches this case; the entitlement "{entitlement.name}" still guarantees at least ',
                self.money(column(f"_m{index}")), ".")))
        notes += [column("_note_floor"), column("_note_ceiling"), column("_note_inverted")]
        notes += [column(f"_note_raise{i}") for i in range(len(policy.entitlements))]
        notes += [column("_note_open"), column("_note_moved"), column("_note_step"), column("_note_extra")]
        return notes

    def _say(self, template: str) -> exp.Expression:
        parts: list[exp.Expression | str] = []
        position = 0
        for match in PLACEHOLDER.finditer(template):
            if match.start() > position:
                parts.append(template[position:match.start()])
            parts.append(self._placeholder(match.group(1)))
            position = match.end()
        if position < len(template) or not parts:
            parts.append(template[position:])
        return joined(*parts)

    def _placeholder(self, name: str) -> exp.Expression:
        decision = {"offer": "_open_at", "floor": "_floor", "ceiling": "_ceiling"}
        if name in decision:
            return self.money(column(decision[name]))
        if name == "step":
            return exp.Coalesce(this=self.money(column("_step0")), expressions=[text("")]) \
                if any(g.step is not None for g in self.policy.guidelines) else text("")
        if name == "extra":
            return exp.Coalesce(this=self._by_rule(lambda g: text(g.extra.gesture) if g.extra else None), expressions=[text("")])
        kind, value = self.kinds[name], self.scope[name]
        if kind == MONEY:
            rounded = decimal(exp.Round(this=value.sql, decimals=exp.Literal.number(self.m)), self.money_type)
            return self.money(rounded, exp.LT(this=value.sql.copy(), expression=exp.Literal.number(0)))
        if kind == BOOL:
            return exp.If(this=value.sql, true=text("yes"), false=text("no"))
        if kind in (ENUM, TEXT):
            return value.sql
        if name in self.number_texts:
            return self.number_texts[name]
        raise NotExact(f"the wording shows the number `{name}`, whose digits in Python depend on how the case "
                       "wrote its inputs; SQL cannot print them the same way")


def compile_policy(policy: Policy, dialect: str = "duckdb", source: str | exp.Expression = "cases",
                   column_types: Mapping[str, str] | None = None, carry: tuple[str, ...] = ("id",),
                   wording: bool = True, settled: frozenset = frozenset()) -> CompiledPolicy:
    """The query deciding every row of `source` (see `engine.sql`). Raises `NotExact` with the
    reason when the policy cannot be computed exactly in SQL. Rows that match a rule in `settled`
    (by index; `None` for no rule) get every decision column null, uncomputed (`qa.bulk_settled`)."""
    if column_types is None:
        column_types = {f.name: "VARCHAR" for f in policy.fields} | {name: "VARCHAR" for name in carry}
    columns = {name: ColumnType.parse(sql_type) for name, sql_type in column_types.items()}
    relation = exp.to_table(source) if isinstance(source, str) else source
    problem: NotExact | None = None
    known = _DOMAIN_OF.get(policy.digest)
    for whole, scale in DOMAINS[DOMAINS.index(known):] if known else DOMAINS:
        try:
            compiled = _Compiler(policy, dialect, Digits(whole, scale), relation, columns, carry, wording, settled).compile()
        except TooManyDigits as error:
            problem = error
            continue
        _DOMAIN_OF[policy.digest] = (whole, scale)
        return compiled
    raise problem



def renamed(source: str | CompiledPolicy, columns: Mapping[str, str], keep_all: bool = False) -> exp.Subquery:
    """`(SELECT [*,] column AS name, ... FROM source)`, a relation to decide: a table's columns
    under other names beside its own (`keep_all`), or a compiled policy's outputs under other
    names. A case diff decides the new version over the old version's rows this way, so the
    cases are read once and no join pairs the two decisions."""
    relation = exp.to_table(source) if isinstance(source, str) else source.expression.subquery("decided_before", copy=False)
    projections = [exp.alias_(column(name), alias, quoted=True, copy=False) for name, alias in columns.items()]
    return exp.select(*([exp.Star()] if keep_all else []), *projections).from_(relation, copy=False).subquery("renamed", copy=False)

# The widest domain that fitted each policy (by digest), so compiling it again starts there.
_DOMAIN_OF: dict[str, tuple[int, int]] = {}
