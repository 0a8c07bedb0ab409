"""Replaying historic cases: every row gets a decision and a status, and nothing is dropped.

The pipeline is read -> decide -> account -> report. This module owns "decide" (rows to
`CaseOutcome`s) and "account" (`Tally`); reading is `qa.casefiles`, reporting belongs to the
caller. "decide" only needs something with the `Engine.decide` interface, so a faster (vectorised)
decider can replace it without touching the rest.

Statuses: `within` (floor <= offered <= ceiling), `under`, `over`, `no_rule` (no guideline matched),
`invalid` (the row could not be read or is not a valid case; with the reason), and `decided` (a
range, but no `offered` amount to compare with it).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Callable, Iterable, Iterator

from dsl.currency import quantum
from engine.cases import OFFERED_KEY, CaseError, case_id_of, read_amount
from qa.batch import engine_from_source, run_batches, work_of
from qa.casefiles import CaseFile, RawRow
from engine.decide import Engine

STATUSES = ("within", "under", "over", "no_rule", "invalid", "decided")
WORST_KEPT = 10
ZERO = Decimal(0)


@dataclass(slots=True)
class CaseOutcome:
    row: int
    case_id: Any
    status: str
    rule: str | None = None
    floor: Decimal | None = None
    ceiling: Decimal | None = None
    open_at: Decimal | None = None
    approver: str | None = None
    offered: Decimal | None = None
    reason: str | None = None
    text: str | None = None  # the row as it was written, kept for invalid rows only (--rejects)
    data: dict | None = None  # the row's values, kept for invalid rows only

    @property
    def over_by(self) -> Decimal:
        return self.offered - self.ceiling if self.status == "over" else ZERO

    @property
    def under_by(self) -> Decimal:
        return self.floor - self.offered if self.status == "under" else ZERO


def classify(floor: Decimal | None, ceiling: Decimal | None, offered: Decimal | None, has_rule: bool) -> str:
    if not has_rule:
        return "no_rule"
    if offered is None:
        return "decided"
    if offered < floor:
        return "under"
    if offered > ceiling:
        return "over"
    return "within"


def reason_of(error: CaseError) -> str:
    return error.message if error.field is None or f"`{error.field}`" in error.message else f"{error.field}: {error.message}"


class RowDecider:
    """Decides raw rows with one engine. Columns that are not the policy's fields, `id` or
    `offered` are kept in the row, ignored by the engine, and gathered in `extra_columns`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.extra_columns: set[str] = set()
        self.cent = quantum(engine.policy.currency)

    def outcome(self, row: RawRow) -> CaseOutcome:
        if row.data is None:
            return CaseOutcome(row.number, None, "invalid", reason=row.error or "unreadable row", text=row.text)
        data = row.data
        case_id = case_id_of(data)  # None for an id that is itself invalid
        try:
            offered = offered_amount(data.get(OFFERED_KEY), self.cent)
            decision = self.engine.decide(data, extras=self.extra_columns, wording=False)
        except CaseError as error:
            return CaseOutcome(row.number, case_id, "invalid", reason=reason_of(error), text=row.text, data=data)
        status = classify(decision.floor, decision.ceiling, offered, decision.rule is not None)
        return CaseOutcome(row.number, case_id, status, decision.rule, decision.floor, decision.ceiling,
                           decision.open_at, decision.approver, offered)


@dataclass
class ReplayBatch:
    """What a worker sends back for one batch: its share of the tally, the outcomes when the
    caller wants them (per-case output), and the extra columns it saw."""

    tally: Tally
    outcomes: list[CaseOutcome] | None
    rows: int
    extra_columns: list[str]


def replay_batches(source: str, path: str, kind: str, parse: Callable | None, keep: bool) -> Callable[[list], ReplayBatch]:
    """The batch function for `qa.batch.run_batches`. A batch is rows, or unparsed records
    that `parse` turns into rows here, in the worker."""
    decider = RowDecider(engine_from_source(source, path, kind))

    def decide(batch: list) -> ReplayBatch:
        rows = parse(batch) if parse is not None else batch
        tally = Tally(decider.cent * 0)
        outcomes = [decider.outcome(row) for row in rows]
        for outcome in outcomes:
            tally.add(outcome)
        extra = sorted(decider.extra_columns - {OFFERED_KEY})
        return ReplayBatch(tally, outcomes if keep else None, len(rows), extra)

    return decide


class Replay:
    """Replays a case file (or rows) against a policy on `workers` processes, in row order.

    `batches()` streams per-batch results for the CLI; `outcomes()` streams per-case outcomes for
    callers that keep them (the workbench). `extra_columns` is complete once either is consumed."""

    def __init__(self, source: str, path: str, kind: str = "compiled", workers: int = 1):
        self.source, self.path, self.kind, self.workers = source, path, kind, workers
        self.extra_columns: dict[str, None] = {}

    def batches(self, cases: CaseFile | Iterable[RawRow], keep_outcomes: bool) -> Iterator[ReplayBatch]:
        items, parse = work_of(cases)
        build = partial(replay_batches, self.source, self.path, self.kind, parse, keep_outcomes)
        for batch in run_batches(build, items, self.workers):
            self.extra_columns.update(dict.fromkeys(batch.extra_columns))
            yield batch

    def outcomes(self, cases: CaseFile | Iterable[RawRow]) -> Iterator[CaseOutcome]:
        for batch in self.batches(cases, keep_outcomes=True):
            yield from batch.outcomes


