"""What a session shows: the answer to "what do I offer now", the record, and the briefing.

The record holds facts only (the case, every offer with its time, amount and remedy, the answers,
who approved, the outcome, the follow-up) and the notes that passed the wording check: "Records
and documents can be introduced in court." The briefing is the record plus the decision and its
explanation, for whoever takes over at an escalation, "so the customer never repeats the story".
"""

from __future__ import annotations

from negotiation.chart import OPEN_STATES, events_in
from negotiation.store import Session

_ANSWERS = {"decline": "declined", "counter": "countered", "accept": "accepted"}


def answer(session: Session) -> dict:
    """The session now: what is on the table, who may approve it, what happens next."""
    decision = session.terms["decision"]
    offer = _standing_offer(session)
    last = session.events[-1].facts
    counter = None
    if session.status == "countered":
        counter = {"amount": last["counter"], "acceptable": True, "settles_at": last["settles_at"], "approver": last["approver"]}
    data = {
        "session": session.id, "seq": session.seq, "status": session.status, "at": session.updated_at,
        "policy": decision["policy"], "rule": decision["rule"], "currency": decision["currency"],
        "offer": offer.get("offer"), "remedy": offer.get("remedy"),
        "say": offer.get("say") if session.status in OPEN_STATES else None,  # words for the offer still on the table
        "floor": decision["floor"], "ceiling": decision["ceiling"], "step": decision["step"], "remedies": decision["remedies"],
        "approver": offer.get("approver"), "counter": counter, "escalate_to": _escalation(session).get("escalate_to"),
        "extra": decision["extra"], "follow_up": decision["follow_up"], "due_at": session.due_at,
        "next": events_in(session.status),
    }
    if session.status == "escalated":
        data["briefing"] = briefing(session)
    if session.status in ("settled", "done"):
        data["record"] = record(session)
    return data


def record(session: Session) -> dict:
    """The facts of the conversation, in order."""
    decision = session.terms["decision"]
    policy = session.terms["policy"]
    offers, counters, notes = [], [], []
    outcome: dict = {"status": session.status}
    done_at = None
    previous = None
    for event in session.events:
        facts = event.facts
        answering_counter = previous is not None and previous.kind == "counter" and previous.facts["acceptable"]
        if event.kind in ("decline", "accept") and answering_counter:
            counters[-1]["answer"] = _ANSWERS[event.kind]
        if event.kind in _ANSWERS and offers and not (event.kind == "accept" and answering_counter):
            offers[-1]["answer"] = _ANSWERS[event.kind]
        previous = event
        if "offer" in facts:
            offers.append({"seq": event.seq, "at": event.at, "amount": facts["offer"], "remedy": facts["remedy"],
                           "approver": facts["approver"], "answer": None})
        if event.kind == "counter":
            counters.append({"seq": event.seq, "at": event.at, "amount": facts["counter"], "acceptable": facts["acceptable"],
                             "settles_at": facts.get("settles_at"), "approver": facts.get("approver"), "answer": None})
        if event.kind == "accept":
            outcome = {"status": "settled", "at": event.at, "amount": facts["amount"], "remedy": facts["remedy"],
                       "approver": facts["approver"]}
        if "escalate_to" in facts:
            outcome = {"status": "escalated", "at": event.at, "escalate_to": facts["escalate_to"], "reason": facts["reason"]}
        if event.kind == "done":
            done_at = event.at
        if "note" in facts:
            notes.append({"seq": event.seq, "at": event.at, "note": facts["note"]})
    follow_up = None
    if decision["follow_up"] and outcome["status"] == "settled":
        follow_up = {"within": decision["follow_up"], "due_at": session.due_at, "done_at": done_at}
    return {
        "session": session.id, "policy": {key: policy[key] for key in ("name", "version", "digest")}, "rule": decision["rule"],
        "currency": decision["currency"], "case": session.terms["case"], "opened_at": session.opened_at,
        "offers": offers, "counters": counters, "outcome": outcome, "follow_up": follow_up,
        "extra": decision["extra"] if outcome["status"] == "settled" else None, "closed_at": done_at, "notes": notes,
    }


def briefing(session: Session) -> dict:
    """Everything the next person needs: the record, who takes over and why, and the decision with
    its explanation (every rule considered, and why it matched or not)."""
    escalation = _escalation(session)
    return {"escalate_to": escalation.get("escalate_to"), "reason": escalation.get("reason"), "at": escalation.get("at"),
            **record(session), "decision": session.terms["decision"]}


def events(session: Session) -> list[dict]:
    return [{"seq": e.seq, "kind": e.kind, "at": e.at, "status": e.status, **e.facts} for e in session.events]


def summary(session: Session) -> dict:
    """One line of `list` or `due`."""
    decision = session.terms["decision"]
    offer = _standing_offer(session)
    return {"session": session.id, "status": session.status, "seq": session.seq, "policy": decision["policy"],
            "rule": decision["rule"], "case_id": decision["case_id"], "offer": offer.get("offer"), "opened_at": session.opened_at,
            "updated_at": session.updated_at, "escalate_to": _escalation(session).get("escalate_to"),
            "follow_up": decision["follow_up"], "due_at": session.due_at}


def _standing_offer(session: Session) -> dict:
    return next((event.facts for event in reversed(session.events) if "offer" in event.facts), {})


def _escalation(session: Session) -> dict:
    event = next((event for event in reversed(session.events) if "escalate_to" in event.facts), None)
    return {} if event is None else {"escalate_to": event.facts["escalate_to"], "reason": event.facts["reason"], "at": event.at}

