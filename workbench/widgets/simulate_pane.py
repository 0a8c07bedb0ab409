"""Simulate (F5): the historic cases replayed against the editor's current text, saved or not; its
first tab, Impact (`impact_view`), prices the text against the policy in force by itself.

The replay runs in a worker thread (`qa.simulation.simulate`, the code `redress replay`
runs) and only posts messages: progress, the result, or why it stopped. This pane's handlers own
the result: the summary (status counts, money totals, a per-rule table) and a table of cases that
can be filtered by status and rule and sorted by any column; the highlighted case is explained.
"""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, ProgressBar, Select, Static, TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from dsl.checker import check_source
from dsl.currency import format_money
from engine.cases import CaseError
from qa.casefiles import RawRow
from engine.decide import Engine, load_engine
from qa.replay import STATUSES, CaseOutcome, Tally
from workbench.colors import BAD, GOOD, ODD, WARN
from workbench.messages import RunFailed, RunProgress, SimulationFinished
from qa.simulation import simulate
from workbench.widgets.decision_view import DecisionView
from workbench.widgets.impact_view import ImpactView
from workbench.widgets.running import RunningWork

COLUMNS = ("row", "id", "status", "floor", "ceiling", "offered", "rule", "approver")
NO_RULE = "(no rule)"
# "sort by" choices: each column, ascending ("row") or descending ("-ceiling").
SORT_OPTIONS = [(f"sort: {column} {arrow}", f"{sign}{column}") for column in COLUMNS for sign, arrow in (("", "↑"), ("-", "↓"))]
_STATUS_STYLE = {"within": GOOD, "under": WARN, "over": BAD, "no_rule": ODD, "invalid": f"bold {BAD}", "decided": ""}


def _amount(value: Decimal | None) -> Text:
    return Text("" if value is None else format(value, "f"), justify="right")


def _sort_key(column: str):
    """Sort by one column; empty cells last. Case ids sort as text (they may mix numbers and text)."""
    def key(outcome: CaseOutcome):
        value = outcome.case_id if column == "id" else getattr(outcome, column)
        if column == "id" and value is not None:
            value = str(value)
        return (value is None, 0 if value is None else value)
    return key


