"""`redress replay` as a QA engineer relies on it: every row of a historic case file is accounted for,
the statuses are right to the cent, the summary can be rebuilt from the per-case output, and no input
format, engine or number of workers changes the answer.

The main flows run the real command in a subprocess; the variations go through click's CliRunner.
Both fixtures (conftest.py) fail on any traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import REPO

HARDWARE = REPO / "policies" / "hardware_store.policy"
STATUSES = ("within", "under", "over", "no_rule", "invalid", "decided")
MONEY_TOTALS = ("floor", "ceiling", "offered", "over_by", "under_by")
GENERATED_ROWS = 3000
SEED = 11
CENT = re.compile(r"-?\d+\.\d{2}")
VOLATILE = ("source", "seconds", "engine", "worst")  # keys that legitimately differ between two runs


# ---------------------------------------------------------------- shared files


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """3,000 synthetic hardware-store cases, written by the real `redress cases generate`."""
    folder = tmp_path_factory.mktemp("generated")
    path = folder / "cases.csv"
    result = subprocess.run([sys.executable, "-m", "redress.cli", "cases", "generate", str(HARDWARE),
                             "--n", str(GENERATED_ROWS), "--seed", str(SEED), "--out", str(path)],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return path


# Each corruption: the data row (1-based) it replaces, what the new line is, and what its reason must say.
CORRUPTIONS = {
    "bad enum": (10, ["`situation` cannot be 'flood'"]),
    "non-number price": (250, ["`price` must be an amount", "'ten dollars'"]),
    "missing required field": (777, ["missing required field `price`"]),
    "too few cells": (1500, ["has 3 cells, the header has 15"]),
    "undecodable line": (2222, ["not UTF-8"]),
    "bad offered": (2999, ["`offered` must be an amount", "'twelve'"]),
}


def _csv_line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue().encode()


@pytest.fixture(scope="module")
def corrupted(generated, tmp_path_factory) -> tuple[Path, dict[int, tuple[str, list[str], str]]]:
    """The generated file with six broken rows. Returns the file and, by CSV line number, the
    corruption's name, the fragments its reason must contain and the line's text as written."""
    lines = generated.read_bytes().split(b"\n")
    header = lines[0].decode().split(",")
    column = header.index
    expected = {}
    for name, (data_row, fragments) in CORRUPTIONS.items():
        index = data_row  # lines[0] is the header, so data row n is lines[n] and CSV line n + 1
        cells = next(csv.reader([lines[index].decode()]))
        if name == "bad enum":
            cells[column("situation")] = "flood"
        elif name == "non-number price":
            cells[column("price")] = "ten dollars"
        elif name == "missing required field":
            cells[column("price")] = ""
        elif name == "too few cells":
            cells = cells[:3]
        elif name == "bad offered":
            cells[column("offered")] = "twelve"
        line = _csv_line(cells)
        if name == "undecodable line":
            line = line.replace(b",", b",\xff\xfe", 1)
        lines[index] = line
        expected[index + 1] = (name, fragments, line.decode("utf-8", "replace"))
    path = tmp_path_factory.mktemp("corrupted") / "corrupted.csv"
    path.write_bytes(b"\n".join(lines))
    return path, expected


def _generate(invoke, folder: Path, extension: str) -> Path:
    path = folder / f"cases.{extension}"
    if not path.exists():
        result = invoke("cases", "generate", HARDWARE, "--n", GENERATED_ROWS, "--seed", SEED, "--out", path)
        assert result.exit_code == 0, result.stderr
    return path


def _summary(result) -> dict:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def _stable(summary: dict) -> dict:
    return {key: value for key, value in summary.items() if key not in VOLATILE}


def _worst_ids(summary: dict) -> dict:
    return {status: [(case["id"], case["over_by"], case["under_by"]) for case in cases]
            for status, cases in summary["worst"].items()}


def _read_outcomes(path: Path) -> list[dict]:
    """Per-case rows from a --out file, with None for an empty value whatever the format."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
    elif path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    return [{key: (None if value in ("", None) else str(value)) for key, value in row.items()} for row in rows]


