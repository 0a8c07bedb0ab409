"""The `redress` command as a policy owner and an agent use it.

The main flows run the real command in a subprocess (exit codes, stdout vs stderr, pipes); the many
small variations go through click's CliRunner, which is fast. Every run asserts that nothing prints a
traceback (see the `redress` and `invoke` fixtures in conftest.py).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE_POLICY

MISSED = {"situation": "missed_appointment", "price": 120, "cost": 50}
MISSED_JSON = json.dumps(MISSED)

# LANGUAGE.md, "Meaning of a decision": the decision for MISSED on the whole-policy example.
# The decision LANGUAGE.md documents for the missed-appointment case, copied from its JSON block.
DOCUMENTED_DECISION = json.loads((Path(__file__).parent / "data" / "language_example_decision.json").read_text(encoding="utf-8"))

# Cases that exercise every rule, the entitlement, the route and the `otherwise` of the example.
VARIED_CASES = [
    MISSED,
    {"id": "A-1", "situation": "broken_after_warranty", "price": "129.95", "cost": 90, "average_purchase": 500,
     "purchases_per_year": 3},
    {"situation": "broken_after_warranty", "price": 100, "cost": 40},
    {"situation": "broken_after_warranty", "price": 30, "cost": 35},
    {"situation": "defective_product", "price": "49.99", "cost": 20, "warranty": "active"},
    {"situation": "wrong_item", "price": 10, "cost": 5, "legal_issue": True},
    {"situation": "missed_appointment", "price": "100.02", "cost": 50, "note": "late"},
]

# A policy with two checker errors: an unknown field (line 34) and an unknown role (line 57).
BROKEN = {
    "when situation is missed_appointment": "when situaton is missed_appointment",
    "otherwise escalate to supervisor": "otherwise escalate to superviser",
}


def expected_decision(policy: Path, **changes) -> dict:
    decision = dict(DOCUMENTED_DECISION, digest="sha256:" + hashlib.sha256(policy.read_bytes()).hexdigest())
    return decision | changes


def broken_policy(directory: Path) -> Path:
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    for good, bad in BROKEN.items():
        assert good in text
        text = text.replace(good, bad)
    path = directory / "broken.policy"
    path.write_text(text, encoding="utf-8")
    return path


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("redress: error: "), stderr
    return lines[0]


def without_digest(decision: dict) -> dict:
    return {key: value for key, value in decision.items() if key != "digest"}


# ================================================================ check

def test_check_a_clean_file(redress) -> None:
    result = redress("check", EXAMPLE_POLICY)
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr.strip() == "1 file checked: no errors"


def test_check_reports_errors_like_a_compiler(redress, tmp_path: Path) -> None:
    policy = broken_policy(tmp_path)
    result = redress("check", policy)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    first = lines.index(f"{policy}:34:8: error: unknown field or let `situaton`")
    assert lines[first + 1].strip() == "34 |   when situaton is missed_appointment"
    caret = lines[first + 2]
    assert re.fullmatch(r" *\| +\^{8}", caret)
    assert caret.index("^") == lines[first + 1].index("situaton")
    assert lines[first + 3].strip() == "= hint: did you mean `situation`?"
    assert f"{policy}:57:23: error: unknown role `superviser`" in lines
    assert "hint: did you mean `supervisor`?" in result.stdout
    assert result.stderr.strip() == "1 file checked: 2 errors"


def test_check_json(invoke, tmp_path: Path) -> None:
    policy = broken_policy(tmp_path)
    result = invoke("check", policy, "--format", "json")
    assert result.exit_code == 1
    diagnostics = json.loads(result.stdout)
    assert isinstance(diagnostics, list) and len(diagnostics) == 2
    for diagnostic in diagnostics:
        assert set(diagnostic) == {"file", "line", "column", "severity", "code", "message", "hint"}
        assert diagnostic["file"] == str(policy) and diagnostic["severity"] == "error"
    assert [(d["line"], d["column"]) for d in diagnostics] == [(34, 8), (57, 23)]
    assert diagnostics[0]["hint"] == "did you mean `situation`?"
    assert result.stderr == ""


def test_check_json_of_a_clean_file_is_an_empty_list(invoke) -> None:
    result = invoke("check", EXAMPLE_POLICY, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_check_a_missing_file(redress, tmp_path: Path) -> None:
    missing = tmp_path / "nope.policy"
    result = redress("check", missing)
    assert result.returncode == 2
    assert result.stdout == ""
    assert str(missing) in one_error_line(result.stderr)


def test_check_several_files(redress, tmp_path: Path) -> None:
    policy = broken_policy(tmp_path)
    result = redress("check", EXAMPLE_POLICY, policy, "--format", "json")
    assert result.returncode == 1
    assert {d["file"] for d in json.loads(result.stdout)} == {str(policy)}
    text = redress("check", EXAMPLE_POLICY, policy)
    assert text.returncode == 1 and text.stderr.strip() == "2 files checked: 2 errors"
    assert str(EXAMPLE_POLICY) not in text.stdout


def test_check_an_unreadable_file_among_good_ones_is_exit_2(invoke, tmp_path: Path) -> None:
    result = invoke("check", EXAMPLE_POLICY, tmp_path / "nope.policy")
    assert result.exit_code == 2
    assert "redress: error: " in result.stderr and "nope.policy" in result.stderr


def test_check_a_file_that_is_not_utf8(invoke, tmp_path: Path) -> None:
    policy = tmp_path / "latin1.policy"
    policy.write_bytes(EXAMPLE_POLICY.read_bytes().replace(b"# what the customer paid", b"# pay\xe9"))
    result = invoke("check", policy)
    assert result.exit_code == 2
    assert "not UTF-8" in one_error_line(result.stderr)


def test_check_needs_a_file(invoke) -> None:
    result = invoke("check")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


# ================================================================ fmt

needs_formatter = pytest.mark.skipif(importlib.util.find_spec("dsl.formatter") is None,
                                     reason="dsl/formatter.py is not written yet")

MESSY = """\
policy   "Hardware store service recovery"
version "2026-11"
currency USD
case
    situation: one of defective_product,broken_after_warranty, missed_appointment, wrong_item
    price:money        # what the customer paid
    cost: money
    warranty: one of active, expired, none = none
    average_purchase: money = $0
    purchases_per_year: number = 0
    legal_issue: bool = false
