"""Where the SQL engine's rows come from, each numbered as the Python readers number it.

- `NativeFile`: a Parquet file, or a plain CSV file (`plain_csv_rows`), that DuckDB reads itself, in
  parallel, typed as stored (DECIMAL, integers, BOOLEAN, text). For the row numbers SQL hands back,
  `rows_at` gives the very `RawRow`s the Python reader gives, so their reasons are its reasons.
- `qa.bulk_rows.arrow_batches`: an Arrow IPC file's record batches, typed as stored, handed to DuckDB
  as they are, about a million rows a unit.
- `qa.bulk_rows.batches_of`: anything else (CSV that is not plain, JSON Lines, JSON, YAML, rows in
  memory), read by the Python reader and turned into Arrow batches of text columns.

Every relation has `_row` (the row number), `_i` (where to find the row again) and `_python`
(decide it with the compiled engine whatever SQL says).
"""

from __future__ import annotations

import mmap

from dsl.model import Policy
from qa.casefiles import CaseFile, RawRow
from qa.casefiles.framing import parse_csv

CSV_PART_ROWS = 65_536  # a CSV file is read in one part per thread, of at least this many rows
ROW, INDEX, PYTHON = "_row", "_i", "_python"


class NativeFile:
    """A Parquet file, or a plain CSV file of `rows` data rows (see `plain_csv_rows`), read by
    DuckDB itself as the view `source_file`, numbered as the Python reader numbers its rows;
    `rows_at` gives the Python reader's rows for the row numbers SQL hands back.

    DuckDB numbers a CSV file's rows only with `row_number() OVER ()`, which keeps every operator
    of the query above it on one thread. A plain file has one row per line, so its lines are cut
    into one part per thread (`skip` lines, then `LIMIT`), each numbered from its first line, and
    the parts are read side by side."""

    def __init__(self, con, case_file: CaseFile, rows: int = 0):
        self.case_file = case_file
        path = case_file.path
        if case_file.format == "parquet":
            con.read_parquet(path, file_row_number=True).create_view("source_file", replace=True)
            numbered = f"SELECT *, file_row_number + 1 AS {ROW} FROM source_file"
        else:
            columns = {name: "VARCHAR" for name in case_file.columns}
            threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
            parts = max(1, min(threads, rows // CSV_PART_ROWS))
            selects = []
            for part in range(parts):
                first, last = rows * part // parts, rows * (part + 1) // parts
                con.read_csv(path, header=False, skiprows=1 + first, all_varchar=True, columns=columns, sep=",", quotechar='"',
                             escapechar='"', strict_mode=True, null_padding=False, auto_detect=False).create_view(f"source_part{part}", replace=True)
                limit = f" LIMIT {last - first}" if part < parts - 1 else ""  # the last part reads on: a miscount shows
                selects.append(f"(SELECT *, row_number() OVER () + {first + 1} AS {ROW} FROM source_part{part}{limit})")
            numbered = " UNION ALL ".join(selects)
        self.select = f"SELECT *, {ROW} AS {INDEX}, false AS {PYTHON} FROM ({numbered})"

    def rows_at(self, numbers: list[int]) -> dict[int, RawRow]:
        if not numbers:
            return {}
        if self.case_file.format == "parquet":
            return self._parquet_rows(numbers)
        wanted, found = set(numbers), {}
        header = tuple(self.case_file.columns)
        with open(self.case_file.path, "rb") as stream:
            for number, line in enumerate(stream, start=1):
                if number in wanted:
                    found[number] = parse_csv(header, [(number, line)])[0]
                    if len(found) == len(wanted):
                        break
        return found

    def _parquet_rows(self, numbers: list[int]) -> dict[int, RawRow]:
        import pyarrow.parquet as pq

        found = {}
        parquet = pq.ParquetFile(self.case_file.path)
        start = 0
        pending = sorted(numbers)
        for group in range(parquet.num_row_groups):
            size = parquet.metadata.row_group(group).num_rows
            inside = [n for n in pending if start < n <= start + size]
            if inside:
                table = parquet.read_row_group(group).take([n - start - 1 for n in inside])
                batch = table.combine_chunks().to_batches()[0]
                for index, number in enumerate(inside):
                    found[number] = self.case_file.row_of(batch, index, number)
            start += size
        return found


# A CSV cell both readers read alike: quoted with no quote inside, or neither quote nor comma.
_PLAIN_CELL = '(?:"[^"]*"|[^",]*)'


def plain_csv_rows(con, case_file: CaseFile) -> int | None:
    """How many data rows DuckDB must read from the CSV file when it reads it exactly as the Python
    reader does, one row per line; None when it may not. The file is plain when it has no NUL and
    no carriage return, and every line after the header is a row of the header's width whose
    cells are quoted with no quote inside (`"a, b"`) or hold neither quote nor comma: there
    Python's `csv` and DuckDB cannot disagree. Blank lines are allowed only at the very end, which
    both readers ignore. A stray quote (`5" screen`), a doubled one, a quoted cell spanning lines,
    a short row or bytes that are not UTF-8 make the file not plain: the Python reader reads it,
    and reports each bad row. DuckDB reads the lines and matches each against one regular
    expression (RE2: linear time), in parallel: a pass in Python over every byte cost more than
    the whole replay."""
    if case_file.format != "csv" or case_file.path == "-" or len(case_file.columns) < 2:
        return None
    import duckdb

    with open(case_file.path, "rb") as stream:
        try:
            data = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file
            return None
        with data:
            if data.find(b"\x00") >= 0 or data.find(b"\r") >= 0:
                return None
            size = len(data)
            try:
                con.read_csv(case_file.path, columns={"line": "VARCHAR"}, header=True, sep="\x00", quotechar="", escapechar="",
                             auto_detect=False, strict_mode=True).create_view("source_lines", replace=True)
                lines, blank, other = con.execute(
                    "SELECT count(*), count(*) FILTER (line IS NULL), count(*) FILTER (NOT regexp_full_match(line, $pattern)) "
                    "FROM source_lines", {"pattern": _PLAIN_CELL + f"(?:,{_PLAIN_CELL}){{{len(case_file.columns) - 1}}}"}).fetchall()[0]
            except duckdb.Error:
                return None
            trailing_blank = blank == 0 or data[size - blank - 1:] == b"\n" * (blank + 1)
    return lines - blank if not other and trailing_blank else None


def fields_of(*policies: Policy) -> dict[str, str]:
    """Each field's kind; a name two policies give different kinds gets "mixed" (text only)."""
    kinds: dict[str, str] = {}
    for policy in policies:
        for case_field in policy.fields:
            if kinds.setdefault(case_field.name, case_field.kind) != case_field.kind:
                kinds[case_field.name] = "mixed"
    return kinds