def _money(value: str | None) -> Decimal:
    return Decimal(value) if value is not None else Decimal(0)


def summary_from_outcomes(rows: list[dict]) -> dict:
    """The replay summary rebuilt from nothing but the per-case output: counts by status, money
    totals over the cases that got a range, and the per-rule table."""
    status = dict.fromkeys(STATUSES, 0)
    totals = dict.fromkeys(MONEY_TOTALS, Decimal(0))
    rules: dict[str, dict] = {}
    for row in rows:
        status[row["status"]] += 1
        if row["floor"] is None:
            assert row["ceiling"] is None and row["rule"] is None and row["status"] in ("no_rule", "invalid"), row
            continue
        floor, ceiling = Decimal(row["floor"]), Decimal(row["ceiling"])
        offered = Decimal(row["offered"]) if row["offered"] is not None else None
        rule = rules.setdefault(row["rule"], {"cases": 0, "status": dict.fromkeys(STATUSES, 0), "floor": Decimal(0),
                                              "ceiling": Decimal(0), "offered": Decimal(0)})
        rule["cases"] += 1
        rule["status"][row["status"]] += 1
        for key, amount in (("floor", floor), ("ceiling", ceiling), ("offered", offered or Decimal(0))):
            rule[key] += amount
            totals[key] += amount
        if row["status"] == "over":
            totals["over_by"] += offered - ceiling
        elif row["status"] == "under":
            totals["under_by"] += floor - offered
    return {"cases": len(rows), "status": status, "totals": {key: format(value, "f") for key, value in totals.items()},
            "rules": {name: rule | {key: format(rule[key], "f") for key in ("floor", "ceiling", "offered")}
                      for name, rule in rules.items()}}


# ---------------------------------------------------------------- every row accounted for


def test_a_corrupted_generated_file_reports_every_row_and_reconciles_to_the_cent(redress, corrupted, tmp_path):
    path, expected = corrupted
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = redress("replay", HARDWARE, path, "--format", "json", "--out", out, "--rejects", rejects, "--workers", "2")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)

    rows_in_file = len(path.read_bytes().splitlines()) - 1  # a header line, then one line per case
    assert summary["cases"] == rows_in_file == GENERATED_ROWS == sum(summary["status"].values())
    assert summary["status"]["invalid"] == len(CORRUPTIONS)

    outcomes = _read_outcomes(out)
    assert [int(row["row"]) for row in outcomes] == list(range(2, GENERATED_ROWS + 2))
    invalid = {int(row["row"]): row for row in outcomes if row["status"] == "invalid"}
    assert set(invalid) == set(expected)
    for line, (name, fragments, _) in expected.items():
        for fragment in fragments:
            assert fragment in invalid[line]["reason"], (name, invalid[line]["reason"])
        assert invalid[line]["floor"] is None and invalid[line]["rule"] is None

    with rejects.open(newline="", encoding="utf-8") as stream:
        rejected = list(csv.DictReader(stream))
    assert [int(row["row"]) for row in rejected] == sorted(expected)
    for row in rejected:
        line = int(row["row"])
        assert row["reason"] == invalid[line]["reason"]
        assert row["text"] == expected[line][2], expected[line][0]  # the row as written (bad bytes replaced)

    # Money: exact to the cent, and equal to the sums over the per-case rows.
    totals = summary["totals"]
    assert all(CENT.fullmatch(value) for value in totals.values()), totals
    ranged = [row for row in outcomes if row["floor"] is not None]
    assert Decimal(totals["floor"]) == sum(Decimal(row["floor"]) for row in ranged)
    assert Decimal(totals["ceiling"]) == sum(Decimal(row["ceiling"]) for row in ranged)
    assert Decimal(totals["offered"]) == sum(_money(row["offered"]) for row in ranged)
    over = [row for row in outcomes if row["status"] == "over"]
    under = [row for row in outcomes if row["status"] == "under"]
    assert over and under
    assert Decimal(totals["over_by"]) == sum(Decimal(r["offered"]) - Decimal(r["ceiling"]) for r in over) \
        == sum(Decimal(r["over_by"]) for r in over)
    assert Decimal(totals["under_by"]) == sum(Decimal(r["floor"]) - Decimal(r["offered"]) for r in under) \
        == sum(Decimal(r["under_by"]) for r in under)


