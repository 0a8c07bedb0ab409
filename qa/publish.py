"""May this version be published (marked as in force)? Only when it checks without errors and its
policy tests (`<policy>.tests.yaml` beside it, if there is one) all pass against *this* version's
text, which may not be the text on disk. So the tests run on a private copy: the version and the
test file, side by side in a temporary folder, with the test file's `policy:` pointing at the copy.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field

from dsl.checker import check_source
from qa.policy_tests import run_file

_POLICY_KEY = re.compile(r"^policy:[^\n]*$", re.MULTILINE)


@dataclass
class PublishVerdict:
    allowed: bool
    reasons: list[str] = field(default_factory=list)  # why not; or, when allowed, what to know
    passed: int = 0


def tests_file_for(policy_path: str) -> str:
    return os.path.splitext(policy_path)[0] + ".tests.yaml"


def publish_verdict(content: str, policy_path: str) -> PublishVerdict:
    result = check_source(content, policy_path)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if errors:
        shown = [f"line {d.line}:{d.column}: {d.message}" for d in errors[:8]]
        return PublishVerdict(False, [f"it does not check ({len(errors)} error{'' if len(errors) == 1 else 's'})", *shown])
    tests_path = tests_file_for(policy_path)
    if not os.path.exists(tests_path):
        return PublishVerdict(True, [f"no policy tests to run ({os.path.basename(tests_path)} does not exist)"])
    try:
        with open(tests_path, encoding="utf-8") as handle:
            tests_text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        return PublishVerdict(False, [f"cannot read {os.path.basename(tests_path)}: {error}"])
    policy_name = os.path.basename(policy_path)
    with tempfile.TemporaryDirectory(prefix="redress-publish-") as folder:
        with open(os.path.join(folder, policy_name), "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        copy = os.path.join(folder, os.path.basename(tests_path))
        with open(copy, "w", encoding="utf-8") as handle:
            handle.write(_POLICY_KEY.sub(f"policy: {policy_name}", tests_text, count=1))
        # The compiled engine: durable_rules rulesets live as long as the process, and the
        # engines agree on every case.
        report = run_file(copy, "compiled")
        shown_folder = os.path.dirname(os.path.abspath(policy_path))
        if report.error:
            return PublishVerdict(False, [report.error.replace(folder, shown_folder)])
    failing = [outcome for outcome in report.outcomes if outcome.status != "passed"]
    if failing:
        reasons = [f"{len(failing)} of {len(report.outcomes)} policy tests fail"]
        for outcome in failing[:8]:
            detail = outcome.error or "; ".join(f"{m['key']}: expected {m['expected']}, got {m['actual']}" for m in outcome.mismatches)
            reasons.append(f"line {outcome.line} {outcome.name}: {detail}")
        return PublishVerdict(False, reasons)
    return PublishVerdict(True, [f"all {len(report.outcomes)} policy tests pass"], len(report.outcomes))
