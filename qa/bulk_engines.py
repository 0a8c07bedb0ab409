"""Which replay or case diff an `--engine` gets: the SQL engine (`qa.bulk`, DuckDB) for `duckdb`
when the policy can be decided exactly in SQL, otherwise the per-case engines of `qa.replay` and
`qa.diff`; Spark (`qa.spark_engine`) for `spark`, on `spark_master`. DuckDB, sqlglot and pyspark
are imported only when their engine is chosen."""

from __future__ import annotations

BULK_KINDS = ("duckdb", "compiled", "durable", "spark")


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot run here (pyspark or Java missing, a master out of reach); the
    message says why. Never replaced by another engine silently."""


def replay_engine(source: str, path: str, kind: str, workers: int, spark_master: str | None = None):
    """The replay for an engine kind: DuckDB or Spark when asked and exact, else `Replay`. Returns
    the replay and, when a SQL engine was asked but cannot decide the policy exactly, why."""
    from qa.replay import Replay

    if kind == "spark":
        from qa.bulk import checked, sql_refusal
        from qa.spark_engine import DEFAULT_MASTER, SparkReplay

        reason = sql_refusal(checked(source, path))
        if reason is None:
            return SparkReplay(source, path, spark_master or DEFAULT_MASTER), None
        return Replay(source, path, "compiled", workers), f"{reason}; using the compiled engine"
    if kind == "duckdb":
        from qa.bulk import BulkReplay, checked, sql_refusal

        reason = sql_refusal(checked(source, path))
        if reason is None:
            return BulkReplay(source, path), None
        return Replay(source, path, "compiled", workers), f"{reason}; using the compiled engine"
    return Replay(source, path, kind, workers), None


def diff_engine(old: tuple[str, str], new: tuple[str, str], kind: str, workers: int, spark_master: str | None = None):
    """The case diff for an engine kind, as `replay_engine`."""
    from qa.diff import CaseDiff

    if kind == "spark":
        from qa.bulk import checked, sql_refusal
        from qa.spark_engine import DEFAULT_MASTER, SparkDiff

        reasons = [r for r in (sql_refusal(checked(*old)), sql_refusal(checked(*new))) if r]
        if not reasons:
            return SparkDiff(old, new, spark_master or DEFAULT_MASTER), None
        return CaseDiff(old, new, "compiled", workers), f"{reasons[0]}; using the compiled engine"
    if kind == "duckdb":
        from qa.bulk import BulkDiff, checked, sql_refusal

        reasons = [r for r in (sql_refusal(checked(*old)), sql_refusal(checked(*new))) if r]
        if not reasons:
            return BulkDiff(old, new), None
        return CaseDiff(old, new, "compiled", workers), f"{reasons[0]}; using the compiled engine"
    return CaseDiff(old, new, kind, workers), None

