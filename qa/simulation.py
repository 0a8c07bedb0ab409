"""Replaying and diffing the loaded historic cases from inside the app, with no Textual in sight.

The historic cases are read once into memory (a sample file is a few thousand rows) and decided in a
worker thread by the very code `redress replay` and `redress diff --cases` run by default (the SQL
engine, `qa.bulk`, or the compiled engine for a policy SQL cannot compute exactly), one slice at a
time, so a worker can report progress and stop soon after it is cancelled. The engine is built once
per run; there are at most about `PROGRESS_STEPS` slices. There is no multiprocessing inside the app.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Callable, Iterator

from qa.casefiles import RawRow, open_cases
from dsl.model import Policy
from qa.bulk_engines import diff_engine, replay_engine
from qa.diff import BehaviourDiff, CaseChange
from qa.replay import CaseOutcome, Tally
from qa.generate import generate_cases

MIN_SLICE_ROWS = 250
BULK_ENGINE = "duckdb"  # the SQL engine, or the compiled engine for a policy SQL cannot compute exactly
PROGRESS_STEPS = 20
CASE_FILE_SUFFIXES = (".cases.csv", ".cases.jsonl", ".cases.json", ".cases.yaml", ".cases.parquet")

ProgressCallback = Callable[[int, int], None]
IsCancelled = Callable[[], bool]


class RunCancelled(Exception):
    """Raised out of a run that was cancelled part-way."""


@dataclass
class LoadedCases:
    path: str
    rows: list[RawRow]

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def load_cases(path: str) -> LoadedCases:
    """Every row of a case file. Raises `qa.casefiles.CaseFileError` for a file that cannot be
    read at all; unreadable rows are kept (they count as invalid cases)."""
    with open_cases(path) as case_file:
        return LoadedCases(path, list(case_file.rows()))


SAMPLE_CASES = 2_000


def generated_cases(policy: Policy, count: int = SAMPLE_CASES, seed: int = 0) -> LoadedCases:
    """Sample cases drawn from the policy itself (`redress cases generate`), for a policy that has
    no history yet: numbered as the rows of the CSV file `cases generate` would write."""
    rows = [RawRow(number, case) for number, case in enumerate(generate_cases(policy, count, seed), start=2)]
    return LoadedCases(f"{count:,} sample cases generated from the policy", rows)


def cases_beside(policy_path: str | None) -> str | None:
    """`hardware_store.cases.csv` (or .jsonl, ...) next to `hardware_store.policy`, if there is one."""
    if not policy_path:
        return None
    stem = os.path.splitext(policy_path)[0]
    return next((stem + suffix for suffix in CASE_FILE_SUFFIXES if os.path.exists(stem + suffix)), None)


@dataclass
class SimulationResult:
    outcomes: list[CaseOutcome]
    tally: Tally
    extra_columns: list[str] = field(default_factory=list)


def _slices(rows: list[RawRow], cancelled: IsCancelled) -> Iterator[list[RawRow]]:
    size = max(MIN_SLICE_ROWS, math.ceil(len(rows) / PROGRESS_STEPS))
    for start in range(0, len(rows), size):
        if cancelled():
            raise RunCancelled()
        yield rows[start:start + size]


def simulate(source: str, path: str, rows: list[RawRow], progress: ProgressCallback, cancelled: IsCancelled) -> SimulationResult:
    """Decide every row with the policy text (which must check), as `redress replay` does."""
    tally = Tally()
    outcomes: list[CaseOutcome] = []
    extra: dict[str, None] = {}
    replay, _ = replay_engine(source, path, BULK_ENGINE, workers=1)
    for rows_slice in _slices(rows, cancelled):
        for outcome in replay.outcomes(rows_slice):
            tally.add(outcome)
            outcomes.append(outcome)
        progress(len(outcomes), len(rows))
    extra.update(replay.extra_columns)
    return SimulationResult(outcomes, tally, list(extra))


@dataclass
class DiffResult:
    changes: list[CaseChange]
    behaviour: BehaviourDiff


def behaviour_diff(old: tuple[str, str], new: tuple[str, str], rows: list[RawRow], progress: ProgressCallback,
                   cancelled: IsCancelled) -> DiffResult:
    """Decide every row with both texts (which must check), as `redress diff --cases` does."""
    behaviour = BehaviourDiff()
    changes: list[CaseChange] = []
    differ, _ = diff_engine(old, new, BULK_ENGINE, workers=1)
    for rows_slice in _slices(rows, cancelled):
        for change in differ.changes(rows_slice):
            behaviour.add(change)
            changes.append(change)
        progress(len(changes), len(rows))
    return DiffResult(changes, behaviour)
