"""The README's five-minute walkthrough works exactly as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
REDRESS = [sys.executable, "-m", "redress.cli"]


def _blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [textwrap.dedent(block) for block in re.findall(r"^ *```[a-z]*\n(.*?)^ *```", text, re.S | re.M)]


@pytest.fixture
def walkthrough(tmp_path: Path) -> Path:
    blocks = _blocks()
    policy = next(b for b in blocks if b.startswith('policy "My store"'))
    tests = next(b for b in blocks if b.startswith("policy: my_store.policy"))
    (tmp_path / "my_store.policy").write_text(policy, encoding="utf-8")
    (tmp_path / "my_store.tests.yaml").write_text(tests, encoding="utf-8")
    return tmp_path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*REDRESS, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_first_policy_checks_and_is_canonical(walkthrough: Path) -> None:
    assert _run("check", "my_store.policy", cwd=walkthrough).returncode == 0
    assert _run("fmt", "--check", "my_store.policy", cwd=walkthrough).returncode == 0


def test_the_first_case_is_decided_as_the_readme_says(walkthrough: Path) -> None:
    case = '{"situation": "missed_appointment", "price": 120, "cost": 50}'
    decision = json.loads(_run("eval", "my_store.policy", "--case", case, cwd=walkthrough).stdout)
    assert (decision["floor"], decision["ceiling"], decision["open_at"], decision["approver"]) == ("30.00", "60.00", "30.00", "supervisor")
    assert "$30.00" in decision["say"]


def test_the_first_tests_pass(walkthrough: Path) -> None:
    result = _run("test", ".", cwd=walkthrough)
    assert result.returncode == 0, result.stdout
    assert "2 passed, 0 failed" in result.stderr


def test_the_error_example_is_what_check_prints(walkthrough: Path) -> None:
    policy = walkthrough / "my_store.policy"
    policy.write_text(policy.read_text().replace("when situation is defective_product\n",
                                                 "when situation is defective_product and pric > $100\n"))
    shown = next(b for b in _blocks() if b.startswith("my_store.policy:29:43"))
    result = _run("check", "my_store.policy", cwd=walkthrough)
    assert result.returncode == 1
    assert result.stdout.strip() == shown.strip()


def test_the_analyze_example_is_what_analyze_prints(walkthrough: Path) -> None:
    shown = next(b for b in _blocks() if b.startswith("my_store.policy:30:15"))
    result = _run("analyze", "my_store.policy", cwd=walkthrough)
    assert result.returncode == 1
    assert shown in result.stdout
