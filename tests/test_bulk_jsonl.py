"""`eval --jsonl` lines decided by DuckDB itself (`qa.bulk_jsonl`): a line SQL proves plain gets the
output line SQL writes, every other line the per-line path's; either way the output must be, byte
for byte, what the compiled engine writes for that line, whatever the line holds (another key
order, escapes, exponents, leading zeros, non-ASCII, null, blank lines, CRLF, junk)."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER
from engine.decide import load_engine
from qa.casefiles import open_cases
from qa.exact_json import stream_decoder
from redress.bulk_eval import BulkLines
from redress.evaluate import OfferedNote, decide_line
from redress.inputs import load_checked_policy
from redress.output import to_json_line

POLICIES = {"hardware_store": REPO / "policies" / "hardware_store.policy",
            "restaurant_catering": REPO / "policies" / "restaurant_catering.policy"}
NUMERIC = (MONEY, NUMBER, INTEGER)


def _policy(name: str):
    return load_checked_policy(str(POLICIES[name])).policy


@cache
def _sample_cases(name: str) -> list[dict]:
    """The policy's sample cases as JSON objects: amounts as JSON numbers, flags as true/false."""
    kinds = {field.name: field.kind for field in _policy(name).fields}
    with open_cases(str(POLICIES[name].with_suffix(".cases.csv"))) as case_file:
        rows = [row.data for row in case_file.rows() if row.data][:200]
    cases = []
    for row in rows:
        case = {}
        for key, text in row.items():
            kind = kinds.get(key)
            if kind in NUMERIC:
                case[key] = text  # written bare below: a JSON number with the CSV cell's own digits
            elif kind == BOOL:
                case[key] = text.lower() == "true"
            else:
                case[key] = text
        cases.append(case)
    return cases


def _json_line(case: dict, kinds: dict[str, str]) -> str:
    parts = []
    for key, value in case.items():
        token = value if kinds.get(key) in NUMERIC or key == "offered" else json.dumps(value, ensure_ascii=False)
        parts.append(f'"{key}": {token}')
    return "{" + ", ".join(parts) + "}"


def _sample_lines(name: str) -> list[bytes]:
    kinds = {field.name: field.kind for field in _policy(name).fields}
    return [(_json_line(case, kinds) + "\n").encode() for case in _sample_cases(name)]


def _compiled_output(name: str, lines: list[bytes], first_number: int = 1) -> bytes:
    """What the compiled engine writes for each line (the per-case path, line numbers from `first_number`)."""
    policy = _policy(name)
    engine, decode, offered = load_engine(policy, "compiled"), stream_decoder(), OfferedNote(policy)
    return b"".join((to_json_line(decide_line(engine, decode, offered, line, number, False)[0]) + "\n").encode()
                    for number, line in enumerate(lines, start=first_number))


