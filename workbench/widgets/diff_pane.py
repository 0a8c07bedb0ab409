"""Diff (F6): the editor's text against the saved file or any earlier saved version.

Three views of one comparison: the source diff (coloured), what changed by section (rules,
entitlements, authority...), and, with historic cases loaded, the behavioural diff computed by the
code `redress diff --cases` runs: how many cases change, in which decision fields and by how much,
who gets more or less, the total cost delta, a chart of the per-case ceiling change and the table
of changed cases; beside it, the proof over every possible case that `redress diff --prove` gives
(what the change can do at worst, not only what it did to history).
"""

from __future__ import annotations

import difflib
from decimal import Decimal

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, ProgressBar, Select, Sparkline, Static, TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from dsl.checker import check_source
from dsl.compare import compare_policies
from dsl.currency import format_money
from qa.casefiles import RawRow
from analysis.proof_text import proof_text
from qa.diff import BehaviourDiff, CaseChange
from workbench.colors import BAD, GOOD, INFO, WARN
from qa.history import Version
from workbench.messages import DiffFinished, RunFailed, RunProgress, VersionChosen
from workbench.widgets.running import RunningWork
from qa.simulation import behaviour_diff

SAVED_FILE = 0  # the diff base meaning "the file as last saved", not a history row
CHANGE_COLUMNS = ("row", "id", "old ceiling", "new ceiling", "change", "old rule", "new rule", "what changed")
PROOF_TIME_LIMIT = 2.0  # seconds per solver question in the pane (`redress diff --prove` allows more)
# Decision fields as a policy owner names them.
FIELD_NAMES = {"rule": "rule", "currency": "currency", "floor": "floor", "ceiling": "ceiling", "open_at": "opening offer",
               "step": "step", "remedies": "remedies", "approver": "approver", "escalate_to": "escalation",
               "routes": "routes", "entitlements": "entitlements", "say": "wording", "follow_up": "follow-up",
               "extra": "extra gesture", "notes": "notes"}


