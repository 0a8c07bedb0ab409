"""Messages the workers and panes post. Workers never touch widgets or state; they post one of
these and a handler on the main thread applies it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from dsl.checker import CheckResult
from engine.decide import Engine
from qa.simulation import DiffResult, SimulationResult


@dataclass
class CheckFinished(Message):
    """The live check of one generation of the editor's text."""

    generation: int
    result: CheckResult


@dataclass
class AnalysisFinished(Message):
    """`redress analyze`'s findings for one generation of the editor's text (which checked clean)."""

    generation: int
    findings: list


@dataclass
class LoadWitness(Message):
    """Load a finding's witness case into Try a case."""

    case: dict


@dataclass
class EngineBuilt(Message):
    """A compiled engine for the checked policy with this digest (built only when a case is tried)."""

    digest: str
    engine: Engine


@dataclass
class JumpTo(Message):
    """Move the editor's cursor to a 1-based line and column (a diagnostic was chosen)."""

    line: int
    column: int


@dataclass
class RunProgress(Message):
    """How far a simulation or diff has got. Floods collapse: only the latest matters. Every run
    message carries its `run`, so a pane can ignore what a superseded run still posts."""

    run: int
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunProgress)


@dataclass
class SimulationFinished(Message):
    run: int
    result: SimulationResult
    engine: Engine  # for explaining a selected case
    source: str


@dataclass
class DiffFinished(Message):
    run: int
    label: str  # what the editor's text was compared with
    old_source: str
    new_source: str
    structure: dict  # section name -> dsl.compare.SectionChanges
    result: DiffResult | None  # None without historic cases
    proof: dict | None = None  # `analysis.equivalence.Proof.to_json()`; None when cancelled


@dataclass
class RunFailed(Message):
    """A simulation or diff that could not run, or was cancelled; `reason` says which."""

    run: int
    reason: str
    cancelled: bool = False


@dataclass
class VersionChosen(Message):
    """A history row's action: `diff`, `restore` or `publish` version `version_id`."""

    action: str
    version_id: int


@dataclass
class PublishChecked(Message):
    version_id: int
    verdict: Any  # qa.publish.PublishVerdict


@dataclass
class CasesLoaded(Message):
    """The historic cases were read (or could not be: `error` says why)."""

    cases: Any  # qa.simulation.LoadedCases | None
    error: str | None = None
