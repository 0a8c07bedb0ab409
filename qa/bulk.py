"""Replays and diffs on the SQL engine (DuckDB): a batch of rows in, the same tallies out.

`BulkReplay` and `BulkDiff` have the interfaces of `qa.replay.Replay` and `qa.diff.CaseDiff`, so
the commands and the workbench swap one for the other. Per batch (`qa.bulk_sources`): the compiled
query (`engine.sql`) decides every row into a temporary table, a few aggregate queries give the
counts, exact DECIMAL sums, rule order, worst cases and movers, and the rows SQL hands back
(`ok = false`: invalid, or outside the exact domain) are decided here by the compiled engine, one by
one, with its very reasons. Per-case outcomes are made in Python only when the caller keeps them.

Decimal sums keep Python's exponents (a sum of amounts written `5.10` and `3` prints `8.10`): the
queries return the largest number of decimals met, and the sums are quantized to it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Iterator

from dsl.checker import check_source
from dsl.currency import minor_unit
from dsl.model import Policy
from engine.decision import Decision
from engine.sql import ColumnType, Digits, NotExact, compile_policy, decimal_value
from qa.bulk_sources import INDEX, PYTHON, Batch, batches_of, fields_of
from qa.casefiles import CaseFile, RawRow
from qa.diff import BehaviourDiff, CaseChange, diff_batches
from qa.replay import OFFERED_KEY, CaseOutcome, ReplayBatch, RuleTally, Tally, replay_batches

OFFERED_DIGITS = Digits(15, 6)
ZERO = Decimal(0)


def checked(source: str, path: str) -> Policy:
    result = check_source(source, path)
    if not result.ok:
        raise ValueError(f"{path} does not check")
    return result.policy


def sql_refusal(policy: Policy) -> str | None:
    """Why the policy cannot be decided exactly in SQL, or None when it can."""
    try:
        compile_policy(policy)
    except NotExact as error:
        return str(error)
    return None


def _connect():
    import duckdb

    return duckdb.connect(config={"preserve_insertion_order": "false"})


def _quantized(total, scale) -> Decimal:
    """A SQL sum as Python's sum of the same Decimals prints it."""
    return Decimal(total).quantize(Decimal(1).scaleb(-int(scale or 0)))


class _Query:
    """One compiled policy over the registered batch, built for the first batch's column types."""

    def __init__(self, con, policy: Policy, batch: Batch, wording: bool = False):
        con.register("cases", batch.table)
        self.types = {name: sql_type for name, sql_type, *_ in con.execute("DESCRIBE cases").fetchall()}
        self.compiled = compile_policy(policy, "duckdb", "cases", self.types, carry=(OFFERED_KEY, INDEX, PYTHON), wording=wording)

    def sql(self) -> str:
        return self.compiled.sql()

    def offered(self) -> tuple[str, str, str, str]:
        """(good, value, decimals, absent) of `offered`, as SQL text over the compiled query's output."""
        source = ColumnType.parse(self.types.get(OFFERED_KEY, "VARCHAR"))
        good, value, _ = decimal_value(OFFERED_KEY, source, OFFERED_DIGITS)
        if source.family == "text":
            decimals = "length(split_part(trim(\"offered\"), '.', 2))"
            absent = "(\"offered\" IS NULL OR \"offered\" = '')"
        else:
            decimals = str(source.scale)
            absent = "\"offered\" IS NULL"
        return f"({absent} OR coalesce({good.sql('duckdb')}, false))", value.sql("duckdb"), decimals, absent


def _in_order(batch: Batch, indices: set[int]) -> list[RawRow]:
    """The rows SQL handed back and the rows it never saw, in file order, for the compiled engine."""
    return sorted([batch.raw(i) for i in indices] + batch.unreadable, key=lambda row: row.number)


