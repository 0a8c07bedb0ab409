"""DuckDB reads a CSV file itself only when the file is plain: every line is one row that Python's
`csv` and DuckDB read alike. Such a file is read in one part per thread, each part numbered from
its first line. Any quoting the two readers could read differently sends the whole file to the
Python reader. Either way every row is accounted for, with the outcome the compiled engine gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import qa.bulk_sources
from conftest import REPO
from qa.batch import checked_policy
from qa.bulk import BulkReplay, units_of
from qa.bulk_sources import fields_of, plain_csv_rows
from qa.casefiles import open_cases
from qa.replay import Replay

HARDWARE = REPO / "policies" / "hardware_store.policy"
SAMPLE = (REPO / "policies" / "hardware_store.cases.csv").read_text().splitlines()
HEADER, ROWS = SAMPLE[0], SAMPLE[1:]


def _numbered(line: str, number: int) -> str:
    """The sample row with the id `L<line number>`."""
    return _with_cell(line, 0, f"L{number}")


def _with_cell(line: str, index: int, text: str) -> str:
    cells = line.split(",")  # the sample rows have no quotes
    cells[index] = text
    return ",".join(cells)


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    return path


def _outcomes(replay, path: Path) -> list[tuple]:
    with open_cases(str(path)) as case_file:
        return [(o.row, o.case_id, o.status, o.rule, o.floor, o.ceiling, o.open_at, o.approver, o.offered, o.reason)
                for o in replay.outcomes(case_file)]


def _decided_as_compiled(path: Path, threads: int) -> list[tuple]:
    source = HARDWARE.read_text()
    on_sql = _outcomes(BulkReplay(source, str(HARDWARE), threads), path)
    assert on_sql == _outcomes(Replay(source, str(HARDWARE), "compiled", 1), path)
    return on_sql


def _plain_rows(path: Path) -> int | None:
    with open_cases(str(path)) as case_file:
        return plain_csv_rows(duckdb.connect(), case_file)


def test_a_plain_file_is_read_by_duckdb_in_parts_each_numbered_from_its_first_line(tmp_path, monkeypatch):
    monkeypatch.setattr(qa.bulk_sources, "CSV_PART_ROWS", 100)
    lines = [_numbered(line, number) for number, line in enumerate(ROWS[:400], start=2)]
    lines[99] = _with_cell(lines[99], 1, '"defective_product"')  # whole quoted cells are plain
    lines[100] = _with_cell(lines[100], 4, '""')  # an empty quoted cell is an absent value, as an empty one
    lines[133] = _with_cell(lines[133], 4, '"none, really"')  # a comma in a quoted cell (no such warranty: invalid), first line of the second part
    lines[134] = _with_cell(lines[134], 2, "abc")  # an invalid price, the line after
    path = _write(tmp_path, (HEADER + "\n" + "\n".join(lines) + "\n").encode())
    with open_cases(str(path)) as case_file:
        unit = next(units_of(case_file, fields_of(checked_policy(HARDWARE.read_text(), str(HARDWARE))), 3))
        assert unit.native is not None and unit.expected_rows == 400
        numbers = unit.con.execute("SELECT count(*), count(DISTINCT _row), min(_row), max(_row), "
                                   "count(*) FILTER (id <> 'L' || _row) FROM cases").fetchall()
        assert numbers == [(400, 400, 2, 401, 0)]
    outcomes = _decided_as_compiled(path, threads=3)
    assert [outcome[0] for outcome in outcomes] == list(range(2, 402))
    statuses = {outcome[0]: outcome[2] for outcome in outcomes}
    assert statuses[135] == statuses[136] == "invalid" and statuses[101] != "invalid" and statuses[102] != "invalid"


def test_blank_lines_at_the_very_end_are_no_rows_for_either_reader(tmp_path):
    path = _write(tmp_path, (HEADER + "\n" + "\n".join(ROWS[:50]) + "\n\n\n").encode())
    assert _plain_rows(path) == 50
    assert len(_decided_as_compiled(path, threads=2)) == 50
    assert _plain_rows(_write(tmp_path, (HEADER + "\n").encode())) == 0


SAFE = ROWS[0]
HAZARDS = {
    "an inch mark": SAFE.replace("C000001", 'C1 5" screen'),
    "a doubled quote": SAFE.replace("C000001", '"C1 ""quoted"""'),
    "a quoted cell over two lines": SAFE.replace("C000001", '"C1\nsecond line"'),
    "an unclosed quote": SAFE.replace("C000001", '"C1'),
    "text after a closing quote": SAFE.replace("C000001", '"C1"x'),
    "a quote after a space": SAFE.replace(",defective_product", ', "defective_product"'),
    "a short row": "C1,defective_product,68.00",
    "a long row": SAFE + ",extra",
    "a blank line": "",
    "a carriage return": SAFE + "\r",
    "a NUL": SAFE.replace("C000001", "C1\x00"),
}


@pytest.mark.parametrize("hazard", sorted(HAZARDS))
def test_a_file_the_readers_could_read_differently_goes_to_the_python_reader(tmp_path, hazard):
    path = _write(tmp_path, (HEADER + "\n" + "\n".join([*ROWS[:300], HAZARDS[hazard], *ROWS[300:350]]) + "\n").encode())
    assert _plain_rows(path) is None
    outcomes = _decided_as_compiled(path, threads=2)
    assert len(outcomes) >= 350 and len({outcome[0] for outcome in outcomes}) == len(outcomes)


def test_bytes_that_are_not_utf8_go_to_the_python_reader(tmp_path):
    path = _write(tmp_path, (HEADER + "\n" + "\n".join(ROWS[:300])).encode() + b"\nC1\xff" + SAFE[7:].encode() + b"\n")
    assert _plain_rows(path) is None
    outcomes = _decided_as_compiled(path, threads=2)
    assert [outcome[0] for outcome in outcomes] == list(range(2, 303))
    assert outcomes[-1][2] == "invalid"
