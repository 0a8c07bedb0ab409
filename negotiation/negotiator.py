"""A complaint as a conversation: each call is one event (start, decline, counter, accept, done)
that the statechart moves and the store keeps.

The engine decides the case once, at the start; the session keeps the policy text, the case and
that decision, so every later turn climbs the same ladder even if the policy file is edited
meanwhile. Only a new offer's wording asks the engine again (the same decision, with `{offer}` at
the new amount).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dsl.checker import check_source
from dsl.model import Policy
from dsl.wording import note_objections
from engine.decide import Engine, load_engine
from engine.decision import amount_text
from negotiation.chart import Statechart, WrongState, events_in, shared_chart
from negotiation.clock import BadTime, follow_up_delta, now, time_text
from negotiation.ladder import Rung, Terms
from negotiation.store import Conflict, Event, Session, SessionStore, StoreError, Transaction


class NoteRefused(ValueError):
    """A note a record must not hold (an admission of fault, a personal remark)."""

    def __init__(self, note: str, reasons: list[str]):
        super().__init__("the note is refused: " + "; ".join(reasons) + ". A record holds facts only: what happened, when, and what was agreed")
        self.reasons = reasons


def _exact(value: Any) -> Any:
    """A case as JSON with its decimals as exact text (a case may carry numbers as strings)."""
    if isinstance(value, Decimal):
        return amount_text(value)
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


class Negotiator:
    """Runs negotiation events against one store."""

    def __init__(self, store: SessionStore, chart: Statechart | None = None):
        self.store = store
        self.chart = chart or shared_chart()
        self._engines: dict[str, Engine] = {}

    # ------------------------------------------------------------ events
    def start(self, policy: Policy, raw_case: Any, at: str | None = None, note: str | None = None) -> Session:
        """Decide the case and make the opening offer (or, with no guideline, escalate at once).
        Raises `engine.cases.CaseError` for a case that does not fit the policy."""
        moment, facts = now(at), self._note(note)
        engine = self._engine_for(policy)
        decision = engine.decide(raw_case, explain=True)
        terms = None
        if decision.rule is not None:
            terms = Terms(policy.currency, policy.minor_unit, decision.floor, decision.ceiling, decision.open_at, decision.step,
                          tuple(decision.remedies), policy.authority, decision.escalate_to, policy.otherwise)
        stored = {"policy": {"name": policy.name, "version": policy.version, "digest": policy.digest, "path": policy.path,
                             "source": policy.source},
                  "case": _exact(raw_case), "decision": decision.to_json(), "ladder": None if terms is None else terms.to_json()}
        _, status = self.chart.transition("new", "start", guided=terms is not None)
        if terms is None:
            facts |= {"escalate_to": policy.otherwise, "reason": "no guideline matches this case"}
        else:
            facts |= self._offer(terms, terms.opening(), decision.say)
        with self.store.writing() as transaction:
            return transaction.open_session(stored, Event(1, "start", time_text(moment), status, facts))

    def decline(self, session_id: str, at: str | None = None, expect_seq: int | None = None, note: str | None = None) -> Session:
        """The customer declined what is on the table: the next rung, or at the last one, the impasse."""
        preview = self.store.load(session_id)
        engine = self._engine_for(self._stored_policy(preview)) if preview.terms["ladder"] else None
        with self.store.writing() as transaction:
            session, moment, facts = self._turn(transaction, "decline", session_id, at, expect_seq, note)
            terms, standing = self._standing(session)
            _, status = self.chart.transition(session.status, "decline", last_rung=terms.is_last(standing))
            facts["declined"] = {"offer": amount_text(standing.amount), "remedy": terms.remedy(standing)}
            if status == "escalated":
                facts |= {"escalate_to": terms.escalation(standing.amount),
                          "reason": "impasse: the customer declined the last offer this guideline allows"}
            else:
                rung = terms.next_rung(standing)
                say = engine.decide(session.terms["case"], offer=rung.amount).say
                facts |= self._offer(terms, rung, say)
            return self._write(transaction, session, "decline", moment, status, facts)

    def counter(self, session_id: str, amount: str, at: str | None = None, expect_seq: int | None = None,
                note: str | None = None) -> Session:
        """The customer asked for `amount`: acceptable inside the range (with who may approve it),
        escalated above the ceiling."""
        with self.store.writing() as transaction:
            session, moment, facts = self._turn(transaction, "counter", session_id, at, expect_seq, note)
            terms, standing = self._standing(session)
            asked = terms.amount(amount)
            _, status = self.chart.transition(session.status, "counter", inside=terms.inside(asked))
            facts["counter"] = amount_text(asked)
            if status == "countered":
                settles = terms.settlement(asked)
                facts |= {"acceptable": True, "settles_at": amount_text(settles), "approver": terms.approver(settles)}
            else:
                facts |= {"acceptable": False, "escalate_to": terms.escalation(standing.amount),
                          "reason": f"the customer asked for {amount_text(asked)}, above the ceiling of {amount_text(terms.ceiling)}"}
            return self._write(transaction, session, "counter", moment, status, facts)

    def accept(self, session_id: str, at: str | None = None, expect_seq: int | None = None, note: str | None = None) -> Session:
        """The customer accepted: settled at the standing offer (or the acceptable counter)."""
        with self.store.writing() as transaction:
            session, moment, facts = self._turn(transaction, "accept", session_id, at, expect_seq, note)
            terms, standing = self._standing(session)
            was = session.status
            _, status = self.chart.transition(was, "accept")
            amount = terms.settlement(Decimal(session.events[-1].facts["counter"])) if was == "countered" else standing.amount
            decision = session.terms["decision"]
            due = None
            if decision["follow_up"]:
                due = time_text(moment + follow_up_delta(decision["follow_up"]))
            facts |= {"amount": amount_text(amount), "remedy": terms.remedy(standing), "approver": terms.approver(amount),
                      "follow_up": decision["follow_up"], "due_at": due, "extra": decision["extra"]}
            return self._write(transaction, session, "accept", moment, status, facts, due)

    def done(self, session_id: str, at: str | None = None, expect_seq: int | None = None, note: str | None = None) -> Session:
        """The follow-up was made (settled), or the escalation was handed over: the session closes."""
        with self.store.writing() as transaction:
            session, moment, facts = self._turn(transaction, "done", session_id, at, expect_seq, note)
            _, status = self.chart.transition(session.status, "done")
            return self._write(transaction, session, "done", moment, status, facts, session.due_at)

    # ------------------------------------------------------------ the parts every event shares
    def _turn(self, transaction: Transaction, kind: str, session_id: str, at: str | None, expect_seq: int | None,
              note: str | None):
        """The session as it is now (inside the write lock), the event's time and its facts so far;
        a stale `expect_seq`, a time out of order or an event the state does not take is refused."""
        moment, facts = now(at), self._note(note)
        session = transaction.load(session_id)
        if expect_seq is not None and expect_seq != session.seq:
            if expect_seq > session.seq:
                raise StoreError(f"session `{session_id}` has had {session.seq} events; there is no event {expect_seq} to answer")
            raise Conflict(session_id, expect_seq, session.events[expect_seq])
        if kind not in events_in(session.status):
            raise WrongState(session.status, kind)
        if time_text(moment) < session.updated_at:
            raise BadTime(f"{time_text(moment)} is before the session's last event ({session.updated_at}); events are kept in order")
        return session, moment, facts

    def _write(self, transaction: Transaction, session: Session, kind: str, moment, status: str, facts: dict,
               due: str | None = None) -> Session:
        transaction.append(session, Event(session.seq + 1, kind, time_text(moment), status, facts), due)
        return session

    @staticmethod
    def _note(note: str | None) -> dict:
        if note is None:
            return {}
        objections = note_objections(note)
        if objections:
            raise NoteRefused(note, [finding.message for finding in objections])
        return {"note": note}

    @staticmethod
    def _offer(terms: Terms, rung: Rung, say: str | None) -> dict:
        return {"offer": amount_text(rung.amount), "remedy": terms.remedy(rung), "remedy_index": rung.remedy,
                "approver": terms.approver(rung.amount), "say": say}

    @staticmethod
    def _standing(session: Session) -> tuple[Terms, Rung]:
        """The ladder's terms and the offer on the table. Only a session that is talking (offered or
        countered) has them, and `_turn` lets no other state this far."""
        offer = next(event.facts for event in reversed(session.events) if "offer" in event.facts)
        return Terms.from_json(session.terms["ladder"]), Rung(Decimal(offer["offer"]), offer["remedy_index"])

    @staticmethod
    def _stored_policy(session: Session) -> Policy:
        stored = session.terms["policy"]
        result = check_source(stored["source"], stored["path"], wording=False)
        if result.policy is None:
            raise StoreError(f"the policy kept with session `{session.id}` no longer checks")
        return result.policy

    def _engine_for(self, policy: Policy) -> Engine:
        if policy.digest not in self._engines:
            self._engines[policy.digest] = load_engine(policy)
        return self._engines[policy.digest]

