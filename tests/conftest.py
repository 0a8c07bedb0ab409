"""Shared fixtures for the CLI tests: the LANGUAGE.md example policy, the real `redress` command in a
subprocess, and click's CliRunner for the many quick variations."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[1]
EXAMPLE_POLICY = DATA / "language_example.policy"


@pytest.fixture(autouse=True, scope="session")
def _private_policy_cache(tmp_path_factory: pytest.TempPathFactory):
    """The CLI's cache of checked policies goes in a folder of this test run, never the user's."""
    os.environ["REDRESS_CACHE_DIR"] = str(tmp_path_factory.mktemp("policy-cache"))


@pytest.fixture
def example_policy(tmp_path: Path) -> Path:
    """A private copy of LANGUAGE.md's whole-policy example (tests may rewrite it)."""
    copy = tmp_path / "example.policy"
    copy.write_bytes(EXAMPLE_POLICY.read_bytes())
    return copy


@pytest.fixture
def redress():
    """Run the real CLI in a subprocess; never a traceback on stderr, whatever happens."""

    def run(*args: str, stdin: str | bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
        text = not isinstance(stdin, bytes)
        result = subprocess.run([sys.executable, "-m", "redress.cli", *map(str, args)], input=stdin, cwd=cwd or REPO,
                                capture_output=True, text=text, timeout=60)
        stderr = result.stderr if text else result.stderr.decode("utf-8", "replace")
        assert "Traceback" not in stderr, stderr
        return result

    return run


@pytest.fixture
def invoke():
    """Run the CLI in-process with CliRunner (stdout and stderr kept apart); no uncaught exception."""
    from redress.cli import cli

    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Result:
        result = runner.invoke(cli, [str(a) for a in args], input=stdin, prog_name="redress")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return run


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A private copy of the hardware store sample for the workbench: policy, policy tests and
    historic cases. Returns the policy."""
    for suffix in (".policy", ".tests.yaml", ".cases.csv"):
        shutil.copy(REPO / "policies" / f"hardware_store{suffix}", tmp_path / f"hardware_store{suffix}")
    return tmp_path / "hardware_store.policy"
