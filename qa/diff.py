"""The behavioural diff of two policy versions: every case decided by both, and what changed.

"What you give away today, you may also have to give away tomorrow": before a change is adopted,
QA sees which past cases it would have decided differently, who would get more or less, and what it
would cost. A case is *changed* when any decision field differs (`DECISION_FIELDS`: everything a
decision says about the case, the wording and notes included); a case that either version cannot
decide is *invalid*, with the reason.
"""

from __future__ import annotations

import dataclasses
import heapq
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Callable, Iterable, Iterator

from dsl.currency import quantum
from engine.cases import CaseError, case_id_of
from engine.decision import Decision
from qa.batch import engine_from_source, run_batches, work_of
from qa.casefiles import CaseFile, RawRow
from qa.replay import OFFERED_KEY, reason_of

ZERO = Decimal(0)
MOVERS_KEPT = 10
# The decision's identity names the version (it differs by design), `case_id` is the case's own id
# (the same row on both sides) and `trace` is an explanation, not a decision: none of them is compared.
NOT_COMPARED = frozenset({"policy", "version", "digest", "case_id", "trace"})
DECISION_FIELDS = tuple(f.name for f in dataclasses.fields(Decision) if f.name not in NOT_COMPARED)
# The fields that are amounts of money (`extra` by its `up_to`): their changes are also summed.
AMOUNT_FIELDS = ("floor", "ceiling", "open_at", "step", "extra")
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
    fields: tuple[str, ...] = ()  # the decision fields that differ, in `DECISION_FIELDS` order

    @property
    def floor_delta(self) -> Decimal:
        return self.delta("floor")

    @property
    def ceiling_delta(self) -> Decimal:
        return self.delta("ceiling")

    def delta(self, field: str) -> Decimal:
        """New minus old amount of an `AMOUNT_FIELDS` field; an absent amount counts as zero."""
        return _amount(self.new, field) - _amount(self.old, field)


def _amount(decision: Decision | None, field: str) -> Decimal:
    value = getattr(decision, field) if decision is not None else None
    if field == "extra" and value is not None:
        value = value["up_to"]
    return ZERO if value is None else value


def differing_fields(old: Decision, new: Decision) -> tuple[str, ...]:
    """The decision fields in which two decisions of one case differ."""
    return tuple(name for name in DECISION_FIELDS if getattr(old, name) != getattr(new, name))


def diff_batches(old_source: str, old_path: str, new_source: str, new_path: str, kind: str,
                 parse: Callable | None) -> Callable:
    """The batch function for `qa.batch.run_batches`: rows (or records `parse` turns into
    rows) to `CaseChange`s, and the columns neither version uses. The wording is decided too: a
    changed `say` is a changed case."""
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
                decisions.append(engine.decide(row.data, extras=ignored))
            except CaseError as error:
                decisions.append(None)
                reasons.append(f"{version} version: {reason_of(error)}")
        old, new = decisions
        if reasons:
            # Decidable by one version only: the change itself made (or unmade) the case invalid.
            return CaseChange(row.number, case_id, "invalid", old, new, "; ".join(reasons), one_version=len(reasons) == 1)
        fields = differing_fields(old, new)
        return CaseChange(row.number, case_id, "changed" if fields else "unchanged", old, new, fields=fields)

    def decide(batch: list) -> tuple[list[CaseChange], list[str]]:
        rows = parse(batch) if parse is not None else batch
        return [compare(row) for row in rows], sorted((unknown[0] & unknown[1]) - {OFFERED_KEY})

    return decide


@dataclass(slots=True)
class AmountChange:
    """How one amount field moved over the changed cases: how many went up, down, and the total."""

    more: int = 0
    less: int = 0
    delta: Decimal = ZERO

    def add(self, delta: Decimal) -> None:
        self.more += delta > 0
        self.less += delta < 0
        self.delta += delta

    def to_json(self, zero: Decimal) -> dict:
        return {"more": self.more, "less": self.less, "delta": format(self.delta + zero, "f")}


@dataclass(slots=True)
class ApproverChange:
    """Cases whose approver moved from one role to another, by cause: another rule (or none)
    decides them, the same rule gives a ceiling across a limit, or the ceiling stayed and the
    authority limits moved."""

    cases: int = 0
    rule: int = 0
    ceiling: int = 0
    limits: int = 0

    def add(self, old: Decision, new: Decision) -> None:
        self.cases += 1
        if old.rule != new.rule:
            self.rule += 1
        elif old.ceiling != new.ceiling:
            self.ceiling += 1
        else:
            self.limits += 1

    def to_json(self) -> dict:
        return {"cases": self.cases, "rule": self.rule, "ceiling": self.ceiling, "limits": self.limits}


