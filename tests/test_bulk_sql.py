"""The SQL engine (a policy compiled to one DuckDB query) against the compiled engine, field by field.

Every sample policy, the LANGUAGE.md example and random policies (the generators of
test_differential.py, concentrated at every constant a condition compares with, with odd texts,
extreme and malformed numbers and omitted fields) are decided both ways; the decision JSON must be
the same to the byte, and an invalid case must come back with the same reason. The replay and diff
tallies, the `--out` and `--rejects` files and `eval --jsonl` output must be identical through the
real CLI, whichever engine is chosen.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsl.checker import check_file, check_source
from engine.cases import CaseError
from engine.decide import load_engine
from engine.decision import Decision
from engine.sql import NotExact, compile_policy
from qa.bulk import BulkReplay, sql_refusal
from qa.bulk_diff import BulkDiff
from qa.bulk_eval import BulkDecider
from qa.casefiles import open_cases
from qa.diff import BehaviourDiff, CaseDiff, change_json
from test_diff import FIELD_EDITS, RESTAURANT, RESTAURANT_CASES, edited
from qa.replay import Replay, Tally
from test_differential import EXAMPLE, POLICY_FILES, CaseGenerator, small_policies

CASES_PER_POLICY = 3_000
REPO = Path(__file__).resolve().parents[1]


def _policy(path: Path):
    result = check_file(str(path))
    assert result.ok
    return result.policy


def _compiled_json(engine, raw) -> str | dict:
    """The compiled engine's decision as `eval` prints it from `"rule"` on, or its error."""
    try:
        data = engine.decide(raw).to_json()
    except CaseError as error:
        return error.to_json()
    for key in ("policy", "version", "digest", "case_id"):
        del data[key]
    return json.dumps(data, ensure_ascii=False)[1:]


def _sql_json(result) -> str | dict:
    if isinstance(result, CaseError):
        return result.to_json()
    if isinstance(result, Decision):
        data = result.to_json()
        for key in ("policy", "version", "digest", "case_id"):
            del data[key]
        return json.dumps(data, ensure_ascii=False)[1:]
    return result


def assert_sql_agrees(policy, cases: list) -> int:
    """Decide `cases` both ways; returns how many the SQL query itself decided."""
    compiled = load_engine(policy, "compiled")
    results = BulkDecider(policy).decide(cases)
    by_sql = sum(isinstance(result, str) for result in results)
    for case, result in zip(cases, results):
        assert _sql_json(result) == _compiled_json(compiled, case), f"case {case!r}"
    return by_sql


@pytest.mark.parametrize("path", [EXAMPLE, *POLICY_FILES], ids=lambda path: path.name)
def test_generated_cases_agree_to_the_byte(path):
    policy = _policy(path)
    generator = CaseGenerator(policy, seed=3)
    cases = [generator.case() for _ in range(CASES_PER_POLICY)]
    by_sql = assert_sql_agrees(policy, cases)
    assert by_sql >= 200, "the SQL query decided too few cases for the test to mean anything"


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda path: path.name)
def test_sample_case_files_agree(path):
    policy = _policy(path)
    with open_cases(str(path.with_suffix(".cases.csv"))) as case_file:
        cases = [{k: v for k, v in row.data.items() if k != "offered"} for row in case_file.rows()]
    assert assert_sql_agrees(policy, cases) == len(cases)  # plain case files never need the compiled engine


def test_invalid_cases_keep_their_reasons():
    policy = _policy(EXAMPLE)
    field = policy.fields[0]
    cases = [[1], "text", None, {}, {"nonsense": 1}, {field.name: None}, {field.name: [1]}, {field.name: {"a": 1}},
             {field.name: 1.5}, {field.name: True}, {field.name: "12.5e3"}, {field.name: "x" * 100}]
    results = BulkDecider(policy).decide(cases)
    assert all(isinstance(result, CaseError) for result in results[:5])
    assert_sql_agrees(policy, cases)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(source=small_policies(), seed=st.integers(0, 2**32))
def test_random_policies_agree_or_are_refused_with_a_reason(source, seed):
    result = check_source(source, "random.policy")
    assume(result.ok)
    policy = result.policy
    reason = sql_refusal(policy)
    if "a / n" in source:  # a quotient Python rounds to 50 digits: SQL must refuse, not guess
        assert reason is not None and "divides by a value that changes" in reason
        return
    assert reason is None, reason
    generator = CaseGenerator(policy, seed)
    assert_sql_agrees(policy, [generator.case() for _ in range(40)])


