"""`eval --jsonl` lines read by DuckDB itself: a block of lines in, the whole output lines out.

Python makes no object per line. The block's bytes become one Arrow string array (cut at its line
breaks in C++, checked to be UTF-8 once), and one regular expression (RE2: linear
time) both proves a line *plain* and cuts out each value's JSON text. The expression is made for
one order of keys (that of the block's first lines): a flat object holding some of those keys, in
that order, each once (so no unknown and no duplicate key), every key spelled without escapes, and
per field only JSON values the case reader reads exactly as the same text in a CSV cell:

- a string with no backslash and no control character (its text is then its JSON text, and a
  case id written back is the very token of the line);
- for a number field, also a JSON number with no exponent, no leading zero and no `-0.`: the case
  reader turns `3` and `"3"`, `1.10` and `"1.10"` into the same Decimal (msgspec hands `Decimal`
  the number's own text), so the SQL reader's text checks (digits within the domain, bounds)
  and its `format(value, "f")` for the wording apply unchanged;
- for a flag, also `true` or `false`; `null` anywhere (the key as absent, as the reader has it);
- for the id, a printable ASCII string, `null` or a whole number of at most 15 digits (the ids the
  case reader always accepts, written back as they are); `offered` (ignored by eval) any JSON scalar.

Spaces may stand around any token, and a CR before the line break; a tab or any other layout
takes the per-line path.

Every other line (another key order, an escape, `1e3`, a number for a text, a list, junk, a blank
line) is NULL in the result: the caller decides it on the per-line path, which gives the very
error or decision it gives today. SQL only ever says "exactly this line" or "ask Python".
"""

from __future__ import annotations

import re
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from dsl.model import BOOL, INTEGER, MONEY, NUMBER, Policy
from engine.cases import CASE_ID_KEY, OFFERED_KEY
from engine.sql import compile_policy
from engine.sql.json_text import decision_json
from qa.bulk_sources import INDEX, PYTHON, ROW

_STRING = r'"[^"\\\x00-\x1f]*"'
_NUMBER = r"0|-?[1-9][0-9]*(?:\.[0-9]+)?|0\.[0-9]+"
_ANY_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
# An id SQL writes back as it is: the text the case reader always accepts (printable ASCII), whose
# JSON is its own text; other ids (non-ASCII, escapes) are read by the case reader on the per-line path.
_ASCII_ID = r'"[ !#-\[\]-~]*"'
_ID = "_id"
_OFFERED = "_offered"  # whether a plain line holds `offered` (eval ignores it, with a note once)
# Lines whose order of keys is looked for, from the block's start (a blank or broken first line
# must not send a whole block to the per-line path).
_LINES_FOR_ORDER = 16
# A key as the block's first line spells it: only a plain one is a candidate for the expression.
_KEYS = re.compile(rb'[{,] *"([A-Za-z0-9_]*)" *:')


def _value_pattern(kind: str) -> str:
    if kind in (MONEY, NUMBER, INTEGER):
        return f"{_STRING}|{_NUMBER}|null"
    if kind == BOOL:
        return f"{_STRING}|true|false|null"
    return f"{_STRING}|null"  # a text or a choice


def _first_lines(block: bytes, count: int) -> Iterator[bytes]:
    """Up to `count` lines from the block's start (not `split`, whose last part copies the rest)."""
    start = 0
    for _ in range(count):
        end = block.find(b"\n", start)
        if end < 0:
            yield block[start:]
            return
        yield block[start:end]
        start = end + 1


