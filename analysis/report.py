"""What an analysis reports: findings (each with a witness case) and the questions left unknown.

Codes are a contract (agents match on them) and so are their severities:

| code | severity | meaning |
| --- | --- | --- |
| `division-by-zero` | error | a case makes a divisor zero, so the engine cannot decide it |
| `floor-above-ceiling` | error | the guideline's floor exceeds its ceiling for some case |
| `rule-never-applies` | warning | no case is decided by the rule (its `when` cannot hold, or earlier rules take every case) |
| `entitlement-never-applies`, `route-never-applies` | warning | no case matches its `when` |
| `uncovered-case` | warning, or info with `otherwise` | cases no rule matches |
| `guideline-below-entitlement` | warning | a matching entitlement lifts the range above the rule's ceiling |
| `open-outside-range` | warning | the opening offer is moved into the range for some case |
| `step-too-large` | warning | the step is wider than the whole range |
| `opens-at-best` | warning | the opening offer is the ceiling of a real range ("never open with your best offer") |
| `above-every-limit` | warning | the ceiling exceeds the last authority role's limit |
| `negative-bound` | info | an amount comes out below zero and is clamped (the language defines this; often intended) |

`redress analyze` exits 1 when any finding is an error or a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ERROR, WARNING, INFO = "error", "warning", "info"
FAILING = (ERROR, WARNING)


@dataclass(frozen=True)
class Finding:
    """One finding. It has a checker diagnostic's attributes (file, line, column, severity, code,
    message, hint, end_column), so `dsl.diagnostics.render` prints it with the same caret and hint;
    its codes are the analysis's own, listed above, not the checker's."""

    file: str
    code: str
    severity: str
    subject: str | None  # the rule, entitlement or route name; None for the policy as a whole
    line: int
    column: int
    message: str
    hint: str | None
    witness: dict | None  # a complete case that `redress eval` decides to show the finding
    end_column: int | None = None

    def to_json(self) -> dict:
        return {"file": self.file, "code": self.code, "severity": self.severity, "subject": self.subject,
                "line": self.line, "column": self.column, "message": self.message, "hint": self.hint,
                "witness": self.witness}



@dataclass
class Report:
    file: str
    findings: list[Finding] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)
    questions: int = 0

    @property
    def failing(self) -> bool:
        return any(finding.severity in FAILING for finding in self.findings)

    def codes(self) -> list[str]:
        return [finding.code for finding in self.findings]

    def to_json(self) -> dict:
        return {"findings": [f.to_json() for f in self.findings], "unknown": list(self.unknown)}
