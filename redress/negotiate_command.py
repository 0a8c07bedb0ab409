"""`redress negotiate`: a complaint handled turn by turn, for an agent or a front-line employee.

Every subcommand prints the session as JSON (`--format json`, the default) or a few lines of text,
and takes `--store FILE`: `start` defaults to `POLICY.sessions.sqlite` beside the policy and prints
where it is; the others read `$REDRESS_SESSIONS` when `--store` is not given. The negotiation
package is imported inside each command, so `redress eval` never pays for it.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import click

from redress.output import ExitCode, Failure, emit, emit_json

STORE_VARIABLE = "REDRESS_SESSIONS"
STATUSES = ("offered", "countered", "escalated", "settled", "done")


def _store_option(default_beside_policy: bool):
    where = "default: POLICY.sessions.sqlite beside the policy" if default_beside_policy else f"default: ${STORE_VARIABLE}"
    return click.option("--store", "store_path", type=click.Path(dir_okay=False), help=f"The sessions file ({where}).")


format_option = click.option("--format", "output_format", type=click.Choice(["json", "text"]), default="json",
                             show_default=True, help="json for programs, text for people.")
at_option = click.option("--at", "at", metavar="TIME", help="When this happened (ISO 8601, UTC if no offset; default: now, or $REDRESS_NOW).")
note_option = click.option("--note", metavar="TEXT", help="A fact for the record; refused if it admits fault or remarks on the customer.")
seq_option = click.option("--seq", "expect_seq", type=click.IntRange(1), metavar="N",
                          help="The event you are answering (the `seq` you were shown); refused if another came first.")


def _event_options(command):
    for option in (seq_option, note_option, at_option, format_option, _store_option(False)):
        command = option(command)
    return command


@click.group()
def negotiate() -> None:
    """Walk a complaint up the policy's ladder: start, decline, counter, accept, done.

    Never the best offer first: the opening offer, then one step per decline, the impasse escalated
    with a briefing, the settlement recorded with its follow-up. `due` lists the follow-ups to make."""


@negotiate.command()
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("--case", "case_argument", required=True, metavar="JSON|@FILE|-", help="The case: JSON text, @FILE, or - for stdin.")
@note_option
@at_option
@format_option
@_store_option(True)
def start(policy: str, case_argument: str, note: str | None, at: str | None, output_format: str, store_path: str | None) -> None:
    """Decide the case and make the opening offer."""
    from engine.cases import CaseError
    from redress.inputs import load_checked_policy, read_case_argument

    _errors_as(output_format)
    checked = load_checked_policy(policy)
    raw = read_case_argument(case_argument)
    store_path = store_path or f"{policy}.sessions.sqlite"
    with _failures():
        try:
            session = _negotiator(store_path).start(checked.policy, raw, at, note)
        except CaseError as error:
            raise Failure(f"case: {error.message}" + (f" (expected {error.expected})" if error.expected else ""),
                          ExitCode.INPUT_ERROR, error.to_json()) from None
    _print(session, output_format, store_path)


def _session_event(kind: str, summary: str) -> None:
    """`decline`, `accept` and `done`: an event that names only the session."""

    @click.argument("session_id", metavar="SESSION")
    @_event_options
    def command(session_id: str, **options) -> None:
        _event(kind, session_id, **options)

    negotiate.command(kind, help=summary)(command)


_session_event("decline", "The customer declined: the next offer, or at the last one, escalate with a briefing.")
_session_event("accept", "The customer accepted: settle, with the record and the follow-up's due time.")
_session_event("done", "The follow-up was made (or the escalation handed over): close the session.")


@negotiate.command()
@click.argument("session_id", metavar="SESSION")
@click.argument("amount")
@_event_options
def counter(session_id: str, amount: str, **options) -> None:
    """The customer asked for AMOUNT: acceptable inside the range (and who approves it), else escalate."""
    _event("counter", session_id, amount, **options)


@negotiate.command()
@click.argument("session_id", metavar="SESSION")
@format_option
@_store_option(False)
def show(session_id: str, output_format: str, store_path: str | None) -> None:
    """The session now, with every event."""
    from negotiation.records import events

    _errors_as(output_format)
    path = _store_path(store_path)
    with _failures():
        session = _store(path).load(session_id)
    _print(session, output_format, path, events(session))


@negotiate.command("list")
@click.option("--status", "statuses", metavar="STATUS[,STATUS]", multiple=True,
              help=f"Only sessions in these states ({', '.join(STATUSES)}).")
@format_option
@_store_option(False)
def list_command(statuses: tuple[str, ...], output_format: str, store_path: str | None) -> None:
    """Every session in the store, oldest first."""
    from negotiation.records import summary

    _errors_as(output_format)
    wanted = tuple(s.strip() for group in statuses for s in group.split(",") if s.strip())
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: the states are {', '.join(STATUSES)}", param_hint="--status")
    path = _store_path(store_path)
    with _failures():
        sessions = _store(path).sessions(wanted)
    _print_list([summary(s) for s in sessions], output_format, "no sessions")


@negotiate.command()
@at_option
@format_option
@_store_option(False)
def due(at: str | None, output_format: str, store_path: str | None) -> None:
    """Settled sessions whose follow-up is due by --at (default: now)."""
    from negotiation.clock import now, time_text
    from negotiation.records import summary

    _errors_as(output_format)
    path = _store_path(store_path)
    with _failures():
        sessions = _store(path).due(time_text(now(at)))
    _print_list([summary(s) for s in sessions], output_format, "no follow-ups due")


# ---------------------------------------------------------------- shared
def _event(kind: str, session_id: str, *arguments, expect_seq, note, at, output_format, store_path) -> None:
    _errors_as(output_format)
    path = _store_path(store_path)
    with _failures():
        negotiator = _negotiator(path)
        session = getattr(negotiator, kind)(session_id, *arguments, at=at, expect_seq=expect_seq, note=note)
    _print(session, output_format, path)


def _errors_as(output_format: str) -> None:
    from redress.cli import wants_json  # the CLI's one rule for when errors are JSON

    wants_json(output_format)


def _store_path(store_path: str | None) -> str:
    path = store_path or os.environ.get(STORE_VARIABLE)
    if not path:
        raise click.UsageError(f"which sessions? give --store FILE (`start` prints it) or set ${STORE_VARIABLE}")
    if not os.path.exists(path):
        raise Failure(f"{path}: no such sessions file (`negotiate start` creates one)", ExitCode.INPUT_ERROR)
    return path


def _store(path: str):
    from negotiation.store import SessionStore

    return SessionStore(path)


def _negotiator(path: str):
    from negotiation.negotiator import Negotiator

    return Negotiator(_store(path))


@contextmanager
def _failures():
    """The negotiation's errors as the CLI's: one message, exit 2, details for JSON."""
    from negotiation.chart import WrongState
    from negotiation.clock import BadTime
    from negotiation.ladder import BadAmount
    from negotiation.negotiator import NoteRefused
    from negotiation.store import Conflict, StoreError, UnknownSession

    try:
        yield
    except UnknownSession as error:
        raise Failure(str(error), ExitCode.INPUT_ERROR, {"session": error.session_id}) from None
    except WrongState as error:
        raise Failure(str(error), ExitCode.INPUT_ERROR, {"status": error.state, "event": error.event, "accepted": error.accepted}) from None
    except Conflict as error:
        found = error.found
        raise Failure(str(error), ExitCode.INPUT_ERROR, {"conflict": {
            "session": error.session_id, "answered": error.expected, "seq": found.seq, "kind": found.kind, "at": found.at,
            "status": found.status}}) from None
    except NoteRefused as error:
        raise Failure(str(error), ExitCode.INPUT_ERROR, {"reasons": error.reasons}) from None
    except (StoreError, BadTime, BadAmount) as error:
        raise Failure(str(error), ExitCode.INPUT_ERROR) from None


def _print(session, output_format: str, store_path: str, events: list | None = None) -> None:
    from negotiation.records import answer

    data = answer(session) | {"store": store_path}
    if events is not None:
        data["events"] = events
    if output_format == "json":
        emit_json(data)
    else:
        emit(_describe(data))


def _print_list(rows: list[dict], output_format: str, empty: str) -> None:
    if output_format == "json":
        emit_json(rows)
        return
    for row in rows:
        emit(f"{row['session']}  {row['status']:<9}  {row['rule'] or '(no guideline)'}"
             + (f"  offer {row['offer']}" if row["offer"] else "") + (f"  due {row['due_at']}" if row["due_at"] else ""))
    if not rows:
        sys.stderr.write(f"{empty}\n")


def _describe(data: dict) -> str:
    """A session in a few lines for a person at a terminal."""
    currency = data["currency"]
    lines = [f"Session:      {data['session']} ({data['status']}, event {data['seq']})",
             f"Rule:         {data['rule'] or '(no guideline matches)'}"]
    if data["offer"] is not None:
        label = "Offer:" if data["status"] in ("offered", "countered") else "Last offer:"
        lines.append(f"{label:<14}{data['offer']} {currency}" + (f" ({data['remedy']})" if data["remedy"] else "")
                     + (f", approved by {data['approver']}" if data["approver"] else "")
                     + f"; range {data['floor']} to {data['ceiling']}")
    if data["say"] and data["status"] in ("offered", "countered"):
        lines.append(f"Say:          {data['say']}")
    if data["counter"]:
        lines.append(f"Counter:      {data['counter']['amount']} {currency} is acceptable (settles at "
                     f"{data['counter']['settles_at']}, approved by {data['counter']['approver']})")
    if data["status"] == "escalated":
        lines.append(f"Escalate to:  {data['escalate_to']} ({data['briefing']['reason']})")
    if data["status"] in ("settled", "done"):
        outcome = data["record"]["outcome"]
        if outcome["status"] == "settled":
            lines.append(f"Settled:      {outcome['amount']} {currency}" + (f" ({outcome['remedy']})" if outcome["remedy"] else ""))
    if data["due_at"] and data["status"] == "settled":
        lines.append(f"Follow up:    by {data['due_at']} (within {data['follow_up']})")
    if data["next"]:
        lines.append(f"Next:         {', '.join(data['next'])}")
    return "\n".join(lines)