class DiffPane(RunningWork, Vertical):
    NOUN = "Diff"
    STATUS = "#diff-status"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base = SAVED_FILE
        self.behaviour: BehaviourDiff | None = None
        self.changes: list[CaseChange] = []
        self.currency = "USD"
        self.running = False
        self.run_number = 0
        self.worker: Worker | None = None
        self.compared: tuple[str, str] | None = None  # (old, new) texts of the comparison shown
        self.status = ""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="run-bar"):
            yield Label("Compare with", classes="run-bar-label")
            yield Select([("the saved file", SAVED_FILE)], value=SAVED_FILE, allow_blank=False, id="diff-base", compact=True)
            yield ProgressBar(id="diff-progress", show_eta=False)
        yield Label("Press F6 to compare the editor's text with the saved file.", id="diff-status")
        with TabbedContent(id="diff-tabs"):
            with TabPane("Behaviour", id="diff-behaviour-tab"):
                with VerticalScroll():
                    yield Static(id="diff-summary")
                    yield Static(id="diff-proof")
                    yield Label("Per-case ceiling change of the changed cases, in row order", classes="chart-title")
                    yield Sparkline([], id="diff-sparkline")
                    yield Static(id="diff-histogram")
                    yield DataTable(id="diff-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Source", id="diff-source-tab"):
                with VerticalScroll():
                    yield Static(id="diff-structure")
                    yield Static(id="diff-source")

    def on_mount(self) -> None:
        table = self.query_one("#diff-table", DataTable)
        for column in CHANGE_COLUMNS:
            table.add_column(column, key=column)
        self.query_one(ProgressBar).display = False

    def set_versions(self, versions: list[Version]) -> None:
        """The choices of the "Compare with" select: the saved file and every history version."""
        select = self.query_one("#diff-base", Select)
        with self.prevent(Select.Changed):
            select.set_options([("the saved file", SAVED_FILE), *((version.label, version.id) for version in versions)])
            select.value = self.base if self.base in {SAVED_FILE, *(v.id for v in versions)} else SAVED_FILE

    @on(Select.Changed, "#diff-base")
    def _base_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL and event.value != self.base:
            self.post_message(VersionChosen("diff", int(event.value)))

    # ---------------------------------------------------------------- running
    def start(self, base: int, label: str, old: tuple[str, str], new: tuple[str, str], rows: list[RawRow] | None,
              currency: str) -> None:
        self.base, self.currency, self.running = base, currency, True
        select = self.query_one("#diff-base", Select)
        with self.prevent(Select.Changed):
            select.value = base
        bar = self.query_one(ProgressBar)
        bar.update(total=len(rows) if rows else 1, progress=0)
        bar.display = bool(rows)
        self.query_one("#diff-status", Label).update(f"Comparing with {label}…")
        self.run_number += 1
        self.worker = self._diff(self.run_number, label, old, new, rows)

    @work(thread=True, exclusive=True, group="diff", exit_on_error=False)
    def _diff(self, run: int, label: str, old: tuple[str, str], new: tuple[str, str], rows: list[RawRow] | None) -> None:
        worker = get_current_worker()

        def compare() -> DiffFinished | RunFailed:
            checked = []
            for (text, path), which in ((old, label), (new, "the editor's text")):
                result = check_source(text, path)
                if not result.ok:
                    errors = sum(d.severity == "error" for d in result.diagnostics)
                    return RunFailed(run, f"Cannot compare: {which} has {errors} error{'s' * (errors != 1)}.")
                checked.append(result.policy)
            structure = compare_policies(*checked)
            result = None
            if rows:
                result = behaviour_diff(old, new, rows, lambda done, total: self.post_message(RunProgress(run, done, total)),
                                        lambda: worker.is_cancelled)
            return DiffFinished(run, label, old[0], new[0], structure, result, _proof(*checked, lambda: worker.is_cancelled))

        self.post_outcome(run, compare)

    def mark_stale(self, editor_text: str, saved_text: str | None) -> None:
        """Say so when the comparison shown no longer holds: the editor's text changed, or (against
        the saved file) a save changed the other side. F6 compares again."""
        if self.compared is None or self.running:
            return
        old, new = self.compared
        why = ("the editor's text changed" if new != editor_text else
               "the saved file changed" if self.base == SAVED_FILE and old != saved_text else None)
        label = self.query_one("#diff-status", Label)
        label.update(Text(f"Out of date: {why} since this comparison; F6 compares again. ", style=f"bold {WARN}")
                     + Text(self.status, style="dim") if why else self.status)

    def _status(self, text: str) -> None:
        self.status = text
        self.query_one("#diff-status", Label).update(text)

    def on_diff_finished(self, message: DiffFinished) -> None:
        if not self.run_over(message):
            return
        self.compared = (message.old_source, message.new_source)
        self.query_one("#diff-source", Static).update(render_source_diff(message.old_source, message.new_source, message.label))
        self.query_one("#diff-structure", Static).update(render_structure(message.structure))
        self.query_one("#diff-proof", Static).update(render_proof(message.proof))
        table = self.query_one("#diff-table", DataTable)
        table.clear()
        if message.result is None:
            self.behaviour, self.changes = None, []
            self.query_one("#diff-summary", Static).update(Text("No historic cases are loaded (start with --cases FILE), "
                                                               "so only the text and structure are compared.", style="dim"))
            self.query_one(Sparkline).data = []
            self.query_one("#diff-histogram", Static).update("")
            self._status(f"Compared with {message.label} (no cases loaded).")
            return
        behaviour = self.behaviour = message.result.behaviour
        self.changes = [change for change in message.result.changes if change.status == "changed"]
        self._status(f"Compared with {message.label}: {behaviour.changed:,} of {behaviour.cases:,} cases change.")
        self.query_one("#diff-summary", Static).update(render_behaviour(behaviour, self.currency))
        self.query_one(Sparkline).data = [float(change.ceiling_delta) for change in self.changes]
        self.query_one("#diff-histogram", Static).update(render_histogram(behaviour))
        table.add_rows([self._cells(change) for change in self.changes])

    def _cells(self, change: CaseChange) -> list:
        def amount(value: Decimal | None) -> Text:
            return Text("" if value is None else format(value, "f"), justify="right")

        delta = change.ceiling_delta
        return [Text(str(change.row), justify="right"), "" if change.case_id is None else str(change.case_id),
                amount(change.old.ceiling), amount(change.new.ceiling),
                Text(f"{'+' if delta > 0 else ''}{delta}", justify="right", style=GOOD if delta > 0 else BAD if delta < 0 else ""),
                change.old.rule or "(no rule)", change.new.rule or "(no rule)",
                ", ".join(FIELD_NAMES[name] for name in change.fields)]


