"""Deciding many raw cases at once on the SQL engine, for `eval --jsonl`: one query per batch.

Each decided case comes back from the query as the text of its decision JSON from `"rule"` on
(`engine.sql.json_text` makes it to the byte as `json.dumps` writes `Decision.to_json()`; the caller
writes the policy's constant head and the case id in front), fetched as one Arrow column of strings
in line order, so Python touches each decision once. A case SQL hands back (NULL: not ok, marked
by the batch, or with a text SQL does not escape) is decided by the compiled engine: a `Decision`,
or the `CaseError` with its reason.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dsl.model import Policy
from engine.cases import CaseError
from engine.decide import load_engine
from engine.decision import Decision
from engine.sql import compile_policy
from engine.sql.json_text import decision_json
from qa.bulk_rows import cases_table
from qa.bulk_sources import INDEX, PYTHON, fields_of

# The decision's text, or NULL for a case the compiled engine decides; one row per case, in order.
_SELECT = f"SELECT CASE WHEN ok AND NOT {PYTHON} THEN json END FROM ({{decided}}) ORDER BY {INDEX}"


class BulkDecider:
    """Decides batches of raw cases for one policy on one DuckDB connection."""

    def __init__(self, policy: Policy):
        import duckdb

        self.policy = policy
        self.engine = load_engine(policy, "compiled")
        self.con = duckdb.connect()
        self.threads = int(self.con.execute("SELECT current_setting('threads')").fetchall()[0][0])
        self.fields = fields_of(policy)
        self.compiled = False

    def decide(self, raws: list) -> list[str | Decision | CaseError]:
        """Per raw case, in order: its decision JSON from `"rule"` on, a `Decision` (decided by the
        compiled engine), or the `CaseError` that says why it is not a valid case."""
        if not raws:
            return []
        table, _ = cases_table([raw if isinstance(raw, dict) else None for raw in raws], range(len(raws)), self.fields, True)
        # One record batch per thread: DuckDB scans an Arrow table's batches side by side.
        self.con.register("cases", pa.Table.from_batches(table.to_batches(max_chunksize=-(-len(raws) // self.threads))))
        if not self.compiled:
            # A view, made once: each batch's query is then a few words for DuckDB to parse, not the
            # policy's whole text (a third of the fixed cost of a batch).
            types = {name: sql_type for name, sql_type, *_ in self.con.execute("DESCRIBE cases").fetchall()}
            compiled = compile_policy(self.policy, "duckdb", "cases", types, carry=(INDEX, PYTHON), wording=True)
            self.con.execute("CREATE TEMP VIEW decisions AS " + _SELECT.replace("{decided}", decision_json(compiled).sql(dialect="duckdb")))
            self.compiled = True
        texts = self.con.sql("SELECT * FROM decisions").to_arrow_table().column(0)
        self.con.unregister("cases")
        results = texts.to_pylist()
        for index in pc.indices_nonzero(pc.is_null(texts)).to_pylist():
            results[index] = self.by_engine(raws[index])
        return results

    def by_engine(self, raw) -> Decision | CaseError:
        """The compiled engine's decision for a raw case, or the error it finds first."""
        try:
            return self.engine.decide(raw)
        except CaseError as error:
            return error
