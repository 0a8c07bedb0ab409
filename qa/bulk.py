"""Replays and diffs on the SQL engine (DuckDB): rows in, the very tallies of the compiled engine out.

`BulkReplay` has the interface of `qa.replay.Replay` (and `qa.bulk_diff.BulkDiff` that of
`qa.diff.CaseDiff`), so the commands and the workbench swap one for the other. A *unit* of work is a whole Parquet or plain
CSV file that DuckDB reads itself, or a batch of rows read by Python (`qa.bulk_sources`). Per unit,
ONE aggregate query over the compiled policy (`engine.sql`) gives the counts, the exact DECIMAL sums,
each rule's first row (dicts keep the order the compiled engine meets rules in), the worst cases or
the movers (`max_by` on the same keys the Python heaps use) and the rows SQL hands back (`ok =
false`); those rows are then decided by the compiled engine, with its own reasons. Per-case
outcomes are made only when the caller keeps them, from a second, streaming query.

Decimal sums keep Python's exponents (a sum of amounts written `5.10` and `3` prints `8.10`): the
query returns the largest number of decimals met, and each sum is quantized to it.
"""

from __future__ import annotations

import heapq
from decimal import Decimal
from functools import cache, partial
from typing import Callable, Iterable, Iterator

from dsl.currency import minor_unit
from dsl.model import Policy
from engine.sql import ColumnType, Digits
from qa.batch import checked_policy
from qa.bulk_sources import INDEX, PYTHON, ROW, NativeFile, fields_of, plain_csv_rows
from qa.casefiles import CaseFile, RawRow
from qa.replay import OFFERED_KEY, CaseOutcome, ReplayBatch, RuleTally, Tally, offered_amount, replay_batches

OFFERED_DIGITS = Digits(15, 6)
STREAM_ROWS = 65_536
CARRIED = (OFFERED_KEY, INDEX, PYTHON, "id")


# `remember(key, make)`: `make()`, a query's text, or the text a cache keeps for `key` (the CLI's is
# `redress.policy_cache.remembered_sql`); without a cache, the query is compiled in every process.
Remember = Callable[[str, Callable[[], str]], str]


def compiled_anew(key: str, make: Callable[[], str]) -> str:
    return make()


def sql_refusal(policy: Policy, wording: bool = True) -> str | None:
    """Why the policy cannot be decided exactly in SQL, or None when it can; `wording=False`: by a
    query that leaves the wording out, as a replay's does (it reports no `say`)."""
    from engine.sql import NotExact, compile_policy

    try:
        compile_policy(policy, wording=wording)
    except NotExact as error:
        return str(error)
    return None


def _quantized(total, scale) -> Decimal:
    """A SQL sum as Python's sum of the same Decimals prints it."""
    return Decimal(total).quantize(Decimal(1).scaleb(-int(scale or 0)))


class Unit:
    """One relation to decide, registered as the view `cases`, and the way back to its raw rows."""

    def __init__(self, con, cases: CaseFile | Iterable[RawRow] | None, batch=None, expected_rows: int | None = None):
        self.con, self.batch = con, batch
        self.expected_rows = expected_rows  # for a CSV file: the rows it must read, one per line
        if batch is None:
            self.native = NativeFile(con, cases, expected_rows or 0)
            con.execute(f"CREATE OR REPLACE TEMP VIEW cases AS {self.native.select}")
        else:
            self.native = None
            con.register("cases_batch", batch.table)
            con.execute("CREATE OR REPLACE TEMP VIEW cases AS SELECT * FROM cases_batch")
        self.types = {name: sql_type for name, sql_type, *_ in con.execute("DESCRIBE cases").fetchall()}

    def raw_rows(self, indices: list[int]) -> list[RawRow]:
        if self.native is not None:
            found = self.native.rows_at(indices)
            return [found[i] for i in indices]
        return [self.batch.raw(i) for i in indices]

    def case_id(self, index: int, carried):
        if self.native is not None and ColumnType.parse(self.types.get("id", "VARCHAR")).family != "other":
            return carried
        return self.raw_rows([index])[0].data.get("id")

    def extras(self, known: set[str]) -> list[str]:
        """Columns that are no policy's and hold a value in some row, sorted (as the engines report)."""
        if self.native is None and self.batch.present_columns is not None:
            return sorted(self.batch.present_columns() - known)
        if self.native is None:
            seen = set().union(*(self.batch.raw(i).data.keys() for i in range(self.batch.rows) if self.batch.raw(i).data))
            return sorted(seen - known)
        candidates = [name for name in self.types if name not in known and name not in ("file_row_number",)]
        if not candidates:
            return []
        counts = self.con.execute("SELECT " + ", ".join(f'count("{name}")' for name in (n.replace('"', '""') for n in candidates))
                                  + " FROM cases").fetchone()
        return sorted(name for name, count in zip(candidates, counts) if count)


