"""A result row of the compiled query back as the `Decision` the compiled engine makes for it.

The output columns are listed in `engine.sql`; amounts arrive as DECIMALs already rounded to the
minor unit, so the decision prints to the byte as the compiled engine's does. Only a row with
`ok = true` means anything.
"""

from __future__ import annotations

from typing import Any, Mapping

from dsl.model import Policy
from engine.decision import Decision

# The output columns a decision is made of, in `engine.sql`'s order (`say` only when compiled with wording).
DECISION_COLUMNS = ("rule", "floor", "ceiling", "open_at", "step", "remedies", "approver", "escalate_to", "routes",
                    "entitlements", "say", "follow_up", "extra_gesture", "extra_up_to", "notes")


def decision_of(policy: Policy, row: Mapping[str, Any], case_id: Any) -> Decision:
    """The decision a result row stands for (`say` None when the query left the wording out)."""
    extra = None if row["extra_gesture"] is None else {"gesture": row["extra_gesture"], "up_to": row["extra_up_to"]}
    return Decision(policy.name, policy.version, policy.digest, case_id, row["rule"], policy.currency,
                    floor=row["floor"], ceiling=row["ceiling"], open_at=row["open_at"], step=row["step"],
                    remedies=list(row["remedies"]), approver=row["approver"], escalate_to=row["escalate_to"],
                    routes=list(row["routes"]), entitlements=list(row["entitlements"]), say=row.get("say"),
                    follow_up=row["follow_up"], extra=extra, notes=list(row["notes"]))
