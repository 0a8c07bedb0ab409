"""A small description of guidelines that renders two ways: as Redress policy text and as the
cells of a GoRules decision table.

The benchmark needs the same policy in both engines. Writing it twice by hand would let the two
drift apart silently; deriving both from one description keeps them in step, and the agreement
check in `zen_peer` catches any place where the two languages still read it differently.

Each piece knows exactly two renderings: `redress()` (policy syntax) and `zen()` (the GoRules
expression language, where numbers are exact decimals as well).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


# ---------------------------------------------------------------- amounts


@dataclass(frozen=True)
class Money:
    amount: Decimal

    def redress(self) -> str:
        whole = self.amount == self.amount.to_integral_value()
        return f"${self.amount:,.0f}" if whole else f"${self.amount:,.2f}"

    def zen(self) -> str:
        return _plain(self.amount)


@dataclass(frozen=True)
class Number:
    value: Decimal

    def redress(self) -> str:
        return _plain(self.value)

    def zen(self) -> str:
        return _plain(self.value)


@dataclass(frozen=True)
class Name:
    name: str

    def redress(self) -> str:
        return self.name

    def zen(self) -> str:
        return self.name


@dataclass(frozen=True)
class PercentOf:
    percent: int
    of: Expr

    def redress(self) -> str:
        return f"{self.percent}% of {self.of.redress()}"

    def zen(self) -> str:
        return f"{self.of.zen()} * {_plain(Decimal(self.percent) / 100)}"


@dataclass(frozen=True)
class Plus:
    left: Expr
    right: Expr

    def redress(self) -> str:
        return f"{self.left.redress()} + {self.right.redress()}"

    def zen(self) -> str:
        return f"({self.left.zen()} + {self.right.zen()})"


@dataclass(frozen=True)
class Least:
    """`min(a, b)`; GoRules takes the arguments as one array."""

    items: tuple[Expr, ...]

    def redress(self) -> str:
        return f"min({', '.join(item.redress() for item in self.items)})"

    def zen(self) -> str:
        return f"min([{', '.join(item.zen() for item in self.items)}])"


@dataclass(frozen=True)
class Most:
    items: tuple[Expr, ...]

    def redress(self) -> str:
        return f"max({', '.join(item.redress() for item in self.items)})"

    def zen(self) -> str:
        return f"max([{', '.join(item.zen() for item in self.items)}])"


Expr = Money | Number | Name | PercentOf | Plus | Least | Most


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: `0.25`, `1000`."""
    return format(value.normalize(), "f")


# ---------------------------------------------------------------- conditions, one column each


@dataclass(frozen=True)
class Is:
    field: str
    values: tuple[str, ...]

    @property
    def column(self) -> str:
        return self.field

    def redress(self) -> str:
        if len(self.values) == 1:
            return f"{self.field} is {self.values[0]}"
        return f"{self.field} is one of {', '.join(self.values)}"

    def zen(self) -> str:
        return ", ".join(f'"{value}"' for value in self.values)


@dataclass(frozen=True)
class Flag:
    field: str

    @property
    def column(self) -> str:
        return self.field

    def redress(self) -> str:
        return self.field

    def zen(self) -> str:
        return "true"


@dataclass(frozen=True)
class AtLeast:
    subject: str
    bound: Money | Number

    @property
    def column(self) -> str:
        return self.subject

    def redress(self) -> str:
        return f"{self.subject} >= {self.bound.redress()}"

    def zen(self) -> str:
        return f">= {self.bound.zen()}"


@dataclass(frozen=True)
class Between:
    """`low <= subject < high`: the half-open band a pricing tier usually is."""

    subject: str
    low: Money | Number
    high: Money | Number

    @property
    def column(self) -> str:
        return self.subject

    def redress(self) -> str:
        return f"{self.subject} >= {self.low.redress()} and {self.subject} < {self.high.redress()}"

    def zen(self) -> str:
        return f"[{self.low.zen()}..{self.high.zen()})"


Condition = Is | Flag | AtLeast | Between


# ---------------------------------------------------------------- offers and guidelines

ZERO = Money(Decimal(0))


@dataclass(frozen=True)
class Offer:
    """An offer normalised to floor and ceiling, remembering the form to write it back in."""

    form: str  # "range", "up to", "exactly", "nothing"
    floor: Expr = ZERO
    ceiling: Expr = ZERO

    def redress(self) -> str:
        if self.form == "range":
            return f"offer no less than {self.floor.redress()} but no more than {self.ceiling.redress()}"
        if self.form == "up to":
            return f"offer up to {self.ceiling.redress()}"
        if self.form == "exactly":
            return f"offer exactly {self.floor.redress()}"
        return "offer nothing"


def between(floor: Expr, ceiling: Expr) -> Offer:
    return Offer("range", floor, ceiling)


def up_to(ceiling: Expr) -> Offer:
    return Offer("up to", ZERO, ceiling)


def exactly(amount: Expr) -> Offer:
    return Offer("exactly", amount, amount)


NOTHING = Offer("nothing")


@dataclass(frozen=True)
class Guideline:
    """One `rule`: everything Redress needs, of which the decision table uses the conditions,
    the name and the range."""

    name: str
    when: tuple[Condition, ...]
    offer: Offer
    open_at: Expr | None = None
    step: Expr | None = None
    remedies: tuple[str, ...] = ()
    say: str | None = None
    follow_up: str | None = None
    extra: tuple[str, Expr] | None = None
    escalate_to: str | None = None

    def redress(self) -> str:
        lines = [f'rule "{self.name}"']
        if self.when:
            lines.append("  when " + " and ".join(condition.redress() for condition in self.when))
        lines.append("  " + self.offer.redress())
        if self.open_at is not None:
            lines.append(f"  open at {self.open_at.redress()}")
        if self.step is not None:
            lines.append(f"  step {self.step.redress()}")
        if self.remedies:
            lines.append(f"  remedies {', '.join(self.remedies)}")
        if self.say is not None:
            lines.append(f'  say "{self.say}"')
        if self.follow_up is not None:
            lines.append(f"  follow up within {self.follow_up}")
        if self.extra is not None:
            lines.append(f'  extra "{self.extra[0]}" up to {self.extra[1].redress()}')
        if self.escalate_to is not None:
            lines.append(f"  escalate to {self.escalate_to}")
        return "\n".join(lines)

    def zen_floor(self) -> str:
        """Redress clamps a bound below zero to zero; the table does the same."""
        return f"max([0, {self.offer.floor.zen()}])"

    def zen_ceiling(self) -> str:
        """A ceiling under the floor is raised to it in Redress; so here too."""
        return f"max([0, {self.offer.floor.zen()}, {self.offer.ceiling.zen()}])"
