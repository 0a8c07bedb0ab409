"""What a change would cost against the policy in force, in a manager's words.

From the cases both versions decide (`qa.diff.CaseChange`), the *cost* of a version is the sum of
its ceilings: what the desk may give away at most. The impact of a change is the new cost against
the old one ("this change costs $1,240.00 more (+3.1%) over 2,000 historic cases"), broken down by
rule (what each rule costs before and after) and by approver (how many more cases need a
supervisor), with what the charts draw: every case's ceiling before and after, and the per-case
change of the changed cases, decreases included. The total is the `ceiling_delta` that
`redress diff --cases` reports for the same two versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

from dsl.currency import format_money
from qa.diff import CaseChange

ZERO = Decimal(0)
NO_RULE = "(no rule)"
NO_APPROVER = "no approver"


@dataclass
class Impact:
    cases: int = 0  # decided by both versions
    invalid: int = 0  # rows one version or both cannot decide
    changed: int = 0
    old_cost: Decimal = ZERO
    new_cost: Decimal = ZERO
    rules: dict[str, list[Decimal]] = field(default_factory=dict)  # rule -> [old cost, new cost]
    approvers: dict[str, list[int]] = field(default_factory=dict)  # role -> [old cases, new cases]
    old_ceilings: list[Decimal] = field(default_factory=list)
    new_ceilings: list[Decimal] = field(default_factory=list)
    deltas: list[Decimal] = field(default_factory=list)  # per changed case, new ceiling - old

    @property
    def delta(self) -> Decimal:
        return self.new_cost - self.old_cost

    def headline(self, currency: str) -> str:
        cases = f"{self.cases:,} historic case{'s' * (self.cases != 1)}"
        if self.delta == 0:
            return f"This change does not change the cost of {cases}."
        share = f" ({'+' if self.delta > 0 else '-'}{abs(self.delta) * 100 / self.old_cost:.1f}%)" if self.old_cost else ""
        more = "more" if self.delta > 0 else "less"
        return f"This change costs {format_money(abs(self.delta), currency)} {more}{share} over {cases}."

    def approver_changes(self) -> list[str]:
        """"42 more cases need a supervisor", biggest moves first; roles whose count holds are left out."""
        moves = [(new - old, role) for role, (old, new) in self.approvers.items() if new != old]
        lines = []
        for move, role in sorted(moves, key=lambda item: (-abs(item[0]), item[1])):
            count = f"{abs(move):,} {'more' if move > 0 else 'fewer'} case{'s' * (abs(move) != 1)}"
            lines.append(f"{count} need no approver" if role == NO_APPROVER else f"{count} need {_a(role)}")
        return lines


def _a(role: str) -> str:
    words = role.replace("_", " ")
    return f"an {words}" if words[0] in "aeiou" else f"a {words}"


def impact_of(changes: Iterable[CaseChange]) -> Impact:
    impact = Impact()
    for change in changes:
        if change.status == "invalid":
            impact.invalid += 1
            continue
        old, new = change.old, change.new
        impact.cases += 1
        impact.changed += change.status == "changed"
        old_ceiling, new_ceiling = old.ceiling or ZERO, new.ceiling or ZERO
        impact.old_cost += old_ceiling
        impact.new_cost += new_ceiling
        impact.old_ceilings.append(old_ceiling)
        impact.new_ceilings.append(new_ceiling)
        impact.rules.setdefault(old.rule or NO_RULE, [ZERO, ZERO])[0] += old_ceiling
        impact.rules.setdefault(new.rule or NO_RULE, [ZERO, ZERO])[1] += new_ceiling
        impact.approvers.setdefault(old.approver or NO_APPROVER, [0, 0])[0] += 1
        impact.approvers.setdefault(new.approver or NO_APPROVER, [0, 0])[1] += 1
        if change.status == "changed":
            impact.deltas.append(new_ceiling - old_ceiling)
    return impact
