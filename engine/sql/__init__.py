"""The bulk engine: a checked policy compiled to ONE SQL query over a relation of raw cases.

The compiled engine (`engine.decide`) is the definition; this package computes the same decision
for every row of a relation at once, as a sqlglot tree printed for a dialect (`duckdb` here,
`spark` for the Spark back end). Nothing is built by pasting strings.

Public API (stable; `qa.bulk` and the Spark back end use only this):

    compile_policy(policy, dialect="duckdb", source="cases", column_types=None, carry=("id",),
                   wording=True, settled=frozenset()) -> CompiledPolicy
        policy        a checked `dsl.model.Policy`
        source        a table name, or any sqlglot relation (a subquery, a table function)
        column_types  {column: SQL type} of the relation's columns ("VARCHAR", "DECIMAL(12,2)",
                      "BIGINT", "BOOLEAN", ...); a field without a column is absent (its default,
                      or not ok when required). None: every field and carried column is VARCHAR.
        carry         columns passed through unchanged (the case id)
        wording       whether to compute `say` (replays never show it)
        settled       rules (by index; None for no rule) whose rows are not decided: every output
                      but row, ok and the carried columns is null (the case diff's proof that
                      both versions decide them the same, `qa.bulk_settled`)
        raises NotExact(reason) when the policy cannot be computed exactly in SQL; the caller then
        decides that policy with the compiled engine.

    CompiledPolicy.expression   the sqlglot SELECT;  .sql(pretty=False) its text in the dialect
    CompiledPolicy.outputs      the output column names, in order;  .domain  the numeric domain

    renamed(source, {column: name}, keep_all=False) -> a relation to pass as `source`
        source        a table name, or a CompiledPolicy (its rows: one version decides over
                      another's outputs, as the case diff does)
        keep_all      keep every column of `source` beside the renamed ones

The relation must have a `_row` column (BIGINT: the row number reported to the user). Output columns:

    row, ok, <carried columns>, rule, floor, ceiling, open_at, step, approver, escalate_to,
    follow_up, remedies (VARCHAR[]), routes (VARCHAR[]), entitlements (VARCHAR[]), extra_gesture,
    extra_up_to, notes (VARCHAR[]), say (when wording)

Amounts are DECIMAL(38, minor unit), already rounded half-up and clamped as `engine.decision` does.
`ok = false` means "decide this row with the compiled engine": the row breaks a case-reader check
(the compiled engine gives the exact reason text), or a number lies outside the exact domain (more
decimals or digits than `domain` allows; see `engine.sql.digits`). The other columns of such a row
are meaningless. Dialect differences are kept in two places: `expressions.NARROW_PRODUCTS` (DuckDB
multiplies two DECIMALs of at most 18 digits in 64 bits, so a factor is widened first; not for
other dialects) and `wording.money_text` (a regexp back-reference is `\\1` in DuckDB, `$1` in Spark).
Another dialect should check its DECIMAL result-type rules against the `digits.Digits` bounds.
Helpers for the callers: `decision_of` (a result row as the compiled engine's `Decision`), `ColumnType`, `decimal_value` (read an amount column such as `offered`
with the same checks) and `money_text` (an amount as a customer reads it).
"""

# The names below are imported on first use (PEP 562): most of them need sqlglot (75 ms to import),
# and a replay whose query is already compiled (`redress.policy_cache`) uses only `ColumnType` and `Digits`.
_EXPORTS = {
    "ROW": "compiler", "CompiledPolicy": "compiler", "compile_policy": "compiler", "renamed": "compiler",
    "ColumnType": "column_types", "Digits": "digits", "NotExact": "digits",
    "decimal_value": "reader", "DECISION_COLUMNS": "rows", "decision_of": "rows", "money_text": "wording",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.sql' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"engine.sql.{module}"), name)
    globals()[name] = value  # found directly from now on
    return value