def test_corrupted_rows_change_nothing_about_the_other_rows(invoke, generated, corrupted, tmp_path):
    path, expected = corrupted
    clean_out, dirty_out = tmp_path / "clean.jsonl", tmp_path / "dirty.jsonl"
    assert invoke("replay", HARDWARE, generated, "--workers", "1", "--out", clean_out, "--format", "json").exit_code == 0
    assert invoke("replay", HARDWARE, path, "--workers", "1", "--out", dirty_out, "--format", "json").exit_code == 0
    clean, dirty = _read_outcomes(clean_out), _read_outcomes(dirty_out)
    assert len(clean) == len(dirty) == GENERATED_ROWS
    differing = {int(a["row"]) for a, b in zip(clean, dirty) if a != b}
    assert differing == set(expected)


@pytest.mark.parametrize("extension", ["csv", "jsonl", "parquet"])
def test_the_summary_is_recomputed_exactly_from_the_per_case_output(invoke, corrupted, tmp_path, extension):
    path, _ = corrupted
    out = tmp_path / f"out.{extension}"
    summary = _summary(invoke("replay", HARDWARE, path, "--format", "json", "--out", out, "--workers", "1"))
    rebuilt = summary_from_outcomes(_read_outcomes(out))
    assert rebuilt["cases"] == summary["cases"] == GENERATED_ROWS
    assert rebuilt["status"] == summary["status"]
    assert rebuilt["totals"] == summary["totals"]
    assert rebuilt["rules"] == summary["rules"]
    assert sum(rule["cases"] for rule in rebuilt["rules"].values()) == GENERATED_ROWS - summary["status"]["no_rule"] \
        - summary["status"]["invalid"]


def test_the_worst_cases_are_the_furthest_outside_their_guideline(invoke, corrupted, tmp_path):
    path, _ = corrupted
    out = tmp_path / "out.jsonl"
    summary = _summary(invoke("replay", HARDWARE, path, "--format", "json", "--out", out, "--workers", "1"))
    outcomes = _read_outcomes(out)
    for status, gap in (("over", "over_by"), ("under", "under_by")):
        ranked = sorted((row for row in outcomes if row["status"] == status), key=lambda r: (-Decimal(r[gap]), int(r["row"])))
        assert [(case["row"], case[gap]) for case in summary["worst"][status]] == \
            [(int(row["row"]), row[gap]) for row in ranked[:10]]


# ---------------------------------------------------------------- statuses on hand-made rows

QA_POLICY = """\
policy "QA statuses"
version "1"
currency USD

case
  situation: one of late, broken, other
  price: money
  vip: bool = false

authority
  clerk up to $50
  manager

rule "Late | delivery"
  when situation is late
  offer no less than 10% of price but no more than 50% of price

rule "Broken"
  when situation is broken and not vip
  offer exactly price

rule "Broken, VIP"
  when situation is broken and vip
  offer no less than price but no more than price + $20

otherwise escalate to manager
"""

