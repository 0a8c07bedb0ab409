"""`make demo`: in a terminal, open the workbench on a sample policy and its historic cases;
elsewhere (a pipe, CI), check every sample policy and decide the source manual's worked cases.

The workbench works on a copy in `.redress-demo/`, so editing and saving never changes the samples,
and a second `make demo` finds the work where it was left. The worked cases printed otherwise are
the ones in the sample policies' test files: the demo shows exactly what the tests assert.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys

from dsl.checker import check_file
from dsl.diagnostics import render
from engine.decide import load_engine
from redress.evaluate import describe
from redress.output import counted
from qa.policy_tests import TestFileError, load_test_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICY_DIR = os.path.join(ROOT, "policies")
DEMO_DIR = os.path.join(ROOT, ".redress-demo")
DEMO_POLICY = "hardware_store"


def open_workbench() -> int:
    """The workbench on a copy of the hardware store policy, its tests and its historic cases."""
    os.makedirs(DEMO_DIR, exist_ok=True)
    for suffix in (".policy", ".tests.yaml", ".cases.csv"):
        target = os.path.join(DEMO_DIR, DEMO_POLICY + suffix)
        if not os.path.exists(target):
            shutil.copyfile(os.path.join(POLICY_DIR, DEMO_POLICY + suffix), target)
    from workbench.app import run

    return run(os.path.join(DEMO_DIR, DEMO_POLICY + ".policy"), os.path.join(DEMO_DIR, DEMO_POLICY + ".cases.csv"))


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
        print(f"   {counted(len(policy.guidelines), 'guideline')}, {counted(len(policy.entitlements), 'entitlement')}, "
              f"{counted(len(policy.routes), 'route')}; checks cleanly")
        engine = load_engine(policy, "durable")
        for test in _worked_cases(path):
            print(f"\n  ▸ {test['name']}")
            decision = engine.decide(test["case"]).to_json()
            print("    " + describe(decision).replace("\n", "\n    "))
    print(f"\n{len(policies) - failures} of {len(policies)} sample policies check cleanly.")
    print("Next: `.venv/bin/redress test policies/` runs their tests; `.venv/bin/redress --help` lists every command;")
    print("run `make demo` in a terminal to open the workbench.")
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
        sys.exit(open_workbench() if sys.stdin.isatty() and sys.stdout.isatty() else main())
    except BrokenPipeError:
        sys.exit(0)
