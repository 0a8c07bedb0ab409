"""The behavioural diff of two policy versions: every case decided by both, and what changed.

"What you give away today, you may also have to give away tomorrow": before a change is adopted, QA
sees which past cases it would have decided differently, who would get more or less, and what it
would cost. A case is *changed* when its rule, floor, ceiling or approver differs; a case that
either version cannot decide is *invalid*, with the reason.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Callable, Iterable, Iterator

from qa.batch import engine_from_source, run_batches, work_of
from engine.cases import CaseError, case_id_of
from qa.casefiles import CaseFile, RawRow
from engine.decision import Decision
from qa.replay import OFFERED_KEY, reason_of

ZERO = Decimal(0)
MOVERS_KEPT = 10
# Per-case ceiling change of the changed cases, for the histogram: (label, upper bound, exclusive).
HISTOGRAM_BINS = ((Decimal(-1000), "< -1,000"), (Decimal(-100), "-1,000 to -100"), (Decimal(-10), "-100 to -10"),
                  (ZERO, "-10 to 0"), (None, "0"), (Decimal(10), "0 to 10"), (Decimal(100), "10 to 100"),
                  (Decimal(1000), "100 to 1,000"), (None, ">= 1,000"))


@dataclass(slots=True)
class CaseChange:
    row: int
    case_id: Any
    status: str  # changed, unchanged, invalid
    old: Decision | None = None
    new: Decision | None = None
    reason: str | None = None
    one_version: bool = False  # invalid under one version only

    @property
    def floor_delta(self) -> Decimal:
        return _amount(self.new, "floor") - _amount(self.old, "floor")

    @property
    def ceiling_delta(self) -> Decimal:
        return _amount(self.new, "ceiling") - _amount(self.old, "ceiling")


def _amount(decision: Decision | None, key: str) -> Decimal:
    value = getattr(decision, key) if decision is not None else None
    return ZERO if value is None else value


def changed(old: Decision, new: Decision) -> bool:
    return (old.rule, old.floor, old.ceiling, old.approver) != (new.rule, new.floor, new.ceiling, new.approver)


def diff_batches(old_source: str, old_path: str, new_source: str, new_path: str, kind: str,
                 parse: Callable | None) -> Callable:
    """The batch function for `qa.batch.run_batches`: rows (or records `parse` turns into
    rows) to `CaseChange`s, and the columns neither version uses."""
    engines = (("old", engine_from_source(old_source, old_path, kind)), ("new", engine_from_source(new_source, new_path, kind)))
    # Each version ignores what it does not know: a field the new version added is not an error
    # for the old one. What neither knows is an extra column.
    unknown = [set(), set()]

    def compare(row: RawRow) -> CaseChange:
        if row.data is None:
            return CaseChange(row.number, None, "invalid", reason=row.error or "unreadable row")
        case_id = case_id_of(row.data)  # None for an id that is itself invalid
        decisions, reasons = [], []
        for (version, engine), ignored in zip(engines, unknown):
            try:
                decisions.append(engine.decide(row.data, extras=ignored, wording=False))
            except CaseError as error:
                decisions.append(None)
                reasons.append(f"{version} version: {reason_of(error)}")
        old, new = decisions
        if reasons:
            # Decidable by one version only: the change itself made (or unmade) the case invalid.
            return CaseChange(row.number, case_id, "invalid", old, new, "; ".join(reasons), one_version=len(reasons) == 1)
        return CaseChange(row.number, case_id, "changed" if changed(old, new) else "unchanged", old, new)

    def decide(batch: list) -> tuple[list[CaseChange], list[str]]:
        rows = parse(batch) if parse is not None else batch
        return [compare(row) for row in rows], sorted((unknown[0] & unknown[1]) - {OFFERED_KEY})

    return decide


class BehaviourDiff:
    """Accumulates `CaseChange`s into the counts, deltas, transitions, movers and histogram."""

    def __init__(self) -> None:
        self.cases = self.changed = self.unchanged = self.invalid = self.invalid_in_one_version = 0
        self.floor_delta = ZERO
        self.ceiling_delta = ZERO
        self.more = self.less = 0
        self.transitions: dict[str, int] = {}
        self.histogram = {label: 0 for _, label in HISTOGRAM_BINS}
        self.invalid_reasons: dict[str, int] = {}
        self._movers: list[tuple] = []

    def add(self, change: CaseChange) -> None:
        self.cases += 1
        if change.status == "invalid":
            self.invalid += 1
            self.invalid_in_one_version += change.one_version
            self.invalid_reasons[change.reason] = self.invalid_reasons.get(change.reason, 0) + 1
            return
        floor_delta, ceiling_delta = change.floor_delta, change.ceiling_delta
        self.floor_delta += floor_delta
        self.ceiling_delta += ceiling_delta
        if change.status == "unchanged":
            self.unchanged += 1
            return
        self.changed += 1
        self.more += ceiling_delta > 0
        self.less += ceiling_delta < 0
        key = f"{change.old.rule or '(no rule)'} -> {change.new.rule or '(no rule)'}"
        self.transitions[key] = self.transitions.get(key, 0) + 1
        self.histogram[_bin(ceiling_delta)] += 1
        self.keep_if_mover(change)

    def keep_if_mover(self, change: CaseChange) -> None:
        """Consider a changed case for the movers only (its counts are already in)."""
        item = (abs(change.ceiling_delta), -change.row, change)
        if len(self._movers) < MOVERS_KEPT:
            heapq.heappush(self._movers, item)
        elif item[:2] > self._movers[0][:2]:
            heapq.heapreplace(self._movers, item)

    def merge(self, other: "BehaviourDiff") -> None:
        """Add another diff (a batch's share of the rows) into this one."""
        for name in ("cases", "changed", "unchanged", "invalid", "invalid_in_one_version", "floor_delta",
                     "ceiling_delta", "more", "less"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.transitions, other.transitions), (self.histogram, other.histogram),
                             (self.invalid_reasons, other.invalid_reasons)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        for _, _, change in other._movers:
            self.keep_if_mover(change)

    @property
    def differs(self) -> bool:
        """Whether the versions decide any case differently, counting a case only one can decide."""
        return bool(self.changed or self.invalid_in_one_version)

    def movers(self) -> list[CaseChange]:
        return [item[2] for item in sorted(self._movers, key=lambda item: (-item[0], -item[1]))]

    def to_json(self) -> dict:
        return {
            "cases": self.cases, "changed": self.changed, "unchanged": self.unchanged, "invalid": self.invalid,
            "invalid_in_one_version": self.invalid_in_one_version,
            "floor_delta": format(self.floor_delta, "f"), "ceiling_delta": format(self.ceiling_delta, "f"),
            "more": self.more, "less": self.less,
            "transitions": dict(sorted(self.transitions.items(), key=lambda kv: -kv[1])),
            "histogram": dict(self.histogram),
            "invalid_reasons": dict(self.invalid_reasons),
            "movers": [change_json(c) for c in self.movers()],
        }


def _bin(delta: Decimal) -> str:
    if delta == 0:
        return "0"
    for bound, label in HISTOGRAM_BINS:
        if bound is not None and delta < bound:
            return label
    return HISTOGRAM_BINS[-1][1]


def change_json(change: CaseChange) -> dict:
    def side(decision: Decision | None) -> dict | None:
        if decision is None:
            return None
        return {"rule": decision.rule, "floor": _text(decision.floor), "ceiling": _text(decision.ceiling),
                "approver": decision.approver}

    return {"row": change.row, "id": change.case_id, "status": change.status, "old": side(change.old),
            "new": side(change.new), "ceiling_delta": format(change.ceiling_delta, "f") if change.status != "invalid" else None,
            "reason": change.reason}


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


class CaseDiff:
    """Decides every case with both versions on `workers` processes, in row order; read
    `extra_columns` once `changes()` is consumed."""

    def __init__(self, old: tuple[str, str], new: tuple[str, str], kind: str = "compiled", workers: int = 1):
        self.old, self.new, self.kind, self.workers = old, new, kind, workers
        self.extra_columns: dict[str, None] = {}

    def batches(self, cases: CaseFile | Iterable[RawRow], keep_changes: bool) -> Iterator[tuple[BehaviourDiff, list | None, int]]:
        """Per batch: its share of the behavioural diff, its changes when kept, and its row count."""
        items, parse = work_of(cases)
        build = partial(diff_batches, *self.old, *self.new, self.kind, parse)
        for changes, extra in run_batches(build, items, self.workers):
            self.extra_columns.update(dict.fromkeys(extra))
            behaviour = BehaviourDiff()
            for change in changes:
                behaviour.add(change)
            yield behaviour, changes if keep_changes else None, len(changes)

    def changes(self, cases: CaseFile | Iterable[RawRow]) -> Iterator[CaseChange]:
        for _, changes, _ in self.batches(cases, keep_changes=True):
            yield from changes