def offered_amount(value: Any, cent: Decimal) -> Decimal | None:
    """The `offered` column's amount (None when empty), shown to the currency's minor unit at least
    (`5` is 5.00; `5.005` stays), or a `CaseError` saying it is not an amount."""
    if value is None or value == "":
        return None
    amount = read_amount(OFFERED_KEY, value)
    padded = amount.quantize(cent)
    return padded if padded == amount and amount.compare_total(padded) > 0 else amount


@dataclass
class RuleTally:
    cases: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    floor: Decimal = ZERO
    ceiling: Decimal = ZERO
    offered: Decimal = ZERO

    def to_json(self) -> dict:
        return {"cases": self.cases, "status": dict(self.statuses), "floor": _text(self.floor),
                "ceiling": _text(self.ceiling), "offered": _text(self.offered)}


class Tally:
    """Sums over outcomes, exact to the cent: counts by status, money totals, a per-rule table and
    the worst cases outside their guideline. `cases` always equals the sum of the statuses."""

    def __init__(self, zero: Decimal = ZERO) -> None:
        """`zero`: the currency's zero (`0.00`), so totals no case added to are shown to the cent."""
        self.cases = 0
        self.status = dict.fromkeys(STATUSES, 0)
        self.totals = dict.fromkeys(("floor", "ceiling", "offered", "over_by", "under_by"), zero)
        self.rules: dict[str, RuleTally] = {}
        self._worst_over: list[tuple] = []
        self._worst_under: list[tuple] = []
        self.invalid_reasons: dict[str, int] = {}

    def add(self, outcome: CaseOutcome) -> None:
        self.cases += 1
        self.status[outcome.status] += 1
        if outcome.status == "invalid":
            key = outcome.reason or "unreadable row"
            self.invalid_reasons[key] = self.invalid_reasons.get(key, 0) + 1
            return
        if outcome.rule is None:
            return
        totals = self.totals
        totals["floor"] += outcome.floor
        totals["ceiling"] += outcome.ceiling
        rule = self.rules.get(outcome.rule)
        if rule is None:
            rule = self.rules[outcome.rule] = RuleTally()
        rule.cases += 1
        rule.statuses[outcome.status] += 1
        rule.floor += outcome.floor
        rule.ceiling += outcome.ceiling
        if outcome.offered is not None:
            totals["offered"] += outcome.offered
            rule.offered += outcome.offered
        if outcome.status == "over":
            totals["over_by"] += outcome.over_by
            _keep_worst(self._worst_over, outcome.over_by, outcome)
        elif outcome.status == "under":
            totals["under_by"] += outcome.under_by
            _keep_worst(self._worst_under, outcome.under_by, outcome)

    def keep_if_worst(self, outcome: CaseOutcome) -> None:
        """Consider an over or under outcome for the worst lists only (its sums are already in)."""
        heap = self._worst_over if outcome.status == "over" else self._worst_under
        _keep_worst(heap, outcome.over_by if outcome.status == "over" else outcome.under_by, outcome)

    def merge(self, other: "Tally") -> None:
        """Add another tally (a worker's share of the rows) into this one."""
        self.cases += other.cases
        for status, count in other.status.items():
            self.status[status] += count
        for key, amount in other.totals.items():
            self.totals[key] += amount
        for name, theirs in other.rules.items():
            mine = self.rules.setdefault(name, RuleTally())
            mine.cases += theirs.cases
            for status, count in theirs.statuses.items():
                mine.statuses[status] += count
            mine.floor += theirs.floor
            mine.ceiling += theirs.ceiling
            mine.offered += theirs.offered
        for reason, count in other.invalid_reasons.items():
            self.invalid_reasons[reason] = self.invalid_reasons.get(reason, 0) + count
        for mine, theirs in ((self._worst_over, other._worst_over), (self._worst_under, other._worst_under)):
            for amount, negative_row, outcome in theirs:
                _keep_worst(mine, amount, outcome)

    def worst(self, status: str) -> list[CaseOutcome]:
        """The cases furthest outside their guideline, furthest first."""
        heap = self._worst_over if status == "over" else self._worst_under
        return [item[2] for item in sorted(heap, key=lambda item: (-item[0], -item[1]))]

    def to_json(self) -> dict:
        return {
            "cases": self.cases,
            "status": dict(self.status),
            "totals": {key: _text(value) for key, value in self.totals.items()},
            "rules": {name: rule.to_json() for name, rule in self.rules.items()},
            "worst": {status: [outcome_json(o) for o in self.worst(status)] for status in ("over", "under")},
        }


def _keep_worst(heap: list, amount: Decimal, outcome: CaseOutcome) -> None:
    item = (amount, -outcome.row, outcome)
    if len(heap) < WORST_KEPT:
        heapq.heappush(heap, item)
    elif item[:2] > heap[0][:2]:
        heapq.heapreplace(heap, item)


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


def outcome_json(outcome: CaseOutcome) -> dict:
    """One case's result, as written to --out files (amounts as exact strings)."""
    return {
        "row": outcome.row, "id": outcome.case_id, "status": outcome.status, "rule": outcome.rule,
        "floor": _text(outcome.floor), "ceiling": _text(outcome.ceiling), "open_at": _text(outcome.open_at),
        "approver": outcome.approver, "offered": _text(outcome.offered),
        "over_by": _text(outcome.over_by) if outcome.status == "over" else None,
        "under_by": _text(outcome.under_by) if outcome.status == "under" else None,
        "reason": outcome.reason,
    }
