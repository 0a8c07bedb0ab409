"""`redress diff OLD NEW --prove`: the proof over every possible case, as the `proof` key of the
diff's JSON or a section of its text. The proof itself is `analysis.equivalence.prove`."""

from __future__ import annotations

from dsl.model import Policy
from redress.output import to_json_line


def prove_versions(old: Policy, new: Policy, timeout: float) -> dict:
    from analysis.equivalence import prove

    return prove(old, new, timeout).to_json()


def proof_text(proof: dict) -> str:
    if proof["equivalent"] is True:
        lines = ["", "Proof over every possible case: the two versions decide every case identically."]
    elif proof["equivalent"] is None:
        lines = ["", "Proof over every possible case: no difference found, but some questions were left unknown."]
    else:
        lines = ["", "Proof over every possible case: the versions differ."]
    lines += [f"  case block: {line}" for line in proof["case_block"]]
    for example in proof["counterexamples"]:
        lines.append(f"  differs in {', '.join(example['differs'])} for {to_json_line(example['case'])}")
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
    return to_json_line(decision[key])