# Lines the regular expression must hand back, or prove plain and decide exactly as Python does.
ODD_LINES = [
    b'{"id": "q\\"x", "situation": "wrong_item", "price": 12.5, "cost": 1}\n',  # an escape in the id
    b'{"id": "Caf\xc3\xa9", "situation": "wrong_item", "price": 12.5, "cost": 1}\n',  # a non-ASCII id
    b'{"id": "A\\u00e9", "situation": "wrong_item", "price": 12.5, "cost": 1}\n',
    b'{"id": 1.5, "situation": "wrong_item", "price": 12.5, "cost": 1}\n',  # an id the reader refuses
    b'{"id": true, "situation": "wrong_item", "price": 12.5, "cost": 1}\n',
    b'{"id": 12345678901234567890, "situation": "wrong_item", "price": 12.5, "cost": 1}\n',
    b'{"id": 7, "situation": "wrong_item", "price": 1e2, "cost": 1}\n',  # an exponent
    b'{"id": 8, "situation": "wrong_item", "price": 007, "cost": 1}\n',  # leading zeros: not JSON
    b'{"id": 9, "situation": "wrong_item", "price": -0, "cost": 1}\n',
    b'{"id": 10, "situation": "wrong_item", "price": 0.0000001, "cost": 0.1234567891}\n',
    b'{"id": 11, "situation": "wrong_item", "price": 12.12345678901, "cost": 1}\n',  # 11 decimals
    b'{"id": 12, "situation": "wrong_item", "price": 123456789012345678901234567890, "cost": 1}\n',
    b'{"id": 13, "situation": "wrong_item", "price": "12.50", "cost": " 3"}\n',  # numbers as texts
    b'{"id": 14, "situation": "wrong_item", "price": "", "cost": "+3"}\n',
    b'{"id": 15, "situation": "wrong_item", "price": "$5", "cost": "03"}\n',
    b'{"id": 16, "situation": "", "price": 5, "cost": 1}\n',  # an empty choice
    b'{"id": 17, "situation": " wrong_item", "price": 5, "cost": 1}\n',
    b'{"id": 18, "situation": null, "price": 5, "cost": null}\n',  # null: as if absent
    b'{"id": 19, "situation": "wrong_item", "price": 5, "cost": 1, "legal_issue": "TRUE"}\n',
    b'{"id": 20, "situation": "wrong_item", "price": 5, "cost": 1, "legal_issue": 1}\n',
    b'{"id": 21, "situation": "wrong_item", "price": 5, "cost": 1, "lawyer": true}\n',  # an unknown key
    b'{"id": 22, "situation": "wrong_item", "price": 5, "price": 6, "cost": 1}\n',  # a duplicate key
    b'{"cost": 1, "price": 5, "situation": "wrong_item", "id": 23}\n',  # another order of keys
    b'{"id": 24,"situation":"wrong_item","price":5,"cost":1}\r\n',  # CRLF, no spaces
    b'{"id": 25,\t"situation": "wrong_item", "price": 5, "cost": 1}\n',  # a tab
    b'{"id": 26, "situation": "wrong_item", "price": 5, "cost": 1, "offered": 3.5}\n',
    b'{"id": 27, "situation": "wrong_item", "price": 5, "cost": 1, "offered": "a lot"}\n',
    b'{"id": 28, "situation": "wrong_item", "price": [5], "cost": 1}\n',
    b'{"id": 29, "situation": 3, "price": 5, "cost": 1}\n',  # a number for a choice
    b'{"id": 30, "situation": "wrong_item", "price": -5, "cost": 1}\n',  # below the bound
    b'{"id": "", "situation": "wrong_item", "price": 5, "cost": 1}\n',
    b'{"id": 31, "situation": "wrong_item", "price": 5, "cost": 1}{}\n',
    b'{"id": 32, "situation": "wrong_item", "price": 5, "cost": 1\n',  # cut short
    b'{"id": 33, "situation": "wrong_item", "price": 5, "cost": 1,}\n',  # a trailing comma
    b'{"id": 34 "situation": "wrong_item", "price": 5, "cost": 1}\n',  # a missing comma
    b'{, "id": 35, "situation": "wrong_item", "price": 5, "cost": 1}\n',
    b'{"id": 36, "situation": "wrong_item",, "price": 5, "cost": 1}\n',
    b'{"id": 37, "situation": "wrong_item", "price": 5}\n',  # a required field left out
    b'{"situation": "wrong_item", "price": 5, "cost": 1} \r\n',
    b'\n', b'   \n', b'not json\n', b'[1]\n', b'{}\n', b'"text"\n', b'\xff\xfe\n',
]


def _mixed_input(name: str) -> bytes:
    sample = _sample_lines(name)
    return b"\xef\xbb\xbf" + b"".join(sample[:60] + ODD_LINES + sample[60:120]) + sample[120].rstrip(b"\n")


def _cli(*args, stdin: bytes) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "redress.cli", *map(str, args)], input=stdin, capture_output=True,
                            cwd=REPO, timeout=120)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_the_cli_writes_what_the_compiled_engine_writes_for_every_line(name):
    lines = _mixed_input(name)
    results = {engine: _cli("eval", POLICIES[name], "--jsonl", "--engine", engine, stdin=lines) for engine in ("duckdb", "compiled")}
    assert results["duckdb"].stdout == results["compiled"].stdout
    assert results["duckdb"].returncode == results["compiled"].returncode == 2  # some lines are not valid cases
    assert results["duckdb"].stderr == results["compiled"].stderr  # the same summary, the `offered` note once
    outputs = results["duckdb"].stdout.splitlines()
    assert len(outputs) == lines.count(b"\n") + 1
    decided = [json.loads(output) for output in outputs[:60]]
    assert all("rule" in decision for decision in decided)  # the plain lines were decided, not refused


