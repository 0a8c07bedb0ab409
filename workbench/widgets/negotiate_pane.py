"""Negotiate mode of Try a case: walk the case up the policy's ladder (decline, counter, accept) the
way `redress negotiate` does, and read the briefing an escalation hands over.

It is a rehearsal: the sessions live in a scratch store that goes when the pane does, but every
turn runs the real negotiation code (statechart, ladder, records), so what the policy owner sees
here is what an agent gets from the CLI.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from dsl.model import Policy
from engine.cases import CaseError
from negotiation.chart import WrongState
from negotiation.ladder import BadAmount
from negotiation.negotiator import Negotiator
from negotiation.records import answer
from negotiation.store import SessionStore, StoreError

_BUTTONS = {"negotiate-decline": "decline", "negotiate-counter": "counter", "negotiate-accept": "accept"}


class NegotiatePane(Vertical):
    DEFAULT_CSS = """
    NegotiatePane { display: none; height: auto; padding: 0 1; border-bottom: solid $primary; }
    NegotiatePane.-active { display: block; }
    NegotiatePane Horizontal { height: auto; }
    NegotiatePane Button { min-width: 10; margin-right: 1; }
    NegotiatePane Input { width: 16; margin-right: 1; }
    """

    def __init__(self, current_case: Callable[[], dict], **kwargs) -> None:
        """`current_case` gives the case as the form has it now."""
        super().__init__(**kwargs)
        self.current_case = current_case
        self.policy: Policy | None = None
        self.session = None
        self._scratch: tempfile.TemporaryDirectory | None = None
        self._negotiator: Negotiator | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Negotiate: Ctrl+N again to leave", style="bold"), id="negotiate-title")
        with Horizontal():
            yield Button("Decline", id="negotiate-decline")
            yield Input(placeholder="amount", id="negotiate-amount")
            yield Button("Counter", id="negotiate-counter")
            yield Button("Accept", id="negotiate-accept", variant="success")
            yield Button("Start over", id="negotiate-restart")
        yield Static(id="negotiate-session")

    def on_unmount(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()

    @property
    def negotiator(self) -> Negotiator:
        """Made on first use, so a workbench that never negotiates never creates the scratch store."""
        if self._negotiator is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="redress-negotiate-")
            self._negotiator = Negotiator(SessionStore(str(Path(self._scratch.name) / "sessions.sqlite")))
        return self._negotiator

    @property
    def active(self) -> bool:
        return self.has_class("-active")

    def toggle(self) -> None:
        """Enter negotiate mode with the form's case (the opening offer), or leave it."""
        self.set_class(not self.active, "-active")
        if self.active:
            self.start()
            self.scroll_visible(animate=False)  # the buttons stay where a click finds them

    def start(self) -> None:
        if self.policy is None:
            self._problem("the policy has errors; see Problems (F2).")
            return
        try:
            self.session = self.negotiator.start(self.policy, self.current_case())
        except CaseError as error:
            self._problem(error.message)
            return
        self._show()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "negotiate-restart":
            self.start()
            return
        kind = _BUTTONS[event.button.id]
        arguments = (self.query_one("#negotiate-amount", Input).value,) if kind == "counter" else ()
        try:
            self.session = getattr(self.negotiator, kind)(self.session.id, *arguments)
        except (WrongState, BadAmount, StoreError) as error:
            self.query_one("#negotiate-title", Static).update(Text(str(error), style="bold"))
            return
        self._show()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()  # an amount typed here is not a change to the case

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#negotiate-counter", Button).press()

    def _problem(self, message: str) -> None:
        self.session = None
        self.query_one("#negotiate-session", Static).update(Text(f"No negotiation: {message}"))
        for button in self.query(Button):
            button.disabled = button.id != "negotiate-restart"

    def _show(self) -> None:
        data = answer(self.session)
        self.query_one("#negotiate-title", Static).update(Text(f"Negotiate: {data['status']}", style="bold"))
        for button_id, kind in _BUTTONS.items():
            self.query_one(f"#{button_id}", Button).disabled = kind not in data["next"]
        self.query_one("#negotiate-session", Static).update(render_session(data))


def render_session(data: dict) -> Group:
    """The session as the person at the counter needs it: what to offer and say now, or who takes
    over and the story so far, or what was agreed and when to call back."""
    currency = data["currency"]
    parts: list = []
    head = Text()
    if data["offer"] is not None and data["status"] in ("offered", "countered"):
        head.append(f"Offer {data['offer']} {currency}", style="bold")
        if data["remedy"]:
            head.append(f" ({data['remedy']})")
        head.append(f"; approved by {data['approver']}; range {data['floor']} to {data['ceiling']}")
    if data["say"]:
        head.append(f"\nSay: {data['say']}")
    if data["counter"]:
        counter = data["counter"]
        head.append(f"\nCounter {counter['amount']} {currency} is acceptable: settles at {counter['settles_at']}, "
                    f"approved by {counter['approver']}")
    if data["status"] == "escalated":
        briefing = data["briefing"]
        head.append(f"Escalate to {briefing['escalate_to']}", style="bold")
        head.append(f": {briefing['reason']}")
    if data["status"] in ("settled", "done"):
        outcome = data["record"]["outcome"]
        if outcome["status"] == "settled":
            head.append(f"Settled at {outcome['amount']} {currency}", style="bold")
            head.append(f", approved by {outcome['approver']}")
        if data["due_at"]:
            head.append(f"\nFollow up by {data['due_at']} (within {data['follow_up']})")
    parts.append(head)
    story = data.get("briefing") or data.get("record")
    if story and story["offers"]:
        table = Table("offer", "remedy", "answer", "at", title="Briefing" if data["status"] == "escalated" else "Record",
                      title_justify="left", show_edge=False, padding=(0, 1))
        for offer in story["offers"]:
            table.add_row(offer["amount"], offer["remedy"] or "", offer["answer"] or "open", offer["at"])
        for counter in story["counters"]:
            table.add_row(f"asked {counter['amount']}", "", "acceptable" if counter["acceptable"] else "above the ceiling",
                          counter["at"])
        parts.append(table)
    return Group(*parts)
