"""How many digits a value can have, so every SQL number is an exact DECIMAL that cannot overflow.

The compiled engine computes in Python decimals with 50 significant digits, so for it every sum and
product of case amounts is exact. SQL's DECIMAL stops at 38 digits. The SQL engine therefore works
on a *domain*: each numeric field is read on the fast path only when it has at most `whole` digits
before the point and `scale` after it; a row outside the domain is handed to the compiled engine.
From the domain, every expression gets a static bound (`Digits`), and a policy whose expressions
could need more than 38 digits in that domain is not compiled at all (`NotExact`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, Inexact

MAX_PRECISION = 38

# Domains tried in order, widest first: (digits before the point, digits after it) of a numeric
# field read in SQL. The widest domain whose expressions all fit in 38 digits is used.
DOMAINS = ((15, 6), (12, 4), (12, 3), (9, 3), (9, 2), (6, 2))


class NotExact(ValueError):
    """The policy (or one of its expressions) cannot be computed exactly in SQL; the message says
    which and why. The caller decides such a policy with the compiled engine instead."""


@dataclass(frozen=True)
class Digits:
    """|value| < 10**whole, and the value has at most `scale` digits after the point."""

    whole: int
    scale: int

    @property
    def precision(self) -> int:
        return max(1, self.whole + self.scale)

    def union(self, other: "Digits") -> "Digits":
        return Digits(max(self.whole, other.whole), max(self.scale, other.scale))


def digits_of(value: Decimal) -> Digits:
    """The bound of a constant."""
    exponent = value.normalize().as_tuple().exponent
    scale = max(0, -exponent) if isinstance(exponent, int) else 0
    whole = len(str(int(abs(value)))) if abs(value) >= 1 else 0
    return Digits(whole, scale)


class TooManyDigits(NotExact):
    """An expression could outgrow DECIMAL(38) in this domain; a narrower domain may fit."""


def fits(digits: Digits, where: str) -> Digits:
    if digits.whole + digits.scale > MAX_PRECISION:
        raise TooManyDigits(f"{where} could need {digits.whole + digits.scale} digits, more than SQL's DECIMAL(38) holds")
    return digits


_EXACT = Context(prec=200, traps=[])


def exact_reciprocal(value: Decimal) -> Decimal | None:
    """1/value when it is a finite decimal (dividing by 4 is multiplying by 0.25), else None."""
    if not value:
        return None
    _EXACT.clear_flags()
    reciprocal = _EXACT.divide(Decimal(1), value)
    return None if _EXACT.flags[Inexact] else reciprocal
