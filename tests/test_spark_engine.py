"""The Spark engine (`--engine spark`) against the compiled engine: every decision field by field on
every sample policy, invalid rows with their row numbers and reasons, replays and diffs whole, and
the ways Spark can fail. Spark runs in local mode (`local[2]`), one session for the module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from dsl.checker import check_file
from dsl.model import BOOL, ENUM, MONEY
from engine.cases import CaseError
from engine.decide import load_engine
from qa.casefiles import open_cases
from qa.casewriters import write_cases
from qa.diff import BehaviourDiff, CaseDiff
from qa.generate import generate_cases
from qa.replay import Replay, Tally
from tests.conftest import REPO

MASTER = "local[2]"
SAMPLES = sorted((REPO / "policies").glob("*.policy"))
CASES_PER_POLICY = 300


@pytest.fixture(scope="module", autouse=True)
def spark():
    from qa.spark_engine import spark_session

    return spark_session(MASTER)


def _broken_rows(policy, good: dict) -> list[dict]:
    """Rows the case reader refuses, one per way of being wrong, and one valid row whose amount has
    more decimals than SQL's exact domain (SQL hands it to the compiled engine, which decides it)."""
    money = next(f for f in policy.fields if f.kind == MONEY)
    enum = next(f for f in policy.fields if f.kind == ENUM)
    required = next(f for f in policy.fields if f.required)
    rows = [good | {money.name: "twelve"}, good | {enum.name: "bogus"}, good | {money.name: "1e3"},
            {k: v for k, v in good.items() if k != required.name}, good | {"offered": "lots"},
            good | {money.name: "12.1234567891"}, good | {money.name: "-5"}]
    flag = next((f for f in policy.fields if f.kind == BOOL), None)
    if flag is not None:
        rows.append(good | {flag.name: "maybe"})
    return [row | {"id": f"B{number}"} for number, row in enumerate(rows, start=1)]


def _case_file(tmp_path: Path, policy_path: Path, suffix: str = ".csv") -> tuple[object, Path]:
    policy = check_file(str(policy_path)).policy
    cases = list(generate_cases(policy, CASES_PER_POLICY, seed=7))
    columns = list(dict.fromkeys(["id", *(f.name for f in policy.fields), "offered"]))
    path = tmp_path / f"{policy_path.stem}{suffix}"
    write_cases(cases[:150] + _broken_rows(policy, cases[0]) + cases[150:], str(path), columns=columns)
    return policy, path