def units_of(cases, fields: dict[str, str], threads: int | None) -> Iterator[Unit]:
    """The file as one unit DuckDB reads itself when it can, else units of an Arrow IPC file's own
    record batches (typed, no Python per value), else batches of Python-read rows.
    A caller that finds the file unit read a different number of rows than `expected_rows` (a
    quoted cell spanning lines) calls `throw(Misread)` and gets the Python-read batches instead."""
    import duckdb

    con = duckdb.connect(config={"threads": threads} if threads else {})
    native = isinstance(cases, CaseFile) and cases.format == "parquet" and cases.path != "<stdin>"
    expected = plain_csv_rows(con, cases) if isinstance(cases, CaseFile) and not native else None
    if native or expected is not None:
        try:
            unit = Unit(con, cases, expected_rows=expected)
        except duckdb.Error:
            unit = None  # DuckDB refused the file: the Python reader reports each bad row, or the file's error
        if unit is not None:
            try:
                yield unit
                return
            except Misread:
                # DuckDB could not read the file as Python does (a CSV row with the wrong number of
                # cells, bytes that are not UTF-8, a quoted cell spanning lines, a damaged Parquet page).
                yield None  # the answer to `throw`; the Python-read batches follow
    from qa.bulk_rows import arrow_batches, batches_of  # pyarrow: only for rows DuckDB does not read itself

    typed = isinstance(cases, CaseFile) and cases.format == "arrow"
    for batch in arrow_batches(cases) if typed else batches_of(cases, fields):
        yield Unit(con, None, batch)


class Misread(Exception):
    """DuckDB read a CSV file into a different number of rows than it has lines."""


def grouped(units, unit: Unit, query: str, count_at: int) -> list | None:
    """The unit's aggregate rows; None when DuckDB could not read a file unit as the Python reader
    does (an error, or another number of rows than the file has lines), after switching `units`
    over to the Python reader (see `units_of`)."""
    import duckdb

    try:
        groups = unit.con.execute(query).fetchall()
    except duckdb.Error:
        if unit.native is None:
            raise
        groups = None
    if groups is not None and unit.expected_rows in (None, sum(group[count_at] for group in groups)):
        return groups
    units.throw(Misread())
    return None


def _offered_columns(types: dict[str, str]) -> str:
    """The decided rows: `offered` read with the case reader's checks, the status, the gaps."""
    from engine.sql import decimal_value

    source = ColumnType.parse(types.get(OFFERED_KEY, "VARCHAR"))
    good, value, _ = (part.sql("duckdb") for part in decimal_value(OFFERED_KEY, source, OFFERED_DIGITS))
    if source.family == "text":
        absent, decimals = "(offered IS NULL OR offered = '')", "length(split_part(trim(offered), '.', 2))"
    else:
        absent, decimals = "offered IS NULL", str(source.scale)
    return f"""
        SELECT *, CASE WHEN NOT ok OR {PYTHON} OR NOT ({absent} OR coalesce({good}, false)) THEN 'python'
                       WHEN rule IS NULL THEN 'no_rule' WHEN offered_value IS NULL THEN 'decided'
                       WHEN offered_value < floor THEN 'under' WHEN offered_value > ceiling THEN 'over'
                       ELSE 'within' END AS status,
               offered_value - ceiling AS over_by, floor - offered_value AS under_by
        FROM (SELECT *, CASE WHEN {absent} THEN NULL ELSE {value} END AS offered_value,
                     CASE WHEN {absent} THEN NULL ELSE {decimals} END AS offered_decimals FROM ({{compiled}}))"""


_OUTCOME = "{'row': row, 'i': _i, 'rule': rule, 'floor': floor, 'ceiling': ceiling, 'open_at': open_at, " \
           "'approver': approver, 'offered': offered, 'id': id, 'status': status}"
_REPLAY_GROUPS = f"""
SELECT rule, status, count(*), min(row), sum(floor), sum(ceiling), sum(offered_value), max(offered_decimals),
       sum(over_by) FILTER (status = 'over'), max(offered_decimals) FILTER (status = 'over'),
       sum(under_by) FILTER (status = 'under'), max(offered_decimals) FILTER (status = 'under'),
       list(_i ORDER BY row) FILTER (status = 'python'),
       max_by({_OUTCOME}, {{'gap': over_by, 'row': -row}}, 10) FILTER (status = 'over'),
       max_by({_OUTCOME}, {{'gap': under_by, 'row': -row}}, 10) FILTER (status = 'under')
FROM ({{decided}}) GROUP BY rule, status
"""


