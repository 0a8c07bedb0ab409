"""The negotiation statechart as durable_rules runs it: every state, every event, every combination
of guards, and the one transition (or refusal) each must give."""

from __future__ import annotations

import itertools

import pytest

from negotiation.chart import STATES, Statechart, WrongState, events_in

EVENTS = ("start", "decline", "counter", "accept", "done")
GUARDS = ("guided", "last_rung", "inside")


def expected(state: str, event: str, guided: bool, last_rung: bool, inside: bool) -> str | None:
    """The chart in the module's docstring, written out independently of its durable_rules form."""
    if state == "new" and event == "start":
        return "offered" if guided else "escalated"
    if state in ("offered", "countered"):
        if event == "decline":
            return "escalated" if last_rung else "offered"
        if event == "counter":
            return "countered" if inside else "escalated"
        if event == "accept":
            return "settled"
    if state in ("settled", "escalated") and event == "done":
        return "done"
    return None


@pytest.fixture(scope="module")
def chart() -> Statechart:
    return Statechart()


@pytest.mark.parametrize("state, event", list(itertools.product(STATES, EVENTS)))
def test_every_state_and_event_gives_its_one_transition(chart: Statechart, state: str, event: str) -> None:
    for values in itertools.product((False, True), repeat=len(GUARDS)):
        flags = dict(zip(GUARDS, values))
        wanted = expected(state, event, **flags)
        if wanted is None:
            with pytest.raises(WrongState) as refused:
                chart.transition(state, event, **flags)
            assert f"`{event}`" in str(refused.value) and state in str(refused.value)
        else:
            assert chart.transition(state, event, **flags)[1] == wanted, flags


def test_the_events_a_state_takes_are_what_the_chart_allows() -> None:
    assert events_in("offered") == events_in("countered") == ["decline", "counter", "accept"]
    assert events_in("settled") == events_in("escalated") == ["done"]
    assert events_in("done") == []