# id, situation, price, vip, offered -> status, floor, ceiling, over_by, under_by
HAND_ROWS = [
    ("at-floor", "late", "100.00", "", "10.00", "within", "10.00", "50.00", None, None),
    ("at-ceiling", "late", "100.00", "", "50.00", "within", "10.00", "50.00", None, None),
    ("under-by-a-cent", "late", "100.00", "", "9.99", "under", "10.00", "50.00", None, "0.01"),
    ("over-by-a-cent", "late", "100.00", "", "50.01", "over", "10.00", "50.00", "0.01", None),
    # 10% of 33.33 is 3.333 -> 3.33; 50% is 16.665 -> 16.67 (half-up): statuses use the rounded range
    ("rounded-ceiling", "late", "33.33", "", "16.67", "within", "3.33", "16.67", None, None),
    ("over-rounded", "late", "33.33", "", "16.68", "over", "3.33", "16.67", "0.01", None),
    ("under-rounded", "late", "33.33", "", "3.32", "under", "3.33", "16.67", None, "0.01"),
    ("exactly", "broken", "19.99", "false", "19.99", "within", "19.99", "19.99", None, None),
    ("exactly-over", "broken", "19.99", "", "20", "over", "19.99", "19.99", "0.01", None),
    ("no-rule", "other", "100.00", "", "5.00", "no_rule", None, None, None, None),
    ("decided", "late", "100.00", "", "", "decided", "10.00", "50.00", None, None),
    ("missing-price", "late", "", "", "10.00", "invalid", None, None, None, None),
    ("default-vip", "broken", "40.00", "", "40.00", "within", "40.00", "40.00", None, None),
    ("vip", "broken", "40.00", "true", "60.00", "within", "40.00", "60.00", None, None),
]


@pytest.fixture
def hand_made(tmp_path) -> tuple[Path, Path]:
    policy = tmp_path / "qa.policy"
    policy.write_text(QA_POLICY)
    cases = tmp_path / "cases.csv"
    lines = ["id,situation,price,vip,offered"] + [",".join(row[:5]) for row in HAND_ROWS]
    cases.write_text("\n".join(lines) + "\n")
    return policy, cases


def test_statuses_on_hand_made_rows(invoke, hand_made, tmp_path):
    policy, cases = hand_made
    out = tmp_path / "out.jsonl"
    summary = _summary(invoke("replay", policy, cases, "--format", "json", "--out", out, "--workers", "1"))
    outcomes = {row["id"]: row for row in _read_outcomes(out)}
    assert list(outcomes) == [row[0] for row in HAND_ROWS]
    for case_id, _, _, _, offered, status, floor, ceiling, over_by, under_by in HAND_ROWS:
        got = outcomes[case_id]
        assert (got["status"], got["floor"], got["ceiling"], got["over_by"], got["under_by"]) == \
            (status, floor, ceiling, over_by, under_by), case_id
        if status != "invalid":
            assert got["offered"] == ({"20": "20.00"}.get(offered, offered) or None)  # shown to the cent
    assert outcomes["missing-price"]["reason"] == "missing required field `price`"
    assert outcomes["no-rule"]["rule"] is None and outcomes["no-rule"]["approver"] is None
    expected_counts = Counter(row[5] for row in HAND_ROWS)
    assert summary["status"] == {status: expected_counts[status] for status in STATUSES}
    # The no-rule case's 5.00 is not in the money totals (it got no range); the decided case adds no offer.
    ranged = [row for row in HAND_ROWS if row[6] is not None]
    assert summary["totals"]["offered"] == format(sum(Decimal(row[4] or 0) for row in ranged), "f")
    assert summary["totals"]["over_by"] == "0.03" and summary["totals"]["under_by"] == "0.02"
    assert summary["rules"]["Late | delivery"]["status"] == {"within": 3, "under": 2, "over": 2, "no_rule": 0,
                                                              "invalid": 0, "decided": 1}


