"""`redress test`: policy owners' YAML test files, run as a QA engineer and a CI job would."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import EXAMPLE_POLICY, REPO


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "store.policy").write_bytes(EXAMPLE_POLICY.read_bytes())
    return tmp_path


def write_tests(directory: Path, *bodies: str, name: str = "store.tests.yaml", policy: str = "store.policy") -> Path:
    path = directory / name
    tests = "".join(textwrap.indent(textwrap.dedent(body), "  ") for body in bodies)
    path.write_text(f"policy: {policy}\ntests:\n" + tests, encoding="utf-8")
    return path


PASSING = """\
- name: Missed appointment, $120
  case: {situation: missed_appointment, price: 120, cost: 50}
  expect: {rule: Missed appointment, floor: "30.00", ceiling: 60, open_at: 30.0, approver: supervisor, step: null}
"""

FAILING = """\
- name: Wrong floor on purpose
  case: {situation: missed_appointment, price: 120, cost: 50}
  expect: {rule: Missed appointment, floor: "31.00", approver: supervisor}
"""


# ---------------------------------------------------------------- the sample policies

def test_every_sample_policy_test_passes(redress) -> None:
    result = redress("test", "policies/", cwd=REPO)
    assert result.returncode == 0, result.stdout
    assert "FAILED" not in result.stdout and "ERROR" not in result.stdout
    assert " passed, 0 failed in " in result.stderr


def test_every_sample_policy_test_passes_on_the_compiled_engine(invoke) -> None:
    result = invoke("test", REPO / "policies", "--engine", "compiled", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["failed"] == report["errors"] == 0 and report["passed"] > 0


# ---------------------------------------------------------------- pass, fail, report

def test_a_passing_file(invoke, workdir: Path) -> None:
    path = write_tests(workdir, PASSING)
    result = invoke("test", path)
    assert result.exit_code == 0
    assert f"PASSED Missed appointment, $120  [{path}:3]" in result.stdout
    assert result.stderr.startswith("1 passed, 0 failed in ")


def test_a_failing_expectation_names_key_expected_and_actual(redress, workdir: Path) -> None:
    write_tests(workdir, PASSING, FAILING)
    result = redress("test", ".", cwd=workdir)
    assert result.returncode == 1
    assert "FAILED Wrong floor on purpose" in result.stdout
    assert "floor: expected '31.00', got '30.00'" in result.stdout
    assert result.stderr.startswith("1 passed, 1 failed in ")


def test_json_report(invoke, workdir: Path) -> None:
    path = write_tests(workdir, PASSING, FAILING)
    result = invoke("test", path, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert set(report) == {"passed", "failed", "errors", "tests", "files"}
    assert (report["passed"], report["failed"], report["errors"]) == (1, 1, 0)
    assert [t["status"] for t in report["tests"]] == ["passed", "failed"]
    failed = report["tests"][1]
    assert set(failed) == {"file", "name", "line", "status", "mismatches", "error"}
    assert (failed["file"], failed["name"], failed["line"]) == (str(path), "Wrong floor on purpose", 6)
    assert failed["mismatches"] == [{"key": "floor", "expected": "31.00", "actual": "30.00"}]
    assert report["files"] == [{"file": str(path), "policy": str(workdir / "store.policy"), "error": None}]
    assert result.stderr == ""


def test_coverage_lists_what_no_test_reached(invoke, workdir: Path) -> None:
    path = write_tests(workdir, PASSING)
    result = invoke("test", path, "--coverage")
    assert result.exit_code == 0
    line = next(line for line in result.stdout.splitlines() if "not reached by any test" in line)
    for unreached in ('rule "Broke after warranty"', 'rule "Defective product"', 'entitlement "Warranty replacement"',
                      "route \"Attorney's Office\""):
        assert unreached in line
    assert 'rule "Missed appointment"' not in line

    report = json.loads(invoke("test", path, "--coverage", "--format", "json").stdout)
    assert report["files"][0]["uncovered"] == {
        "rules": ["Broke after warranty, valued customer", "Broke after warranty", "Defective product"],
        "entitlements": ["Warranty replacement"],
        "routes": ["Attorney's Office"],
    }


def test_coverage_counts_only_the_deciding_rule(invoke, workdir: Path) -> None:
    # A valued customer's case also matches "Broke after warranty", but only the first rule decides.
    path = write_tests(workdir, """\
        - name: valued
          case: {situation: broken_after_warranty, price: 100, cost: 40, average_purchase: 1000, purchases_per_year: 1}
          expect: {rule: "Broke after warranty, valued customer"}
        """)
    uncovered = json.loads(invoke("test", path, "--coverage", "--format", "json").stdout)["files"][0]["uncovered"]
    assert "Broke after warranty" in uncovered["rules"]
    assert "Broke after warranty, valued customer" not in uncovered["rules"]


def test_full_coverage(invoke, workdir: Path) -> None:
    path = write_tests(workdir, PASSING, """\
        - name: valued
          case: {situation: broken_after_warranty, price: 100, cost: 40, average_purchase: 1000, purchases_per_year: 1}
          expect: {rule: "Broke after warranty, valued customer"}
        - name: plain
          case: {situation: broken_after_warranty, price: 100, cost: 40}
          expect: {rule: Broke after warranty}
        - name: defective, under warranty, with a lawyer
          case: {situation: defective_product, price: 10, cost: 5, warranty: active, legal_issue: true}
          expect: {rule: Defective product, entitlements: [Warranty replacement], routes: ["Attorney's Office"],
                   extra: {gesture: two movie tickets, up_to: 30}}
        """)
    result = invoke("test", path, "--coverage")
    assert result.exit_code == 0, result.stdout
    assert "coverage: every rule, entitlement and route was reached" in result.stdout


# ---------------------------------------------------------------- expectations

def test_an_unknown_expect_key_is_an_error_with_did_you_mean(invoke, workdir: Path) -> None:
    path = write_tests(workdir, """\
        - name: typo
          case: {situation: missed_appointment, price: 120, cost: 50}
          expect: {flor: "30.00"}
        """)
    result = invoke("test", path)
    assert result.exit_code == 1
    assert "ERROR  typo" in result.stdout
    assert "`flor` is not a decision key; did you mean `floor`?" in result.stdout
    report = json.loads(invoke("test", path, "--format", "json").stdout)
    assert report["errors"] == 1 and report["tests"][0]["status"] == "error"


def test_an_expected_case_error_passes(invoke, workdir: Path) -> None:
    path = write_tests(workdir, """\
        - name: price is required
          case: {situation: missed_appointment, cost: 50}
          expect: {error: {field: price}}
        - name: shorthand
          case: {situation: missed_appointment, cost: 50}
          expect: {error: price}
        - name: message
          case: {situation: missed_appointment, price: 1, cost: 50, warrenty: none}
          expect: {error: {field: warrenty, message: did you mean `warranty`}}
        """)
    result = invoke("test", path)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.count("PASSED") == 3


def test_expected_errors_that_do_not_happen(invoke, workdir: Path) -> None:
    path = write_tests(workdir, """\
        - name: the case is fine
          case: {situation: missed_appointment, price: 120, cost: 50}
          expect: {error: {field: price}}
        - name: another field is wrong
          case: {situation: missed_appointment, price: 120}
          expect: {error: {field: price}}
        """)
    report = json.loads(invoke("test", path, "--format", "json").stdout)
    assert report["failed"] == 2
    assert report["tests"][0]["mismatches"] == [{"key": "error", "expected": {"field": "price"}, "actual": None}]
    assert report["tests"][1]["mismatches"] == [{"key": "error.field", "expected": "price", "actual": "cost"}]


def test_an_unexpected_case_error_is_reported(invoke, workdir: Path) -> None:
    path = write_tests(workdir, """\
        - name: forgot the cost
          case: {situation: missed_appointment, price: 120}
          expect: {rule: Missed appointment}
        """)
    result = invoke("test", path)
    assert result.exit_code == 1
    assert "the case was rejected: missing required field `cost`" in result.stdout


def test_yaml_numbers_are_exact_decimals(invoke, workdir: Path) -> None:
    # As a float, 25% of 100.02 would be 25.00499999... and round down to 25.00.
    path = write_tests(workdir, """\
        - name: exact
          case: {situation: missed_appointment, price: 100.02, cost: 50}
          expect: {floor: 25.01, ceiling: "50.01", open_at: 25.010}
        - name: exact, and wrong on purpose
          case: {situation: missed_appointment, price: 100.02, cost: 50}
          expect: {floor: 25.00}
        """)
    report = json.loads(invoke("test", path, "--format", "json").stdout)
    assert [t["status"] for t in report["tests"]] == ["passed", "failed"]
    assert report["tests"][1]["mismatches"] == [{"key": "floor", "expected": "25.00", "actual": "25.01"}]


def test_notes_lists_and_case_ids(invoke, workdir: Path) -> None:
    path = write_tests(workdir, """\
        - name: sold at a loss
          case: {id: T-9, situation: broken_after_warranty, price: 30, cost: 35}
          expect: {case_id: T-9, floor: 0, ceiling: 0, notes: [raised to $0.00], remedies: [discount]}
        """)
    result = invoke("test", path)
    assert result.exit_code == 0, result.stdout


def test_yaml_values_that_are_not_json_are_reported_not_crashed_on(invoke, workdir: Path) -> None:
    path = write_tests(workdir, """\
        - name: a date where a sentence belongs
          case: {situation: missed_appointment, price: 120, cost: 50}
          expect: {say: 2026-11-23}
        """)
    report = json.loads(invoke("test", path, "--format", "json").stdout)
    assert report["tests"][0]["mismatches"][0]["expected"] == "2026-11-23"


def test_a_malformed_test_entry(invoke, workdir: Path) -> None:
    path = write_tests(workdir, """\
        - name: no expect
          case: {situation: missed_appointment, price: 120, cost: 50}
        - just a string
        """)
    result = invoke("test", path, "--format", "json")
    assert result.exit_code == 1
    assert [t["status"] for t in json.loads(result.stdout)["tests"]] == ["error", "error"]


# ---------------------------------------------------------------- files that cannot be run

def test_a_missing_policy(redress, workdir: Path) -> None:
    write_tests(workdir, PASSING, policy="nowhere.policy")
    result = redress("test", "store.tests.yaml", cwd=workdir)
    assert result.returncode == 2
    assert "store.tests.yaml: cannot read its policy nowhere.policy: No such file or directory" in result.stdout
    assert "1 error in" in result.stderr


def test_a_policy_that_does_not_check(invoke, workdir: Path) -> None:
    policy = workdir / "store.policy"
    policy.write_text(policy.read_text().replace("otherwise escalate to supervisor", "otherwise escalate to superviser"))
    path = write_tests(workdir, PASSING)
    result = invoke("test", path)
    assert result.exit_code == 2
    assert f"its policy {policy} does not check" in result.stdout
    assert "unknown role `superviser`" in result.stdout and "did you mean `supervisor`?" in result.stdout
    report = json.loads(invoke("test", path, "--format", "json").stdout)
    assert report["errors"] == 1 and "does not check" in report["files"][0]["error"]


def test_bad_yaml(invoke, workdir: Path) -> None:
    path = workdir / "bad.tests.yaml"
    path.write_text("policy: store.policy\ntests:\n  - name: x\n    case: {situation: [\n", encoding="utf-8")
    result = invoke("test", path)
    assert result.exit_code == 2
    assert f"{path}:" in result.stdout and "not valid YAML" in result.stdout


@pytest.mark.parametrize("text", ["tests: []\n", "policy: store.policy\n", "- a list\n", ""],
                         ids=["no-policy", "no-tests", "a-list", "empty"])
def test_a_file_that_is_not_a_test_file(invoke, workdir: Path, text: str) -> None:
    path = workdir / "odd.tests.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke("test", path)
    assert result.exit_code == 2
    assert "a test file is a mapping with `policy: FILE` and `tests:`" in result.stdout


def test_files_that_are_not_utf8(invoke, workdir: Path) -> None:
    (workdir / "store.policy").write_bytes(b'policy "caf\xe9"\n')
    write_tests(workdir, PASSING)
    (workdir / "latin1.tests.yaml").write_bytes(b"policy: store.policy\ntests: [caf\xe9]\n")
    result = invoke("test", workdir, "--format", "json")
    assert result.exit_code == 2
    errors = sorted(f["error"] for f in json.loads(result.stdout)["files"])
    assert "not UTF-8" in errors[0] and "not UTF-8" in errors[1]


def test_one_broken_file_does_not_stop_the_others(invoke, workdir: Path) -> None:
    write_tests(workdir, PASSING)
    write_tests(workdir, PASSING, name="other.tests.yaml", policy="missing.policy")
    report = json.loads(invoke("test", workdir, "--format", "json").stdout)
    assert report["passed"] == 1 and report["errors"] == 1


def test_no_test_files_or_a_missing_path(invoke, tmp_path: Path) -> None:
    empty = invoke("test", tmp_path)
    assert empty.exit_code == 2
    assert empty.stderr.strip() == f"redress: error: no test files (*.tests.yaml) under {tmp_path}"
    missing = invoke("test", tmp_path / "nope")
    assert missing.exit_code == 2
    assert missing.stderr.strip() == f"redress: error: {tmp_path / 'nope'}: no such file or directory"
    as_json = invoke("test", tmp_path / "nope", "--format", "json")
    assert as_json.exit_code == 2 and "no such file" in json.loads(as_json.stdout)["error"]["message"]


def test_discovery_is_recursive_and_sorted(invoke, workdir: Path) -> None:
    nested = workdir / "b" / "deeper"
    nested.mkdir(parents=True)
    (nested / "store.policy").write_bytes(EXAMPLE_POLICY.read_bytes())
    write_tests(nested, PASSING)
    write_tests(workdir, PASSING, name="a.tests.yml")
    (workdir / ".hidden").mkdir()
    write_tests(workdir / ".hidden", FAILING, policy="../store.policy")
    report = json.loads(invoke("test", workdir, "--format", "json").stdout)
    assert [Path(f["file"]).relative_to(workdir).as_posix() for f in report["files"]] == [
        "a.tests.yml", "b/deeper/store.tests.yaml"]


def test_an_amount_too_large_to_compute_is_an_error_not_a_crash(invoke, workdir: Path) -> None:
    path = write_tests(workdir, """\
        - name: astronomical
          case: {situation: missed_appointment, price: 1.0e+400, cost: 50}
          expect: {rule: Missed appointment}
        """)
    result = invoke("test", path, "--format", "json")
    assert result.exit_code == 1
    assert "`price` is too large" in json.loads(result.stdout)["tests"][0]["error"]
