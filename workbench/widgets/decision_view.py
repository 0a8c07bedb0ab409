"""One decision as a policy owner reads it: the rule, the range, the opening offer, who approves,
where it goes, what to say, and the trace that explains it (every rule, entitlement and route
considered, whether it matched, and the values it read)."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from dsl.currency import format_money
from engine.decision import Decision
from workbench.colors import GOOD, WARN


class DecisionView(Static):
    DEFAULT_CSS = """
    DecisionView { height: auto; padding: 0 1; }
    """

    def __init__(self, placeholder: str = "", **kwargs) -> None:
        super().__init__(Text(placeholder, style="dim"), **kwargs)
        self.decision: Decision | None = None

    def show_decision(self, decision: Decision, heading: str | None = None) -> None:
        self.decision = decision
        self.update(render_decision(decision, heading))

    def show_problem(self, message: str, hint: str | None = None) -> None:
        self.decision = None
        text = Text()
        text.append("No decision: ", style="bold")
        text.append(message)
        if hint:
            text.append(f"\n{hint}", style="dim")
        self.update(text)


def _money(amount: Decimal | None, currency: str) -> str:
    return "-" if amount is None else format_money(amount, currency)


def render_decision(decision: Decision, heading: str | None = None) -> Group:
    currency = decision.currency
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    if decision.rule is None:
        facts.add_row("Rule", Text("no rule matches this case", style="italic"))
        facts.add_row("Escalate to", decision.escalate_to or "-")
    else:
        facts.add_row("Rule", Text(decision.rule, style="bold"))
        facts.add_row("Range", f"{_money(decision.floor, currency)} to {_money(decision.ceiling, currency)}")
        opening = _money(decision.open_at, currency)
        if decision.step is not None:
            opening += f", in steps of {_money(decision.step, currency)}"
        facts.add_row("Open at", opening)
        facts.add_row("Approver", decision.approver or "-")
        if decision.escalate_to:
            facts.add_row("Escalate to", decision.escalate_to)
    optional = [
        ("Routes", ", ".join(decision.routes)),
        ("Entitled", ", ".join(decision.entitlements)),
        ("Remedies", ", ".join(decision.remedies)),
        ("Follow up", decision.follow_up and f"within {decision.follow_up}"),
        ("Extra", decision.extra and f"{decision.extra['gesture']} up to {_money(decision.extra['up_to'], currency)}"),
        ("Say", decision.say and f"“{decision.say}”"),
    ]
    for label, value in optional:
        if value:
            facts.add_row(label, value)
    for note in decision.notes:
        facts.add_row(Text("Note", style=f"bold {WARN}"), note)
    parts = [Text(heading, style="bold underline")] if heading else []
    parts.append(facts)
    if decision.trace:
        parts += [Text(""), Text("Why", style="bold underline"), render_trace(decision.trace)]
    return Group(*parts)


def render_trace(trace: list[dict]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, style="dim", justify="right")
    table.add_column(overflow="fold")
    for entry in trace:
        decides = entry.get("decides")
        mark = Text("▶" if decides else "✓" if entry["matched"] else "·",
                    style=f"bold {GOOD}" if decides else GOOD if entry["matched"] else "dim")
        name = Text(f"{entry['kind']} “{entry['name']}”", style="bold" if decides else "" if entry["matched"] else "dim")
        if decides:
            name.append("  decides", style=GOOD)
        elif entry["kind"] == "rule" and entry["matched"]:
            name.append("  matches, but an earlier rule decides", style="dim")
        values = ", ".join(f"{key}={_shown(value)}" for key, value in entry["values"].items())
        if values:
            name.append(f"\n{values}", style="dim")
        table.add_row(mark, f"l.{entry['line']}", name)
    return table


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
