"""Historic case files: every format read as a stream of raw rows, every row accounted for, every
broken file refused with a message that says where and what was expected."""

from __future__ import annotations

import datetime
import io
import json
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dsl.checker import check_file
from qa.casefiles import CaseFile, CaseFileError, RawRow, json_files, open_cases, parquet_file
from engine.cases import CaseReader

REPO = Path(__file__).resolve().parents[1]
HARDWARE = REPO / "policies" / "hardware_store.policy"


def read(path: Path | str, input_format: str | None = None) -> tuple[CaseFile, list[RawRow]]:
    with open_cases(str(path), input_format) as case_file:
        return case_file, list(case_file.rows())


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refused(path: Path | str, input_format: str | None = None) -> str:
    with pytest.raises(CaseFileError) as caught:
        read(path, input_format)
    return str(caught.value)


# ---------------------------------------------------------------- CSV


def test_csv_rows_are_numbered_by_line_and_empty_cells_are_absent(tmp_path):
    path = write(tmp_path, "cases.csv", "id,situation,price,cost,store\nC1,wrong_item,100.02,40,north\nC2,wrong_item,,40,\n")
    case_file, rows = read(path)
    assert case_file.format == "csv"
    assert case_file.columns == ["id", "situation", "price", "cost", "store"]
    assert rows == [
        RawRow(2, {"id": "C1", "situation": "wrong_item", "price": "100.02", "cost": "40", "store": "north"}, None,
               "C1,wrong_item,100.02,40,north"),
        RawRow(3, {"id": "C2", "situation": "wrong_item", "cost": "40"}, None, "C2,wrong_item,,40,"),
    ]


def test_csv_amounts_stay_exact_through_the_case_reader(tmp_path):
    path = write(tmp_path, "cases.csv", "situation,price,cost\nwrong_item,100.02,0.1\n")
    _, rows = read(path)
    case = CaseReader(check_file(str(HARDWARE)).policy).read(rows[0].data)
    assert case.values["price"] == Decimal("100.02") and case.values["cost"] == Decimal("0.1")


def test_csv_extra_columns_are_kept(tmp_path):
    path = write(tmp_path, "cases.csv", "id,price,agent,notes\nA,1,kim,\"said \"\"sorry\"\", twice\"\n")
    case_file, rows = read(path)
    assert case_file.columns == ["id", "price", "agent", "notes"]
    assert rows[0].data == {"id": "A", "price": "1", "agent": "kim", "notes": 'said "sorry", twice'}


def test_csv_quoted_cell_over_two_lines_is_one_row_numbered_by_its_first_line(tmp_path):
    path = write(tmp_path, "cases.csv", "id,notes\nA,\"two\nlines\"\nB,one\n")
    _, rows = read(path)
    assert [(row.number, row.data) for row in rows] == [(2, {"id": "A", "notes": "two\nlines"}), (4, {"id": "B", "notes": "one"})]
    assert rows[0].text == "A,\"two\nlines\""


def test_csv_byte_order_mark_and_crlf_line_ends(tmp_path):
    path = write(tmp_path, "cases.csv", b"\xef\xbb\xbfid,price\r\nA,1\r\nB,2\r\n")
    case_file, rows = read(path)
    assert case_file.columns == ["id", "price"]
    assert [(row.data, row.text) for row in rows] == [({"id": "A", "price": "1"}, "A,1"), ({"id": "B", "price": "2"}, "B,2")]


def test_csv_corrupted_rows_in_the_middle_are_errors_and_reading_goes_on(tmp_path):
    lines = ["id,price,cost"] + [f"C{i},{i}.00,1.00" for i in range(1, 11)]
    lines[3] = "C3,3.00"                       # a cell missing
    lines[5] = "C5,5.00,1.00,surplus"          # a cell too many
    lines[7] = 'C7,"7.00"x,1.00'               # broken quoting
    lines[8] = ""                              # an empty line in the middle
    path = write(tmp_path, "cases.csv", "\n".join(lines) + "\n")
    _, rows = read(path)
    assert [row.number for row in rows] == list(range(2, 12))  # nothing dropped
    errors = {row.number: row.error for row in rows if row.error}
    assert errors == {
        4: "row 4 has 2 cells, the header has 3",
        6: "row 6 has 4 cells, the header has 3",
        8: errors[8],
        9: "row 9 is an empty line",
    }
    assert errors[8].startswith("row 8 cannot be read as CSV")
    bad = {row.number: row.text for row in rows if row.error}
    assert bad[4] == "C3,3.00" and bad[8] == 'C7,"7.00"x,1.00'
    assert all(row.data is None for row in rows if row.error)
    assert rows[-1].data == {"id": "C10", "price": "10.00", "cost": "1.00"}


