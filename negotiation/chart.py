"""The states of a negotiation and the events that move it, as a statechart that durable_rules runs.

    new ──start──▶ offered ──decline──▶ offered           (the next rung of the ladder)
                      │  └───decline at the last rung──▶ escalated   (the impasse)
                      ├────counter inside the range───▶ countered
                      ├────counter above the ceiling──▶ escalated
                      └────accept─────────────────────▶ settled ──done──▶ done
    countered takes what offered takes (accept settles at the counter); escalated ──done──▶ done.

`CHART` is written the way durable_rules writes a statechart (state -> trigger -> condition and
`to`). durable_rules' own `Statechart` class needs its `Host`, whose dispatcher threads and timers
run off the wall clock and keep the state in memory; a negotiation's state lives in SQLite and
outlives every process, and its clock is injectable. So the chart is flattened into one ruleset, a
rule per transition whose condition tests the state and the event together, and matched
synchronously (`engine.durable_matcher.fire_rules`, under a lock): one fact per event, asserted and
retracted. Guards that need exact money (is the offer at the ceiling, is the counter inside the
range) are decided in Python with `Decimal` and sent as 0/1 flags.
"""

from __future__ import annotations

import itertools
import json
import threading
from functools import lru_cache

import durable_rules_engine

from engine.durable_matcher import fire_rules

STATES = ("new", "offered", "countered", "escalated", "settled", "done")
OPEN_STATES = ("offered", "countered")  # a conversation still going on

_TALKING = {
    "concede": {"all": [{"m": {"$and": [{"event": "decline"}, {"last_rung": 0}]}}], "to": "offered"},
    "impasse": {"all": [{"m": {"$and": [{"event": "decline"}, {"last_rung": 1}]}}], "to": "escalated"},
    "counter_inside": {"all": [{"m": {"$and": [{"event": "counter"}, {"inside": 1}]}}], "to": "countered"},
    "counter_above": {"all": [{"m": {"$and": [{"event": "counter"}, {"inside": 0}]}}], "to": "escalated"},
    "settle": {"all": [{"m": {"event": "accept"}}], "to": "settled"},
}
CHART = {
    "new": {
        "open": {"all": [{"m": {"$and": [{"event": "start"}, {"guided": 1}]}}], "to": "offered"},
        "no_guideline": {"all": [{"m": {"$and": [{"event": "start"}, {"guided": 0}]}}], "to": "escalated"},
    },
    "offered": _TALKING,
    "countered": _TALKING,
    "escalated": {"hand_over": {"all": [{"m": {"event": "done"}}], "to": "done"}},
    "settled": {"follow_up": {"all": [{"m": {"event": "done"}}], "to": "done"}},
    "done": {},
}
_FLAGS = ("guided", "last_rung", "inside")
_names = itertools.count()


class WrongState(Exception):
    """The event is not one the session's state takes (a decline after settling, say)."""

    def __init__(self, state: str, event: str):
        accepted = events_in(state)
        takes = f"it takes {', '.join(f'`{e}`' for e in accepted)}" if accepted else "it is closed and takes no more events"
        super().__init__(f"the session is {state}: `{event}` is not possible now; {takes}")
        self.state = state
        self.event = event
        self.accepted = accepted


def events_in(state: str) -> list[str]:
    """The events a state takes, in the chart's order."""
    events: list[str] = []
    for trigger in CHART[state].values():
        condition = trigger["all"][0]["m"]
        tests = condition.get("$and", [condition])
        event = next(test["event"] for test in tests if "event" in test)
        if event not in events:
            events.append(event)
    return events


def flatten(chart: dict) -> dict:
    """One durable_rules rule per transition, named `state.trigger`: the trigger's tests and a test
    of the state, on the same fact."""
    rules = {}
    for state, triggers in chart.items():
        for trigger, definition in triggers.items():
            condition = definition["all"][0]["m"]
            tests = condition.get("$and", [condition])
            rules[f"{state}.{trigger}"] = {"all": [{"m": {"$and": [{"state": state}, *tests]}}]}
    return rules


class Statechart:
    """The chart loaded into durable_rules once per process."""

    def __init__(self, chart: dict = CHART):
        self.chart = chart
        self._handle = durable_rules_engine.create_ruleset(f"redress_negotiation_{next(_names)}", json.dumps(flatten(chart)))
        self._lock = threading.Lock()

    def transition(self, state: str, event: str, **flags: bool) -> tuple[str, str]:
        """(trigger, next state) for `event` in `state`; raises `WrongState` when no transition fits."""
        fact = {"sid": "0", "id": "event", "state": state, "event": event} | {name: int(flags.get(name, False)) for name in _FLAGS}
        with self._lock:
            fired = fire_rules(self._handle, json.dumps(fact))
        if not fired:
            raise WrongState(state, event)
        assert len(fired) == 1, f"the chart is ambiguous: {fired}"  # the guards exclude each other
        fired_state, trigger = fired[0].split(".", 1)
        return trigger, self.chart[fired_state][trigger]["to"]


@lru_cache(maxsize=1)
def shared_chart() -> Statechart:
    """The process's one chart ruleset (durable_rules rulesets cannot be deleted: load it once)."""
    return Statechart()
