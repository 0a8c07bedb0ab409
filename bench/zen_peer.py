"""The reference peer: the benchmark's guidelines as a GoRules JSON Decision Model, run by
zen-engine (Rust, with Python bindings).

The graph is what a GoRules user would draw for this policy: request -> an expression node that
computes the lets -> one decision table with the `first` hit policy (one row per guideline, one
column per field or let a guideline tests, outputs `rule`, `floor`, `ceiling`) -> response.

It does less than Redress per case, and the figures should be read with that in mind: no
entitlements, routes, approver, wording, remedies or rounding; just the first matching row and its
two amounts. Amounts are exact decimals in zen too (rust_decimal), so cent-level differences come
only from rounding, which Redress does and the table does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

import zen

from bench.spec import Guideline

DECISION_KEY = "thirty_rules"
CENT = Decimal("0.01")


def decision_model(guidelines: list[Guideline], lets: dict[str, str]) -> dict:
    """The JDM document: nodes and edges, as the GoRules editor would save them."""
    columns = list(dict.fromkeys(condition.column for rule in guidelines for condition in rule.when))
    inputs = [{"id": f"in_{name}", "name": name, "type": "expression", "field": name} for name in columns]
    outputs = [{"id": f"out_{name}", "name": name, "type": "expression", "field": name}
               for name in ("rule", "floor", "ceiling")]
    rows = [_row(index, rule, columns) for index, rule in enumerate(guidelines)]
    nodes = [
        _node("request", "inputNode", "Request"),
        _node("lets", "expressionNode", "Lets", {
            "expressions": [{"id": f"let_{name}", "key": name, "value": value} for name, value in lets.items()],
            "passThrough": True,
        }),
        _node("guidelines", "decisionTableNode", "Guidelines", {
            "hitPolicy": "first", "inputs": inputs, "outputs": outputs, "rules": rows,
        }),
        _node("response", "outputNode", "Response"),
    ]
    path = ["request", "lets", "guidelines", "response"]
    edges = [{"id": f"edge_{a}_{b}", "type": "edge", "sourceId": a, "targetId": b} for a, b in zip(path, path[1:])]
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


def _node(node_id: str, kind: str, name: str, content: dict | None = None) -> dict:
    node = {"id": node_id, "type": kind, "name": name, "position": {"x": 0, "y": 0}}
    if content is not None:
        node["content"] = content
    return node


def _row(index: int, rule: Guideline, columns: list[str]) -> dict:
    tests = {condition.column: condition.zen() for condition in rule.when}
    if len(tests) != len(rule.when):
        raise ValueError(f'rule "{rule.name}" tests one column twice; a table row cannot say that')
    row = {"_id": f"row_{index}"}
    row.update({f"in_{column}": tests.get(column, "") for column in columns})
    row.update({"out_rule": json.dumps(rule.name), "out_floor": rule.zen_floor(), "out_ceiling": rule.zen_ceiling()})
    return row


class ZenPeer:
    """The decision model loaded the two ways zen's Python API offers.

    `ZenEngine.evaluate(key, ...)` with a loader that hands back pre-parsed `ZenDecisionContent`
    is the fast path (the engine caches the compiled graph); `ZenDecision.evaluate` on a decision
    from `create_decision` is the obvious one, and measured several times slower with zen-engine
    2.1. Both are reported, so the peer is judged by its best figure."""

    def __init__(self, model: dict):
        self.content = zen.ZenDecisionContent(json.dumps(model))
        self.engine = zen.ZenEngine({"loader": self._load})
        self.decision = self.engine.create_decision(self.content)

    def _load(self, key: str) -> zen.ZenDecisionContent:
        return self.content

    def evaluate(self, case: dict) -> dict:
        return self.engine.evaluate(DECISION_KEY, case)["result"]

    def evaluate_decision(self, case: dict) -> dict:
        return self.decision.evaluate(case)["result"]

    def evaluate_timed(self, case: dict) -> tuple[dict, float]:
        """The result and zen's own measure of the evaluation, without the Python binding around it."""
        response = self.engine.evaluate(DECISION_KEY, case)
        return response["result"], parse_duration(response["performance"])

    def evaluate_batch(self, cases: list[dict]) -> list[dict]:
        answers = self.engine.evaluate_batch([{"key": DECISION_KEY, "context": case} for case in cases])
        return [answer["data"]["result"] for answer in answers]


def parse_duration(text: str) -> float:
    """zen reports its evaluation time as text: `23.7µs`, `1.2ms`, `845ns`, `1.5s`."""
    for suffix, scale in (("ns", 1e-9), ("µs", 1e-6), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * scale
    raise ValueError(f"unexpected zen duration {text!r}")


# ---------------------------------------------------------------- agreement with Redress


@dataclass
class Agreement:
    """How often the table and Redress agree on a sample. Amounts are compared only where no
    entitlement raised Redress's floor: the table has no entitlements."""

    cases: int = 0
    same_rule: int = 0
    amounts_compared: int = 0
    same_amounts: int = 0
    amounts_within_a_cent: int = 0
    examples: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "cases": self.cases, "same_rule": self.same_rule,
            "same_rule_rate": _rate(self.same_rule, self.cases),
            "amounts_compared": self.amounts_compared, "same_amounts": self.same_amounts,
            "same_amounts_rate": _rate(self.same_amounts, self.amounts_compared),
            "amounts_within_a_cent": self.amounts_within_a_cent,
            "amounts_within_a_cent_rate": _rate(self.amounts_within_a_cent, self.amounts_compared),
            "examples_of_disagreement": self.examples,
        }


def agreement(pairs: Iterable[tuple[dict, dict, dict]], keep_examples: int = 5) -> Agreement:
    """`pairs` yields (case, Redress decision JSON, zen result) triples."""
    tally = Agreement()
    for case, decision, table in pairs:
        tally.cases += 1
        rule_agrees = decision["rule"] == table.get("rule")
        tally.same_rule += rule_agrees
        exact = near = True
        if rule_agrees and decision["rule"] is not None and not decision["entitlements"]:
            tally.amounts_compared += 1
            differences = [abs(Decimal(decision[key]) - _cents(table[key])) for key in ("floor", "ceiling")]
            exact, near = max(differences) == 0, max(differences) <= CENT
            tally.same_amounts += exact
            tally.amounts_within_a_cent += near
        if not (rule_agrees and near) and len(tally.examples) < keep_examples:
            tally.examples.append({"case": {k: str(v) for k, v in case.items()},
                                   "redress": {k: decision[k] for k in ("rule", "floor", "ceiling")},
                                   "zen": table})
    return tally


def _cents(number) -> Decimal:
    """zen hands back JSON numbers as floats; their shortest repr is the exact decimal it computed."""
    return Decimal(repr(number)).quantize(CENT, rounding=ROUND_HALF_UP)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None
