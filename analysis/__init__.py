"""What a policy means over every possible case, decided by an SMT solver (z3).

`analyze(policy, time_limit)` returns a `Report` of findings, each with a witness case the real
engines have decided to confirm it; `analysis.equivalence.prove(old, new)` compares two versions
over every case. z3 is imported by these modules only, never on the `eval`/`check` path.
"""

from __future__ import annotations

from typing import Callable

from dsl.model import Policy


def analyze(policy: Policy, time_limit: float = 5.0, cancelled: Callable[[], bool] | None = None):
    """Every finding for one checked policy. `time_limit` bounds each solver question (seconds);
    `cancelled` is polled between questions, and `analysis.solving.Cancelled` raised when it says so."""
    from analysis.findings import Analyzer
    from analysis.solving import Solving

    return Analyzer(policy, Solving(time_limit, cancelled)).run()