let profit=price-cost
let yearly_value = average_purchase*purchases_per_year
authority
    clerk up to $50
    supervisor up to $200
    president
route "Attorney's Office" when legal_issue
entitlement "Warranty replacement"
    when warranty is active and situation is defective_product
    at least price
rule "Missed appointment"
    when situation is missed_appointment
    offer no less than 25% of price but no more than 50% of price
    say "We realize you were inconvenienced and would like to extend {offer} to show our sincere apologies."
    follow up within 2 days
rule "Broke after warranty, valued customer"
    when situation is broken_after_warranty and yearly_value >= $1,000
    offer no less than 10% of price but no more than price
    open at 20% of price
    step $10
    remedies discount, replace
rule "Broke after warranty"
    when situation is broken_after_warranty
    offer up to min(profit,15% of price)
    remedies discount
rule "Defective product"
    when situation is defective_product
    offer no less than $0 but no more than price + $25
    extra "two movie tickets" up to $30
otherwise escalate to supervisor
"""

SYNTAX_ERROR = 'policy "x"\nversion "1"\ncurrency USD\ncase\n  price: money\nrule r\n  offer up to price\n'


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    path = tmp_path / "messy.policy"
    path.write_text(MESSY, encoding="utf-8")
    return path


@needs_formatter
def test_fmt_check_finds_an_unformatted_file_and_leaves_it_alone(redress, messy: Path) -> None:
    result = redress("fmt", "--check", messy)
    assert result.returncode == 1
    assert result.stdout.strip() == f"would reformat {messy}"
    assert messy.read_text(encoding="utf-8") == MESSY


@needs_formatter
def test_fmt_check_passes_a_formatted_file(invoke) -> None:
    before = EXAMPLE_POLICY.read_bytes()
    result = invoke("fmt", "--check", EXAMPLE_POLICY)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert EXAMPLE_POLICY.read_bytes() == before


@needs_formatter
def test_fmt_rewrites_the_file_keeping_its_meaning(redress, invoke, messy: Path, tmp_path: Path) -> None:
    original = tmp_path / "original.policy"
    original.write_text(MESSY, encoding="utf-8")
    os.chmod(messy, 0o640)

    result = redress("fmt", messy)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [f"reformatted {messy}", "1 file reformatted"]
    formatted = messy.read_text(encoding="utf-8")
    assert formatted != MESSY
    assert "  price: money  # what the customer paid" in formatted  # comments are kept
    assert os.stat(messy).st_mode & 0o777 == 0o640  # the atomic rewrite keeps permissions
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left behind

    assert invoke("check", messy).exit_code == 0
    assert invoke("fmt", "--check", messy).exit_code == 0  # formatting is idempotent
    for case in VARIED_CASES:
        case = {key: value for key, value in case.items() if key not in ("note", "years_expected")}  # not in MESSY
        before = json.loads(invoke("eval", original, "--case", json.dumps(case), "--explain").stdout)
        after = json.loads(invoke("eval", messy, "--case", json.dumps(case), "--explain").stdout)
        for entry in before["trace"] + after["trace"]:
            entry.pop("line")  # the layout moved the rules, nothing else
        assert without_digest(after) == without_digest(before), case
    schema_before = json.loads(invoke("schema", original).stdout)
    schema_after = json.loads(invoke("schema", messy).stdout)
    assert {k: v for k, v in schema_after.items() if k != "$id"} == {k: v for k, v in schema_before.items() if k != "$id"}


@needs_formatter
def test_fmt_stdin_to_stdout(redress, messy: Path) -> None:
    result = redress("fmt", "-", stdin=MESSY)
    assert result.returncode == 0
    assert result.stderr == ""
    assert redress("fmt", messy).returncode == 0
    assert result.stdout == messy.read_text(encoding="utf-8")


@needs_formatter
def test_fmt_stdin_check(invoke) -> None:
    assert invoke("fmt", "--check", "-", stdin=MESSY).exit_code == 1
    formatted = invoke("fmt", "-", stdin=MESSY).stdout
    result = invoke("fmt", "--check", "-", stdin=formatted)
    assert result.exit_code == 0 and result.stdout == ""


@needs_formatter
def test_fmt_a_syntax_error_exits_2_with_diagnostics(redress, tmp_path: Path) -> None:
    path = tmp_path / "syntax.policy"
    path.write_text(SYNTAX_ERROR, encoding="utf-8")
    result = redress("fmt", path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{path}:6:6: error:" in result.stderr
    assert "^" in result.stderr and "hint:" in result.stderr
    assert path.read_text(encoding="utf-8") == SYNTAX_ERROR


@needs_formatter
def test_fmt_stdin_with_a_syntax_error(invoke) -> None:
    result = invoke("fmt", "-", stdin=SYNTAX_ERROR)
    assert result.exit_code == 2
    assert "<stdin>:6:6: error:" in result.stderr
    assert result.stdout == ""


@needs_formatter
def test_fmt_json(invoke, messy: Path) -> None:
    result = invoke("fmt", "--check", "--format", "json", messy, EXAMPLE_POLICY)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"changed": [str(messy)], "unchanged": [str(EXAMPLE_POLICY)], "check": True}


@needs_formatter
def test_fmt_a_missing_file(invoke, tmp_path: Path) -> None:
    result = invoke("fmt", tmp_path / "nope.policy")
    assert result.exit_code == 2
    assert "nope.policy" in one_error_line(result.stderr)


# ================================================================ eval: the main flows

def test_eval_gives_the_documented_decision(redress, example_policy: Path) -> None:
    result = redress("eval", example_policy, "--case", MISSED_JSON)
    assert result.returncode == 0
    assert result.stderr == ""
    decision = json.loads(result.stdout)
    assert decision == expected_decision(example_policy)
    assert list(decision) == list(DOCUMENTED_DECISION)  # keys always present, in the documented order


def test_eval_case_from_stdin(redress, example_policy: Path) -> None:
    result = redress("eval", example_policy, "--case", "-", stdin=MISSED_JSON)
    assert result.returncode == 0
    assert json.loads(result.stdout) == expected_decision(example_policy)


def test_eval_case_from_a_file(invoke, example_policy: Path, tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(MISSED | {"id": 7}, indent=2), encoding="utf-8")
    result = invoke("eval", example_policy, "--case", f"@{case}")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == expected_decision(example_policy, case_id=7)


def test_eval_explain_adds_a_trace(invoke, example_policy: Path) -> None:
    result = invoke("eval", example_policy, "--case", MISSED_JSON, "--explain")
    assert result.exit_code == 0
    decision = json.loads(result.stdout)
    trace = decision.pop("trace")
    assert decision == expected_decision(example_policy)
    source = example_policy.read_text(encoding="utf-8").splitlines()
    kinds = {"rule": "rule", "entitlement": "entitlement", "route": "route"}
    for entry in trace:
        assert {"kind", "name", "line", "matched", "values"} <= set(entry)
        assert source[entry["line"] - 1].startswith(f'{kinds[entry["kind"]]} "{entry["name"]}"')
    names = [(e["kind"], e["name"]) for e in trace]
    assert ("route", "Attorney's Office") in names and ("entitlement", "Warranty replacement") in names
    assert [e["name"] for e in trace if e["kind"] == "rule"] == [
        "Missed appointment", "Broke after warranty, valued customer", "Broke after warranty", "Defective product"]
    first = trace[names.index(("rule", "Missed appointment"))]
    assert first["matched"] is True and first["decides"] is True
    assert first["values"] == {"situation": "missed_appointment"}
    valued = trace[names.index(("rule", "Broke after warranty, valued customer"))]
    assert valued["matched"] is False and valued["values"]["yearly_value"] == "0"


@pytest.mark.parametrize("case", VARIED_CASES, ids=lambda case: case["situation"])
def test_the_compiled_engine_decides_the_same(invoke, case: dict) -> None:
    durable = invoke("eval", EXAMPLE_POLICY, "--case", json.dumps(case), "--explain")
    compiled = invoke("eval", EXAMPLE_POLICY, "--case", json.dumps(case), "--explain", "--engine", "compiled")
    assert durable.exit_code == compiled.exit_code == 0
    assert json.loads(compiled.stdout) == json.loads(durable.stdout)


def test_eval_compiled_in_a_subprocess(redress, example_policy: Path) -> None:
    result = redress("eval", example_policy, "--case", MISSED_JSON, "--engine", "compiled")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout) == expected_decision(example_policy)


def test_eval_text_is_a_readable_summary(redress) -> None:
    result = redress("eval", EXAMPLE_POLICY, "--case", MISSED_JSON, "--format", "text")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "Rule:         Missed appointment",
        "Range:        $30.00 to $60.00, open at $30.00",
        "Approver:     supervisor",
        "Say:          We realize you were inconvenienced and would like to extend $30.00 to show our sincere apologies.",
        "Follow up:    2 days",
    ]


def test_eval_text_of_a_richer_decision(invoke) -> None:
    case = {"situation": "defective_product", "price": 10, "cost": 5, "warranty": "active", "legal_issue": True}
    result = invoke("eval", EXAMPLE_POLICY, "--case", json.dumps(case), "--format", "text")
    assert result.exit_code == 0
    text = result.stdout
    assert "Rule:         Defective product" in text
    assert "Range:        $10.00 to $35.00" in text
    assert "Remedies:     repair, replace, exchange, refund" in text
    assert "Routes:       Attorney's Office" in text
    assert "Entitlements: Warranty replacement" in text
    assert "Extra:        two movie tickets (up to $30.00)" in text


def test_eval_text_when_no_rule_matches(invoke) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--case", '{"situation": "wrong_item", "price": 1, "cost": 1}',
                    "--format", "text")
    assert result.stdout.splitlines() == ["Rule:         (no guideline matches)", "Escalate to:  supervisor"]


def test_eval_no_rule_matches(invoke) -> None:
    decision = json.loads(invoke("eval", EXAMPLE_POLICY, "--case", '{"situation": "wrong_item", "price": 1, "cost": 1}').stdout)
    assert decision["rule"] is None and decision["escalate_to"] == "supervisor"
    assert decision["floor"] is decision["ceiling"] is decision["open_at"] is decision["approver"] is None


# ================================================================ eval: exact amounts

@pytest.mark.parametrize("price", ["100.02", '"100.02"'])
def test_amounts_stay_exact(invoke, price: str) -> None:
    case = '{"situation": "missed_appointment", "price": %s, "cost": 50}' % price
    decision = json.loads(invoke("eval", EXAMPLE_POLICY, "--case", case).stdout)
    # 25% of 100.02 is 25.005 exactly, rounded half-up to 25.01 (a float would give 25.00499...)
    assert (decision["floor"], decision["ceiling"], decision["open_at"]) == ("25.01", "50.01", "25.01")
    assert "$25.01" in decision["say"]


def test_amounts_stay_exact_on_the_jsonl_path(invoke) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--jsonl", stdin='{"situation": "missed_appointment", "price": 100.02, "cost": 50}\n')
    assert json.loads(result.stdout)["floor"] == "25.01"


def test_a_derived_amount_below_zero_is_clamped_with_a_note(invoke) -> None:
    case = {"situation": "broken_after_warranty", "price": 30, "cost": 35}
    decision = json.loads(invoke("eval", EXAMPLE_POLICY, "--case", json.dumps(case)).stdout)
    assert (decision["floor"], decision["ceiling"]) == ("0.00", "0.00")
    assert decision["notes"]


# ================================================================ eval: bad cases

BAD_CASES = [
    pytest.param({"situation": "missed_appointment", "price": 120}, "cost", "missing", id="missing-required"),
    pytest.param(MISSED | {"situation": "missed_appointmen"}, "situation", "missed_appointment", id="unknown-enum-value"),
    pytest.param(MISSED | {"price": "lots"}, "price", "amount", id="wrong-type-money"),
    pytest.param(MISSED | {"legal_issue": "maybe"}, "legal_issue", "true or false", id="wrong-type-bool"),
    pytest.param(MISSED | {"note": 5}, "note", "text", id="wrong-type-text"),
    pytest.param(MISSED | {"warrenty": "active"}, "warrenty", "did you mean `warranty`", id="unknown-key"),
    pytest.param(MISSED | {"price": "1e5"}, "price", "amount", id="exponent-string"),
]


@pytest.mark.parametrize(("case", "field", "words"), BAD_CASES)
def test_a_bad_case_is_one_line_on_stderr(invoke, case: dict, field: str, words: str) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--case", json.dumps(case))
    assert result.exit_code == 2
    assert result.stdout == ""
    line = one_error_line(result.stderr)
    assert f"`{field}`" in line and words in line


@pytest.mark.parametrize(("case", "field", "words"), BAD_CASES)
def test_a_bad_case_as_json(invoke, case: dict, field: str, words: str) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--case", json.dumps(case), "--format", "json")
    assert result.exit_code == 2
    assert result.stderr == ""
    error = json.loads(result.stdout)["error"]
    assert {"field", "message", "expected"} <= set(error)
    assert error["field"] == field and words in error["message"] and error["expected"]


def test_a_bad_case_in_a_subprocess(redress) -> None:
    result = redress("eval", EXAMPLE_POLICY, "--case", json.dumps(MISSED | {"warrenty": "active"}))
    assert result.returncode == 2 and result.stdout == ""
    assert one_error_line(result.stderr) == (
        "redress: error: case: unknown field `warrenty`; did you mean `warranty`? (expected one of the case fields: "
        "situation, price, cost, warranty, average_purchase, purchases_per_year, years_expected, legal_issue, note)")
    as_json = redress("eval", EXAMPLE_POLICY, "--case", json.dumps(MISSED | {"warrenty": "active"}), "--format", "json")
    assert as_json.returncode == 2 and as_json.stderr == ""
    assert json.loads(as_json.stdout)["error"]["field"] == "warrenty"


@pytest.mark.parametrize("text", ['{"situation": ', "[1, 2]", "NaN", '{"price": Infinity}', "", "[" * 100_000],
                         ids=["truncated", "not-an-object", "nan", "infinity", "empty", "deeply-nested"])
def test_malformed_case_json(invoke, text: str) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--case", text)
    assert result.exit_code == 2
    assert result.stdout == ""
    one_error_line(result.stderr)
    as_json = invoke("eval", EXAMPLE_POLICY, "--case", text, "--format", "json")
    assert as_json.exit_code == 2
    error = json.loads(as_json.stdout)["error"]
    assert {"field", "message", "expected"} <= set(error) and error["field"] is None


def test_malformed_case_json_names_the_spot(invoke) -> None:
    line = one_error_line(invoke("eval", EXAMPLE_POLICY, "--case", '{"situation": "x",\n "price": }').stderr)
    assert "--case: invalid JSON at line 2 column 11" in line


def test_an_amount_too_large_to_compute_is_a_bad_case(invoke) -> None:
    case = '{"situation": "missed_appointment", "price": 1e400, "cost": 1}'
    for engine in ("durable", "compiled"):
        result = invoke("eval", EXAMPLE_POLICY, "--case", case, "--engine", engine)
        assert result.exit_code == 2
        assert "too large" in one_error_line(result.stderr)


def test_eval_case_file_missing(invoke, tmp_path: Path) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--case", f"@{tmp_path / 'case.json'}")
    assert result.exit_code == 2
    assert "case.json: no such file" in one_error_line(result.stderr)


def test_eval_case_file_not_utf8(invoke, tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_bytes(b'{"note": "caf\xe9"}')
    assert "not UTF-8" in one_error_line(invoke("eval", EXAMPLE_POLICY, "--case", f"@{case}").stderr)


def test_eval_a_missing_policy(invoke, tmp_path: Path) -> None:
    result = invoke("eval", tmp_path / "nope.policy", "--case", MISSED_JSON)
    assert result.exit_code == 2
    assert "nope.policy: no such file" in one_error_line(result.stderr)
    as_json = invoke("eval", tmp_path / "nope.policy", "--case", MISSED_JSON, "--format", "json")
    assert as_json.exit_code == 2 and "nope.policy" in json.loads(as_json.stdout)["error"]["message"]


def test_eval_a_policy_that_does_not_check(redress, tmp_path: Path) -> None:
    policy = broken_policy(tmp_path)
    result = redress("eval", policy, "--case", MISSED_JSON)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"redress: error: {policy} does not check (2 errors)")
    assert f"{policy}:34:8: error: unknown field or let `situaton`" in result.stderr
    assert "hint: did you mean `supervisor`?" in result.stderr


def test_eval_a_policy_that_does_not_check_as_json(invoke, tmp_path: Path) -> None:
    policy = broken_policy(tmp_path)
    for args in (("--case", MISSED_JSON), ("--jsonl",)):
        result = invoke("eval", policy, *args, "--format", "json", stdin=MISSED_JSON + "\n")
        assert result.exit_code == 2
        error = json.loads(result.stdout)["error"]
        assert [(d["line"], d["code"]) for d in error["diagnostics"]] == [(34, "unknown-name"), (57, "unknown-role")]


@pytest.mark.parametrize("args", [(), ("--case", MISSED_JSON, "--jsonl")], ids=["neither", "both"])
def test_eval_needs_exactly_one_of_case_and_jsonl(invoke, args: tuple) -> None:
    result = invoke("eval", EXAMPLE_POLICY, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "give exactly one of --case or --jsonl" in result.stderr


def test_eval_usage_errors(invoke) -> None:
    assert invoke("eval", EXAMPLE_POLICY, "--case", MISSED_JSON, "--engine", "fast").exit_code == 2
    assert invoke("eval", EXAMPLE_POLICY, "--case", MISSED_JSON, "--format", "xml").exit_code == 2
    assert invoke("eval", "--case", MISSED_JSON).exit_code == 2


# ================================================================ eval --jsonl

JSONL_LINES = [
    json.dumps({"id": "c1"} | MISSED),
    json.dumps({"id": "c2", "situation": "bogus", "price": 1, "cost": 1}),
    "this is not json",
    "",
    json.dumps({"id": 5, "situation": "defective_product", "price": 10, "cost": 5, "warranty": "active"}),
    json.dumps({"id": "c6", "situation": "missed_appointment", "price": 120}),
    "[1]",
    json.dumps({"situation": "missed_appointment", "price": 100.02, "cost": 50}),
]


def test_jsonl_one_line_out_per_line_in(redress, example_policy: Path) -> None:
    result = redress("eval", example_policy, "--jsonl", stdin="\n".join(JSONL_LINES) + "\n")
    assert result.returncode == 2
    out = result.stdout.splitlines()
    assert len(out) == len(JSONL_LINES)
    records = [json.loads(line) for line in out]
    assert records[0] == expected_decision(example_policy, case_id="c1")
    assert records[1] == {"case_id": "c2", "line": 2, "error": {
        "field": "situation", "message": "`situation` cannot be 'bogus'",
        "expected": "one of defective_product, broken_after_warranty, missed_appointment, wrong_item"}}
    assert records[2]["line"] == 3 and records[2]["case_id"] is None and records[2]["error"]["field"] is None
    assert records[3]["line"] == 4 and records[3]["error"]["message"] == "empty line"
    assert (records[4]["case_id"], records[4]["floor"], records[4]["entitlements"]) == (5, "10.00", ["Warranty replacement"])
    assert records[5] == {"case_id": "c6", "line": 6, "error": {
        "field": "cost", "message": "missing required field `cost`", "expected": records[5]["error"]["expected"]}}
    assert records[6]["line"] == 7 and records[6]["error"]["field"] is None
    assert records[7]["floor"] == "25.01"
    assert result.stderr.strip() == 'redress: 5 of 8 lines were not valid cases (see their "error" objects)'


def test_jsonl_all_good_is_exit_0(invoke) -> None:
    lines = [json.dumps(case) for case in VARIED_CASES]
    for engine in ("durable", "compiled"):
        result = invoke("eval", EXAMPLE_POLICY, "--jsonl", "--engine", engine, stdin="\n".join(lines) + "\n")
        assert result.exit_code == 0 and result.stderr == ""
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert [r["case_id"] for r in records] == [case.get("id") for case in VARIED_CASES]
        singles = [json.loads(invoke("eval", EXAMPLE_POLICY, "--case", line).stdout) for line in lines]
        assert records == singles


def test_jsonl_lines_are_compact_and_explainable(invoke) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--jsonl", "--explain", stdin=MISSED_JSON + "\n" + MISSED_JSON)
    assert result.exit_code == 0
    out = result.stdout.splitlines()
    assert len(out) == 2 and all("trace" in json.loads(line) for line in out)


def test_jsonl_empty_stdin(invoke) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--jsonl", stdin="")
    assert result.exit_code == 0 and result.stdout == ""


def test_jsonl_with_a_closed_pipe_exits_quietly(example_policy: Path, tmp_path: Path) -> None:
    """`redress eval POLICY --jsonl < many.jsonl | head -1`"""
    cases = tmp_path / "many.jsonl"
    cases.write_text("".join(json.dumps({"id": i} | MISSED) + "\n" for i in range(20_000)), encoding="utf-8")
    with cases.open("rb") as stdin:
        process = subprocess.Popen([sys.executable, "-m", "redress.cli", "eval", str(example_policy), "--jsonl"],
                                   stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = process.stdout.readline()
        process.stdout.close()  # what `head -1` does after its line
        stderr = process.stderr.read().decode()
        process.stderr.close()
        returncode = process.wait(timeout=60)
    assert json.loads(first)["case_id"] == 0
    assert stderr == ""
    assert returncode == 0


def test_jsonl_through_a_real_shell_pipe(example_policy: Path, tmp_path: Path) -> None:
    cases = tmp_path / "many.jsonl"
    cases.write_text((MISSED_JSON + "\n") * 20_000, encoding="utf-8")
    command = f'"{sys.executable}" -m redress.cli eval "{example_policy}" --jsonl < "{cases}" | head -1'
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == ""


# ================================================================ schema

@pytest.fixture(scope="module")
def case_schema() -> dict:
    result = subprocess.run([sys.executable, "-m", "redress.cli", "schema", str(EXAMPLE_POLICY)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return json.loads(result.stdout)


def test_schema_is_a_2020_12_json_schema(case_schema: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    assert case_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(case_schema)
    assert set(case_schema["required"]) == {"situation", "price", "cost"}
    assert case_schema["additionalProperties"] is False
    # A field with a default may also be sent as null, which means "use the default".
    assert case_schema["properties"]["warranty"]["enum"] == ["active", "expired", "none", None]
    assert case_schema["properties"]["warranty"]["default"] == "none"
    assert case_schema["$id"].endswith(hashlib.sha256(EXAMPLE_POLICY.read_bytes()).hexdigest())


GOOD_FOR_SCHEMA = VARIED_CASES + [
    {"id": 12, "situation": "wrong_item", "price": "0.5", "cost": ".25", "years_expected": 3, "note": ""},
]
BAD_FOR_SCHEMA = [
    MISSED | {"warrenty": "active"},
    MISSED | {"situation": "missed_appointmen"},
    {"situation": "missed_appointment", "cost": 50},
    MISSED | {"price": "lots"},
    MISSED | {"price": "1e5"},
    MISSED | {"legal_issue": "maybe"},
    MISSED | {"note": 5},
]


@pytest.mark.parametrize("case", GOOD_FOR_SCHEMA)
def test_good_cases_pass_the_schema_and_eval(invoke, case_schema: dict, case: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(case_schema).validate(case)
    assert invoke("eval", EXAMPLE_POLICY, "--case", json.dumps(case)).exit_code == 0


@pytest.mark.parametrize("case", BAD_FOR_SCHEMA)
def test_bad_cases_fail_the_schema_and_eval(invoke, case_schema: dict, case: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    assert list(jsonschema.Draft202012Validator(case_schema).iter_errors(case))
    assert invoke("eval", EXAMPLE_POLICY, "--case", json.dumps(case)).exit_code == 2


def test_schema_of_a_missing_or_broken_policy(invoke, tmp_path: Path) -> None:
    result = invoke("schema", tmp_path / "nope.policy")
    assert result.exit_code == 2 and result.stdout == ""
    assert "nope.policy: no such file" in one_error_line(result.stderr)
    broken = invoke("schema", broken_policy(tmp_path))
    assert broken.exit_code == 2 and broken.stdout == ""
    assert "does not check" in broken.stderr


def test_every_sample_policy_has_a_valid_schema(invoke) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    policies = sorted((Path(__file__).resolve().parents[1] / "policies").glob("*.policy"))
    for policy in policies:
        result = invoke("schema", policy)
        assert result.exit_code == 0, result.stderr
        jsonschema.Draft202012Validator.check_schema(json.loads(result.stdout))


# ================================================================ help and version

COMMANDS = ["check", "fmt", "eval", "schema", "test"]


def registered_commands() -> list[str]:
    from redress.cli import cli

    return sorted(cli.commands)


@pytest.mark.parametrize("command", registered_commands())
def test_every_command_has_help(invoke, command: str) -> None:
    for flag in ("--help", "-h"):
        result = invoke(command, flag)
        assert result.exit_code == 0
        assert result.stdout.startswith(f"Usage: redress {command} ")
        assert result.stderr == ""


def test_top_level_help_lists_the_commands_and_exit_codes(invoke) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command
    assert "Exit codes" in result.stdout


def test_version_from_the_installed_script() -> None:
    script = Path(sys.executable).with_name("redress")
    if not script.exists():
        pytest.skip("the `redress` script is not installed next to this Python")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"redress, version {importlib.metadata.version('redress')}"
    assert result.stderr == ""


def test_an_unknown_command(invoke) -> None:
    result = invoke("evaluate")
    assert result.exit_code == 2
    assert "No such command" in result.stderr


# ================================================================ never a traceback

def test_hostile_inputs_never_print_a_traceback(redress, tmp_path: Path) -> None:
    not_utf8 = tmp_path / "binary.policy"
    not_utf8.write_bytes(b"\xff\xfe\x00policy")
    cases = [
        (("eval", EXAMPLE_POLICY, "--case", "-"), b"\xff\xfe"),
        (("eval", EXAMPLE_POLICY, "--jsonl"), b'{"price": 1}\n\xff\xfe\n' + b"[" * 100_000 + b"\n"),
        (("eval", not_utf8, "--case", MISSED_JSON), None),
        (("eval", tmp_path, "--case", MISSED_JSON), None),
        (("check", not_utf8), None),
        (("schema", not_utf8), None),
        (("fmt", not_utf8), None),
    ]
    for args, stdin in cases:
        result = redress(*args, stdin=stdin if stdin is not None else b"")
        assert result.returncode == 2, (args, result.stderr)