def test_the_readable_summary(invoke, hand_made):
    policy, cases = hand_made
    result = invoke("replay", policy, cases, "--workers", "1")
    assert result.exit_code == 0
    text = result.stdout
    assert f"Replayed {len(HAND_ROWS)} cases from {cases}" in text
    assert re.search(r"^\s+within\s+6\b", text, re.M) and re.search(r"^\s+invalid\s+1\b", text, re.M)
    assert re.search(rf"^\s+total\s+{len(HAND_ROWS)}$", text, re.M)
    assert "over the guideline by $0.03 (3 cases); under it by $0.02 (2 cases)" in text
    assert re.search(r"^\s+Late \| delivery\s+8\s+3\s+2\s+2\s+1\s+\$", text, re.M)
    assert "Furthest over the ceiling:" in text and "Furthest under the floor:" in text
    assert "missing required field `price`" in text  # invalid rows by reason
    assert "--rejects" in result.stderr


def test_fail_on(invoke, redress, hand_made, tmp_path):
    policy, cases = hand_made
    result = redress("replay", policy, cases, "--fail-on", "over")
    assert result.returncode == 1 and "failing: 3 over" in result.stderr
    assert invoke("replay", policy, cases, "--fail-on", "under,invalid", "--workers", "1").exit_code == 1
    assert invoke("replay", policy, cases, "--workers", "1").exit_code == 0  # statuses alone never fail a run

    within_only = tmp_path / "within.csv"
    within_only.write_text("id,situation,price,offered\na,late,100.00,20.00\nb,other,1,1\n")
    assert invoke("replay", policy, within_only, "--fail-on", "over", "--workers", "1").exit_code == 0
    assert invoke("replay", policy, within_only, "--fail-on", "over,no_rule", "--workers", "1").exit_code == 1

    bogus = invoke("replay", policy, cases, "--fail-on", "bogus")
    assert bogus.exit_code == 2 and "bogus" in bogus.stderr and "over, under, invalid, no_rule" in bogus.stderr
    assert bogus.stdout == ""


# ---------------------------------------------------------------- the same answer every way


