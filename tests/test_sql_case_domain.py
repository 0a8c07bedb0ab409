"""The SQL engine reads the case domain as the case reader does: a value outside a field's
`from ... to ...` bounds, or a negative amount of money, is refused with the same reason and row
number whether DuckDB or the compiled engine decides the file; the values on the bounds are
decided, by SQL itself, to the same cent. Through the real CLI (`replay`, `eval --jsonl`), from
CSV, JSON Lines and Parquet with DECIMAL and integer columns."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dsl.checker import check_source
from qa.bulk_eval import BulkDecider
from test_bulk_sql import _cli, _without_timing

POLICY = """\
policy "Delays"
version "1"
currency USD

case
  delay_hours: number from 0 to 72
  nights: integer from 1 to 30 = 1
  price: money
  refund: money from $0 to $500 = $0

rule "Long delay"
  when delay_hours >= 24
  offer no less than refund but no more than price

rule "Short delay"
  when delay_hours > 6
  offer up to price / 4 + refund

rule "Other"
  offer nothing
"""

COLUMNS = ["id", "delay_hours", "nights", "price", "refund", "offered"]
# (row values, the reason the case reader gives, or None when the row is decided)
ROWS = [
    (["a", "5", "1", "100", "0", ""], None),
    (["b", "72", "30", "100.50", "500", "10"], None),  # every bound at its top
    (["c", "0", "1", "0", "0", "0"], None),  # and at its bottom
    (["d", "24", "2", "80", "", "90"], None),  # the default refund
    (["e", "72.01", "1", "100", "0", ""], "`delay_hours` is 72.01, outside its bounds"),
    (["f", "-1", "1", "100", "0", ""], "`delay_hours` is -1, outside its bounds"),
    (["g", "10", "0", "100", "0", ""], "`nights` is 0, outside its bounds"),
    (["h", "10", "31", "100", "0", ""], "`nights` is 31, outside its bounds"),
    (["i", "10", "2", "-0.01", "0", ""], "`price` cannot be negative: -0.01"),
    (["j", "30", "2", "50", "500.01", ""], "`refund` is 500.01, outside its bounds"),
    (["k", "24", "2", "-5", "-1", ""], "`price` cannot be negative: -5"),
    (["l", "-0.001", "2", "10", "0", ""], "`delay_hours` is -0.001, outside its bounds"),
]
GOOD = [values for values, reason in ROWS if reason is None]
REFUSED = {number: reason for number, (_, reason) in enumerate(ROWS, start=2) if reason is not None}  # the header is row 1


@pytest.fixture
def policy_path(tmp_path):
    path = tmp_path / "delays.policy"
    path.write_text(POLICY)
    return path


def _csv(tmp_path):
    path = tmp_path / "cases.csv"
    with path.open("w", newline="") as stream:
        csv.writer(stream).writerows([COLUMNS, *(values for values, _ in ROWS)])
    return path


def _parquet(tmp_path):
    """Typed columns: DECIMAL amounts and hours, integer nights (the SQL reader's non-text paths)."""
    def amounts(index, scale):
        return pa.array([Decimal(values[index]) if values[index] else None for values, _ in ROWS],
                        pa.decimal128(12, scale))

    table = pa.table({"id": [values[0] for values, _ in ROWS], "delay_hours": amounts(1, 3),
                      "nights": pa.array([int(values[2]) for values, _ in ROWS], pa.int64()),
                      "price": amounts(3, 2), "refund": amounts(4, 2), "offered": amounts(5, 2)})
    path = tmp_path / "cases.parquet"
    pq.write_table(table, path)
    return path


def _case(values: list[str]) -> dict:
    """A row as one JSON case: an empty cell is a field left out (its default)."""
    return {key: value for key, value in zip(COLUMNS[:-1], values) if value != ""}


def _replay(policy_path, cases, engine, tmp_path):
    out, rejects = tmp_path / f"{engine}.out.csv", tmp_path / f"{engine}.rejects.csv"
    result = _cli("replay", policy_path, cases, "--engine", engine, "--format", "json", "--out", out, "--rejects", rejects)
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["engine"] == engine, result.stderr.decode()  # DuckDB itself, not a fallback
    with rejects.open(newline="") as stream:
        refused = {int(row["row"]): row["reason"] for row in csv.DictReader(stream)}
    return _without_timing(result.stdout), out.read_bytes(), refused, result.stderr


@pytest.mark.parametrize("shape", [_csv, _parquet], ids=["csv", "parquet"])
def test_replay_refuses_values_outside_the_case_domain_as_the_compiled_engine_does(policy_path, tmp_path, shape):
    cases = shape(tmp_path)
    by_sql, by_python = (_replay(policy_path, cases, engine, tmp_path) for engine in ("duckdb", "compiled"))
    assert by_sql == by_python
    report, _, refused, _ = by_sql
    if shape is _csv:
        assert refused == REFUSED
    else:  # rows count from 1 without a header line; a DECIMAL column's reason shows its scale (`72.010`)
        assert set(refused) == {number - 1 for number in REFUSED}
        assert refused[5] == "`delay_hours` is 72.010, outside its bounds"  # row e
    assert report["status"]["invalid"] == len(REFUSED) and report["cases"] == len(ROWS)


def test_eval_jsonl_refuses_the_same_lines_with_the_same_reasons(policy_path):
    lines = b"".join(json.dumps(_case(values)).encode() + b"\n" for values, _ in ROWS)
    results = {engine: _cli("eval", policy_path, "--jsonl", "--engine", engine, stdin=lines) for engine in ("duckdb", "compiled")}
    assert results["duckdb"].stdout == results["compiled"].stdout
    assert results["duckdb"].returncode == results["compiled"].returncode == 2
    answers = [json.loads(line) for line in results["duckdb"].stdout.splitlines()]
    assert len(answers) == len(ROWS)
    for number, (answer, (_, reason)) in enumerate(zip(answers, ROWS), start=1):
        if reason is None:
            assert "rule" in answer, answer
        else:
            assert (answer["line"], answer["error"]["message"]) == (number, reason)


def test_sql_decides_the_rows_on_the_bounds_and_hands_back_only_the_refused():
    """The routing itself: the SQL query decides every admitted row (none falls back), and leaves
    exactly the refused ones to the compiled engine."""
    policy = check_source(POLICY, "delays.policy").policy
    cases = [_case(values) for values, _ in ROWS]
    results = BulkDecider(policy).decide(cases)
    by_sql = [isinstance(result, str) for result in results]
    assert by_sql == [reason is None for _, reason in ROWS]