class BulkReplay:
    """`qa.replay.Replay` on DuckDB, for a policy `sql_refusal` accepts."""

    kind = "duckdb"

    def __init__(self, source: str, path: str, threads: int | None = None, policy: Policy | None = None,
                 remember: Remember = compiled_anew):
        self.policy = policy or checked_policy(source, path)
        self.source, self.path, self.threads, self.remember = source, path, threads, remember
        self.minor = minor_unit(self.policy.currency)
        self.extra_columns: dict[str, None] = {}
        self._compiled: dict[tuple, str] = {}

    def _decided(self, unit: Unit) -> str:
        """The unit's decided rows, as a query to use as a subquery: a view would be bound by DuckDB
        when made and again in every query (30 ms of a 1-second replay)."""
        key = tuple(sorted(unit.types.items()))
        if key not in self._compiled:
            self._compiled[key] = self.remember(f"replay\0{self.path}\0{self.source}\0{key!r}", lambda: self._compile(unit.types))
        return self._compiled[key]

    def _compile(self, types: dict[str, str]) -> str:
        from engine.sql import compile_policy

        compiled = compile_policy(self.policy, "duckdb", "cases", types, carry=CARRIED, wording=False)
        return _offered_columns(types).replace("{compiled}", compiled.sql())

    def batches(self, cases: CaseFile | Iterable[RawRow], keep_outcomes: bool) -> Iterator[ReplayBatch]:
        # The compiled engine is built only if SQL hands a row back (most files hand back none).
        python = cache(partial(replay_batches, self.source, self.path, "compiled", None, True))
        known = {f.name for f in self.policy.fields} | {"id", OFFERED_KEY, ROW, INDEX, PYTHON}
        units = units_of(cases, fields_of(self.policy), self.threads)
        for unit in units:
            decided = self._decided(unit)
            groups = grouped(units, unit, _REPLAY_GROUPS.replace("{decided}", decided), 2)
            if groups is None:
                continue
            handed_back = sorted(i for group in groups if group[1] == "python" for i in group[12])
            by_python = python()(unit.raw_rows(handed_back)) if handed_back else ReplayBatch(Tally(), [], 0, [])
            tally = self._tally(unit, groups, by_python.outcomes)
            extra = sorted(set(unit.extras(known)) | set(by_python.extra_columns))
            self.extra_columns.update(dict.fromkeys(extra))
            rows = tally.cases
            if keep_outcomes:
                for outcomes in merged(self._outcomes(unit, decided), by_python.outcomes):
                    yield ReplayBatch(Tally(), outcomes, len(outcomes), extra)
                rows = 0
            yield ReplayBatch(tally, [] if keep_outcomes else None, rows, extra)

    def outcomes(self, cases: CaseFile | Iterable[RawRow]) -> Iterator[CaseOutcome]:
        for batch in self.batches(cases, keep_outcomes=True):
            yield from batch.outcomes

    def _tally(self, unit: Unit, groups: list, python_outcomes: list[CaseOutcome]) -> Tally:
        tally = Tally(Decimal(0).scaleb(-self.minor))  # a total no case adds to is shown to the cent, as case by case
        first_rows: dict[str, int] = {}
        for rule, status, _, first, *_ in groups:
            if rule is not None and status != "python":
                first_rows[rule] = min(first, first_rows.get(rule, first))
        for outcome in python_outcomes:
            if outcome.rule is not None:
                first_rows[outcome.rule] = min(outcome.row, first_rows.get(outcome.rule, outcome.row))
        for rule in sorted(first_rows, key=first_rows.get):
            tally.rules[rule] = RuleTally()
        for rule, status, count, _, floor, ceiling, offered, decimals, over, over_decimals, under, under_decimals, _, \
                worst_over, worst_under in groups:
            if status == "python":
                continue
            tally.cases += count
            tally.status[status] += count
            if rule is None:
                continue
            entry = tally.rules[rule]
            entry.cases += count
            entry.statuses[status] += count
            amounts = [("floor", Decimal(floor)), ("ceiling", Decimal(ceiling))]
            if offered is not None:
                amounts.append(("offered", _quantized(offered, max(decimals or 0, self.minor))))
            for key, amount in amounts:
                setattr(entry, key, getattr(entry, key) + amount)
                tally.totals[key] += amount
            if over is not None:
                tally.totals["over_by"] += _quantized(over, max(over_decimals or 0, self.minor))
            if under is not None:
                tally.totals["under_by"] += _quantized(under, max(under_decimals or 0, self.minor))
            for outcome in worst_over or worst_under or ():
                tally.keep_if_worst(self._outcome(unit, outcome))
        for outcome in python_outcomes:
            tally.add(outcome)
        return tally

    def _outcomes(self, unit: Unit, decided: str) -> Iterator[CaseOutcome]:
        return streamed(unit, f"SELECT {_OUTCOME} FROM ({decided}) WHERE status <> 'python' ORDER BY row", self._outcome)

    def _outcome(self, unit: Unit, row: dict) -> CaseOutcome:
        offered = offered_amount(row["offered"], Decimal(1).scaleb(-self.minor))
        return CaseOutcome(row["row"], unit.case_id(row["i"], row["id"]), row["status"], row["rule"], row["floor"],
                           row["ceiling"], row["open_at"], row["approver"], offered)


def streamed(unit: Unit, query: str, make) -> Iterator:
    """`make(unit, row)` for every row of a one-column query, fetched a chunk at a time."""
    result = unit.con.execute(query)
    while chunk := result.fetchmany(STREAM_ROWS):
        for (row,) in chunk:
            yield make(unit, row)


def merged(decided: Iterator, by_python: list) -> Iterator[list]:
    """Two row-ordered streams of outcomes (or changes) as one, in chunks."""
    chunk = []
    for item in heapq.merge(decided, by_python, key=lambda item: item.row):
        chunk.append(item)
        if len(chunk) >= STREAM_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