# ---------------------------------------------------------------- replay
_REPLAY_TABLE = """
CREATE OR REPLACE TEMP TABLE decided AS
SELECT row, {index}, ok AND offered_good AND NOT {python} AS ok, rule, floor, ceiling, open_at, approver, offered AS offered_raw,
       offered_value, offered_decimals,
       CASE WHEN rule IS NULL THEN 'no_rule' WHEN offered_value IS NULL THEN 'decided'
            WHEN offered_value < floor THEN 'under' WHEN offered_value > ceiling THEN 'over' ELSE 'within' END AS status,
       offered_value - ceiling AS over_by, floor - offered_value AS under_by
FROM (SELECT *, {good} AS offered_good, CASE WHEN {good} THEN {value} END AS offered_value,
             CASE WHEN {absent} THEN NULL ELSE {decimals} END AS offered_decimals
      FROM ({compiled}))
"""
_REPLAY_GROUPS = """
SELECT rule, status, count(*), min(row), sum(floor), sum(ceiling), sum(offered_value), max(offered_decimals),
       sum(over_by) FILTER (status = 'over'), max(offered_decimals) FILTER (status = 'over'),
       sum(under_by) FILTER (status = 'under'), max(offered_decimals) FILTER (status = 'under')
FROM decided WHERE ok GROUP BY rule, status
"""
_OUTCOME_COLUMNS = "row, {index}, status, rule, floor, ceiling, open_at, approver, offered_raw"


class BulkReplay:
    """`qa.replay.Replay` on DuckDB, for a policy `sql_refusal` accepts."""

    kind = "duckdb"

    def __init__(self, source: str, path: str):
        self.policy = checked(source, path)
        self.source, self.path = source, path
        self.extra_columns: dict[str, None] = {}

    def batches(self, cases: CaseFile | Iterable[RawRow], keep_outcomes: bool) -> Iterator[ReplayBatch]:
        con, query, statement = _connect(), None, ""
        python = replay_batches(self.source, self.path, "compiled", None, True)
        known = {f.name for f in self.policy.fields} | {"id", OFFERED_KEY}
        for batch in batches_of(cases, fields_of(self.policy)):
            con.register("cases", batch.table)
            if query is None:
                query = _Query(con, self.policy, batch)
                good, value, decimals, absent = query.offered()
                statement = _REPLAY_TABLE.format(index=INDEX, python=PYTHON, good=good, value=value, decimals=decimals, absent=absent,
                                                 compiled=query.sql())
            con.execute(statement)
            handed_back = {i for (i,) in con.execute(f"SELECT {INDEX} FROM decided WHERE NOT ok").fetchall()} | set(batch.python)
            by_python = python(_in_order(batch, handed_back))
            tally = self._tally(con, batch, by_python.outcomes)
            outcomes = None
            if keep_outcomes:
                outcomes = sorted(self._outcomes(con, batch) + by_python.outcomes, key=lambda o: o.row)
            extra = sorted((batch.seen_columns - known - {"_row", INDEX, PYTHON}) | set(by_python.extra_columns))
            self.extra_columns.update(dict.fromkeys(extra))
            yield ReplayBatch(tally, outcomes, batch.rows, extra)

    def outcomes(self, cases: CaseFile | Iterable[RawRow]) -> Iterator[CaseOutcome]:
        for batch in self.batches(cases, keep_outcomes=True):
            yield from batch.outcomes

    def _tally(self, con, batch: Batch, python_outcomes: list[CaseOutcome]) -> Tally:
        tally = Tally()
        groups = con.execute(_REPLAY_GROUPS).fetchall()
        first_rows: dict[str, int] = {}
        for rule, status, count, first, *_ in groups:
            if rule is not None:
                first_rows[rule] = min(first, first_rows.get(rule, first))
        for outcome in python_outcomes:
            if outcome.rule is not None:
                first_rows[outcome.rule] = min(outcome.row, first_rows.get(outcome.rule, outcome.row))
        for rule in sorted(first_rows, key=first_rows.get):
            tally.rules[rule] = RuleTally()
        for rule, status, count, _, floor, ceiling, offered, decimals, over, over_decimals, under, under_decimals in groups:
            tally.cases += count
            tally.status[status] += count
            if rule is None:
                continue
            entry = tally.rules[rule]
            entry.cases += count
            entry.statuses[status] += count
            amounts = [("floor", Decimal(floor)), ("ceiling", Decimal(ceiling))]
            if offered is not None:
                amounts.append(("offered", _quantized(offered, decimals)))
            for key, amount in amounts:
                setattr(entry, key, getattr(entry, key) + amount)
                tally.totals[key] += amount
            if over is not None:
                tally.totals["over_by"] += _quantized(over, max(over_decimals or 0, self._minor()))
            if under is not None:
                tally.totals["under_by"] += _quantized(under, max(under_decimals or 0, self._minor()))
        for status, order in (("over", "over_by"), ("under", "under_by")):
            rows = con.execute(f"SELECT {_OUTCOME_COLUMNS.format(index=INDEX)} FROM decided WHERE ok AND status = '{status}' "
                               f"ORDER BY {order} DESC, row LIMIT 10").fetchall()
            for row in rows:
                tally.keep_if_worst(self._outcome(batch, row))
        for outcome in python_outcomes:
            tally.add(outcome)
        return tally

    def _minor(self) -> int:
        return minor_unit(self.policy.currency)

    def _outcomes(self, con, batch: Batch) -> list[CaseOutcome]:
        rows = con.execute(f"SELECT {_OUTCOME_COLUMNS.format(index=INDEX)} FROM decided WHERE ok ORDER BY row").fetchall()
        return [self._outcome(batch, row) for row in rows]

    @staticmethod
    def _outcome(batch: Batch, row) -> CaseOutcome:
        number, index, status, rule, floor, ceiling, open_at, approver, offered = row
        case_id = batch.raw(index).data.get("id")
        offered = None if offered is None or offered == "" else Decimal(offered) if not isinstance(offered, Decimal) else offered
        return CaseOutcome(number, case_id, status, rule, floor, ceiling, open_at, approver, offered)


