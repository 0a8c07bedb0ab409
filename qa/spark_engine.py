"""Replays and diffs on Apache Spark: the policy's compiled SQL plan, run by a Spark cluster.

The query is the one `engine.sql` compiles for DuckDB, printed by sqlglot in Spark's dialect; no
second compiler. Rows are read on the driver by the same readers as every other engine
(`qa.bulk_sources`: the row numbers, the reasons for unreadable rows and the text columns are
theirs), sent to the cluster as Arrow batches, decided there, and the decisions come back. So a
case file need not sit on the cluster's storage, and the cluster does the deciding: `local[*]`
(the default) runs Spark inside this machine, `--spark-master spark://host:7077` on a cluster.

Rows the query hands back (`ok = false`: invalid, or outside the exact numeric domain) are decided by
the compiled engine with its very reasons, as the DuckDB engine does, and each batch's tally is the
sum of `CaseOutcome`s made here, so every engine reports alike.

Spark is set up so DECIMAL arithmetic is exact or fails loudly: `decimalOperations.allowPrecisionLoss`
off (a product keeps its digits instead of rounding them away) and ANSI mode on (an overflow of
DECIMAL(38) is an error, never a NULL). The compiled plan bounds every expression inside 38 digits,
so no overflow should happen; if Spark still reports one, that batch is decided by the compiled
engine and a warning says so.
"""

from __future__ import annotations

import os
import shutil
import threading
from typing import Iterable, Iterator

from dsl.currency import quantum
from dsl.model import Policy
from engine.cases import CASE_ID_KEY, CaseError
from engine.decision import Decision
from engine.sql import compile_policy, decision_of
from qa.batch import checked_policy
from qa.bulk_engines import EngineUnavailable
from qa.bulk_rows import Batch, batches_of
from qa.bulk_sources import INDEX, fields_of
from qa.casefiles import CaseFile, RawRow
from qa.diff import BehaviourDiff, CaseChange, diff_batches, differing_fields
from qa.replay import OFFERED_KEY, CaseOutcome, ReplayBatch, Tally, classify, offered_amount, replay_batches

DEFAULT_MASTER = "local[*]"
VIEW = "redress_cases"

# Exact decimals, a loud overflow, and a small local footprint (the UI and its port are off).
# Two optimizer rules are off: ConvertToLocalRelation would evaluate the whole query in the optimizer,
# interpreted, on one thread, because a batch sent from the driver is a local relation (1 ms a row,
# measured); CollapseProject would inline each layer of the plan into the next, copying every
# column as often as it is used. Without them a batch runs as generated code on every core.
SETTINGS = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation,"
                                         "org.apache.spark.sql.catalyst.optimizer.CollapseProject",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
}

_sessions: dict[str, object] = {}
_lock = threading.Lock()


class SparkUnavailable(EngineUnavailable):
    """pyspark or a Java runtime is missing, or the master cannot be reached or failed; the message
    says which."""


def spark_session(master: str = DEFAULT_MASTER):
    """The Spark session for `master`, started once per process (starting one takes seconds)."""
    with _lock:
        if master in _sessions:
            return _sessions[master]
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise SparkUnavailable("the Spark engine needs pyspark: pip install 'redress[spark]'") from None
        builder = SparkSession.builder.master(master).appName("redress")
        for key, value in _settings(master).items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as error:  # pyspark raises bare Exceptions (and Py4J errors) when the JVM cannot start
            hint = "" if _java_found() else " (Spark needs a Java runtime, 17 or newer: none is in JAVA_HOME or on the PATH)"
            raise SparkUnavailable(f"cannot start Spark with master {master}: {_first_line(error)}{hint}") from None
        session.sparkContext.setLogLevel("ERROR")
        _sessions[master] = session
        return session


