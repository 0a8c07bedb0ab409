"""Deciding many raw cases at once on the SQL engine, for `eval --jsonl`: one query per batch.

Each decided case comes back from the query as the text of its decision JSON from `"rule"` on
(`engine.sql.json_text` makes it to the byte as `json.dumps` writes `Decision.to_json()`; the caller
writes the policy's constant head and the case id in front), fetched as one Arrow column of strings
in line order, so Python touches each decision once. A case SQL hands back (NULL: not ok, marked
by the batch, or with a text SQL does not escape) is decided by the compiled engine: a `Decision`,
or the `CaseError` with its reason.
"""

from __future__ import annotations

import pyarrow.compute as pc

from dsl.model import Policy
from engine.cases import CaseError
from engine.decide import load_engine
from engine.decision import Decision
from engine.sql import compile_policy
from engine.sql.json_text import decision_json
from qa.bulk_sources import INDEX, PYTHON, batches_of, fields_of
from qa.casefiles import RawRow

# The decision's text, or NULL for a case the compiled engine decides; one row per case, in order.
_SELECT = f"SELECT CASE WHEN ok AND NOT {PYTHON} THEN json END FROM ({{decided}}) ORDER BY {INDEX}"


class BulkDecider:
    """Decides batches of raw cases for one policy on one DuckDB connection."""

    def __init__(self, policy: Policy):
        import duckdb

        self.policy = policy
        self.engine = load_engine(policy, "compiled")
        self.con = duckdb.connect()
        self.fields = fields_of(policy)
        self.select: str | None = None

    def decide(self, raws: list) -> list[str | Decision | CaseError]:
        """Per raw case, in order: its decision JSON from `"rule"` on, a `Decision` (decided by the
        compiled engine), or the `CaseError` that says why it is not a valid case."""
        results: list = []
        rows = [RawRow(i, raw if isinstance(raw, dict) else None) for i, raw in enumerate(raws)]
        for batch in batches_of(rows, self.fields, strict=True):
            self.con.register("cases", batch.table)
            if self.select is None:
                types = {name: sql_type for name, sql_type, *_ in self.con.execute("DESCRIBE cases").fetchall()}
                compiled = compile_policy(self.policy, "duckdb", "cases", types, carry=(INDEX, PYTHON), wording=True)
                self.select = _SELECT.replace("{decided}", decision_json(compiled).sql(dialect="duckdb"))
            offset = len(results)
            texts = self.con.sql(self.select).to_arrow_table().column(0)
            results += texts.to_pylist()
            for index in pc.indices_nonzero(pc.is_null(texts)).to_pylist():
                results[offset + index] = self._by_engine(raws[offset + index])
            self.con.unregister("cases")
        return results

    def _by_engine(self, raw) -> Decision | CaseError:
        try:
            return self.engine.decide(raw)
        except CaseError as error:
            return error