BOUNDARY_POLICY = """policy "Boundaries"
version "1"
currency USD

case
  amount: money
  count: integer = 0
  rate: number = 1

let quarter = amount / 4
let scaled = amount * rate

authority
  clerk up to $10.005
  boss

rule "At the line"
  when amount >= $100.005 and count > 2
  offer no less than quarter but no more than scaled
  open at $1,000,000
  step 5% of amount

rule "Below"
  when amount < -$0.005 or count == 7
  offer up to amount
  open at -$3

rule "Rest"
  offer exactly amount / 8
  say "You get {offer} of {amount}, step {step}, count {count}, rate {rate}."
"""


def test_boundary_cases_round_half_up_and_clamp_like_the_compiled_engine():
    policy = check_source(BOUNDARY_POLICY, "boundaries.policy").policy
    cases = []
    for amount in ("100.005", "100.004", "100.006", "-0.005", "-0.004", "-0.006", "0.005", "0.004", "40.02", "40.06",
                   "1234567.125", "-1234567.125", "999999999", "0", "-0", "00012.50", ".5", "5.", "+7"):
        for count in (2, 3, 7, "03"):
            for rate in ("1", "0.5", "2.25", "-1"):
                cases.append({"amount": amount, "count": count, "rate": rate})
    assert assert_sql_agrees(policy, cases) > len(cases) // 2


def test_what_sql_cannot_compute_exactly_is_refused_with_the_reason():
    source = BOUNDARY_POLICY.replace("amount / 4", "amount / 3")
    with pytest.raises(NotExact, match="divides by 3"):
        compile_policy(check_source(source, "thirds.policy").policy)
    source = BOUNDARY_POLICY.replace("amount / 4", "amount / rate")
    with pytest.raises(NotExact, match="changes from case to case"):
        compile_policy(check_source(source, "ratio.policy").policy)


def test_the_query_is_exact_decimal_never_double():
    policy = check_source(BOUNDARY_POLICY, "boundaries.policy").policy
    text = compile_policy(policy).sql().upper()
    assert "DECIMAL" in text and "DOUBLE" not in text and "FLOAT" not in text and " / " not in text


# ---------------------------------------------------------------- replay, diff and eval through the CLI

MESSY_ROWS = """X1,defective_product,68.00,36.65,,153.00,1,1077.00,133.99,,31,,,false,abc
X2,defective_product,68.001,36.65,,153.00,1,1077.00,133.99,,31,,,false,
X3,defective_product,1e2,36.65,,153.00,1,1077.00,133.99,,31,,,false,5
X4,defektive_product,68,36.65,,153.00,1,1077.00,133.99,,31,,,false,5
X5,defective_product,68,,,153.00,1,1077.00,133.99,,31,,,false,5
X6,defective_product,68,36.65
X7,wrong_item,68,36.65,,153.00,1,1077.00,133.99,,31,,,yes, 5.5
X8,wrong_item,-68,36.65,,153.00,1,1077.00,133.99,,31,,,TRUE,100.123
X9,wrong_item,9999999999999999,36.65,,153.00,1,1077.00,133.99,,31,,,true,100.123
X10,wrong_item, 12 ,36.65,,153.00,1,1077.00,133.99,,31,,,true,100.1234567
X11,wrong_item,68,36.65,,153.00,1,1077.00,133.99,,31,,,true,100,extra
"""


@pytest.fixture(scope="module")
def case_files(tmp_path_factory) -> dict[str, Path]:
    """The hardware store's sample cases with invalid rows among them, as plain CSV, quoted CSV,
    JSON Lines and Parquet."""
    folder = tmp_path_factory.mktemp("cases")
    sample = (REPO / "policies" / "hardware_store.cases.csv").read_text().splitlines()
    plain = "\n".join([*sample[:400], MESSY_ROWS.rstrip("\n"), *sample[400:800]]) + "\n"
    files = {"plain.csv": plain, "quoted.csv": plain.replace(",false,", ',"false",')}
    for name, text in files.items():
        (folder / name).write_text(text)
    from qa.casewriters import write_cases

    with open_cases(str(folder / "plain.csv")) as case_file:
        rows = [row.data for row in case_file.rows() if row.data]
    write_cases(iter(rows), str(folder / "cases.jsonl"), "jsonl")
    write_cases(iter(rows), str(folder / "cases.parquet"), "parquet")
    write_cases(iter(rows), str(folder / "cases.arrow"), "arrow")
    _write_typed_arrow(rows, folder / "typed.arrows")
    return {name: folder / name for name in ("plain.csv", "quoted.csv", "cases.jsonl", "cases.parquet", "cases.arrow",
                                             "typed.arrows")}