def test_csv_truncated_last_line_is_a_row_error_not_a_crash(tmp_path):
    path = write(tmp_path, "cases.csv", "id,price,cost\nA,1,2\nB,3")
    _, rows = read(path)
    assert rows[0].data == {"id": "A", "price": "1", "cost": "2"}
    assert rows[1] == RawRow(3, None, "row 3 has 2 cells, the header has 3; the file ends in the middle of this row", "B,3")


def test_csv_empty_lines_at_the_end_are_ignored(tmp_path):
    _, rows = read(write(tmp_path, "cases.csv", "id,price\nA,1\n\n\n"))
    assert [row.number for row in rows] == [2]


def test_csv_header_only_is_no_cases(tmp_path):
    case_file, rows = read(write(tmp_path, "cases.csv", "id,price\n"))
    assert case_file.columns == ["id", "price"] and rows == []


def test_csv_undecodable_line_after_the_start_is_a_row_error(tmp_path):
    good = "".join(f"C{i},{i}\n" for i in range(2000))  # past the part sniffed when opening
    path = write(tmp_path, "cases.csv", b"id,price\n" + good.encode() + b"Z\xe9,1\nY,2\n")
    _, rows = read(path)
    assert len(rows) == 2002
    assert rows[-2].error == f"row {rows[-2].number} is not UTF-8 text" and rows[-2].data is None
    assert rows[-1].data == {"id": "Y", "price": "2"}


@pytest.mark.parametrize("separator, named", [(";", "looks like ;-separated"), ("\t", "looks like tab-separated")])
def test_csv_wrong_delimiter(tmp_path, separator, named):
    path = write(tmp_path, "cases.csv", separator.join(["id", "situation", "price"]) + "\n" + separator.join(["A", "x", "1"]) + "\n")
    message = refused(path)
    assert message.startswith(f"{path}:1: ") and named in message and "comma-separated" in message


def test_csv_header_problems(tmp_path):
    assert "names column `price` more than once" in refused(write(tmp_path, "a.csv", "price,cost,price\n1,2,3\n"))
    assert "column 2 of the header has no name" in refused(write(tmp_path, "b.csv", "price,,cost\n1,2,3\n"))
    assert "the first line is empty" in refused(write(tmp_path, "c.csv", "\nprice\n1\n"))