# ---------------------------------------------------------------- diff
_DIFF_TABLE = """
CREATE OR REPLACE TEMP TABLE compared AS
SELECT o.row, o.{index}, o.ok AND n.ok AND NOT o.{python} AS ok,
       o.rule AS old_rule, o.floor AS old_floor, o.ceiling AS old_ceiling, o.approver AS old_approver,
       n.rule AS new_rule, n.floor AS new_floor, n.ceiling AS new_ceiling, n.approver AS new_approver,
       (o.rule, o.floor, o.ceiling, o.approver) IS DISTINCT FROM (n.rule, n.floor, n.ceiling, n.approver) AS changed,
       coalesce(n.floor, 0) - coalesce(o.floor, 0) AS floor_delta,
       coalesce(n.ceiling, 0) - coalesce(o.ceiling, 0) AS ceiling_delta,
       o.floor IS NOT NULL OR n.floor IS NOT NULL AS has_amounts
FROM ({old}) o JOIN ({new}) n ON o.row = n.row
"""
_DIFF_TOTALS = """
SELECT count(*) FILTER (changed), count(*) FILTER (NOT changed), sum(floor_delta), sum(ceiling_delta),
       bool_or(has_amounts), count(*) FILTER (changed AND ceiling_delta > 0), count(*) FILTER (changed AND ceiling_delta < 0)
FROM compared WHERE ok
"""
_DIFF_TRANSITIONS = """
SELECT coalesce(old_rule, '(no rule)') || ' -> ' || coalesce(new_rule, '(no rule)'), count(*), min(row)
FROM compared WHERE ok AND changed GROUP BY ALL
"""
_DIFF_BINS = """
SELECT CASE WHEN ceiling_delta = 0 THEN '0' WHEN ceiling_delta < -1000 THEN '< -1,000'
            WHEN ceiling_delta < -100 THEN '-1,000 to -100' WHEN ceiling_delta < -10 THEN '-100 to -10'
            WHEN ceiling_delta < 0 THEN '-10 to 0' WHEN ceiling_delta < 10 THEN '0 to 10'
            WHEN ceiling_delta < 100 THEN '10 to 100' WHEN ceiling_delta < 1000 THEN '100 to 1,000' ELSE '>= 1,000' END,
       count(*)
FROM compared WHERE ok AND changed GROUP BY ALL
"""
_CHANGE_COLUMNS = "row, {index}, changed, old_rule, old_floor, old_ceiling, old_approver, new_rule, new_floor, new_ceiling, new_approver"