def _write_typed_arrow(rows: list[dict], path: Path) -> None:
    """The rows as an Arrow IPC stream of typed columns (DECIMAL amounts, integers, BOOLEAN flags) in
    record batches of 97 rows; a cell its type cannot hold (`-68.5` as an integer, `maybe` as a
    flag) is NULL, and two amounts are kept as text to carry what the reader refuses."""
    import pyarrow as pa

    def typed(value, kind):
        try:
            return {"money": lambda v: Decimal(v), "int": lambda v: int(v), "bool": lambda v: {"true": True, "false": False}[v.lower()]}[kind](value)
        except (KeyError, ValueError, ArithmeticError):
            return None

    kinds = {"price": "money", "cost": "money", "miles_driven": "int", "purchases_per_year": "int", "legal_issue": "bool",
             "shipping_issue": "bool"}
    columns = list(dict.fromkeys(key for row in rows for key in row))
    arrays = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        if kinds.get(column) == "money":
            arrays[column] = pa.array([None if v is None else typed(v, "money") for v in values], pa.decimal128(20, 4))
        elif column in kinds:
            arrays[column] = pa.array([None if v is None else typed(v, kinds[column]) for v in values],
                                      pa.int64() if kinds[column] == "int" else pa.bool_())
        else:
            arrays[column] = pa.array(values, pa.string())
    table = pa.table(arrays)
    with pa.ipc.new_stream(str(path), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=97):
            writer.write_batch(batch)


def _cli(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "redress.cli", *map(str, args)], input=stdin, capture_output=True,
                            cwd=REPO, timeout=120)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def _without_timing(output: bytes) -> dict:
    report = json.loads(output)
    for key in ("seconds", "engine"):
        report.pop(key, None)
    return report


@pytest.mark.parametrize("name", ["plain.csv", "quoted.csv", "cases.jsonl", "cases.parquet", "cases.arrow", "typed.arrows"])
def test_replay_reports_and_files_are_identical_across_engines(case_files, name, tmp_path):
    policy = REPO / "policies" / "hardware_store.policy"
    outputs = {}
    for engine in ("duckdb", "compiled"):
        out, rejects = tmp_path / f"{engine}.out.csv", tmp_path / f"{engine}.rejects.csv"
        result = _cli("replay", policy, case_files[name], "--engine", engine, "--format", "json", "--out", out,
                      "--rejects", rejects)
        assert result.returncode == 0, result.stderr.decode()
        outputs[engine] = (_without_timing(result.stdout), out.read_bytes(), rejects.read_bytes(), result.stderr)
    assert outputs["duckdb"] == outputs["compiled"]
    report = outputs["duckdb"][0]
    assert report["cases"] == sum(report["status"].values()) and report["status"]["invalid"] >= 5  # 7 in the CSVs; the unreadable rows are not in the others
    text = {engine: _cli("replay", policy, case_files[name], "--engine", engine).stdout for engine in ("duckdb", "compiled")}
    assert text["duckdb"] == text["compiled"]


@pytest.mark.parametrize("name", ["plain.csv", "cases.jsonl", "cases.parquet", "typed.arrows"])
def test_case_diffs_are_identical_across_engines(case_files, name, tmp_path):
    old = REPO / "policies" / "hardware_store.policy"
    new = tmp_path / "changed.policy"
    new.write_text(old.read_text().replace("offer up to $25", "offer up to $30")
                   .replace("miles_driven >= 50", "miles_driven >= 40").replace("supervisor up to $200", "supervisor up to $150"))
    outputs = {}
    for engine in ("duckdb", "compiled"):
        out = tmp_path / f"{engine}.changes.csv"
        result = _cli("diff", old, new, "--cases", case_files[name], "--engine", engine, "--format", "json", "--out", out)
        assert result.returncode == 1, result.stderr.decode()
        report = json.loads(result.stdout)
        assert report.pop("engine") == engine
        outputs[engine] = (report, out.read_bytes())
    assert outputs["duckdb"] == outputs["compiled"]
    assert outputs["duckdb"][0]["changed"] > 10