def test_most_lines_of_a_plain_file_never_reach_python():
    """The point of the module: a block of plain lines comes back whole from SQL, and only the odd
    lines among them are handed back (NULL) to the per-line path."""
    bulk = BulkLines(_policy("hardware_store"))
    sample = _sample_lines("hardware_store")
    block = b"".join(sample[:100] + ODD_LINES[:3] + sample[100:150])
    texts, _, _ = bulk.plain.decide(block, bulk.decider.threads)
    assert len(texts) == 153 and texts.null_count == 3
    assert b"".join(bytes(answer) if not isinstance(answer, str) else answer.encode() for answer in bulk.answers(block)) == \
        _compiled_output("hardware_store", block.splitlines(keepends=True))


# ---------------------------------------------------------------- random lines

def _token(kind: str, values: tuple[str, ...]) -> st.SearchStrategy[str]:
    texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6).map(lambda t: json.dumps(t, ensure_ascii=False))
    escaped = st.text(max_size=4).map(json.dumps)
    numbers = st.sampled_from(["0", "3", "-5", "1.10", "0.5", "100.02", "1e2", "1E-2", "-0", "-0.5", "007", "0.0000001",
                               "12.3456789012", "99999999999.99", "123456789012345678901", "1.0", "4.999", "5.005"])
    common = st.sampled_from(["null", "true", "false", '""', '" 3"', '"3"', '"1.10"', '"+3"', '"$5"', "[1]", "{}"])
    if kind in NUMERIC:
        return st.one_of(numbers, numbers.map(json.dumps), common, texts)
    if kind == BOOL:
        return st.one_of(st.sampled_from(["true", "false", '"true"', '"TRUE"', '"yes"', "1", "null"]), common)
    if kind == ENUM:
        return st.one_of(st.sampled_from([json.dumps(value) for value in values]), texts, escaped, common)
    return st.one_of(texts, escaped, common)


@st.composite
def _blocks(draw, name: str) -> list[bytes]:
    """Lines of one block: mostly sample cases in one order of keys with a value or two changed,
    some in another order, with extra or repeated keys, other spacing, or no case at all."""
    fields = {field.name: field for field in _policy(name).fields}
    tokens = {key: _token(field.kind, field.values) for key, field in fields.items()}
    tokens["id"] = st.one_of(st.sampled_from(['"C1"', "7", "-3", "0", "null", '"Ünï"', '"a\\nb"', "1.5", "true", '""',
                                              "12345678901234567"]), st.integers(0, 10**6).map(lambda n: f'"C{n}"'))
    tokens["offered"] = st.sampled_from(["3.50", '"3.50"', "null", "1e1", '"x"'])
    kinds = {key: field.kind for key, field in fields.items()}
    sample = _sample_cases(name)
    order = draw(st.permutations(list(sample[0])))
    lines = []
    for _ in range(draw(st.integers(1, 10))):
        shape = draw(st.sampled_from(["plain"] * 5 + ["changed"] * 4 + ["reordered", "extra", "junk"]))
        case = draw(st.sampled_from(sample))
        if shape == "junk":
            lines.append(draw(st.sampled_from([b"", b"  ", b"x", b"[]", b"{}", b'{"id": 1,}', b'{"id": 1} 2'])))
            continue
        keys = [key for key in order if key in case] if shape != "reordered" else draw(st.permutations(list(case)))
        pairs = {key: case[key] for key in keys}
        text = {key: _json_line({key: value}, kinds)[1:-1] for key, value in pairs.items()}
        if shape == "changed":
            for key in draw(st.lists(st.sampled_from(sorted(tokens)), min_size=1, max_size=2)):
                text[key] = f'"{key}": {draw(tokens[key])}'
        if shape == "extra":
            text["extra"] = draw(st.sampled_from(['"unknown": 1', '"id": 5', f'"{keys[0]}": null']))
        separator = draw(st.sampled_from([", ", ",", " , ", ",  "]))
        ending = draw(st.sampled_from([b"", b"", b"", b" ", b"\r"]))
        lines.append(("{" + separator.join(text.values()) + "}").encode() + ending)
    return [line + b"\n" for line in lines]


@cache
def _bulk(name: str) -> BulkLines:
    return BulkLines(_policy(name))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(POLICIES)).flatmap(lambda name: st.tuples(st.just(name), _blocks(name))))
def test_random_blocks_are_answered_as_the_compiled_engine_answers_each_line(drawn):
    name, lines = drawn
    bulk = _bulk(name)
    first = bulk.count + 1  # one connection for every example: its lines are numbered on
    answers = bulk.answers(b"".join(lines))
    written = b"".join(answer.encode() if isinstance(answer, str) else bytes(answer) for answer in answers)
    assert written == _compiled_output(name, lines, first)
    assert bulk.count == first - 1 + len(lines)
