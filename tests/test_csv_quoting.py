"""CSV quoting never loses a row: a stray quote in a text cell is text, an unclosed quote is one
invalid row bounded by its line end, and a quoted cell may still hold line breaks when the lines it
joins make one well-formed row. Every case file here has 300 data rows, as a real export would, and
every one must come out as a decided or an invalid case with its row number."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import REPO
from qa.casefiles import open_cases
from qa.casefiles.framing import MAX_CELL_LINES, ends_in_quoted_cell

HARDWARE = REPO / "policies" / "hardware_store.policy"
HEADER = "id,situation,price,cost,note,offered"
ROWS = 300


def _line(index: int, note: str = "ok") -> str:
    return f"C{index:03d},defective_product,{10 + index % 50}.00,4.00,{note},2.00"


def _file(tmp_path: Path, lines: list[str], name: str = "cases.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(path: Path) -> list:
    with open_cases(str(path)) as case_file:
        return list(case_file.rows())


def _replay(redress, path: Path, *options: str) -> dict:
    result = redress("replay", HARDWARE, path, "--format", "json", "--workers", "2", *options)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _lines(**replaced: str) -> list[str]:
    """300 data lines, with some replaced: `at_12="..."` replaces data row 12 (CSV line 13)."""
    lines = [_line(index) for index in range(1, ROWS + 1)]
    for key, text in replaced.items():
        lines[int(key.removeprefix("at_")) - 1] = text
    return lines


def test_an_inch_mark_in_a_text_cell_is_text_and_no_row_is_lost(tmp_path, redress):
    path = _file(tmp_path, _lines(at_10=_line(10, '5" screen'), at_200=_line(200, 'a 27" monitor, "the big one"')))
    rows = _rows(path)
    assert [row.number for row in rows] == list(range(2, ROWS + 2))
    assert rows[9].data["note"] == '5" screen' and rows[9].error is None
    assert rows[199].error == "row 201 has 7 cells, the header has 6"  # an unquoted comma: one cell too many
    summary = _replay(redress, path)
    assert summary["cases"] == ROWS and summary["status"]["invalid"] == 1


def test_an_unclosed_quote_is_one_invalid_row_bounded_by_its_line(tmp_path, redress):
    path = _file(tmp_path, _lines(at_10='"C010,defective_product,10.00,4.00,ok,2.00'))
    rows = _rows(path)
    assert [row.number for row in rows] == list(range(2, ROWS + 2))
    bad = [row for row in rows if row.error]
    assert [(row.number, row.text) for row in bad] == [(11, '"C010,defective_product,10.00,4.00,ok,2.00')]
    assert "quoted cell that is not closed on its line" in bad[0].error
    out = tmp_path / "out.csv"
    summary = _replay(redress, path, "--out", str(out))
    assert summary["cases"] == ROWS and summary["status"]["invalid"] == 1
    with out.open(newline="") as stream:
        outcomes = list(csv.DictReader(stream))
    assert [int(row["row"]) for row in outcomes] == list(range(2, ROWS + 2))
    assert [row["row"] for row in outcomes if row["status"] == "invalid"] == ["11"]


def test_an_unclosed_quote_on_the_last_line(tmp_path, redress):
    path = _file(tmp_path, _lines(at_300='C300,defective_product,10.00,4.00,"never closed,2.00'))
    rows = _rows(path)
    assert len(rows) == ROWS and rows[-1].number == ROWS + 1 and rows[-1].data is None
    assert _replay(redress, path)["cases"] == ROWS


def test_two_stray_quotes_far_apart_do_not_join_the_lines_between(tmp_path, redress):
    """The first quote opens a cell that the second, 50 lines on, would close: the joined lines are
    not one row of six cells, so each line is its own row."""
    lines = _lines(at_100='C100,defective_product,10.00,4.00,"oops,2.00', at_150='C150,defective_product,10.00,4.00,x",2.00')
    rows = _rows(_file(tmp_path, lines))
    assert [row.number for row in rows] == list(range(2, ROWS + 2))
    assert [row.number for row in rows if row.error] == [101]  # line 151 alone is a fine row: `x"` is text
    assert rows[149].data["note"] == 'x"'


def test_an_unclosed_quote_with_no_quote_after_it_is_bounded(tmp_path):
    lines = _lines(at_5='C005,defective_product,10.00,4.00,"open')
    rows = _rows(_file(tmp_path, lines))
    assert len(rows) == ROWS and [row.number for row in rows if row.error] == [6]
    assert ROWS - 5 > MAX_CELL_LINES  # the cell was given up on before the file's end, not at it


def test_many_unclosed_quotes(tmp_path, redress):
    lines = _lines(**{f"at_{n}": f'"C{n:03d},defective_product,"10.00,4.00,ok,2.00' for n in range(3, ROWS, 7)})
    path = _file(tmp_path, lines)
    rows = _rows(path)
    assert [row.number for row in rows] == list(range(2, ROWS + 2))
    summary = _replay(redress, path)
    assert summary["cases"] == ROWS
    assert summary["status"]["invalid"] == len(range(3, ROWS, 7))


def test_a_quoted_cell_with_line_breaks_is_still_one_row(tmp_path):
    lines = _lines(at_20='C020,defective_product,10.00,4.00,"first line\nsecond ""quoted"" line\nthird",2.00')
    path = _file(tmp_path, lines)
    rows = _rows(path)
    assert len(rows) == ROWS
    assert rows[19].number == 21 and rows[19].data["note"] == 'first line\nsecond "quoted" line\nthird'
    assert rows[20].number == 24  # the row after it starts on the line after the cell closes


def test_the_quoting_the_writer_produces_reads_back(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER.split(","))
    notes = ['5" screen', 'say "hi"', "comma, inside", "line\nbreak", '"', '""', "", "x" * 1000, '"quoted" then text']
    for index in range(ROWS):
        writer.writerow([f"C{index}", "defective_product", "10.00", "4.00", notes[index % len(notes)], "1.00"])
    path = tmp_path / "written.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    rows = _rows(path)
    assert len(rows) == ROWS and not any(row.error for row in rows)
    assert [row.data.get("note", "") for row in rows] == [notes[index % len(notes)] for index in range(ROWS)]


@pytest.mark.parametrize("line, ends_inside", [
    (b'a,b,c\n', False), (b'a,5" screen,c\n', False), (b'a,"b,c\n', True), (b'"a\n', True), (b'a,"b""\n', True),
    (b'a,"b""",c\n', False), (b'a,"b"x,"c\n', True), (b'a,b"c,"d"\n', False), (b'"",""\n', False),
])
def test_where_a_quoted_cell_is_left_open_agrees_with_the_csv_module(line, ends_inside):
    assert ends_in_quoted_cell(line) is ends_inside
    cells = next(csv.reader([line.decode(), 'Z"\n']))  # a quote on the next line closes an open cell
    assert any(cell.endswith("\nZ") for cell in cells) is ends_inside