class SimulatePane(RunningWork, Vertical):
    NOUN = "Simulation"
    STATUS = "#simulate-status"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.outcomes: list[CaseOutcome] = []
        self.tally: Tally | None = None
        self.shown: list[CaseOutcome] = []
        self.engine: Engine | None = None
        self.currency = "USD"
        self.rows: dict[int, RawRow] = {}  # the simulated rows by number, to explain a case
        self._rows_running: list[RawRow] = []
        self.sort_column = "row"
        self.sort_reverse = False
        self.running = False
        self.run_number = 0
        self.worker: Worker | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="run-bar"):
            yield Label("Press F5 to replay the historic cases against the text in the editor.", id="simulate-status")
            yield ProgressBar(id="simulate-progress", show_eta=False)
        with TabbedContent(id="simulate-tabs"):
            with TabPane("Impact", id="simulate-impact-tab"):
                yield ImpactView(id="impact")
            with TabPane("Summary", id="simulate-summary-tab"):
                with VerticalScroll():
                    yield Static(id="simulate-summary")
            with TabPane("Cases", id="simulate-cases-tab"):
                with Horizontal(classes="filters"):
                    yield Select([], prompt="every status", id="filter-status", compact=True)
                    yield Select([], prompt="every rule", id="filter-rule", compact=True)
                    yield Select(SORT_OPTIONS, value="row", allow_blank=False, id="sort-by", compact=True)
                with Horizontal(classes="cases-split"):
                    yield DataTable(id="simulate-table", cursor_type="row", zebra_stripes=True)
                    with VerticalScroll(classes="case-detail"):
                        yield DecisionView("Highlight a case to see its decision and why.", id="simulate-decision")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.query_one(ProgressBar).display = False

    # ---------------------------------------------------------------- running
    def start(self, source: str, path: str, rows: list[RawRow], currency: str) -> None:
        self.running = True
        self.currency = currency
        self._rows_running = rows
        bar = self.query_one(ProgressBar)
        bar.update(total=len(rows), progress=0)
        bar.display = True
        self.query_one("#simulate-tabs", TabbedContent).active = "simulate-summary-tab"
        self.query_one("#simulate-status", Label).update(f"Simulating {len(rows):,} cases… (Escape cancels)")
        self.run_number += 1
        self.worker = self._simulate(self.run_number, source, path, rows)

    @work(thread=True, exclusive=True, group="simulate", exit_on_error=False)
    def _simulate(self, run: int, source: str, path: str, rows: list[RawRow]) -> None:
        worker = get_current_worker()

        def replay() -> SimulationFinished | RunFailed:
            checked = check_source(source, path)
            if not checked.ok:
                return RunFailed(run, "The policy has errors; fix them to simulate (see Problems, F2).")
            engine = load_engine(checked.policy, "compiled")
            result = simulate(source, path, rows, lambda done, total: self.post_message(RunProgress(run, done, total)),
                              lambda: worker.is_cancelled)
            return SimulationFinished(run, result, engine, source)

        self.post_outcome(run, replay)

    def on_simulation_finished(self, message: SimulationFinished) -> None:
        if not self.run_over(message):
            return
        result = message.result
        self.outcomes, self.tally, self.engine = result.outcomes, result.tally, message.engine
        self.rows = {row.number: row for row in self._rows_running}
        status = self.tally.status
        self.query_one("#simulate-status", Label).update(
            f"Simulated {self.tally.cases:,} cases: {status['within']:,} within, {status['under']:,} under, "
            f"{status['over']:,} over, {status['no_rule']:,} no rule, {status['invalid']:,} invalid")
        self.query_one("#simulate-summary", Static).update(render_summary(self.tally, self.currency))
        self._fill_filters()
        self.refill()

    # ---------------------------------------------------------------- the case table
    def _fill_filters(self) -> None:
        assert self.tally is not None
        statuses = [(f"{s} ({self.tally.status[s]:,})", s) for s in STATUSES if self.tally.status[s]]
        self.query_one("#filter-status", Select).set_options(statuses)
        rules = [(f"{name} ({rule.cases:,})", name) for name, rule in self.tally.rules.items()]
        if any(o.rule is None for o in self.outcomes):
            rules.append((NO_RULE, NO_RULE))
        self.query_one("#filter-rule", Select).set_options(rules)

    def refill(self) -> None:
        """Show the outcomes that pass the filters, in the chosen order."""
        status = self.query_one("#filter-status", Select).value
        rule = self.query_one("#filter-rule", Select).value
        shown = [o for o in self.outcomes
                 if (status is Select.NULL or o.status == status)
                 and (rule is Select.NULL or (o.rule or NO_RULE) == rule)]
        shown.sort(key=_sort_key(self.sort_column), reverse=self.sort_reverse)
        self.shown = shown
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows([self._cells(o) for o in shown])

    @staticmethod
    def _cells(outcome: CaseOutcome) -> list:
        return [Text(str(outcome.row), justify="right"), "" if outcome.case_id is None else str(outcome.case_id),
                Text(outcome.status, style=_STATUS_STYLE[outcome.status]), _amount(outcome.floor),
                _amount(outcome.ceiling), _amount(outcome.offered), outcome.rule or "", outcome.approver or ""]

    @on(Select.Changed, "#filter-status, #filter-rule, #sort-by")
    def _filter_changed(self, event: Select.Changed) -> None:
        event.stop()
        order = str(self.query_one("#sort-by", Select).value)
        self.sort_column, self.sort_reverse = order.removeprefix("-"), order.startswith("-")
        if self.outcomes:
            self.refill()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column's header sorts by it; a second click reverses the order."""
        event.stop()
        column = str(event.column_key.value)
        reverse = not self.sort_reverse if column == self.sort_column else False
        self.query_one("#sort-by", Select).value = f"{'-' if reverse else ''}{column}"

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.shown):
            self.explain(self.shown[event.cursor_row])

    def explain(self, outcome: CaseOutcome) -> None:
        view = self.query_one("#simulate-decision", DecisionView)
        heading = f"Row {outcome.row}" + (f", case {outcome.case_id}" if outcome.case_id is not None else "")
        raw = self.rows.get(outcome.row)
        if outcome.status == "invalid" or raw is None or raw.data is None or self.engine is None:
            view.show_problem(f"{heading}: {outcome.reason or 'this row cannot be read'}")
            return
        try:
            decision = self.engine.decide(raw.data, explain=True, extras=set())  # as replay reads a row
        except CaseError as error:
            view.show_problem(f"{heading}: {error.message}")
            return
        offered = "" if outcome.offered is None else f"; offered {format_money(outcome.offered, self.currency)} ({outcome.status})"
        view.show_decision(decision, heading + offered)


def render_summary(tally: Tally, currency: str) -> Group:
    def money(text: str | None) -> str:
        return "-" if text is None else format_money(Decimal(text), currency)

    summary = tally.to_json()
    counts = Table(box=None, padding=(0, 1), show_header=False)
    counts.add_column(style="bold")
    counts.add_column(justify="right")
    counts.add_column(justify="right", style="dim")
    for status in STATUSES:
        share = f"{100 * tally.status[status] / tally.cases:.1f}%" if tally.cases else ""
        counts.add_row(Text(status, style=_STATUS_STYLE[status]), f"{tally.status[status]:,}", share)
    counts.add_row("total", f"{tally.cases:,}", "")
    totals = summary["totals"]
    money_lines = Table.grid(padding=(0, 2))
    money_lines.add_column(style="bold")
    money_lines.add_column(justify="right")
    for label, key in (("Ceilings", "ceiling"), ("Floors", "floor"), ("Offered", "offered"),
                       ("Over the guideline by", "over_by"), ("Under it by", "under_by")):
        money_lines.add_row(label, money(totals[key]))
    rules = Table(box=None, padding=(0, 1), header_style="bold")
    for column, justify in (("rule", "left"), ("cases", "right"), ("within", "right"), ("under", "right"),
                            ("over", "right"), ("ceilings", "right"), ("offered", "right")):
        rules.add_column(column, justify=justify, overflow="fold")
    for name, rule in sorted(summary["rules"].items(), key=lambda item: -item[1]["cases"]):
        s = rule["status"]
        rules.add_row(name, f"{rule['cases']:,}", f"{s['within']:,}", f"{s['under']:,}", f"{s['over']:,}",
                      money(rule["ceiling"]), money(rule["offered"]))
    parts = [counts, Text(""), money_lines, Text(""), rules]
    if tally.invalid_reasons:
        parts += [Text(""), Text("Invalid rows by reason", style="bold")]
        parts += [Text(f"{count:>6,}  {reason}") for reason, count in
                  sorted(tally.invalid_reasons.items(), key=lambda kv: -kv[1])[:8]]
    return Group(*parts)
