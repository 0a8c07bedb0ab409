"""Time in a negotiation: when each event happened, and when a follow-up falls due.

The clock is injectable: `--at TIME` on a command, else `REDRESS_NOW` in the environment (tests and
replays of a past conversation), else the system clock. Times are UTC and whole seconds, written
`2026-12-03T09:00:00Z`, so they sort as text in the store.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

CLOCK_VARIABLE = "REDRESS_NOW"
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class BadTime(ValueError):
    """A time that cannot be read."""


def parse_time(text: str, where: str = "--at") -> datetime:
    """An ISO 8601 time; one without an offset is UTC. Fractions of a second are refused (the
    store keeps whole seconds, and an option is honoured or refused, never rounded quietly)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadTime(f"{where}: `{text}` is not a time; expected ISO 8601 such as 2026-12-03T09:00:00Z") from None
    if moment.microsecond:
        raise BadTime(f"{where}: `{text}` has a fraction of a second; give whole seconds")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def now(at: str | None = None) -> datetime:
    """`at` if given, else `REDRESS_NOW`, else the system clock (to the second)."""
    if at is not None:
        return parse_time(at)
    injected = os.environ.get(CLOCK_VARIABLE)
    if injected:
        return parse_time(injected, CLOCK_VARIABLE)
    return datetime.now(timezone.utc).replace(microsecond=0)


def time_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_FORMAT)


def follow_up_delta(follow_up: str) -> timedelta:
    """`2 days`, `1 day`, `4 hours` (a decision's `follow_up`) as a length of time."""
    count, unit = follow_up.split()
    return timedelta(**{unit if unit.endswith("s") else unit + "s": int(count)})