@pytest.fixture(scope="module")
def baseline(generated) -> dict:
    from click.testing import CliRunner

    from redress.cli import cli

    result = CliRunner().invoke(cli, ["replay", str(HARDWARE), str(generated), "--format", "json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("extension", ["jsonl", "json", "yaml", "parquet"])
def test_every_input_format_gives_the_same_summary(invoke, generated, baseline, extension):
    path = _generate(invoke, generated.parent, extension)
    summary = _summary(invoke("replay", HARDWARE, path, "--format", "json", "--workers", "1"))
    assert _stable(summary) == _stable(baseline)
    assert _worst_ids(summary) == _worst_ids(baseline)  # row numbers are counted per format; the cases are the same


def test_input_format_overrides_the_extension(invoke, generated, baseline, tmp_path):
    odd = tmp_path / "export.data"
    shutil.copy(generated, odd)
    assert _stable(_summary(invoke("replay", HARDWARE, odd, "--input-format", "csv", "--format", "json", "--workers", "1"))) \
        == _stable(baseline)
    misnamed = tmp_path / "lines.csv"
    shutil.copy(_generate(invoke, generated.parent, "jsonl"), misnamed)
    assert _stable(_summary(invoke("replay", HARDWARE, misnamed, "--input-format", "jsonl", "--format", "json",
                                   "--workers", "1"))) == _stable(baseline)
    unknown = invoke("replay", HARDWARE, odd, "--workers", "1")
    assert unknown.exit_code == 2 and str(odd) in unknown.stderr and "--input-format" in unknown.stderr


def test_standard_input_is_read_as_json_lines(redress, invoke, generated, baseline):
    lines = _generate(invoke, generated.parent, "jsonl").read_text()
    result = redress("replay", HARDWARE, "-", "--format", "json", stdin=lines)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["source"] == "-"
    assert _stable(summary) == _stable(baseline)


def test_the_durable_engine_gives_the_same_summary(invoke, corrupted, tmp_path):
    path, _ = corrupted
    outs = {}
    for kind in ("compiled", "durable"):
        outs[kind] = tmp_path / f"{kind}.jsonl"
        summary = _summary(invoke("replay", HARDWARE, path, "--engine", kind, "--format", "json", "--out", outs[kind],
                                  "--workers", "1"))
        assert summary["engine"] == kind
        outs[kind + " summary"] = summary
    assert _stable(outs["durable summary"]) == _stable(outs["compiled summary"])
    assert outs["durable summary"]["worst"] == outs["compiled summary"]["worst"]
    assert outs["durable"].read_bytes() == outs["compiled"].read_bytes()


def test_two_workers_give_the_same_summary_and_the_same_rows_in_order(redress, corrupted, tmp_path):
    path, _ = corrupted
    results = {}
    for workers in ("1", "2"):
        out = tmp_path / f"workers{workers}.csv"
        result = redress("replay", HARDWARE, path, "--format", "json", "--out", out, "--workers", workers)
        assert result.returncode == 0, result.stderr
        results[workers] = (json.loads(result.stdout), out.read_bytes())
    (one, one_rows), (two, two_rows) = results["1"], results["2"]
    assert _stable(one) == _stable(two) and one["worst"] == two["worst"]
    assert one_rows == two_rows


# ---------------------------------------------------------------- columns and cells


def test_extra_columns_are_kept_and_reported_once(redress, invoke, generated, tmp_path):
    with generated.open(newline="") as stream:
        rows = list(csv.reader(stream))
    rows[5][rows[0].index("situation")] = "flood"  # an invalid row keeps its extra cells in the rejects file
    plain = tmp_path / "plain.csv"
    with plain.open("w", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    rows[0] += ["agent", "notes"]
    for number, row in enumerate(rows[1:], start=1):
        row += [f"agent{number % 7}", "called twice" if number % 3 else ""]
    extra = tmp_path / "extra.csv"
    with extra.open("w", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)

    rejects = tmp_path / "rejects.jsonl"
    result = redress("replay", HARDWARE, extra, "--format", "json", "--workers", "2", "--rejects", rejects)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("extra columns") == 1
    assert "agent" in result.stderr and "notes" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["extra_columns"] == ["agent", "notes"]
    assert summary["status"]["invalid"] == 1 and summary["cases"] == GENERATED_ROWS
    rejected = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert len(rejected) == 1 and rejected[0]["row"] == 6
    assert rejected[0]["agent"] == "agent5" and rejected[0]["notes"] == "called twice"
    assert rejected[0]["text"] == ",".join(rows[5])

    # The extra columns change nothing else.
    without = _summary(invoke("replay", HARDWARE, plain, "--format", "json", "--workers", "1"))
    assert without["extra_columns"] == []
    assert _stable(summary) | {"extra_columns": []} == _stable(without) and summary["worst"] == without["worst"]


def test_an_empty_cell_means_absent(invoke, tmp_path):
    cases = tmp_path / "cells.csv"
    cases.write_text(
        "id,situation,price,cost,warranty,miles_driven,offered\n"
        "blank-defaults,defective_product,100.00,40.00,,,\n"
        "written-defaults,defective_product,100.00,40.00,none,0,\n"
        "blank-required,defective_product,,40.00,none,0,\n"
        "blank-offered,wrong_item,10.00,5.00,,,\n"
    )
    out = tmp_path / "out.jsonl"
    summary = _summary(invoke("replay", HARDWARE, cases, "--format", "json", "--out", out, "--workers", "1"))
    outcomes = {row["id"]: row for row in _read_outcomes(out)}
    blank, written = dict(outcomes["blank-defaults"]), dict(outcomes["written-defaults"])
    assert blank.pop("row") != written.pop("row") and blank.pop("id") != written.pop("id")
    assert blank == written and blank["rule"] == "Defective product" and blank["status"] == "decided"
    assert outcomes["blank-required"]["status"] == "invalid"
    assert outcomes["blank-required"]["reason"] == "missing required field `price`"
    assert outcomes["blank-offered"]["status"] == "decided" and outcomes["blank-offered"]["offered"] is None
    assert summary["extra_columns"] == []


# ---------------------------------------------------------------- bad files


def _first_lines(path: Path, count: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:count])


def _bad_file(kind: str, folder: Path, generated: Path, invoke) -> tuple[Path, str, list[str]]:
    """A broken case file, the line its message must name (`:*:` for some line, '' for none), and
    what the message must say."""
    if kind == "semicolons":
        path = folder / "semicolons.csv"
        path.write_bytes(_first_lines(generated, 20).replace(b",", b";"))
        return path, ":1:", ["separated", "comma"]
    if kind == "tabs":
        path = folder / "tabs.csv"
        path.write_bytes(_first_lines(generated, 20).replace(b",", b"\t"))
        return path, ":1:", ["tab"]
    if kind == "truncated csv":
        path = folder / "truncated.csv"
        path.write_bytes(_first_lines(generated, 21)[:-30])  # the last row cut short, no line break
        return path, ":21:", ["ends in the middle", "truncated"]
    if kind == "truncated jsonl":
        path = folder / "truncated.jsonl"
        path.write_bytes(_first_lines(_generate(invoke, generated.parent, "jsonl"), 20)[:-30])
        return path, ":20:", ["ends in the middle", "truncated"]
    if kind == "truncated json array":
        path = folder / "truncated.json"
        text = _generate(invoke, generated.parent, "json").read_bytes()
        path.write_bytes(text[: len(text) * 2 // 3])  # far past the first batch of rows, so the break is mid-stream
        return path, ":*:", ["truncated"]
    if kind == "parquet list column":
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = folder / "lists.parquet"
        pq.write_table(pa.table({"situation": ["wrong_item"], "price": ["10.00"], "cost": ["5.00"], "tags": [[1, 2]]}), path)
        return path, "", ["`tags`", "list"]
    if kind == "empty":
        path = folder / "empty.csv"
        path.write_bytes(b"")
        return path, "", ["empty"]
    if kind == "missing":
        return folder / "missing.csv", "", ["no such file"]
    if kind == "directory":
        path = folder / "cases.csv"
        path.mkdir()
        return path, "", ["directory"]
    raise AssertionError(kind)


BAD_FILES = ["semicolons", "tabs", "truncated csv", "truncated jsonl", "truncated json array", "parquet list column",
             "empty", "missing", "directory"]


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_files_get_a_clear_message_and_a_nonzero_exit(redress, invoke, generated, tmp_path, kind):
    path, line, said = _bad_file(kind, tmp_path, generated, invoke)
    result = redress("replay", HARDWARE, path, "--workers", "2")  # the fixture fails on any traceback
    assert result.returncode == 2, (result.stdout, result.stderr)
    message = result.stderr.strip().splitlines()[-1]
    assert str(path) in message, message
    if line == ":*:":
        assert re.search(rf"{re.escape(str(path))}:\d+: ", message), message
    elif line:
        assert f"{path}{line}" in message, message
    for words in said:
        assert words in message, message


@pytest.mark.parametrize("kind", ["truncated csv", "truncated jsonl"])
def test_a_truncated_last_line_is_an_invalid_row_not_a_crash(redress, invoke, generated, tmp_path, kind):
    path, _, _ = _bad_file(kind, tmp_path, generated, invoke)
    out = tmp_path / "out.csv"
    result = redress("replay", HARDWARE, path, "--format", "json", "--out", out)
    assert result.returncode == 2
    summary = json.loads(result.stdout)  # still exactly one JSON object on stdout; the error is on stderr
    assert summary["cases"] == sum(summary["status"].values()) == 20 and summary["status"]["invalid"] == 1
    outcomes = _read_outcomes(out)
    assert len(outcomes) == 20 and outcomes[-1]["status"] == "invalid"


def test_a_complete_last_line_without_a_line_break_is_not_truncation(invoke, tmp_path):
    cases = tmp_path / "no-final-break.csv"
    cases.write_text("id,situation,price,cost,offered\na,wrong_item,10.00,5.00,5.00\nb,flood,10.00,5.00,5.00")
    result = invoke("replay", HARDWARE, cases, "--format", "json", "--workers", "1")
    assert result.exit_code == 0 and "truncated" not in result.stderr
    assert json.loads(result.stdout)["status"]["invalid"] == 1  # a bad choice, not a cut-off row


def test_json_errors_with_format_json(invoke, generated, tmp_path):
    path, _, _ = _bad_file("semicolons", tmp_path, generated, invoke)
    result = invoke("replay", HARDWARE, path, "--format", "json")
    assert result.exit_code == 2
    assert str(path) in json.loads(result.stdout)["error"]["message"]


# ---------------------------------------------------------------- summary formats and progress


def test_csv_summary_is_well_formed(invoke, corrupted):
    path, _ = corrupted
    summary = _summary(invoke("replay", HARDWARE, path, "--format", "json", "--workers", "1"))
    result = invoke("replay", HARDWARE, path, "--format", "csv", "--workers", "1")
    assert result.exit_code == 0
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(table[0]) == ["rule", "cases", *STATUSES, "floor", "ceiling", "offered"]
    for row in table:
        assert int(row["cases"]) == sum(int(row[status]) for status in STATUSES), row
    by_rule = {row["rule"]: row for row in table}
    everything = by_rule.pop("(all cases)")
    assert int(everything["cases"]) == summary["cases"]
    assert {status: int(everything[status]) for status in STATUSES} == summary["status"]
    assert [everything[key] for key in ("floor", "ceiling", "offered")] == \
        [summary["totals"][key] for key in ("floor", "ceiling", "offered")]
    assert set(by_rule) == set(summary["rules"])
    for name, row in by_rule.items():
        rule = summary["rules"][name]
        assert int(row["cases"]) == rule["cases"] and row["ceiling"] == rule["ceiling"]


def test_markdown_summary_is_well_formed(invoke, hand_made, corrupted):
    for policy, cases in (hand_made, (HARDWARE, corrupted[0])):
        result = invoke("replay", policy, cases, "--format", "markdown", "--workers", "1")
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert lines[0].startswith("## Replay of ")
        tables, current = [], []
        for line in lines + [""]:
            if line.startswith("|"):
                current.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
            elif current:
                tables.append(current)
                current = []
        assert len(tables) == 2
        statuses, rules = tables
        assert statuses[0] == ["status", "cases"] and set(statuses[1]) <= {"---", "---:"}
        assert [row[0] for row in statuses[2:]] == [*STATUSES, "**total**"]
        assert rules[0][:2] == ["rule", "cases"] and all(set(cell) <= set("-:") for cell in rules[1])
        assert all(len(row) == len(rules[0]) for row in rules), rules  # a `|` in a rule name is escaped
    assert r"Late \| delivery" in invoke("replay", hand_made[0], hand_made[1], "--format", "markdown").stdout


def test_no_progress_line_when_stderr_is_not_a_terminal(redress, generated):
    result = redress("replay", HARDWARE, generated)
    assert result.returncode == 0
    assert result.stderr == ""  # no progress, no warnings: the clean file has no extra columns


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_progress_line_when_stderr_is_a_terminal(generated):
    master, slave = os.openpty()
    try:
        process = subprocess.Popen([sys.executable, "-m", "redress.cli", "replay", str(HARDWARE), str(generated)],
                                   stdout=subprocess.PIPE, stderr=slave, cwd=REPO)
    finally:
        os.close(slave)
    stdout, _ = process.communicate(timeout=60)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO once the terminal's other end has closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    progress = b"".join(chunks).decode()
    assert process.returncode == 0
    final = progress.strip().split("\r")[-1]  # the bar is redrawn in place; the last drawing is complete
    assert final.startswith("replay: [" + "#" * 30 + "] 100%") and f"{GENERATED_ROWS:,} cases" in final
    assert "Traceback" not in progress
    assert b"replay:" not in stdout
