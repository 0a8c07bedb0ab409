"""`make demo`: check every sample policy and decide the source manual's worked cases.

The worked cases are the ones in the sample policies' test files, so the demo shows exactly what
the tests assert, as a policy owner would read it.
"""

from __future__ import annotations

import glob
import os
import sys

from dsl.checker import check_file
from dsl.diagnostics import render
from engine.decide import load_engine
from redress.evaluate import describe
from redress.policy_tests import TestFileError, load_test_file

POLICY_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "policies")


def main() -> int:
    policies = sorted(glob.glob(os.path.join(POLICY_DIR, "*.policy")))
    failures = 0
    for path in policies:
        name = os.path.relpath(path)
        result = check_file(path)
        if not result.ok:
            failures += 1
            print(f"✗ {name} does not check:")
            for diagnostic in result.diagnostics:
                print(render(diagnostic, result.source))
            continue
        policy = result.policy
        print(f"\n━━ {policy.name} ({policy.version}, {policy.currency}) ━━  {name}")
        print(f"   {len(policy.guidelines)} guidelines, {len(policy.entitlements)} entitlements, "
              f"{len(policy.routes)} routes; checks cleanly")
        engine = load_engine(policy, "durable")
        for test in _worked_cases(path):
            print(f"\n  ▸ {test['name']}")
            decision = engine.decide(test["case"]).to_json()
            print("    " + describe(decision).replace("\n", "\n    "))
    print(f"\n{len(policies) - failures} of {len(policies)} sample policies check cleanly.")
    print("Next: `.venv/bin/redress test policies/` runs their tests; `.venv/bin/redress --help` lists every command.")
    return 1 if failures else 0


def _worked_cases(policy_path: str) -> list[dict]:
    tests_path = policy_path.removesuffix(".policy") + ".tests.yaml"
    if not os.path.exists(tests_path):
        return []
    try:
        document, _ = load_test_file(tests_path)
    except TestFileError as error:
        print(f"    (cannot read {tests_path}: {error})")
        return []
    return [t for t in document["tests"] if isinstance(t, dict) and "error" not in t.get("expect", {})]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(0)
