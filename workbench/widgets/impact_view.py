"""Impact (the first tab of Simulate): what the editor's text would cost against the policy in force.

A moment after the text checks clean (and again after every change), the historic cases are
decided by the version in force (or the saved file, when nothing is published) and by the editor's
text, in a worker, by the code `redress diff --cases` runs; `qa.impact` turns that into the
headline, the breakdown by rule and by approver, and the three charts drawn here with plotext. A
keystroke makes the shown result stale at once and cancels a run under way.

Amounts stay `Decimal` everywhere; they become floats only as positions on a chart.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Label, Static
from textual.worker import Worker, WorkerState, get_current_worker
from textual_plotext import PlotextPlot

from dsl.checker import check_source
from dsl.currency import format_money
from qa.casefiles import RawRow
from qa.impact import Impact, impact_of
from qa.simulation import RunCancelled, behaviour_diff
from workbench.colors import BAD, GOOD

RULES_CHARTED = 10
BINS = 20


@dataclass
class ImpactFinished(Message):
    run: int
    impact: Impact
    label: str  # what the editor's text was compared with


@dataclass
class Baseline:
    """The version a change is priced against."""

    text: str
    path: str
    label: str  # "version #3 (in force)", "the saved file"


class ImpactView(VerticalScroll):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.run_number = 0
        self.impact: Impact | None = None
        self.currency = "USD"
        self.worker: Worker | None = None
        self._timer: Timer | None = None
        self._scheduled = False

    def compose(self) -> ComposeResult:
        yield Label("The cost of the editor's text against the policy in force appears here once it checks.",
                    id="impact-headline")
        yield Static(id="impact-breakdown")
        yield PlotextPlot(id="impact-ceilings", classes="impact-chart")
        yield PlotextPlot(id="impact-rules", classes="impact-chart")
        yield PlotextPlot(id="impact-changes", classes="impact-chart")

    @property
    def pending(self) -> bool:
        """Whether a run is scheduled or under way."""
        return self._scheduled or (self.worker is not None and self.worker.is_running)

    def schedule(self, baseline: Baseline, source: str, rows: list[RawRow], currency: str, delay: float) -> None:
        """Price `source` against `baseline` on `rows`, `delay` seconds from now unless the text
        changes first."""
        self.stale()
        self.currency = currency
        run = self.run_number

        def start() -> None:
            if run != self.run_number:
                return  # the text changed before the moment came
            self._timer, self._scheduled = None, False
            self.query_one("#impact-headline", Label).update(f"Pricing the change against {baseline.label} on {len(rows):,} cases…")
            self.worker = self._price(run, baseline, source, rows)

        self._scheduled = True
        if delay > 0:
            self._timer = self.set_timer(delay, start)
        else:
            self.call_later(start)

    def stale(self) -> None:
        """The text changed: drop the scheduled or running run; what is shown is now out of date."""
        if self._timer is not None:
            self._timer.stop()
        self._timer, self._scheduled = None, False
        if self.worker is not None and self.worker.is_running:
            self.worker.cancel()
        self.run_number += 1
        if self.impact is not None:
            self.query_one("#impact-headline", Label).update(Text("(out of date: the text changed) ", style="dim")
                                                             + Text(self.impact.headline(self.currency)))

    @work(thread=True, exclusive=True, group="impact", exit_on_error=False)
    def _price(self, run: int, baseline: Baseline, source: str, rows: list[RawRow]) -> None:
        worker = get_current_worker()
        if not check_source(baseline.text, baseline.path).ok:
            raise ValueError(f"{baseline.label} does not check, so there is nothing to compare with")
        try:
            result = behaviour_diff((baseline.text, baseline.path), (source, baseline.path), rows, lambda done, total: None,
                                    lambda: worker.is_cancelled)
        except RunCancelled:
            return
        self.post_message(ImpactFinished(run, impact_of(result.changes), baseline.label))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self.worker and event.state == WorkerState.ERROR:
            self.query_one("#impact-headline", Label).update(f"No impact: {event.worker.error}")

    def on_impact_finished(self, message: ImpactFinished) -> None:
        message.stop()
        if message.run != self.run_number:
            return
        self.impact = impact = message.impact
        style = BAD if impact.delta > 0 else GOOD if impact.delta < 0 else ""
        self.query_one("#impact-headline", Label).update(
            Text(impact.headline(self.currency), style=f"bold {style}") + Text(f"  (against {message.label})", style="dim"))
        self.query_one("#impact-breakdown", Static).update(render_breakdown(impact, self.currency))
        self._draw(impact)

    def _draw(self, impact: Impact) -> None:
        ceilings = self.query_one("#impact-ceilings", PlotextPlot)
        plt = ceilings.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Ceilings of the historic cases")
        if impact.cases:
            plt.hist([float(c) for c in impact.old_ceilings], BINS, label="in force")
            plt.hist([float(c) for c in impact.new_ceilings], BINS, label="editor")
        ceilings.refresh()

        by_rule = self.query_one("#impact-rules", PlotextPlot)
        plt = by_rule.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Cost per rule (sum of ceilings)")
        rules = sorted(impact.rules.items(), key=lambda item: -max(item[1]))[:RULES_CHARTED]
        if rules:
            plt.multiple_bar([name[:24] for name, _ in rules], [[float(costs[0]) for _, costs in rules],
                                                                 [float(costs[1]) for _, costs in rules]],
                             labels=["in force", "editor"], orientation="horizontal")
        by_rule.refresh()

        changes = self.query_one("#impact-changes", PlotextPlot)
        plt = changes.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"Per-case ceiling change of the {impact.changed:,} changed cases")
        if impact.deltas:
            plt.hist([float(d) for d in impact.deltas], BINS)
        changes.refresh()


def render_breakdown(impact: Impact, currency: str) -> Group:
    def money(amount) -> str:
        return format_money(amount, currency)

    def change(amount) -> Text:
        sign = "+" if amount > 0 else "-" if amount < 0 else ""
        return Text(f"{sign}{money(abs(amount))}", style=BAD if amount > 0 else GOOD if amount < 0 else "", justify="right")

    approvers = impact.approver_changes()
    lines: list = [Text("Who approves", style="bold")]
    lines += [Text(f"  {line}") for line in approvers] or [Text("  the same approvers as before", style="dim")]
    rules = Table(box=None, padding=(0, 1), header_style="bold")
    for column, justify in (("rule", "left"), ("in force", "right"), ("editor", "right"), ("change", "right")):
        rules.add_column(column, justify=justify, overflow="fold")
    for name, (old, new) in sorted(impact.rules.items(), key=lambda item: -abs(item[1][1] - item[1][0])):
        rules.add_row(name, money(old), money(new), change(new - old))
    rules.add_row(Text("total", style="bold"), money(impact.old_cost), money(impact.new_cost), change(impact.delta))
    invalid = [Text(f"{impact.invalid:,} rows could not be decided by both versions and are left out.", style="dim")] if impact.invalid else []
    return Group(*lines, Text(""), rules, *invalid)