class BehaviourDiff:
    """Accumulates `CaseChange`s into the counts (in all and per field), amount deltas, rule and
    approver transitions, movers and histogram."""

    def __init__(self) -> None:
        self.cases = self.changed = self.unchanged = self.invalid = self.invalid_in_one_version = 0
        self.fields = dict.fromkeys(DECISION_FIELDS, 0)
        self.amounts = {field: AmountChange() for field in AMOUNT_FIELDS}
        self.transitions: dict[str, int] = {}
        self.approvers: dict[str, ApproverChange] = {}
        self.histogram = {label: 0 for _, label in HISTOGRAM_BINS}
        self.invalid_reasons: dict[str, int] = {}
        self._movers: list[tuple] = []
        # Zero in the currency's minor units (`0.00`), so that totals print as amounts even when nothing moved.
        self.zero = ZERO

    @property
    def floor_delta(self) -> Decimal:
        return self.amounts["floor"].delta + self.zero

    @property
    def ceiling_delta(self) -> Decimal:
        return self.amounts["ceiling"].delta + self.zero

    @property
    def more(self) -> int:
        """Cases that would get a higher ceiling."""
        return self.amounts["ceiling"].more

    @property
    def less(self) -> int:
        return self.amounts["ceiling"].less

    def add(self, change: CaseChange) -> None:
        self.cases += 1
        if change.status == "invalid":
            self.invalid += 1
            self.invalid_in_one_version += change.one_version
            self.invalid_reasons[change.reason] = self.invalid_reasons.get(change.reason, 0) + 1
            return
        old, new = change.old, change.new
        if not self.changed and not self.unchanged:  # the first decided case
            self.zero = min(quantum(old.currency), quantum(new.currency)) * 0
        if change.status == "unchanged":
            self.unchanged += 1
            return
        self.changed += 1
        for field in change.fields:
            self.fields[field] += 1
            if field in self.amounts:
                self.amounts[field].add(change.delta(field))
        if "rule" in change.fields:
            key = f"{old.rule or '(no rule)'} -> {new.rule or '(no rule)'}"
            self.transitions[key] = self.transitions.get(key, 0) + 1
        if "approver" in change.fields:
            self.approvers.setdefault(f"{old.approver or '(none)'} -> {new.approver or '(none)'}", ApproverChange()).add(old, new)
        self.histogram[_bin(change.ceiling_delta)] += 1
        self.keep_if_mover(change)

    def keep_if_mover(self, change: CaseChange) -> None:
        """Consider a changed case for the movers only (its counts are already in). A mover moves:
        a case whose ceiling stayed (its wording alone changed, say) is not one."""
        ceiling_delta = change.ceiling_delta
        if not ceiling_delta:
            return
        item = (abs(ceiling_delta), -change.row, change)
        if len(self._movers) < MOVERS_KEPT:
            heapq.heappush(self._movers, item)
        elif item[:2] > self._movers[0][:2]:
            heapq.heapreplace(self._movers, item)

    def merge(self, other: BehaviourDiff) -> None:
        """Add another diff (a batch's share of the rows) into this one."""
        for name in ("cases", "changed", "unchanged", "invalid", "invalid_in_one_version"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.zero = min(self.zero, other.zero, key=lambda zero: zero.as_tuple().exponent)
        for mine, theirs in ((self.fields, other.fields), (self.transitions, other.transitions),
                             (self.histogram, other.histogram), (self.invalid_reasons, other.invalid_reasons)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        for field, theirs in other.amounts.items():
            mine = self.amounts[field]
            mine.more, mine.less, mine.delta = mine.more + theirs.more, mine.less + theirs.less, mine.delta + theirs.delta
        for key, theirs in other.approvers.items():
            mine = self.approvers.setdefault(key, ApproverChange())
            for name in ("cases", "rule", "ceiling", "limits"):
                setattr(mine, name, getattr(mine, name) + getattr(theirs, name))
        for _, _, change in other._movers:
            self.keep_if_mover(change)

    @property
    def differs(self) -> bool:
        """Whether the versions decide any case differently, counting a case only one can decide."""
        return bool(self.changed or self.invalid_in_one_version)

    def movers(self) -> list[CaseChange]:
        """The changed cases whose ceiling moved most, biggest first (ties: the earlier row)."""
        return [item[2] for item in sorted(self._movers, key=lambda item: (-item[0], -item[1]))]

    def to_json(self) -> dict:
        return {
            "cases": self.cases, "changed": self.changed, "unchanged": self.unchanged, "invalid": self.invalid,
            "invalid_in_one_version": self.invalid_in_one_version,
            "fields": dict(self.fields),
            "floor_delta": format(self.floor_delta, "f"), "ceiling_delta": format(self.ceiling_delta, "f"),
            "more": self.more, "less": self.less,
            "amounts": {field: amount.to_json(self.zero) for field, amount in self.amounts.items()},
            "transitions": _by_count(self.transitions),
            "approvers": {key: moved.to_json() for key, moved in sorted(self.approvers.items(), key=lambda kv: -kv[1].cases)},
            "histogram": dict(self.histogram),
            "invalid_reasons": dict(self.invalid_reasons),
            "movers": [change_json(c) for c in self.movers()],
        }


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _bin(delta: Decimal) -> str:
    if delta == 0:
        return "0"
    for bound, label in HISTOGRAM_BINS:
        if bound is not None and delta < bound:
            return label
    return HISTOGRAM_BINS[-1][1]


def decision_json(decision: Decision | None) -> dict | None:
    """The compared fields of a decision, as `Decision.to_json` writes them."""
    if decision is None:
        return None
    data = decision.to_json()
    return {name: data[name] for name in DECISION_FIELDS}


def change_json(change: CaseChange) -> dict:
    return {"row": change.row, "id": change.case_id, "status": change.status, "fields": list(change.fields),
            "old": decision_json(change.old), "new": decision_json(change.new),
            "ceiling_delta": format(change.ceiling_delta, "f") if change.status != "invalid" else None,
            "reason": change.reason}


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
