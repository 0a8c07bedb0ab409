"""From "which rule, entitlements and routes matched" to the decision of LANGUAGE.md.

Both engines end here, so the rounding, clamping, entitlement floors, approver and wording are
computed once, by one piece of code, whichever engine did the matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dsl.currency import format_money, quantum, round_amount
from dsl.model import MONEY, Policy
from dsl.rules import PLACEHOLDER
from engine.program import Program

ZERO = Decimal(0)


@dataclass
class Decision:
    policy: str
    version: str
    digest: str
    case_id: Any
    rule: str | None
    currency: str
    floor: Decimal | None = None
    ceiling: Decimal | None = None
    open_at: Decimal | None = None
    step: Decimal | None = None
    remedies: list[str] = field(default_factory=list)
    approver: str | None = None
    escalate_to: str | None = None
    routes: list[str] = field(default_factory=list)
    entitlements: list[str] = field(default_factory=list)
    say: str | None = None
    follow_up: str | None = None
    extra: dict | None = None
    notes: list[str] = field(default_factory=list)
    trace: list[dict] | None = None

    def to_json(self) -> dict:
        """The decision as LANGUAGE.md shows it: amounts as exact strings, every key present."""
        data = {
            "policy": self.policy, "version": self.version, "digest": self.digest, "case_id": self.case_id,
            "rule": self.rule, "currency": self.currency,
            "floor": amount_text(self.floor), "ceiling": amount_text(self.ceiling),
            "open_at": amount_text(self.open_at), "step": amount_text(self.step),
            "remedies": list(self.remedies), "approver": self.approver, "escalate_to": self.escalate_to,
            "routes": list(self.routes), "entitlements": list(self.entitlements), "say": self.say,
            "follow_up": self.follow_up,
            "extra": None if self.extra is None else {"gesture": self.extra["gesture"], "up_to": amount_text(self.extra["up_to"])},
            "notes": list(self.notes),
        }
        if self.trace is not None:
            data["trace"] = self.trace
        return data


def amount_text(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


class DecisionMaker:
    """Assembles decisions for one policy from match results."""

    def __init__(self, policy: Policy, program: Program):
        self.policy = policy
        self.program = program
        self.kinds = {f.name: f.kind for f in policy.fields} | {let.name: let.kind for let in policy.lets}
        self.quantum = quantum(policy.currency)
        self.zero = round_amount(ZERO, policy.currency)

    def decide(self, values: dict, case_id: Any, rule_index: int | None, entitlements: list[int], routes: list[int],
               wording: bool = True, offer: Decimal | None = None) -> Decision:
        """The decision; `wording=False` leaves `say` out (replays and diffs never show it). `offer`
        is what `{offer}` stands for in `say` (default: the opening offer; a negotiation's later
        offers pass their own)."""
        policy = self.policy
        decision = Decision(policy.name, policy.version, policy.digest, case_id, None, policy.currency)
        decision.routes = [policy.routes[i].name for i in routes]
        decision.entitlements = [policy.entitlements[i].name for i in entitlements]
        minimums = [(policy.entitlements[i].name, self._amount(self.program.minimums[i](values), f'entitlement "{policy.entitlements[i].name}"', decision.notes)) for i in entitlements]
        if rule_index is None:
            decision.escalate_to = policy.otherwise
            for name, minimum in minimums:
                decision.notes.append(f'No guideline matches this case; the entitlement "{name}" still guarantees at least {self._money(minimum)}.')
            return decision
        rule = policy.guidelines[rule_index]
        decision.rule = rule.name
        self._range(decision, rule_index, values, minimums)
        decision.remedies = list(rule.remedies)
        decision.approver = policy.authority.approver_for(decision.ceiling) if policy.authority else None
        decision.escalate_to = rule.escalate_to
        decision.follow_up = rule.follow_up
        if wording and rule.say is not None:
            decision.say = self._wording(rule.say, decision, values, decision.open_at if offer is None else offer)
        return decision

    def _range(self, decision: Decision, rule_index: int, values: dict, minimums) -> None:
        """Floor and ceiling, raised by entitlements; the opening offer kept inside them."""
        rule = self.policy.guidelines[rule_index]
        amounts = self.program.amounts(rule_index, values)
        notes = decision.notes
        floor = self._amount(amounts.floor, "the floor", notes)
        ceiling = self._amount(amounts.ceiling, "the ceiling", notes)
        if floor > ceiling:
            notes.append(f"The guideline's floor ({self._money(floor)}) is above its ceiling ({self._money(ceiling)}); "
                         f"the ceiling was raised to {self._money(floor)}.")
            ceiling = floor
        for name, minimum in minimums:
            if minimum > floor:
                floor = minimum
            if minimum > ceiling:
                notes.append(f'The guideline\'s ceiling ({self._money(ceiling)}) is below the entitlement "{name}" '
                             f"({self._money(minimum)}); the range was raised to honour it.")
                ceiling = minimum
        open_at = floor
        if amounts.open_at is not None:
            wanted = self._amount(amounts.open_at, "the opening offer", notes)
            open_at = min(max(wanted, floor), ceiling)
            if open_at != wanted:
                notes.append(f"The opening offer ({self._money(wanted)}) lies outside the range; it was moved to {self._money(open_at)}.")
        decision.floor, decision.ceiling, decision.open_at = floor, ceiling, open_at
        if amounts.step is not None:
            decision.step = self._amount(amounts.step, "the step", notes)
        if amounts.extra is not None:
            decision.extra = {"gesture": rule.extra.gesture, "up_to": self._amount(amounts.extra, "the extra gesture", notes)}

    def _amount(self, raw: Decimal, what: str, notes: list[str]) -> Decimal:
        """Round half-up to the minor unit; a negative amount is clamped to zero, with a note."""
        amount = raw.quantize(self.quantum, ROUND_HALF_UP)
        if amount < 0:
            notes.append(f"{what[0].upper()}{what[1:]} came out at {self._money(amount)} and was raised to {self._money(ZERO)}.")
        if amount <= 0:
            return self.zero  # also turns a rounded "-0.00" into "0.00"
        return amount

    def _money(self, amount: Decimal) -> str:
        return format_money(amount, self.policy.currency)

    def _wording(self, template: str, decision: Decision, values: dict, offer: Decimal) -> str:
        """Fill the template's placeholders; each is computed only if the template uses it."""
        fills = {
            "offer": lambda: self._money(offer), "floor": lambda: self._money(decision.floor),
            "ceiling": lambda: self._money(decision.ceiling),
            "step": lambda: self._money(decision.step) if decision.step is not None else "",
            "extra": lambda: decision.extra["gesture"] if decision.extra else "",
        }

        def fill(match) -> str:
            name = match.group(1)
            if name in fills:
                return fills[name]()
            value = values.get(name)
            if self.kinds.get(name) == MONEY:
                return self._money(round_amount(value, self.policy.currency))
            if isinstance(value, bool):
                return "yes" if value else "no"
            return format(value, "f") if isinstance(value, Decimal) else str(value)

        return PLACEHOLDER.sub(fill, template)

