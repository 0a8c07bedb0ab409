"""A proof over every possible case (`analysis.equivalence.Proof.to_json()`) as the text a person
reads: `redress diff --prove` prints it, the workbench's Diff pane shows it beside the history."""

from __future__ import annotations

import json


def _line(data) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def proof_text(proof: dict) -> str:
    if proof["equivalent"] is True:
        lines = ["", "Proof over every possible case: the two versions decide every case identically."]
    elif proof["equivalent"] is None:
        lines = ["", "Proof over every possible case: no difference found, but some questions were left unknown."]
    else:
        lines = ["", "Proof over every possible case: the versions differ."]
    lines += [f"  case block: {line}" for line in proof["case_block"]]
    for example in proof["counterexamples"]:
        lines.append(f"  differs in {', '.join(example['differs'])} for {_line(example['case'])}")
        for key in example["differs"]:
            lines.append(f"      {key}: {_shown(example['old'], key)} -> {_shown(example['new'], key)}")
    for key in ("floor", "ceiling"):
        delta = proof[f"{key}_delta"]
        if delta["min"] is not None:
            low = "no limit below" if delta["min"] == "unbounded" else delta["min"]
            high = "no limit above" if delta["max"] == "unbounded" else delta["max"]
            lines.append(f"  {key} change over every case both versions give a range: from {low} to {high}")
    lines += [f"  unknown: {item['question']}: {item['reason']}" for item in proof["unknown"]]
    return "\n".join(lines)


def _shown(decision: dict, key: str) -> str:
    if "error" in decision:
        return "error: " + decision["error"]["message"]
    return _line(decision[key])