def test_eval_jsonl_is_identical_across_engines_line_by_line(case_files):
    lines = case_files["cases.jsonl"].read_bytes().replace(b'"offered"', b'"id2"') + \
        b'\n   \nnot json\n[1]\n{"id": "q\\"x", "situation": "wrong_item", "price": 12.5, "cost": 1}\r\n{"price": 1}'
    results = {engine: _cli("eval", REPO / "policies" / "hardware_store.policy", "--jsonl", "--engine", engine, stdin=lines)
               for engine in ("duckdb", "compiled")}
    assert results["duckdb"].stdout == results["compiled"].stdout
    assert results["duckdb"].returncode == results["compiled"].returncode == 2
    assert results["duckdb"].stdout.count(b"\n") == lines.count(b"\n") + 1


def test_eval_jsonl_answers_each_line_before_the_next_is_written():
    process = subprocess.Popen([sys.executable, "-m", "redress.cli", "eval", str(EXAMPLE), "--jsonl"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    policy = _policy(EXAMPLE)
    case = CaseGenerator(policy, seed=5)
    try:
        for number in range(3):
            process.stdin.write(json.dumps(case.case(), default=str).encode() + b"\n")
            process.stdin.flush()
            answer = json.loads(process.stdout.readline())  # waits for this line's answer, stdin still open
            assert "rule" in answer or answer.get("line") == number + 1
    finally:
        process.stdin.close()
        process.wait(timeout=60)


def test_a_policy_sql_cannot_compute_falls_back_with_a_warning(tmp_path):
    policy = tmp_path / "thirds.policy"
    policy.write_text((REPO / "policies" / "hardware_store.policy").read_text().replace(
        "offer up to $25", "offer up to price / 3"))
    cases = REPO / "policies" / "hardware_store.cases.csv"
    results = {engine: _cli("replay", policy, cases, "--engine", engine, "--format", "json") for engine in ("duckdb", "compiled")}
    assert b"divides by 3" in results["duckdb"].stderr and b"using the compiled engine" in results["duckdb"].stderr
    assert _without_timing(results["duckdb"].stdout) == _without_timing(results["compiled"].stdout)


def test_eval_of_one_case_does_not_load_the_sql_engine():
    probe = ("import sys; from redress.cli import cli\n"
             "try:\n    cli(['eval', sys.argv[1], '--case', '{}'], prog_name='redress')\nexcept SystemExit:\n    pass\n"
             "print('LOADED' if {'duckdb', 'sqlglot', 'msgspec'} & set(sys.modules) else 'LIGHT', file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe, str(EXAMPLE)], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.stderr.strip().endswith("LIGHT"), result.stderr


def test_in_process_replay_and_diff_tallies_match(case_files):
    source = (REPO / "policies" / "hardware_store.policy").read_text()
    path = "policies/hardware_store.policy"
    for name in ("plain.csv", "cases.parquet", "typed.arrows"):
        tallies = []
        for replay in (BulkReplay(source, path), Replay(source, path, "compiled", 1)):
            tally = Tally()
            with open_cases(str(case_files[name])) as case_file:
                for batch in replay.batches(case_file, keep_outcomes=False):
                    tally.merge(batch.tally)
            tallies.append(tally.to_json())
        assert tallies[0] == tallies[1]
        diffs = []
        changed = source.replace("offer up to $25", "offer up to $35")
        for differ in (BulkDiff((source, path), (changed, "new")), CaseDiff((source, path), (changed, "new"), "compiled", 1)):
            behaviour = BehaviourDiff()
            with open_cases(str(case_files[name])) as case_file:
                for part, _, _ in differ.batches(case_file, keep_changes=False):
                    behaviour.merge(part)
            diffs.append(behaviour.to_json())
        assert diffs[0] == diffs[1] and diffs[0]["changed"] > 0
    assert Decimal(tallies[0]["totals"]["ceiling"]) > 0


@pytest.mark.parametrize("trouble", [
    'X1,defective_product,68.00,36.65,,153.00,1,1077.00,133.99,,31,,,false',  # a cell short, past DuckDB's sample
    'X2,"defective\nproduct",68.00,36.65,,153.00,1,1077.00,133.99,,31,,,false,5',  # a quoted cell spanning lines
    'X3, "wrong_item",68.00,36.65,,153.00,1,1077.00,133.99,,31,,,false,5',  # a quote after a space
])
def test_csv_files_duckdb_would_read_differently_go_to_the_python_reader(tmp_path, trouble):
    sample = (REPO / "policies" / "hardware_store.cases.csv").read_text().splitlines()
    path = tmp_path / "cases.csv"
    path.write_text("\n".join([sample[0], *sample[1:] * 12, trouble, *sample[1:50]]) + "\n")
    policy = REPO / "policies" / "hardware_store.policy"
    results = {engine: _cli("replay", policy, path, "--engine", engine, "--format", "json") for engine in ("duckdb", "compiled")}
    assert _without_timing(results["duckdb"].stdout) == _without_timing(results["compiled"].stdout)
    assert json.loads(results["duckdb"].stdout)["cases"] == 12 * 2000 + 1 + 49


@pytest.mark.parametrize("field", sorted(set(FIELD_EDITS) - {"currency"}))  # a change of currency is the compiled engine's
def test_the_sql_diff_sees_a_change_to_any_decision_field_as_case_by_case_does(field, tmp_path):
    """Counts, per-field moves, amount totals, transitions, approver causes, movers, and every
    case's change with both decisions: the same from DuckDB as from the compiled engine."""
    source = RESTAURANT.read_text()
    old, new = (source, "old.policy"), (edited(source, FIELD_EDITS[field]), "new.policy")
    lines = tmp_path / "cases.jsonl"  # JSON Lines: rows Python reads and hands to DuckDB in batches
    with RESTAURANT_CASES.open(newline="") as stream:
        lines.write_text("".join(json.dumps({k: v for k, v in row.items() if v}) + "\n" for row in csv.DictReader(stream)))
    for cases in (RESTAURANT_CASES, lines):
        reports, changes = [], []
        for differ in (BulkDiff(old, new), CaseDiff(old, new, "compiled", 1)):
            behaviour = BehaviourDiff()
            with open_cases(str(cases)) as case_file:
                for part, _, _ in differ.batches(case_file, keep_changes=False):
                    behaviour.merge(part)
            reports.append(behaviour.to_json())
            with open_cases(str(cases)) as case_file:
                changes.append([change_json(change) for change in differ.changes(case_file)])
        assert reports[0]["fields"][field] > 0
        assert reports[0] == reports[1]
        assert changes[0] == changes[1]


def test_a_diff_across_currencies_says_why_the_compiled_engine_runs_it(tmp_path):
    """Every case changes currency: DuckDB leaves that diff to the compiled engine, and says so."""
    new = tmp_path / "cad.policy"
    new.write_text(edited(RESTAURANT.read_text(), FIELD_EDITS["currency"]))
    runs = {engine: _cli("diff", RESTAURANT, new, "--cases", RESTAURANT_CASES, "--format", "json", "--engine", engine)
            for engine in ("duckdb", "compiled")}
    assert runs["duckdb"].returncode == runs["compiled"].returncode == 1
    assert "different currencies; using the compiled engine" in runs["duckdb"].stderr.decode()
    assert json.loads(runs["duckdb"].stdout) == json.loads(runs["compiled"].stdout)
    assert json.loads(runs["duckdb"].stdout)["fields"]["currency"] > 0


def test_a_typed_arrow_file_in_many_units_keeps_every_row_and_its_number(case_files, monkeypatch):
    """Units of record batches (here two batches of 97 rows, not the million rows a unit holds) are numbered
    on from one another: each outcome, valid or not, is the compiled engine's for the same row."""
    import qa.bulk_rows

    monkeypatch.setattr(qa.bulk_rows, "ARROW_UNIT_ROWS", 150)
    source = (REPO / "policies" / "hardware_store.policy").read_text()
    path = "policies/hardware_store.policy"
    outcomes = []
    for replay in (BulkReplay(source, path), Replay(source, path, "compiled", 1)):
        with open_cases(str(case_files["typed.arrows"])) as case_file:
            outcomes.append(list(replay.outcomes(case_file)))
    assert outcomes[0] == outcomes[1]
    assert [outcome.row for outcome in outcomes[0]] == list(range(1, len(outcomes[0]) + 1))
    assert any(outcome.status == "invalid" for outcome in outcomes[0][2 * 194:3 * 194])  # in the third unit
    with open_cases(str(case_files["plain.csv"])) as case_file:
        assert len(outcomes[0]) == sum(1 for row in case_file.rows() if row.data)
