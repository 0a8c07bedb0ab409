"""One set of writers for every file Redress writes rows to: case files (`cases generate --out`)
and result files (`replay --out/--rejects`, `diff --out`) are encoded alike, so a rejects file can
be fixed and fed back as a case file, and atomicity holds for both."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest

from conftest import REPO
from qa.casefiles import open_cases
from qa.casewriters import RowFileWriter, write_cases
from redress.outcome_files import RowWriter

ROWS = [{"id": "A1", "situation": "defective_product", "price": Decimal("120.00"), "legal_issue": True, "note": "5\" screen"},
        {"id": "A2", "situation": "flood", "price": None, "legal_issue": False, "note": "café, \"quoted\""}]
COLUMNS = ["id", "situation", "price", "legal_issue", "note"]


@pytest.mark.parametrize("extension", ["csv", "jsonl"])
def test_a_result_file_is_written_exactly_as_a_case_file(tmp_path, extension):
    result, case_file = tmp_path / f"result.{extension}", tmp_path / f"cases.{extension}"
    with RowWriter(str(result), COLUMNS) as writer:
        for row in ROWS:
            writer.write(row)
    write_cases(ROWS, str(case_file), columns=COLUMNS)
    assert result.read_bytes() == case_file.read_bytes()
    with open_cases(str(result)) as cases:
        read = [row.data for row in cases.rows()]
    assert [row["legal_issue"] in (True, "true") for row in read] == [True, False]
    assert [row["note"] for row in read] == [row["note"] for row in ROWS]


def test_a_parquet_result_file_is_all_text_and_reads_back(tmp_path):
    path = tmp_path / "result.parquet"
    with RowWriter(str(path), COLUMNS) as writer:
        for row in ROWS:
            writer.write(row)
    with open_cases(str(path)) as cases:
        read = [row.data for row in cases.rows()]
    assert read[0] == {"id": "A1", "situation": "defective_product", "price": "120.00", "legal_issue": "true",
                       "note": ROWS[0]["note"]}
    assert "price" not in read[1]  # a null cell is an absent field


def test_an_interrupted_write_leaves_nothing_behind(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("kept\n")
    for kind in ("jsonl", "json", "yaml", "csv", "parquet", "arrow"):
        with pytest.raises(RuntimeError):
            with RowFileWriter(str(path), kind, COLUMNS) as writer:
                writer.write(ROWS[0])
                raise RuntimeError("interrupted")
        assert path.read_text() == "kept\n" and os.listdir(tmp_path) == ["out.jsonl"], kind


def test_the_command_line_writers_own_no_encoding_of_their_own():
    source = (REPO / "redress" / "outcome_files.py").read_text(encoding="utf-8")
    assert not any(f"import {module}" in source for module in ("csv", "json", "pyarrow"))
