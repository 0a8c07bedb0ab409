"""`redress eval --case` starts light: what it imports, and the cache of checked policies that lets
it skip the parser. (How fast it starts is measured in bench/cold_start.py, never asserted here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsl.checker import check_source
from redress import policy_cache
from tests.conftest import EXAMPLE_POLICY, REPO

CASE = json.dumps({"situation": "missed_appointment", "price": 120, "cost": 50})

# Run the real CLI, then print (to stderr) which modules the process imported.
_IMPORTS_AFTER = """
import json, sys
from redress.cli import main
try:
    main()
finally:
    sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""

NEVER_ON_THE_EVAL_PATH = ("textual", "workbench", "pyarrow", "yaml", "duckdb", "pyspark", "z3", "sqlglot", "msgspec")


def _eval_modules(policy: Path, cache: Path, *extra: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    environment = os.environ | {"REDRESS_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _IMPORTS_AFTER, "eval", str(policy), "--case", CASE, *extra],
                          capture_output=True, text=True, cwd=REPO, env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    listed = done.stderr.rsplit("MODULES ", 1)[1]
    return done, {name.split(".")[0] for name in json.loads(listed)}


@pytest.mark.parametrize("engine", ["durable", "compiled"])
def test_eval_imports_nothing_heavy_and_skips_the_parser_once_checked(tmp_path: Path, engine: str) -> None:
    first, modules = _eval_modules(EXAMPLE_POLICY, tmp_path, "--engine", engine)
    assert not modules & set(NEVER_ON_THE_EVAL_PATH)
    assert "lark" in modules  # the first run parses and checks the policy
    second, modules = _eval_modules(EXAMPLE_POLICY, tmp_path, "--engine", engine)
    assert not modules & {"lark", *NEVER_ON_THE_EVAL_PATH}
    assert json.loads(second.stdout) == json.loads(first.stdout)


def test_an_edited_policy_is_checked_again(redress, example_policy: Path) -> None:
    before = json.loads(redress("eval", example_policy, "--case", CASE).stdout)
    text = example_policy.read_text(encoding="utf-8")
    example_policy.write_text(text.replace("no more than 50% of price", "no more than 60% of price"), encoding="utf-8")
    after = json.loads(redress("eval", example_policy, "--case", CASE).stdout)
    assert (before["ceiling"], after["ceiling"]) == ("60.00", "72.00")
    example_policy.write_text(text.replace("offer no less", "offer no lesser"), encoding="utf-8")
    broken = redress("eval", example_policy, "--case", CASE)
    assert broken.returncode == 2 and "does not check" in broken.stderr


def _counting_check():
    calls = []

    def check(path: str, data: bytes):
        calls.append(path)
        return check_source(data.decode("utf-8"), path, data)

    return check, calls


def test_cached_check_reuses_a_checked_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDRESS_CACHE_DIR", str(tmp_path))
    check, calls = _counting_check()
    data = EXAMPLE_POLICY.read_bytes()
    first = policy_cache.cached_check("example.policy", data, check)
    second = policy_cache.cached_check("example.policy", data, check)
    assert calls == ["example.policy"]
    assert second.policy == first.policy and second.source == first.source and second.ok
    policy_cache.cached_check("elsewhere.policy", data, check)  # the path is part of what was checked
    assert calls == ["example.policy", "elsewhere.policy"]


def test_a_new_version_of_the_language_code_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDRESS_CACHE_DIR", str(tmp_path))
    check, calls = _counting_check()
    data = EXAMPLE_POLICY.read_bytes()
    policy_cache.cached_check("p", data, check)
    monkeypatch.setattr(policy_cache, "_language_fingerprint", lambda: b"another checker")
    policy_cache.cached_check("p", data, check)
    assert len(calls) == 2


def test_broken_or_foreign_entries_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDRESS_CACHE_DIR", str(tmp_path))
    check, calls = _counting_check()
    data = EXAMPLE_POLICY.read_bytes()
    policy_cache.cached_check("p", data, check)
    [entry] = tmp_path.glob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:100])  # truncated
    assert policy_cache.cached_check("p", data, check).ok
    entry.chmod(0o666)  # anyone could have written it: never unpickled
    assert policy_cache.cached_check("p", data, check).ok
    assert len(calls) == 3


def test_a_policy_that_does_not_check_is_never_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDRESS_CACHE_DIR", str(tmp_path))
    check, calls = _counting_check()
    for _ in range(2):
        assert not policy_cache.cached_check("p", b"policy \"x\"\nrule\n", check).ok
    assert len(calls) == 2 and not list(tmp_path.iterdir())


