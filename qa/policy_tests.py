"""Policy tests: YAML files of cases with the decisions a policy owner expects.

    policy: hardware_store.policy          # relative to the test file
    tests:
      - name: Missed appointment, $120
        case: {situation: missed_appointment, price: 120, cost: 50}
        expect: {rule: Missed appointment, floor: "30.00", approver: supervisor}

`expect` holds any subset of the decision's keys. Amounts compare as exact decimals (`30`, `30.0`
and `"30.00"` all match "30.00"); each expected note needs only to appear within one actual note;
`expect: {error: {field: price}}` expects the case to be rejected. A `properties:` list states what
must hold over every possible case (`analysis.properties` describes the shapes); `redress test`
proves each one or shows the counterexample. The YAML is read as a YAML case
file is (`qa.casefiles.DecimalLoader`): numbers as exact decimals, never floats, and dates as the
text written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from dsl.checker import check_file
from dsl.diagnostics import did_you_mean, render
from qa.casefiles import DecimalLoader
from engine.cases import CaseError
from engine.decide import Engine, load_engine

TEST_FILE_SUFFIXES = (".tests.yaml", ".tests.yml")
DECISION_KEYS = ("policy", "version", "digest", "case_id", "rule", "currency", "floor", "ceiling", "open_at", "step",
                 "remedies", "approver", "escalate_to", "routes", "entitlements", "say", "follow_up", "extra", "notes", "error")
AMOUNT_KEYS = ("floor", "ceiling", "open_at", "step")


class TestFileError(Exception):
    """A test file that cannot be run: bad YAML, a missing policy, a policy that does not check."""


@dataclass
class TestOutcome:
    file: str
    name: str
    line: int
    status: str  # passed, failed, error
    mismatches: list[dict] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict:
        return {"file": self.file, "name": self.name, "line": self.line, "status": self.status,
                "mismatches": self.mismatches, "error": self.error}


@dataclass
class FileReport:
    file: str
    policy: str | None = None
    outcomes: list[TestOutcome] = field(default_factory=list)
    error: str | None = None
    uncovered: dict[str, list[str]] = field(default_factory=dict)


def discover(paths: list[str]) -> list[str]:
    """Test files under the given paths (files are taken as they are), sorted for stable output."""
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
                found += [os.path.join(root, name) for name in sorted(files) if name.endswith(TEST_FILE_SUFFIXES)]
        elif os.path.exists(path):
            found.append(path)
        else:
            raise FileNotFoundError(path)
    return found


def run_file(path: str, engine_kind: str = "durable") -> FileReport:
    report = FileReport(path)
    try:
        document, lines = load_test_file(path)
        engine = _engine_for(path, document, engine_kind)
    except TestFileError as error:
        report.error = str(error)
        return report
    report.policy = engine.policy.path
    reached = {"rule": set(), "entitlement": set(), "route": set()}
    for index, test in enumerate(document.get("tests", [])):
        outcome = _run_test(path, lines["tests"][index], index, test, engine, reached)
        report.outcomes.append(outcome)
    for index, spec in enumerate(document.get("properties", [])):
        report.outcomes.append(_check_property(path, lines["properties"][index], index, spec, engine.policy))
    policy = engine.policy
    report.uncovered = {
        "rules": [g.name for g in policy.guidelines if g.name not in reached["rule"]],
        "entitlements": [e.name for e in policy.entitlements if e.name not in reached["entitlement"]],
        "routes": [r.name for r in policy.routes if r.name not in reached["route"]],
    }
    return report


def load_test_file(path: str) -> tuple[dict, dict[str, list[int]]]:
    try:
        with open(path, encoding="utf-8") as handle:
            loader = DecimalLoader(handle.read())
        try:
            root = loader.get_single_node()
            document = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except OSError as error:
        raise TestFileError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise TestFileError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise TestFileError(f"{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if (not isinstance(document, dict) or "policy" not in document or not ({"tests", "properties"} & document.keys())
            or not all(isinstance(document.get(key, []), list) for key in ("tests", "properties"))):
        raise TestFileError(f"{path}: a test file is a mapping with `policy: FILE` and `tests:` or `properties:` (lists)")
    lines = {key.value: [item.start_mark.line + 1 for item in value.value]
             for key, value in root.value if key.value in ("tests", "properties")}
    return document, {"tests": lines.get("tests", []), "properties": lines.get("properties", [])}


def _check_property(path: str, line: int, index: int, spec: Any, policy) -> TestOutcome:
    """A property is proved over every case by the solver, or refuted with a counterexample
    (`analysis.properties`); one the solver cannot decide in its time limit is an error."""
    from analysis.properties import PropertyError, check_property

    if not isinstance(spec, dict) or not spec.get("name"):
        return TestOutcome(path, f"property #{index + 1}", line, "error", error="a property needs a `name` and one statement")
    name = f"property: {spec['name']}"
    timeout = spec.get("timeout", 5)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, Decimal)) or timeout <= 0:
        return TestOutcome(path, name, line, "error", error=f"`timeout` is a number of seconds, not {timeout!r}")
    try:
        outcome = check_property(policy, spec, float(timeout))
    except PropertyError as error:
        return TestOutcome(path, name, line, "error", error=str(error))
    if outcome.status == "unknown":
        return TestOutcome(path, name, line, "error", error=f"not proved or refuted: {outcome.reason}")
    return TestOutcome(path, name, line, outcome.status, outcome.mismatches)


def _engine_for(path: str, document: dict, engine_kind: str) -> Engine:
    policy_path = str(Path(path).parent / str(document["policy"]))
    try:
        result = check_file(policy_path)
    except OSError as error:
        raise TestFileError(f"{path}: cannot read its policy {policy_path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise TestFileError(f"{path}: its policy {policy_path} is not UTF-8 text (byte {error.start})") from None
    if not result.ok:
        shown = "\n".join(render(d, result.source) for d in result.diagnostics if d.severity == "error")
        raise TestFileError(f"{path}: its policy {policy_path} does not check:\n{shown}")
    return load_engine(result.policy, engine_kind)


def _run_test(path: str, line: int, index: int, test: Any, engine: Engine, reached: dict) -> TestOutcome:
    if not isinstance(test, dict) or not isinstance(test.get("case"), dict) or not isinstance(test.get("expect"), dict):
        return TestOutcome(path, f"test #{index + 1}", line, "error", error="a test needs `name`, `case` (a mapping) and `expect` (a mapping)")
    name = str(test.get("name") or f"test #{index + 1}")
    expect = test["expect"]
    unknown = [key for key in expect if key not in DECISION_KEYS]
    if unknown:
        hint = did_you_mean(unknown[0], DECISION_KEYS)
        return TestOutcome(path, name, line, "error", error=f"`{unknown[0]}` is not a decision key" + (f"; {hint}" if hint else ""))
    try:
        decision = engine.decide(test["case"], explain=True)
    except CaseError as error:
        return _expected_error(path, name, line, expect, error)
    if "error" in expect:
        return TestOutcome(path, name, line, "failed", [{"key": "error", "expected": _plain(expect["error"]), "actual": None}])
    for entry in decision.trace:
        if entry["matched"] and (entry["kind"] != "rule" or entry["decides"]):
            reached[entry["kind"]].add(entry["name"])
    actual = decision.to_json()
    mismatches = [{"key": key, "expected": _plain(wanted), "actual": actual[key]}
                  for key, wanted in expect.items() if not _matches(key, wanted, actual[key])]
    return TestOutcome(path, name, line, "failed" if mismatches else "passed", mismatches)


def _expected_error(path, name, line, expect, error: CaseError) -> TestOutcome:
    wanted = expect.get("error")
    if wanted is None:
        return TestOutcome(path, name, line, "error", error=f"the case was rejected: {error.message}")
    wanted = wanted if isinstance(wanted, dict) else {"field": wanted}
    if "field" in wanted and wanted["field"] != error.field:
        return TestOutcome(path, name, line, "failed", [{"key": "error.field", "expected": _plain(wanted["field"]), "actual": error.field}])
    if "message" in wanted and str(wanted["message"]) not in error.message:
        return TestOutcome(path, name, line, "failed", [{"key": "error.message", "expected": _plain(wanted["message"]), "actual": error.message}])
    return TestOutcome(path, name, line, "passed")


def _matches(key: str, wanted: Any, actual: Any) -> bool:
    if key in AMOUNT_KEYS:
        return _same_amount(wanted, actual)
    if key == "extra" and isinstance(wanted, dict) and isinstance(actual, dict):
        return wanted.get("gesture", actual["gesture"]) == actual["gesture"] and _same_amount(wanted.get("up_to", actual["up_to"]), actual["up_to"])
    if key == "notes" and isinstance(wanted, list):
        return len(wanted) == len(actual) and all(any(str(w) in note for note in actual) for w in wanted)
    if isinstance(wanted, Decimal):
        return _same_amount(wanted, actual)
    return wanted == actual


def _same_amount(wanted: Any, actual: Any) -> bool:
    if wanted is None or actual is None:
        return wanted is None and actual is None
    try:
        return Decimal(str(wanted)) == Decimal(str(actual))
    except InvalidOperation:
        return False


def _plain(value: Any) -> Any:
    """Expected values as JSON-friendly data for reports."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # what else YAML can hold: `!!binary`, `!!set`
