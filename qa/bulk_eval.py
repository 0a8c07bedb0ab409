"""Deciding many raw cases at once on the SQL engine, for `eval --jsonl`: one query per batch.

Each decided case comes back as the text of its decision JSON from `"rule"` on (the caller writes the
policy's constant head and the case id in front), made to the byte as `json.dumps` writes
`Decision.to_json()`: the parts that depend only on the rule are encoded once per policy, amounts
arrive as SQL text, the rest is encoded with the `json` module's own string encoder. A case SQL hands
back (not ok, or marked by the batch) is decided by the compiled engine: a `Decision`, or the
`CaseError` with its reason.
"""

from __future__ import annotations

from json import dumps
from json.encoder import encode_basestring
from typing import Any

from dsl.model import Policy
from engine.cases import CaseError
from engine.decide import load_engine
from engine.decision import Decision
from engine.sql import compile_policy
from qa.bulk_sources import INDEX, PYTHON, batches_of, fields_of
from qa.casefiles import RawRow

_SELECT = (f"SELECT {INDEX}, ok AND NOT {PYTHON}, rule, CAST(floor AS VARCHAR), CAST(ceiling AS VARCHAR), "
           "CAST(open_at AS VARCHAR), CAST(step AS VARCHAR), approver, routes, entitlements, say, "
           "CAST(extra_up_to AS VARCHAR), notes FROM ({compiled}) ORDER BY " + INDEX)


def _json(value: Any) -> str:
    return dumps(value, ensure_ascii=False)


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _texts(values: list[str]) -> str:
    return "[" + ", ".join(map(encode_basestring, values)) + "]"


class BulkDecider:
    """Decides batches of raw cases for one policy on one DuckDB connection."""

    def __init__(self, policy: Policy):
        import duckdb

        self.policy = policy
        self.engine = load_engine(policy, "compiled")
        self.con = duckdb.connect()
        self.fields = fields_of(policy)
        self.select: str | None = None
        self.currency = _json(policy.currency)
        self.by_rule = {None: (None, "null", "[]", _json(policy.otherwise), "null", None)}
        for rule in policy.guidelines:
            self.by_rule[rule.name] = (rule, _json(rule.name), _json(list(rule.remedies)), _json(rule.escalate_to),
                                       _json(rule.follow_up), rule.extra and _json(rule.extra.gesture))

    def decide(self, raws: list) -> list[str | Decision | CaseError]:
        """Per raw case, in order: its decision JSON from `"rule"` on, a `Decision` (decided by the
        compiled engine), or the `CaseError` that says why it is not a valid case."""
        results: list = [None] * len(raws)
        rows = [RawRow(i, raw if isinstance(raw, dict) else None) for i, raw in enumerate(raws)]
        for batch in batches_of(rows, self.fields, strict=True):
            self.con.register("cases", batch.table)
            if self.select is None:
                types = {name: sql_type for name, sql_type, *_ in self.con.execute("DESCRIBE cases").fetchall()}
                compiled = compile_policy(self.policy, "duckdb", "cases", types, carry=(INDEX, PYTHON), wording=True)
                self.select = _SELECT.replace("{compiled}", compiled.sql())
            offset = batch.table.column("_row")[0].as_py() if batch.rows else 0
            for index, ok, *decided in self.con.execute(self.select).fetchall():
                results[offset + index] = self._tail(*decided) if ok else self._by_engine(raws[offset + index])
        return results

    def _by_engine(self, raw) -> Decision | CaseError:
        try:
            return self.engine.decide(raw)
        except CaseError as error:
            return error

    def _tail(self, rule, floor, ceiling, open_at, step, approver, routes, entitlements, say, up_to, notes) -> str:
        _, rule_json, remedies, escalate_to, follow_up, gesture = self.by_rule[rule]
        extra = "null" if up_to is None else f'{{"gesture": {gesture}, "up_to": "{up_to}"}}'
        return (f'"rule": {rule_json}, "currency": {self.currency}, "floor": {_text(floor)}, "ceiling": {_text(ceiling)}, '
                f'"open_at": {_text(open_at)}, "step": {_text(step)}, "remedies": {remedies}, "approver": {_text(approver)}, '
                f'"escalate_to": {escalate_to}, "routes": {_texts(routes)}, "entitlements": {_texts(entitlements)}, '
                f'"say": {_text(say)}, "follow_up": {follow_up}, "extra": {extra}, "notes": {_texts(notes)}}}')