def test_the_cache_can_be_turned_off_and_stays_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDRESS_CACHE_DIR", "")
    check, calls = _counting_check()
    data = EXAMPLE_POLICY.read_bytes()
    policy_cache.cached_check("p", data, check)
    policy_cache.cached_check("p", data, check)
    assert len(calls) == 2
    monkeypatch.setenv("REDRESS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(policy_cache, "KEEP", 3)
    for number in range(5):
        policy_cache.cached_check(f"p{number}", data, check)
    assert len(list(tmp_path.glob("*.pickle"))) == 3


# `redress replay` on the SQL engine keeps its compiled query between runs, as eval keeps checked policies.
HARDWARE = REPO / "policies" / "hardware_store.policy"
HARDWARE_CASES = REPO / "policies" / "hardware_store.cases.csv"


def _report_and_modules(cache: Path, *args: Path | str) -> tuple[dict, set[str]]:
    """The JSON report of `redress ARGS --format json` on the SQL engine (without its timing), and
    the top-level modules the run imported."""
    environment = os.environ | {"REDRESS_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _IMPORTS_AFTER, *map(str, args), "--format", "json", "--engine", "duckdb"],
                          capture_output=True, text=True, cwd=REPO, env=environment, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    listed = done.stderr.rsplit("MODULES ", 1)[1]
    report = json.loads(done.stdout)
    assert report["engine"] == "duckdb"
    report.pop("seconds", None)
    return report, {name.split(".")[0] for name in json.loads(listed)}


def _replay_modules(policy: Path, cache: Path) -> tuple[dict, set[str]]:
    return _report_and_modules(cache, "replay", policy, HARDWARE_CASES)


def _compiled_report(redress, policy: Path) -> dict:
    report = json.loads(redress("replay", policy, HARDWARE_CASES, "--format", "json", "--engine", "compiled").stdout)
    del report["seconds"], report["engine"]
    return report


def test_a_replay_compiles_its_query_once_per_edit_and_trusts_only_its_own_entries(tmp_path: Path, redress) -> None:
    policy = tmp_path / "hardware.policy"
    policy.write_bytes(HARDWARE.read_bytes())
    cache = tmp_path / "cache"
    first, modules = _replay_modules(policy, cache)
    assert "sqlglot" in modules  # the first run compiles the policy to SQL
    assert len(list(cache.glob("*.sql"))) == 2  # the query, and the answer that SQL decides it exactly
    second, modules = _replay_modules(policy, cache)
    assert "sqlglot" not in modules and "lark" not in modules
    assert second == first
    assert {k: v for k, v in first.items() if k != "engine"} == _compiled_report(redress, policy)

    text = policy.read_text(encoding="utf-8")
    edited = text.replace("offer up to max(profit, cost)", "offer up to max(profit, cost) + $1", 1)
    assert edited != text
    policy.write_text(edited, encoding="utf-8")
    after_edit, modules = _replay_modules(policy, cache)
    assert "sqlglot" in modules  # an edited policy is a new key: compiled again
    assert after_edit["totals"] != first["totals"]
    assert {k: v for k, v in after_edit.items() if k != "engine"} == _compiled_report(redress, policy)

    for entry in cache.glob("*.sql"):  # entries anyone may write are never run, whatever they hold
        entry.write_text("SELECT 'not the policy'", encoding="utf-8")
        entry.chmod(0o666)
    untrusted, modules = _replay_modules(policy, cache)
    assert "sqlglot" in modules and untrusted == after_edit


def test_a_case_diff_compiles_its_query_once_per_pair_of_versions(tmp_path: Path, redress) -> None:
    new = tmp_path / "new.policy"
    text = HARDWARE.read_text(encoding="utf-8")
    new.write_text(text.replace("offer up to $25", "offer up to $30", 1), encoding="utf-8")
    cache = tmp_path / "cache"
    first, modules = _report_and_modules(cache, "diff", HARDWARE, new, "--cases", HARDWARE_CASES)
    assert "sqlglot" in modules and first["changed"] > 0
    second, modules = _report_and_modules(cache, "diff", HARDWARE, new, "--cases", HARDWARE_CASES)
    assert "sqlglot" not in modules and second == first
    compiled = json.loads(redress("diff", HARDWARE, new, "--cases", HARDWARE_CASES, "--format", "json", "--engine", "compiled").stdout)
    assert {k: v for k, v in first.items() if k != "engine"} == {k: v for k, v in compiled.items() if k != "engine"}

    new.write_text(text.replace("offer up to $25", "offer up to $35", 1), encoding="utf-8")
    edited, modules = _report_and_modules(cache, "diff", HARDWARE, new, "--cases", HARDWARE_CASES)
    assert "sqlglot" in modules and edited["ceiling_delta"] != first["ceiling_delta"]