def test_csv_memory_stays_flat(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w") as stream:
        stream.write("id,situation,price,cost,offered\n")
        for i in range(50_000):
            stream.write(f"C{i:06d},defective_product,{i % 500}.99,{i % 300}.10,12.50\n")
    tracemalloc.start()
    try:
        count = 0
        with open_cases(str(path)) as case_file:
            for count, _ in enumerate(case_file.rows(), start=1):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 50_000
    assert peak < 500_000, peak  # the file is ~2.5 MB


# ---------------------------------------------------------------- JSON Lines


def test_jsonl_lines_decimals_nulls_and_bad_lines(tmp_path):
    content = ('{"id": "A", "price": 100.02, "cost": null, "agent": "kim"}\n'
               "\n"
               "[1, 2]\n"
               '{"id": "B", "price": \n'
               '{"id": "C", "price": NaN}\n'
               '{"id": "D", "price": 7}\n'
               "\n")
    case_file, rows = read(write(tmp_path, "cases.jsonl", content))
    assert case_file.format == "jsonl" and case_file.columns is None
    assert rows[0] == RawRow(1, {"id": "A", "price": Decimal("100.02"), "agent": "kim"}, None,
                             '{"id": "A", "price": 100.02, "cost": null, "agent": "kim"}')
    assert isinstance(rows[0].data["price"], Decimal)
    assert rows[1] == RawRow(2, None, "line 2: empty line", "")
    assert rows[2].error == "line 3: a list, not an object"
    assert rows[3].error.startswith("line 4: invalid JSON: Expecting value")
    assert rows[4].error.startswith("line 5: invalid JSON: NaN")
    assert rows[5] == RawRow(6, {"id": "D", "price": 7}, None, '{"id": "D", "price": 7}')
    assert len(rows) == 6  # the empty last line is the end of the file


def test_jsonl_undecodable_line_after_the_start_is_a_row_error(tmp_path):
    good = "".join(json.dumps({"id": i}) + "\n" for i in range(1000)).encode()
    _, rows = read(write(tmp_path, "cases.jsonl", good + b'{"id": "\xff"}\n{"id": "last"}\n'))
    assert rows[1000] == RawRow(1001, None, "line 1001: not UTF-8 text", '{"id": "\ufffd"}')
    assert rows[1001].data == {"id": "last"}


# ---------------------------------------------------------------- a JSON array


def test_json_array_items(tmp_path):
    content = '[\n  {"id": "A", "price": 100.02, "cost": null},\n  5,\n  {"id": "B", "note": "x"}\n]\n'
    case_file, rows = read(write(tmp_path, "cases.json", content))
    assert case_file.format == "json" and case_file.columns is None
    assert rows == [
        RawRow(1, {"id": "A", "price": Decimal("100.02")}, None, '{"id": "A", "price": 100.02, "cost": null}'),
        RawRow(2, None, "item 2 is a number, not an object", "5"),
        RawRow(3, {"id": "B", "note": "x"}, None, '{"id": "B", "note": "x"}'),
    ]


def test_json_empty_array(tmp_path):
    assert read(write(tmp_path, "cases.json", " [ ] \n"))[1] == []


def test_json_array_streams_in_small_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(json_files, "JSON_CHUNK_CHARS", 256)
    items = [{"id": f"C{i}", "price": f"{i}.{i % 100:02d}", "n": i, "note": "x" * (i % 90)} for i in range(50_000)]
    path = tmp_path / "cases.json"
    path.write_text("[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]\n")
    _, rows = read(path)
    assert [row.number for row in rows] == list(range(1, 50_001))
    assert [row.data for row in rows] == items
    assert [row.text for row in rows] == [json.dumps(item) for item in items]
    del rows
    tracemalloc.start()
    try:
        with open_cases(str(path)) as case_file:
            count = sum(1 for _ in case_file.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 50_000
    assert peak < path.stat().st_size / 10, peak  # streamed, never the whole file


def test_json_array_on_one_line_with_values_cut_by_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(json_files, "JSON_CHUNK_CHARS", 3)
    _, rows = read(write(tmp_path, "cases.json", '[{"price": 123456.789}, 123456, {"a": "b"}]'))
    assert rows[0].data == {"price": Decimal("123456.789")}
    assert rows[1].error == "item 2 is a number, not an object" and rows[1].text == "123456"
    assert rows[2].data == {"a": "b"}


def test_json_truncated_array_is_a_file_error_after_the_rows_before_it(tmp_path):
    path = write(tmp_path, "cases.json", '[\n  {"id": "A"},\n  {"id": "B", "price": 1')
    seen = []
    with pytest.raises(CaseFileError) as caught:
        with open_cases(str(path)) as case_file:
            for row in case_file.rows():
                seen.append(row)
    assert [row.data for row in seen] == [{"id": "A"}]
    assert str(caught.value) == f"{path}:3: the JSON array ends before its closing `]` (in item 2): the file is truncated"
    assert "truncated" in refused(write(tmp_path, "b.json", '[{"id": "A"},'))
    assert "truncated" in refused(write(tmp_path, "c.json", '[{"id": "A"}'))
    assert "truncated" in refused(write(tmp_path, "d.json", '[{"id": "A", "note": "unfinish'))


def test_json_array_broken_syntax_says_where(tmp_path):
    message = refused(write(tmp_path, "cases.json", '[\n  {"id": "A"},\n  {"id": "B",, "x": 1},\n  {"id": "C"}\n]\n'))
    assert message.startswith(f"{tmp_path / 'cases.json'}:3: item 2 is not valid JSON: Expecting property name")
    assert "(column 14)" in message
    assert "after item 1" in refused(write(tmp_path, "b.json", '[{"id": "A"} {"id": "B"}]'))
    assert "text after the closing `]`" in refused(write(tmp_path, "c.json", '[{"id": "A"}] x'))


def test_json_that_is_not_an_array(tmp_path):
    assert "JSON Lines file?" in refused(write(tmp_path, "a.json", '{"id": "A"}\n{"id": "B"}\n'))
    assert "is not a JSON array" in refused(write(tmp_path, "b.json", '"cases"'))


# ---------------------------------------------------------------- YAML


def test_yaml_list_with_exact_decimals(tmp_path):
    content = "- id: A\n  price: 100.02\n  on: 2026-01-31\n  cost: null\n- 3\n- {id: B, legal_issue: true}\n"
    case_file, rows = read(write(tmp_path, "cases.yaml", content))
    assert case_file.format == "yaml"
    assert rows[0].number == 1 and rows[0].data["price"] == Decimal("100.02")
    assert isinstance(rows[0].data["price"], Decimal)
    assert "cost" not in rows[0].data
    assert "2026-01-31" in rows[0].data.values()  # dates stay the text written
    assert rows[1] == RawRow(2, None, "item 2 is a number, not an object", None)
    assert rows[2].data == {"id": "B", "legal_issue": True}
    assert read(write(tmp_path, "cases.yml", "- id: C\n"))[1][0].data == {"id": "C"}


def test_yaml_that_cannot_be_read(tmp_path):
    message = refused(write(tmp_path, "a.yaml", "- id: A\n  price: [1\n- id: B\n"))
    assert "is not valid YAML" in message and message.startswith(f"{tmp_path / 'a.yaml'}:")
    assert "is not a YAML list" in refused(write(tmp_path, "b.yaml", "id: A\nprice: 1\n"))


def _billion_laughs() -> str:
    """Ten chained aliases of nine each: 910 bytes that stand for a billion values."""
    lines = ['- a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"  a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]" for level in range(1, 10)]
    lines += ["- situation: defective_product", "  price: 10", "  cost: 5", "  warranty: *a9", ""]
    return "\n".join(lines)


def test_yaml_alias_chains_are_refused_at_linear_cost(tmp_path):
    path = write(tmp_path, "laughs.yaml", _billion_laughs())
    assert path.stat().st_size < 1000
    tracemalloc.start()
    try:
        message = refused(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "aliases (`*name`) stand for more than 10,000 values" in message
    assert peak < 2_000_000, peak


def test_yaml_aliases_within_the_bound_are_read(tmp_path):
    """Merge keys that share defaults across 300 cases expand the file a few times, not a thousand."""
    items = "".join(f"- <<: *usual\n  id: C{index}\n" for index in range(300))
    content = "- &usual {situation: defective_product, price: 10.50, cost: 4}\n" + items
    _, rows = read(write(tmp_path, "merged.yaml", content))
    assert len(rows) == 301 and rows[-1].data == {"situation": "defective_product", "price": Decimal("10.50"), "cost": 4, "id": "C299"}


def test_yaml_recursive_aliases_huge_integers_and_deep_nesting(tmp_path):
    assert "an alias refers to a value that contains it" in refused(write(tmp_path, "a.yaml", "- &a [*a]\n"))
    assert "cannot be read: Exceeds the limit" in refused(write(tmp_path, "b.yaml", "- {price: 1" + "0" * 5000 + "}\n"))
    assert "is not valid YAML" in refused(write(tmp_path, "c.yaml", "- " + "[" * 100_000 + "]" * 100_000 + "\n"))


# ---------------------------------------------------------------- Parquet


def test_parquet_types_nulls_and_row_numbers(tmp_path):
    table = pa.table({
        "id": ["A", "B", None],
        "price": pa.array([Decimal("100.02"), None, Decimal("3.10")], pa.decimal128(10, 2)),
        "cost": [0.1, 100.02, None],
        "miles_driven": pa.array([1, None, 3], pa.int32()),
        "legal_issue": [True, False, None],
        "sold_on": [datetime.date(2026, 1, 2), None, None],
        "situation": pa.array(["wrong_item", "other", "wrong_item"]).dictionary_encode(),
    })
    path = tmp_path / "cases.parquet"
    pq.write_table(table, path)
    case_file, rows = read(path)
    assert case_file.format == "parquet"
    assert case_file.columns == ["id", "price", "cost", "miles_driven", "legal_issue", "sold_on", "situation"]
    assert rows == [
        RawRow(1, {"id": "A", "price": Decimal("100.02"), "cost": Decimal("0.1"), "miles_driven": 1, "legal_issue": True,
                   "sold_on": "2026-01-02", "situation": "wrong_item"}, None, None),
        RawRow(2, {"id": "B", "cost": Decimal("100.02"), "legal_issue": False, "situation": "other"}, None, None),
        RawRow(3, {"price": Decimal("3.10"), "miles_driven": 3, "situation": "wrong_item"}, None, None),
    ]
    assert all(not isinstance(value, float) for row in rows for value in row.data.values())


def test_parquet_reads_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(parquet_file.ParquetFile, "BATCH_ROWS", 7)
    path = tmp_path / "cases.parquet"
    pq.write_table(pa.table({"id": [f"C{i}" for i in range(100)], "n": list(range(100))}), path, row_group_size=30)
    _, rows = read(path)
    assert [row.number for row in rows] == list(range(1, 101))
    assert [row.data["n"] for row in rows] == list(range(100))


@pytest.mark.parametrize("column, type_shown", [
    (pa.array([[1, 2]]), "list<element: int64>"),
    (pa.array([{"a": 1}]), "struct<a: int64>"),
    (pa.array([b"\x00\x01"]), "binary"),
])
def test_parquet_unknown_column_type(tmp_path, column, type_shown):
    path = tmp_path / "cases.parquet"
    pq.write_table(pa.table({"id": ["A"], "odd": column}), path)
    message = refused(path)
    assert f"column `odd` has type {type_shown}" in message and "expected integers, decimals" in message


def test_parquet_that_is_not_parquet(tmp_path):
    assert "cannot be read as Parquet" in refused(write(tmp_path, "cases.parquet", "id,price\nA,1\n"))
    assert "cannot be read as Parquet" in refused(write(tmp_path, "cut.parquet", b"PAR1" + b"\x00" * 20))


# ---------------------------------------------------------------- Arrow IPC


def _write_arrow(table: pa.Table, path: Path, stream: bool, batch_rows: int | None = None) -> None:
    with (pa.ipc.new_stream if stream else pa.ipc.new_file)(str(path), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=batch_rows):
            writer.write_batch(batch)


@pytest.mark.parametrize("name, stream", [("cases.arrow", False), ("cases.arrows", True), ("cases.feather", False)])
def test_arrow_types_nulls_and_row_numbers(tmp_path, name, stream):
    table = pa.table({
        "id": ["A", "B", None],
        "price": pa.array([Decimal("100.02"), None, Decimal("3.10")], pa.decimal128(10, 2)),
        "miles_driven": pa.array([1, None, 3], pa.int32()),
        "legal_issue": [True, False, None],
        "situation": pa.array(["wrong_item", "other", "wrong_item"]).dictionary_encode(),
    })
    _write_arrow(table, tmp_path / name, stream, batch_rows=2)
    case_file, rows = read(tmp_path / name)
    assert case_file.format == "arrow"
    assert case_file.columns == ["id", "price", "miles_driven", "legal_issue", "situation"]
    assert rows == [
        RawRow(1, {"id": "A", "price": Decimal("100.02"), "miles_driven": 1, "legal_issue": True, "situation": "wrong_item"},
               None, None),
        RawRow(2, {"id": "B", "legal_issue": False, "situation": "other"}, None, None),
        RawRow(3, {"price": Decimal("3.10"), "miles_driven": 3, "situation": "wrong_item"}, None, None),
    ]


def test_arrow_that_is_not_arrow(tmp_path):
    assert "is neither an Arrow IPC file" in refused(write(tmp_path, "cases.arrow", "id,price\nA,1\n"))
    assert "cannot be read as an Arrow IPC file" in refused(write(tmp_path, "cut.arrow", b"ARROW1" + b"\x00" * 20))
    assert "expected integers, decimals" in refused(_arrow_with(tmp_path, pa.table({"id": ["A"], "odd": [[1, 2]]})))


def _arrow_with(tmp_path: Path, table: pa.Table) -> Path:
    _write_arrow(table, tmp_path / "cases.arrow", stream=False)
    return tmp_path / "cases.arrow"


def test_a_cut_arrow_stream_says_from_which_row(tmp_path):
    path = tmp_path / "cases.arrows"
    _write_arrow(pa.table({"id": [f"C{i}" for i in range(100)], "n": list(range(100))}), path, stream=True, batch_rows=40)
    whole = path.read_bytes()
    path.write_bytes(whole[:len(whole) - 300])  # the last batch is cut short
    with open_cases(str(path)) as case_file:
        rows = []
        with pytest.raises(CaseFileError) as caught:
            rows.extend(case_file.rows())
    assert "row 81 onwards cannot be read" in str(caught.value)
    assert [row.number for row in rows] == list(range(1, 81))


def test_standard_input_arrow_stream_and_file(monkeypatch, tmp_path):
    table = pa.table({"id": ["A"], "price": pa.array([Decimal("1.25")], pa.decimal128(5, 2))})
    for name, stream in (("cases.arrows", True), ("cases.arrow", False)):
        _write_arrow(table, tmp_path / name, stream)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((tmp_path / name).read_bytes())))
        assert read("-", "arrow")[1] == [RawRow(1, {"id": "A", "price": Decimal("1.25")}, None, None)]


# ---------------------------------------------------------------- files that cannot be read at all


@pytest.mark.parametrize("name", ["cases.csv", "cases.jsonl", "cases.json", "cases.yaml", "cases.parquet", "cases.arrow"])
def test_empty_file(tmp_path, name):
    path = write(tmp_path, name, "")
    assert refused(path).startswith(f"{path}: is empty")


@pytest.mark.parametrize("name", ["cases.csv", "cases.jsonl", "cases.json", "cases.yaml"])
def test_blank_file_is_empty(tmp_path, name):
    assert "is empty" in refused(write(tmp_path, name, "\n  \n"))


@pytest.mark.parametrize("name", ["cases.csv", "cases.jsonl", "cases.json", "cases.yaml", "cases.parquet", "cases.arrow"])
def test_missing_file(tmp_path, name):
    assert refused(tmp_path / name) == f"{tmp_path / name}: no such file"


def test_a_directory(tmp_path):
    (tmp_path / "cases.csv").mkdir()
    assert "is a directory" in refused(tmp_path / "cases.csv")


@pytest.mark.parametrize("name", ["cases.csv", "cases.jsonl", "cases.json", "cases.yaml"])
def test_undecodable_bytes(tmp_path, name):
    path = write(tmp_path, name, "id,price\nCaf\u00e9,1\n".encode("latin-1"))
    message = refused(path)
    assert "is not UTF-8 text (byte 0xe9)" in message and "save it as UTF-8" in message


@pytest.mark.parametrize("content, said", [
    (b"id,price\x00\x01\x02", "is binary"),
    (b"\xff\xfei\x00d\x00", "UTF-16"),
    (b"PAR1\x15\x04", "a Parquet file"),
    (b"ARROW1\x00\x00", "an Arrow IPC file"),
    (b"\xff\xff\xff\xff\x10\x00", "an Arrow IPC stream"),
    (b"\x1f\x8b\x08\x00", "gzip-compressed"),
    (b"PK\x03\x04", "ZIP archive"),
])
def test_binary_files(tmp_path, content, said):
    assert said in refused(write(tmp_path, "cases.csv", content))


def test_unknown_extension_and_format(tmp_path):
    path = write(tmp_path, "cases.txt", "id,price\nA,1\n")
    assert "extension `.txt`" in refused(path) and "--input-format" in refused(path)
    assert "unknown input format `xml`" in refused(path, "xml")


def test_explicit_format_wins_over_the_extension(tmp_path):
    path = write(tmp_path, "cases.txt", "id,price\nA,1\n")
    case_file, rows = read(path, "csv")
    assert case_file.format == "csv" and rows[0].data == {"id": "A", "price": "1"}
    assert read(path, "CSV")[1] == rows


def test_standard_input_is_json_lines_by_default(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"id": "A", "price": 1.5}\n')))
    case_file, rows = read("-")
    assert case_file.format == "jsonl" and rows == [RawRow(1, {"id": "A", "price": Decimal("1.5")}, None, '{"id": "A", "price": 1.5}')]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"id,price\nA,1\n")))
    assert read("-", "csv")[1] == [RawRow(2, {"id": "A", "price": "1"}, None, "A,1")]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert refused("-") == "<stdin>: is empty; expected cases"


def test_standard_input_parquet(monkeypatch, tmp_path):
    pq.write_table(pa.table({"id": ["A"], "price": [1.25]}), tmp_path / "cases.parquet")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((tmp_path / "cases.parquet").read_bytes())))
    assert read("-", "parquet")[1] == [RawRow(1, {"id": "A", "price": Decimal("1.25")}, None, None)]


def test_the_error_carries_where(tmp_path):
    path = write(tmp_path, "cases.csv", "id;price\nA;1\n")
    with pytest.raises(CaseFileError) as caught:
        open_cases(str(path))
    assert caught.value.path == str(path) and caught.value.line == 1 and "looks like ;-separated" in caught.value.message


def test_a_json_array_refuses_nan(tmp_path):
    assert "item 2 is not valid JSON: NaN is not a number a case can hold" in refused(
        write(tmp_path, "cases.json", '[{"id": "A"}, {"price": NaN}]'))


def test_standard_input_stays_open(monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b'[{"id": "A"}]'))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert read("-", "json")[1] == [RawRow(1, {"id": "A"}, None, '{"id": "A"}')]
    assert not stdin.buffer.closed
