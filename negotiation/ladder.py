"""The ladder of offers a decision allows: where it opens, how it climbs, where it stops, and who
takes over at the impasse. Exact money throughout; no engine, no store, no clock.

The manual: "Never start off by offering the best resolution... leave yourself options", and "rank
possible solutions from the least costly to the most expensive and present them in that order".
So the ladder opens at `open at` (else the floor) with the first remedy; each decline climbs one
`step` (without a step, straight to the ceiling), never past the ceiling, and moves to the next
remedy, staying on the last. The last rung is the ceiling with the last remedy: a decline there is
the impasse.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from dsl.model import AuthorityChain, Role


class BadAmount(ValueError):
    """An amount a customer asked for that is not money in the policy's currency."""


@dataclass(frozen=True)
class Rung:
    amount: Decimal
    remedy: int  # index into the remedies; 0 when there are none


@dataclass(frozen=True)
class Terms:
    """What a decision allows a negotiation, kept in the session so it never changes under it."""

    currency: str
    minor_unit: int
    floor: Decimal
    ceiling: Decimal
    open_at: Decimal
    step: Decimal | None
    remedies: tuple[str, ...]
    authority: AuthorityChain | None
    escalate_to: str | None  # the rule's `escalate to`
    otherwise: str | None

    @classmethod
    def from_json(cls, data: dict) -> Terms:
        roles = data["authority"]
        return cls(
            data["currency"], data["minor_unit"], Decimal(data["floor"]), Decimal(data["ceiling"]), Decimal(data["open_at"]),
            None if data["step"] is None else Decimal(data["step"]), tuple(data["remedies"]),
            None if roles is None else AuthorityChain(tuple(Role(name, None if limit is None else Decimal(limit)) for name, limit in roles)),
            data["escalate_to"], data["otherwise"])

    def to_json(self) -> dict:
        roles = None if self.authority is None else [[r.name, None if r.limit is None else str(r.limit)] for r in self.authority.roles]
        return {"currency": self.currency, "minor_unit": self.minor_unit, "floor": str(self.floor), "ceiling": str(self.ceiling),
                "open_at": str(self.open_at), "step": None if self.step is None else str(self.step),
                "remedies": list(self.remedies), "authority": roles, "escalate_to": self.escalate_to, "otherwise": self.otherwise}

    # ------------------------------------------------------------ the ladder
    def opening(self) -> Rung:
        return Rung(self.open_at, 0)

    def next_rung(self, rung: Rung) -> Rung:
        """One step up (a step that rounds to nothing climbs straight to the ceiling), never past
        the ceiling; the next remedy, staying on the last."""
        amount = self.ceiling if self.step is None or self.step <= 0 else min(rung.amount + self.step, self.ceiling)
        return Rung(amount, min(rung.remedy + 1, max(len(self.remedies) - 1, 0)))

    def is_last(self, rung: Rung) -> bool:
        return rung.amount >= self.ceiling and rung.remedy >= len(self.remedies) - 1

    def remedy(self, rung: Rung) -> str | None:
        return self.remedies[rung.remedy] if self.remedies else None

    # ------------------------------------------------------------ authority
    def approver(self, amount: Decimal) -> str | None:
        """Who may approve `amount` on the spot (null without an authority chain)."""
        return None if self.authority is None else self.authority.approver_for(amount)

    def escalation(self, amount: Decimal) -> str | None:
        """Who takes over at an impasse: the rule's `escalate to`, else the next role above the one
        whose authority `amount` needed (the top role stays the top), else the policy's `otherwise`."""
        if self.escalate_to is not None:
            return self.escalate_to
        if self.authority is None:
            return self.otherwise
        names = self.authority.names
        needed = names.index(self.authority.approver_for(amount))
        return names[min(needed + 1, len(names) - 1)]

    # ------------------------------------------------------------ counters
    def amount(self, text: str) -> Decimal:
        """A customer's amount: a plain decimal, not negative, to the currency's minor unit at most."""
        try:
            amount = Decimal(text.strip().replace(",", ""))
        except InvalidOperation:
            raise BadAmount(f"`{text}` is not an amount; expected a number such as 45.50") from None
        if not amount.is_finite() or amount < 0:
            raise BadAmount(f"`{text}` is not an amount; expected a number of {self.currency}, 0 or more")
        if amount != amount.quantize(Decimal(1).scaleb(-self.minor_unit)):
            raise BadAmount(f"`{text}` has more decimals than {self.currency} has ({self.minor_unit})")
        return amount.quantize(Decimal(1).scaleb(-self.minor_unit))

    def inside(self, amount: Decimal) -> bool:
        """Whether a counter can be accepted on this guideline (at most the ceiling)."""
        return amount <= self.ceiling

    def settlement(self, amount: Decimal) -> Decimal:
        """What accepting a counter pays: the counter, never below the floor (the floor is owed)."""
        return max(amount, self.floor)
