"""Currencies: which symbols a policy may write, how many minor units an amount has, and how an
amount is shown to a customer."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

# A symbol may stand for any of these codes; `$50` in a CAD policy is fifty Canadian dollars.
SYMBOL_CURRENCIES = {
    "$": frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"}),
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
}

# ISO 4217 minor units that differ from the usual two.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def minor_unit(code: str) -> int:
    return _MINOR_UNITS.get(code, 2)


def symbol_for(code: str) -> str | None:
    for symbol, codes in SYMBOL_CURRENCIES.items():
        if code in codes:
            return symbol
    return None


@functools.lru_cache(maxsize=None)
def quantum(code: str) -> Decimal:
    """The smallest amount of the currency: Decimal('0.01') for USD."""
    return Decimal(1).scaleb(-minor_unit(code))


def round_amount(amount: Decimal, code: str) -> Decimal:
    """Half-up to the currency's minor unit: the only rounding the language performs."""
    return amount.quantize(quantum(code), rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=None)
def _display(code: str) -> tuple[str, str | None]:
    return f",.{minor_unit(code)}f", symbol_for(code)


def format_money(amount: Decimal, code: str) -> str:
    """How an amount reads in a sentence to a customer: `$1,250.00`, `€30.00`, `1,000 JPY`."""
    pattern, symbol = _display(code)
    digits = format(amount, pattern)
    if symbol is None:
        return f"{digits} {code}"
    if digits.startswith("-"):
        return f"-{symbol}{digits[1:]}"
    return f"{symbol}{digits}"