def _proof(old, new, cancelled) -> dict | None:
    """The proof over every possible case, or None when the run was cancelled meanwhile."""
    from analysis.equivalence import prove
    from analysis.solving import Cancelled

    try:
        return prove(old, new, PROOF_TIME_LIMIT, cancelled).to_json()
    except Cancelled:
        return None


def render_proof(proof: dict | None) -> Text:
    if proof is None:
        return Text("")
    style = GOOD if proof["equivalent"] is True else WARN
    head, *rest = proof_text(proof).strip("\n").split("\n")
    return Text.assemble("\n", (head, f"bold {style}"), *("\n" + line for line in rest), "\n")


def render_source_diff(old: str, new: str, label: str) -> Text:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), label, "the editor", lineterm=""))
    if not lines:
        return Text("The two texts are the same.", style="dim")
    styles = {"+": GOOD, "-": BAD, "@": INFO}
    text = Text()
    for line in lines:
        style = "bold" if line.startswith(("+++", "---")) else styles.get(line[:1], "")
        text.append(line + "\n", style=style)
    return text


def render_structure(structure: dict) -> Text:
    text = Text("What changed, by section\n", style="bold")
    found = False
    for name, section in structure.items():
        for verb, items in (("added", section.added), ("removed", section.removed), ("changed", section.changed)):
            for item in items:
                found = True
                text.append(f"  {name:<13}", style="dim")
                text.append(f"{verb:<8}", style={"added": GOOD, "removed": BAD}.get(verb, WARN))
                text.append(f" {item}\n")
    if not found:
        text.append("  nothing: the two versions mean the same\n", style="dim")
    return text


def render_behaviour(behaviour: BehaviourDiff, currency: str) -> Group:
    def money(amount: Decimal) -> str:
        return ("+" if amount > 0 else "") + format_money(amount, currency)

    counts = Table(box=None, padding=(0, 1), show_header=False)
    counts.add_column(style="bold")
    counts.add_column(justify="right")
    counts.add_row("changed", f"{behaviour.changed:,}")
    counts.add_row("unchanged", f"{behaviour.unchanged:,}")
    counts.add_row("invalid", f"{behaviour.invalid:,}")
    lines = Text.assemble(
        (f"{behaviour.more:,}", f"bold {GOOD}"), " cases would get a higher ceiling, ",
        (f"{behaviour.less:,}", f"bold {BAD}"), " a lower one\n",
        ("Total cost change ", "bold"), f"ceilings {money(behaviour.ceiling_delta)}, floors {money(behaviour.floor_delta)}")
    parts = [counts, lines]
    if behaviour.changed:
        parts.append(Text("\nWhat changed in the changed cases, by field", style="bold"))
        for name, count in behaviour.fields.items():
            if not count:
                continue
            line = Text(f"  {FIELD_NAMES[name]:<15}{count:>7,} case{'s' * (count != 1)}")
            amount = behaviour.amounts.get(name)
            if amount is not None and (amount.more or amount.less):
                line.append(f"  ({amount.more:,} up, {amount.less:,} down, total {money(amount.delta + behaviour.zero)})", style="dim")
            parts.append(line)
    if behaviour.transitions:  # only cases another rule now decides
        parts.append(Text("\nRule changes (old → new)", style="bold"))
        parts += [Text(f"{count:>7,}  {key.replace(' -> ', ' → ')}") for key, count in
                  sorted(behaviour.transitions.items(), key=lambda kv: -kv[1])[:8]]
    if behaviour.approvers:
        parts.append(Text("\nApprover changes (old → new)", style="bold"))
        for key, moved in sorted(behaviour.approvers.items(), key=lambda kv: -kv[1].cases)[:8]:
            causes = [f"{count:,} {why}" for count, why in ((moved.rule, "decided by another rule"),
                      (moved.ceiling, "a ceiling across a limit"), (moved.limits, "the limits moved")) if count]
            parts.append(Text.assemble(f"{moved.cases:>7,}  {key.replace(' -> ', ' → ')}  ", ("(" + ", ".join(causes) + ")", "dim")))
    return Group(*parts)


def render_histogram(behaviour: BehaviourDiff) -> Text:
    peak = max(behaviour.histogram.values(), default=0)
    if not peak:
        return Text("")
    text = Text()
    for label, count in behaviour.histogram.items():
        text.append(f"{label:>15} {count:>6,} ")
        text.append("█" * round(24 * count / peak) + "\n", style=GOOD if not label.startswith(("<", "-")) else BAD)
    return text
