"""`eval --jsonl` on DuckDB decodes a block of lines in one call when every line is one JSON object
alone (`qa.exact_json.objects_decoder`); the answers must be those of decoding line by line, and
the output that of the compiled engine, line for line, also for ids only the case reader can judge."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from qa.exact_json import objects_decoder, stream_decoder

HARDWARE = REPO / "policies" / "hardware_store.policy"
_REFUSED = object()


def _line_by_line(block: bytes) -> list:
    decode = stream_decoder()
    values = []
    for line in block.removesuffix(b"\n").split(b"\n"):
        try:
            values.append(decode(line))
        except (ValueError, RecursionError):
            values.append(_REFUSED)
    return values


@pytest.mark.parametrize("block", [
    b'{}\n{} {}\n\n',  # two objects on a line and an empty line: as many values as lines
    b'{"a":\n1}\n{} {}\n',  # an object over two lines, and two on one
    b'{"a": {"b": 1}\n}\n',  # the inner object closes a line, the outer one the next
    b'{}\r\n{}\r\n',
    b' {}\n',
    b'{"a": "\\ud800"}\n',  # a lone surrogate: only the standard library reads it
    b'{}\n[1]\n',
])
def test_a_block_that_is_not_one_object_per_line_is_decoded_line_by_line(block):
    assert objects_decoder()(block) is None


def test_a_block_of_one_object_per_line_is_decoded_exactly():
    block = b'{"price": 1.10, "n": 12345678901234567890.123456789}\n{"id": "x"}\n{"a": [1, {"b": 2}]}'
    assert objects_decoder()(block) == _line_by_line(block)
    assert str(objects_decoder()(block)[0]["n"]) == "12345678901234567890.123456789"  # 29 digits, no float between


_PIECES = ['{}', '{"a": 1.10}', '{"b": "x"}', '{"c": {"d": 2}}', ' ', '{', '}', '"a":', '1', ',', '[1]', '\r', 'null']


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), min_size=1, max_size=6), st.booleans())
def test_decoding_a_block_at_once_gives_what_line_by_line_gives_or_nothing(lines, final_break):
    block = ("\n".join(lines) + ("\n" if final_break else "")).encode()
    decoded = objects_decoder()(block)
    if decoded is not None:
        assert decoded == _line_by_line(block) and _REFUSED not in decoded


def _eval(engine: str, lines: bytes) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "redress.cli", "eval", str(HARDWARE), "--jsonl", "--engine", engine],
                            input=lines, capture_output=True, cwd=REPO, timeout=120)
    assert b"Traceback" not in result.stderr
    return result


CASE = {"situation": "wrong_item", "price": 12.5, "cost": 1, "purchases_per_year": 3}
IDS = ["C1", 7, 1.5, 2e30, True, [1], "caf\u00e9", None, 12345678901234567890123]


@pytest.mark.parametrize("rows", [
    [json.dumps({"id": case_id, **CASE} if case_id is not None else CASE) for case_id in IDS]
    + [json.dumps({**CASE, "price": "12.50", "offered": 3}), json.dumps(CASE)[:-1] + ', "cost": 1e400}', '{"price": -0.0}'],
    [json.dumps(CASE)[:-1] + ', "offer\\u0065d": 3}'],  # `offered`, written with an escape: dropped all the same
], ids=["ids and values", "an escaped key"])
def test_eval_jsonl_of_one_object_per_line_is_the_compiled_engines_to_the_byte(rows):
    lines = ("\n".join(rows) + "\n").encode()
    assert objects_decoder()(lines) is not None  # the block goes the fast way
    results = {engine: _eval(engine, lines) for engine in ("duckdb", "compiled")}
    assert results["duckdb"].stdout == results["compiled"].stdout
    assert results["duckdb"].stderr == results["compiled"].stderr
    assert results["duckdb"].returncode == results["compiled"].returncode
    assert results["duckdb"].stdout.count(b"\n") == len(rows)