def _settings(master: str) -> dict[str, str]:
    """`SETTINGS`, Spark's logging cut to errors, and for a local master the driver on loopback
    (a cluster's executors must reach the driver at its real address)."""
    log_config = os.path.join(os.path.dirname(__file__), "spark_log4j2.properties")
    settings = SETTINGS | {"spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{log_config}"}
    if master.startswith("local"):
        settings |= {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
    return settings


def _java_found() -> bool:
    """Whether pyspark will find a `java` to start: JAVA_HOME's, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    if home:
        return os.access(os.path.join(home, "bin", "java"), os.X_OK)
    return shutil.which("java") is not None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _spark_type(spark_type: str) -> str:
    """Spark's name of a column type (`string`, `decimal(12,2)`, `bigint`) as the compiler reads it."""
    return spark_type.upper().replace(" ", "")


class SparkDecider:
    """One policy's compiled Spark query, run over one batch at a time. The query is compiled for
    the first batch's column types (every batch of a file has the same ones)."""

    def __init__(self, policy: Policy, master: str, carry: tuple[str, ...] = (CASE_ID_KEY, OFFERED_KEY), wording: bool = False):
        self.policy, self.master, self.carry, self.wording = policy, master, carry, wording
        self.session = spark_session(master)
        self.sql: str | None = None
        self.overflow: str | None = None  # set when Spark reported an overflow and Python decided a batch

    def decide(self, table) -> list[dict] | None:
        """The query's output rows (dicts) for an Arrow table of cases with `_row` and `_i`, or
        None when Spark reported an arithmetic error, so the caller decides the batch in Python."""
        from py4j.protocol import Py4JError
        from pyspark.errors import ArithmeticException, PySparkException

        try:
            frame = self.session.createDataFrame(table)
            frame.createOrReplaceTempView(VIEW)
            if self.sql is None:
                types = {name: _spark_type(kind) for name, kind in frame.dtypes}
                carry = tuple(name for name in self.carry if name in types) + (INDEX,)
                compiled = compile_policy(self.policy, "spark", VIEW, types, carry=carry, wording=self.wording)
                self.sql = compiled.sql()
            return self.session.sql(self.sql).toArrow().to_pylist()
        except ArithmeticException as error:
            self.overflow = _first_line(error)
            return None
        except (PySparkException, Py4JError) as error:
            raise SparkUnavailable(f"Spark ({self.master}) failed: {_first_line(error)}") from None

    def decision(self, result: dict, case_id) -> Decision:
        return decision_of(self.policy, result, case_id)


def _case_id(batch: Batch, result: dict):
    """The case id as the Python readers give it: Spark carries a text or integer `id` column
    unchanged; any other (a JSON Lines id that is a number) is read from the row itself."""
    if CASE_ID_KEY in result:
        return result[CASE_ID_KEY]
    return batch.raw(result[INDEX]).data.get(CASE_ID_KEY)


def _overflow_notes(deciders: list[SparkDecider]) -> list[str]:
    return [f"Spark reported an arithmetic overflow ({decider.overflow}); the batches it hit were decided by the "
            "compiled engine" for decider in deciders if decider.overflow]


def _extra_columns(batch: Batch, known: set[str], python_extra: Iterable[str]) -> list[str]:
    """Columns no policy reads that hold a value in some row, as the other engines report them."""
    seen = set().union(*(row.data.keys() for row in map(batch.raw, range(batch.rows)) if row.data))
    return sorted((seen - known) | set(python_extra))


# ---------------------------------------------------------------- replay


class SparkReplay:
    """`qa.replay.Replay` on Spark, for a policy `engine.sql` compiles exactly."""

    kind = "spark"

    def __init__(self, source: str, path: str, master: str = DEFAULT_MASTER):
        self.policy = checked_policy(source, path)
        self.source, self.path, self.master = source, path, master
        self.extra_columns: dict[str, None] = {}
        self.decider = SparkDecider(self.policy, master)  # starts Spark now, so a missing Java is told at once

    @property
    def notes(self) -> list[str]:
        return _overflow_notes([self.decider])

    def batches(self, cases: CaseFile | Iterable[RawRow], keep_outcomes: bool) -> Iterator[ReplayBatch]:
        decider = self.decider
        python = replay_batches(self.source, self.path, "compiled", None, True)
        known = {f.name for f in self.policy.fields} | {CASE_ID_KEY, OFFERED_KEY}
        for batch in batches_of(cases, fields_of(self.policy)):
            results = decider.decide(batch.table)
            handed_back = set(batch.python) | ({i for i in range(batch.table.num_rows)} if results is None else set())
            outcomes = []
            for result in results or ():
                index = result[INDEX]
                if not result["ok"] or index in handed_back:
                    handed_back.add(index)
                    continue
                outcome = self._outcome(batch, result)
                if outcome is None:
                    handed_back.add(index)
                else:
                    outcomes.append(outcome)
            by_python = python([batch.raw(i) for i in sorted(handed_back)])
            outcomes = sorted(outcomes + by_python.outcomes, key=lambda outcome: outcome.row)
            tally = Tally(quantum(self.policy.currency) * 0)  # totals no case adds to, to the cent
            for outcome in outcomes:
                tally.add(outcome)
            extra = _extra_columns(batch, known, by_python.extra_columns)
            self.extra_columns.update(dict.fromkeys(extra))
            yield ReplayBatch(tally, outcomes if keep_outcomes else None, batch.rows, extra)

    def outcomes(self, cases: CaseFile | Iterable[RawRow]) -> Iterator[CaseOutcome]:
        for batch in self.batches(cases, keep_outcomes=True):
            yield from batch.outcomes

    def _outcome(self, batch: Batch, result: dict) -> CaseOutcome | None:
        """The outcome of a row Spark decided, or None when its `offered` is not an amount (the
        compiled engine's path then reports it with the usual reason)."""
        try:
            offered = offered_amount(result.get(OFFERED_KEY), quantum(self.policy.currency))
        except CaseError:
            return None
        status = classify(result["floor"], result["ceiling"], offered, result["rule"] is not None)
        return CaseOutcome(result["row"], _case_id(batch, result), status, result["rule"], result["floor"],
                           result["ceiling"], result["open_at"], result["approver"], offered)


# ---------------------------------------------------------------- diff


class SparkDiff:
    """`qa.diff.CaseDiff` on Spark, for two policies `engine.sql` compiles exactly."""

    kind = "spark"

    def __init__(self, old: tuple[str, str], new: tuple[str, str], master: str = DEFAULT_MASTER):
        self.old, self.new, self.master = old, new, master
        self.policies = (checked_policy(*old), checked_policy(*new))
        self.extra_columns: dict[str, None] = {}
        self.deciders = [SparkDecider(policy, master, wording=True) for policy in self.policies]  # a changed `say` is a change

    @property
    def notes(self) -> list[str]:
        return _overflow_notes(self.deciders)

    def batches(self, cases: CaseFile | Iterable[RawRow], keep_changes: bool) -> Iterator[tuple[BehaviourDiff, list | None, int]]:
        deciders = self.deciders
        python = diff_batches(*self.old, *self.new, "compiled", None)
        known = {f.name for policy in self.policies for f in policy.fields} | {CASE_ID_KEY, OFFERED_KEY}
        for batch in batches_of(cases, fields_of(*self.policies)):
            sides = [decider.decide(batch.table) for decider in deciders]
            handed_back = set(batch.python)
            changes = []
            if any(side is None for side in sides):
                handed_back.update(range(batch.table.num_rows))
            else:
                for old, new in zip(*(sorted(side, key=lambda result: result[INDEX]) for side in sides)):
                    index = old[INDEX]
                    if not (old["ok"] and new["ok"]) or index in handed_back:
                        handed_back.add(index)
                        continue
                    case_id = _case_id(batch, old)
                    before, after = deciders[0].decision(old, case_id), deciders[1].decision(new, case_id)
                    fields = differing_fields(before, after)
                    changes.append(CaseChange(old["row"], case_id, "changed" if fields else "unchanged", before, after,
                                              fields=fields))
            python_changes, python_extra = python([batch.raw(i) for i in sorted(handed_back)])
            changes = sorted(changes + python_changes, key=lambda change: change.row)
            behaviour = BehaviourDiff()
            for change in changes:
                behaviour.add(change)
            extra = _extra_columns(batch, known, python_extra)
            self.extra_columns.update(dict.fromkeys(extra))
            yield behaviour, changes if keep_changes else None, batch.rows

    def changes(self, cases: CaseFile | Iterable[RawRow]) -> Iterator[CaseChange]:
        for _, changes, _ in self.batches(cases, keep_changes=True):
            yield from changes


def spark_decisions(policy: Policy, cases: CaseFile | Iterable[RawRow], master: str = DEFAULT_MASTER,
                    wording: bool = True) -> Iterator[tuple[RawRow, Decision | None]]:
    """Every row with the full decision Spark computed for it (wording included), or None where
    the query handed the row back; the differential tests compare them with the compiled engine."""
    decider = SparkDecider(policy, master, carry=(CASE_ID_KEY,), wording=wording)
    for batch in batches_of(cases, fields_of(policy)):
        results = decider.decide(batch.table) or []
        for result in sorted(results, key=lambda r: r[INDEX]):
            row = batch.raw(result[INDEX])
            decided = result["ok"] and result[INDEX] not in batch.python
            yield row, decider.decision(result, _case_id(batch, result)) if decided else None

