"""Every witness is decided again by the real engines before anyone sees it.

The SMT encoding is a second description of the language; if it and the engines ever disagree on a
case, the finding is withheld and the disagreement reported as unknown, so the encoding and the
engines check each other instead of the encoding being trusted.
"""

from __future__ import annotations

from dsl.model import Policy
from engine.cases import CaseError
from engine.decide import Engine, load_engine
from engine.decision import Decision

Outcome = Decision | CaseError


class Referee:
    """The compiled and the durable engine for one policy, built once and asked about each witness."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.engines: list[Engine] = [load_engine(policy, "compiled"), load_engine(policy, "durable")]

    def outcomes(self, case: dict, explain: bool = False) -> list[Outcome]:
        """Each engine's decision (with `explain`, its trace) or its refusal of the case."""
        results: list[Outcome] = []
        for engine in self.engines:
            try:
                results.append(engine.decide(dict(case), explain=explain))
            except CaseError as error:
                results.append(error)
        return results

def decided(outcome: Outcome) -> bool:
    return isinstance(outcome, Decision)


def matched(outcome: Outcome, kind: str, name: str) -> bool:
    """The trace says the rule, entitlement or route's condition held for this case."""
    return decided(outcome) and any(entry["kind"] == kind and entry["name"] == name and entry["matched"]
                                    for entry in outcome.trace)
