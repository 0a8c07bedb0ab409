"""Which replay or case diff an `--engine` gets: the SQL engine (`qa.bulk`, DuckDB) for `duckdb`
when the policy can be decided exactly in SQL, otherwise the per-case engines of `qa.replay` and
`qa.diff`. DuckDB and sqlglot are imported only when `duckdb` is chosen."""

from __future__ import annotations

BULK_KINDS = ("duckdb", "compiled", "durable", "spark")


def replay_engine(source: str, path: str, kind: str, workers: int):
    """The replay for an engine kind: DuckDB when asked and exact (on `workers` threads), else
    `Replay` (on `workers` processes). Returns the replay and, when DuckDB was asked but cannot
    decide the policy exactly, why."""
    from qa.replay import Replay

    if kind == "duckdb":
        from qa.bulk import BulkReplay, checked, sql_refusal

        reason = sql_refusal(checked(source, path))
        if reason is None:
            return BulkReplay(source, path, workers), None
        return Replay(source, path, "compiled", workers), f"{reason}; using the compiled engine"
    return Replay(source, path, kind, workers), None


def diff_engine(old: tuple[str, str], new: tuple[str, str], kind: str, workers: int):
    """The case diff for an engine kind, as `replay_engine`."""
    from qa.diff import CaseDiff

    if kind == "duckdb":
        from qa.bulk import BulkDiff, checked, sql_refusal

        reasons = [r for r in (sql_refusal(checked(*old)), sql_refusal(checked(*new))) if r]
        if not reasons:
            return BulkDiff(old, new, workers), None
        return CaseDiff(old, new, "compiled", workers), f"{reasons[0]}; using the compiled engine"
    return CaseDiff(old, new, kind, workers), None