class BulkDiff:
    """`qa.diff.CaseDiff` on DuckDB, for two policies `sql_refusal` accepts."""

    kind = "duckdb"

    def __init__(self, old: tuple[str, str], new: tuple[str, str]):
        self.old, self.new = old, new
        self.policies = (checked(*old), checked(*new))
        self.extra_columns: dict[str, None] = {}

    def batches(self, cases: CaseFile | Iterable[RawRow], keep_changes: bool) -> Iterator[tuple[BehaviourDiff, list | None, int]]:
        con, statement = _connect(), None
        python = diff_batches(*self.old, *self.new, "compiled", None)
        known = {f.name for p in self.policies for f in p.fields} | {"id", OFFERED_KEY, "_row", INDEX, PYTHON}
        for batch in batches_of(cases, fields_of(*self.policies)):
            con.register("cases", batch.table)
            if statement is None:
                old, new = (_Query(con, policy, batch).sql() for policy in self.policies)
                statement = _DIFF_TABLE.format(index=INDEX, python=PYTHON, old=old, new=new)
            con.execute(statement)
            handed_back = {i for (i,) in con.execute(f"SELECT {INDEX} FROM compared WHERE NOT ok").fetchall()} | set(batch.python)
            python_changes, python_extra = python(_in_order(batch, handed_back))
            behaviour = self._behaviour(con, batch, python_changes)
            changes = None
            if keep_changes:
                rows = con.execute(f"SELECT {_CHANGE_COLUMNS.format(index=INDEX)} FROM compared WHERE ok ORDER BY row").fetchall()
                changes = sorted([self._change(batch, row) for row in rows] + python_changes, key=lambda c: c.row)
            extra = sorted((batch.seen_columns - known) | set(python_extra))
            self.extra_columns.update(dict.fromkeys(extra))
            yield behaviour, changes, batch.rows

    def changes(self, cases: CaseFile | Iterable[RawRow]) -> Iterator[CaseChange]:
        for _, changes, _ in self.batches(cases, keep_changes=True):
            yield from changes

    def _behaviour(self, con, batch: Batch, python_changes: list[CaseChange]) -> BehaviourDiff:
        behaviour = BehaviourDiff()
        changed, unchanged, floor_delta, ceiling_delta, has_amounts, more, less = con.execute(_DIFF_TOTALS).fetchone()
        behaviour.cases = changed + unchanged
        behaviour.changed, behaviour.unchanged, behaviour.more, behaviour.less = changed, unchanged, more, less
        if has_amounts:
            behaviour.floor_delta, behaviour.ceiling_delta = Decimal(floor_delta), Decimal(ceiling_delta)
        python_diff = BehaviourDiff()
        for change in python_changes:
            python_diff.add(change)
        firsts = {key: first for key, _, first in con.execute(_DIFF_TRANSITIONS).fetchall()}
        counts = {key: count for key, count, _ in con.execute(_DIFF_TRANSITIONS).fetchall()}
        for change in python_changes:
            if change.status == "changed":
                key = f"{change.old.rule or '(no rule)'} -> {change.new.rule or '(no rule)'}"
                firsts[key] = min(change.row, firsts.get(key, change.row))
        for key in sorted(firsts, key=firsts.get):
            behaviour.transitions[key] = counts.get(key, 0)
        for label, count in con.execute(_DIFF_BINS).fetchall():
            behaviour.histogram[label] += count
        movers = con.execute(f"SELECT {_CHANGE_COLUMNS.format(index=INDEX)} FROM compared WHERE ok AND changed "
                             "ORDER BY abs(ceiling_delta) DESC, row LIMIT 10").fetchall()
        for row in movers:
            behaviour.keep_if_mover(self._change(batch, row))
        behaviour.merge(python_diff)
        return behaviour

    def _change(self, batch: Batch, row) -> CaseChange:
        number, index, changed, *sides = row
        case_id = batch.raw(index).data.get("id")
        decisions = []
        for policy, (rule, floor, ceiling, approver) in zip(self.policies, (sides[:4], sides[4:])):
            decisions.append(Decision(policy.name, policy.version, policy.digest, case_id, rule, policy.currency,
                                      floor=floor, ceiling=ceiling, approver=approver))
        return CaseChange(number, case_id, "changed" if changed else "unchanged", *decisions)