def _utf8_or_nothing(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return ""  # no line matches it; the per-line path says which byte is wrong


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class JsonLines:
    """The SQL that decides plain lines for one policy, per order of keys, on one connection."""

    def __init__(self, con, policy: Policy, head: str, offered_ignored: bool):
        self.con = con
        self.policy = policy
        self.head = head
        self.kinds = {field.name: field.kind for field in policy.fields}
        self.patterns = {name: _value_pattern(kind) for name, kind in self.kinds.items()}
        self.patterns[CASE_ID_KEY] = f"{_ASCII_ID}|null|0|-?[1-9][0-9]{{0,14}}"
        if offered_ignored:
            self.patterns[OFFERED_KEY] = f"{_STRING}|{_ANY_NUMBER}|true|false|null"
        self.offered_ignored = offered_ignored
        self.order: tuple[str, ...] | None = None
        self.compiled = False

    def keys_of(self, block: bytes) -> tuple[str, ...] | None:
        """The keys of the block's first lines, in an order that keeps each line's (a key new to
        the order goes after the line's key before it): lines that omit a field are plain too.
        Only lines whose keys are all keys a plain line may hold, each once, count; None when
        there is none (the block takes the per-line path)."""
        order: list[str] = []
        for line in _first_lines(block, _LINES_FOR_ORDER):
            keys = [key.decode() for key in _KEYS.findall(line)]
            if not keys or len(set(keys)) != len(keys) or not all(key in self.patterns for key in keys):
                continue
            at = 0
            for key in keys:
                if key not in order:
                    order.insert(at, key)
                at = order.index(key) + 1
        return tuple(order) or None

    def _define(self, order: tuple[str, ...]) -> None:
        """The view `json_cases` (one text column per field, as a CSV file's cells) for this order of
        keys; the decision view over it is made once.

        Each key may be left out, but those present come in this order, once each. To keep the
        commas strict with optional keys, the expression reads the line with a comma put before
        its closing brace: every pair then ends with exactly one comma, so `{"a": 1,}`, `{,}` and
        a pair without its comma do not match."""
        pairs = "".join(f'(?:"{re.escape(key)}" *: *({self.patterns[key]}) *, *)?' for key in order)
        pattern = rf"^( *\{{ *{pairs}\}})$"
        groups = "[" + ", ".join(_sql_text(f"g{index}") for index in range(len(order) + 1)) + "]"
        columns = []
        for name in self.kinds:
            if name in order:
                token = f"m.g{order.index(name) + 1}"
                columns.append(f"CASE WHEN {token} = '' OR {token} = 'null' THEN NULL WHEN starts_with({token}, '\"') "
                               f"THEN {token}[2:-2] ELSE {token} END AS \"{name}\"")
            else:
                columns.append(f"NULL::VARCHAR AS \"{name}\"")
        case_id = f"CASE WHEN m.g{order.index(CASE_ID_KEY) + 1} = '' THEN 'null' ELSE m.g{order.index(CASE_ID_KEY) + 1} END" \
            if CASE_ID_KEY in order else "'null'"
        offered = f"m.g{order.index(OFFERED_KEY) + 1} <> ''" if self.offered_ignored and OFFERED_KEY in order else "false"
        # The closing brace, and the spaces and CR after it (JSON white space), become `,}`.
        closed = "regexp_replace(line, '\\} *\\r?$', ',}')"
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW json_cases AS SELECT {', '.join(columns)}, {case_id} AS {_ID}, "
            f"{INDEX}, {INDEX} + 1 AS {ROW}, m.g0 = '' AS {PYTHON}, {offered} AS {_OFFERED} "
            f"FROM (SELECT regexp_extract({closed}, {_sql_text(pattern)}, {groups}) AS m, {INDEX} FROM json_lines)")
        if not self.compiled:
            types = {name: "VARCHAR" for name in self.kinds} | {_ID: "VARCHAR", INDEX: "BIGINT", ROW: "BIGINT", PYTHON: "BOOLEAN",
                                                               _OFFERED: "BOOLEAN"}
            compiled = compile_policy(self.policy, "duckdb", "json_cases", types, carry=(INDEX, PYTHON, _ID, _OFFERED), wording=True)
            decided = decision_json(compiled).sql(dialect="duckdb")
            plain = f"ok AND NOT {PYTHON}"
            self.con.execute(
                f"CREATE OR REPLACE TEMP VIEW json_outputs AS SELECT CASE WHEN {plain} THEN "
                f"{_sql_text(self.head)} || {_ID} || ', ' || json || chr(10) END AS line, {plain} AND {_OFFERED} AS offered "
                f"FROM ({decided}) ORDER BY {INDEX}")
            self.compiled = True
        self.order = order

    def decide(self, block: bytes, threads: int) -> tuple[pa.ChunkedArray, bool, pa.Array] | None:
        """Each line's whole output line (with its `\\n`), NULL where the line takes the per-line
        path; whether a plain line carried `offered`; and the lines' own bytes (without their
        `\\n`), for the lines handed back. None when the block's first lines give no key order
        (every line takes the per-line path)."""
        order = self.keys_of(block)
        if order is None:
            return None
        # The lines as one Arrow array, cut in C++ (no Python object per line); the cast checks UTF-8.
        cut = pc.split_pattern(pa.array([block], pa.large_binary()), b"\n").flatten()
        if block.endswith(b"\n"):
            cut = cut.slice(0, len(cut) - 1)
        try:
            lines = cut.cast(pa.large_string())
        except pa.ArrowInvalid:  # some line is not UTF-8: it alone is handed back, as an empty line
            lines = pa.array([_utf8_or_nothing(line) for line in cut.to_pylist()], pa.large_string())
        count = len(lines)
        per_thread = -(-count // threads)
        table = pa.table({"line": lines, INDEX: pa.array(range(count), pa.int64())})
        self.con.register("json_lines", pa.Table.from_batches(table.to_batches(max_chunksize=per_thread)))
        try:
            if order != self.order:
                self._define(order)  # a view is bound when it is made: the lines must be there
            result = self.con.sql("SELECT line, offered FROM json_outputs").to_arrow_table()
        finally:
            self.con.unregister("json_lines")
        return result.column(0), bool(pc.any(result.column(1)).as_py()), cut
