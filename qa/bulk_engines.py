"""Which replay or case diff an `--engine` gets: the SQL engine (`qa.bulk`, DuckDB) for `duckdb`
when the policy can be decided exactly in SQL, otherwise the per-case engines of `qa.replay` and
`qa.diff`; Spark (`qa.spark_engine`) for `spark`, on `spark_master`. DuckDB, sqlglot and pyspark
are imported only when their engine is chosen."""

from __future__ import annotations

BULK_KINDS = ("duckdb", "compiled", "durable", "spark")


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot run here (pyspark or Java missing, a master out of reach); the
    message says why. Never replaced by another engine silently."""


def _not_exact(*policies, wording: bool = True) -> str | None:
    """Why SQL cannot decide the checked policies exactly (`wording`: their wording too), or diff
    them (two currencies), as a warning; None if it can."""
    from qa.bulk import sql_refusal

    reasons = [reason for policy in policies if (reason := sql_refusal(policy, wording))]
    if not reasons and len({policy.currency for policy in policies}) > 1:
        reasons.append("the two versions use different currencies")
    return f"{reasons[0]}; using the compiled engine" if reasons else None


def replay_engine(source: str, path: str, kind: str, workers: int, spark_master: str | None = None, policy=None,
                  remember=None):
    """The replay for an engine kind: DuckDB when asked and exact (on `workers` threads), Spark
    likewise (on `spark_master`), else `Replay` (on `workers` processes). Returns the replay and,
    when a SQL engine was asked but cannot decide the policy exactly, why. `policy` is `source`
    already checked, when the caller has it (the CLI keeps checked policies between runs), so the
    SQL engine does not parse it again; `remember` (see `qa.bulk.Remember`) keeps DuckDB's query
    and the answer to whether SQL is exact between runs."""
    from qa.batch import checked_policy
    from qa.replay import Replay

    if kind in ("duckdb", "spark"):
        policy = policy or checked_policy(source, path)
        # A replay reports no wording, so a wording SQL cannot print does not stop it. A cache keeps text: "" for exact.
        refusal = lambda: _not_exact(policy, wording=False) or ""  # noqa: E731
        reason = (remember(f"refusal\0{path}\0{source}", refusal) if remember else refusal()) or None
        if reason is not None:
            return Replay(source, path, "compiled", workers), reason
        if kind == "spark":
            from qa.spark_engine import DEFAULT_MASTER, SparkReplay

            return SparkReplay(source, path, spark_master or DEFAULT_MASTER), None
        from qa.bulk import BulkReplay, compiled_anew

        return BulkReplay(source, path, workers, policy, remember or compiled_anew), None
    return Replay(source, path, kind, workers), None


def diff_engine(old: tuple[str, str], new: tuple[str, str], kind: str, workers: int, spark_master: str | None = None,
                policies=None, remember=None):
    """The case diff for an engine kind, as `replay_engine` (`policies`: the two versions already
    checked). The SQL diffs compare every decision field, as `qa.diff.CaseDiff` does; two versions
    in different currencies (every case changes) are compared by the compiled engine, with the reason."""
    from qa.batch import checked_policy
    from qa.diff import CaseDiff

    if kind in ("duckdb", "spark"):
        policies = policies or (checked_policy(*old), checked_policy(*new))
        refusal = lambda: _not_exact(*policies) or ""  # noqa: E731
        reason = (remember(f"diff refusal\0{old[1]}\0{old[0]}\0{new[1]}\0{new[0]}", refusal) if remember else refusal()) or None
        if reason is not None:
            return CaseDiff(old, new, "compiled", workers), reason
        if kind == "spark":
            from qa.spark_engine import DEFAULT_MASTER, SparkDiff

            return SparkDiff(old, new, spark_master or DEFAULT_MASTER), None
        from qa.bulk import compiled_anew
        from qa.bulk_diff import BulkDiff

        return BulkDiff(old, new, workers, policies, remember or compiled_anew), None
    return CaseDiff(old, new, kind, workers), None