@pytest.mark.parametrize("policy_path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_spark_decides_every_field_as_the_compiled_engine(tmp_path: Path, policy_path: Path) -> None:
    from qa.spark_engine import spark_decisions

    policy, path = _case_file(tmp_path, policy_path)
    compiled = load_engine(policy, "compiled")
    decided = handed_back = 0
    with open_cases(str(path), None) as case_file:
        for row, decision in spark_decisions(policy, case_file, MASTER):
            try:
                expected = compiled.decide(row.data, extras=set()).to_json()
            except CaseError:
                expected = None
            if decision is None:
                handed_back += 1
                assert expected is None or row.data.get("id") == "B6", f"row {row.number} was valid, yet handed back"
            else:
                decided += 1
                assert decision.to_json() == expected, f"row {row.number}"
    assert decided >= CASES_PER_POLICY and decided + handed_back == CASES_PER_POLICY + len(_broken_rows(policy, {}))


def _replayed(replay, path: Path) -> tuple[dict, list[tuple]]:
    """The whole tally and every outcome (row, id, status, reason) of a replay of `path`."""
    tally, outcomes = Tally(), []
    with open_cases(str(path), None) as case_file:
        for batch in replay.batches(case_file, keep_outcomes=True):
            tally.merge(batch.tally)
            outcomes += [(o.row, o.case_id, o.status, o.rule, o.floor, o.ceiling, o.reason) for o in batch.outcomes]
    return tally.to_json() | {"extra_columns": list(replay.extra_columns)}, outcomes


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_replay_on_spark_is_the_compiled_replay(tmp_path: Path, suffix: str) -> None:
    from qa.spark_engine import SparkReplay

    policy_path = REPO / "policies" / "hardware_store.policy"
    _, path = _case_file(tmp_path, policy_path, suffix)
    source = policy_path.read_text(encoding="utf-8")
    spark_tally, spark_outcomes = _replayed(SparkReplay(source, str(policy_path), MASTER), path)
    compiled_tally, compiled_outcomes = _replayed(Replay(source, str(policy_path), "compiled", 1), path)
    assert spark_tally == compiled_tally
    assert spark_outcomes == compiled_outcomes
    assert sum(outcome[2] == "invalid" for outcome in spark_outcomes) >= 6


def test_a_diff_on_spark_is_the_compiled_diff(tmp_path: Path) -> None:
    from qa.spark_engine import SparkDiff

    old_path = REPO / "policies" / "hardware_store.policy"
    new_path = tmp_path / "new.policy"
    old_source = old_path.read_text(encoding="utf-8")
    new_path.write_text(old_source.replace("clerk up to $50", "clerk up to $30"), encoding="utf-8")
    _, cases = _case_file(tmp_path, old_path)
    versions = ((old_source, str(old_path)), (new_path.read_text(encoding="utf-8"), str(new_path)))
    diffs = []
    for differ in (SparkDiff(*versions, MASTER), CaseDiff(*versions, "compiled", 1)):
        behaviour = BehaviourDiff()
        with open_cases(str(cases), None) as case_file:
            for change in differ.changes(case_file):
                behaviour.add(change)
        diffs.append(behaviour.to_json())
    assert diffs[0] == diffs[1]
    assert diffs[0]["changed"] > 0 and diffs[0]["invalid"] >= 5


def test_an_overflow_spark_reports_is_decided_by_the_compiled_engine(tmp_path: Path) -> None:
    """ANSI mode turns a DECIMAL(38) overflow into an error instead of a NULL; the batch it hits is
    decided in Python, to the cent, and the replay says so."""
    from qa.spark_engine import SparkReplay

    policy_path = REPO / "policies" / "hardware_store.policy"
    _, path = _case_file(tmp_path, policy_path)
    source = policy_path.read_text(encoding="utf-8")
    replay = SparkReplay(source, str(policy_path), MASTER)
    replay.decider.sql = f"SELECT CAST('{'9' * 38}' AS DECIMAL(38, 0)) * 10 AS x FROM redress_cases"
    assert _replayed(replay, path) == _replayed(Replay(source, str(policy_path), "compiled", 1), path)
    assert replay.notes and "overflow" in replay.notes[0]


def test_replay_and_diff_take_engine_spark_and_a_master(invoke, tmp_path: Path) -> None:
    policy_path = REPO / "policies" / "hardware_store.policy"
    _, path = _case_file(tmp_path, policy_path)
    outputs = []
    for engine in (["--engine", "spark", "--spark-master", MASTER], ["--engine", "compiled"]):
        result = invoke("replay", policy_path, path, "--format", "json", *engine)
        assert result.exit_code == 0, result.stderr
        summary = json.loads(result.stdout)
        outputs.append({key: value for key, value in summary.items() if key not in ("engine", "seconds")})
    assert outputs[0] == outputs[1]
    diff = invoke("diff", policy_path, policy_path, "--cases", path, "--engine", "spark", "--spark-master", MASTER,
                  "--format", "json")
    assert diff.exit_code == 0, diff.stderr
    assert json.loads(diff.stdout)["changed"] == 0


def test_spark_master_without_engine_spark_is_refused(redress, tmp_path: Path) -> None:
    policy_path = REPO / "policies" / "hardware_store.policy"
    cases = REPO / "policies" / "hardware_store.cases.csv"
    for command in (["replay", policy_path, cases], ["diff", policy_path, policy_path, "--cases", cases]):
        result = redress(*command, "--spark-master", "spark://127.0.0.1:7077")
        assert result.returncode == 2 and "--spark-master needs --engine spark" in result.stderr


def test_without_java_spark_says_so(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if key not in ("JAVA_HOME", "SPARK_HOME")}
    environment |= {"JAVA_HOME": str(tmp_path / "no-java"), "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run([sys.executable, "-m", "redress.cli", "replay", str(REPO / "policies" / "hardware_store.policy"),
                             str(REPO / "policies" / "hardware_store.cases.csv"), "--engine", "spark"],
                            capture_output=True, text=True, env=environment, cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "redress: error: cannot start Spark" in result.stderr and "Java" in result.stderr


def test_an_empty_case_file_is_an_empty_replay(tmp_path: Path) -> None:
    from qa.spark_engine import SparkReplay

    policy_path = REPO / "policies" / "hardware_store.policy"
    path = tmp_path / "empty.csv"
    path.write_text("id,situation,price,cost,offered\n", encoding="utf-8")
    source = policy_path.read_text(encoding="utf-8")
    tally, outcomes = _replayed(SparkReplay(source, str(policy_path), MASTER), path)
    assert (tally, outcomes) == _replayed(Replay(source, str(policy_path), "compiled", 1), path)
    assert tally["cases"] == 0


def test_eval_refuses_engine_spark_and_says_what_to_use(invoke) -> None:
    result = invoke("eval", REPO / "policies" / "hardware_store.policy", "--jsonl", "--engine", "spark", stdin="")
    assert result.exit_code == 2 and "replays and diffs" in result.stderr and "--engine duckdb" in result.stderr
