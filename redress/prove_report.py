"""`redress diff OLD NEW --prove`: the proof over every possible case, as the `proof` key of the
diff's JSON or a section of its text (`analysis.proof_text`). The proof itself is
`analysis.equivalence.prove`."""

from __future__ import annotations

from dsl.model import Policy


def prove_versions(old: Policy, new: Policy, timeout: float) -> dict:
    from analysis.equivalence import prove

    return prove(old, new, timeout).to_json()
