"""The fast JSON path (`eval --jsonl`, JSON Lines case files, result files) keeps every number exact
and answers exactly as the standard library would, errors included."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.casefiles import open_cases
from qa.exact_json import loads, stream_decoder, stream_encoder
from tests.conftest import EXAMPLE_POLICY

# Each number comes back as exactly the Decimal its text says; a float would give another one.
EXACT = [
    ("0.1", Decimal("0.1")),
    ("1e-30", Decimal("1E-30")),
    ("12345678901234567890.123", Decimal("12345678901234567890.123")),
    ("-0.00", Decimal("-0.00")),
    ("100.015", Decimal("100.015")),
    ("1E+400", Decimal("1E+400")),
    ("12345678901234567890123456789", 12345678901234567890123456789),
]


@pytest.mark.parametrize("text, value", EXACT, ids=[text for text, _ in EXACT])
def test_numbers_are_read_exactly(text: str, value) -> None:
    decode = stream_decoder()
    read = decode('{"price": %s}' % text)["price"]
    assert read == value and type(read) is type(value) and str(read) == str(value)
    assert loads('{"price": %s}' % text) == {"price": value}


@pytest.mark.parametrize("text, value", EXACT[:4], ids=[text for text, _ in EXACT[:4]])
def test_numbers_are_written_exactly(text: str, value) -> None:
    assert stream_encoder()({"amount": value, "note": "café"}) == '{"amount":"%s","note":"café"}' % value


BROKEN = ['{"price": 1', '{"price": 1}}', "", "[1,2", '{"price": NaN}', '{"price": -Infinity}', "\ufeff{}",
          '{"a": 01}', '{"a": .5}', '{"a": tru}', '{"a": "\x01"}', "[" * 5000 + "]" * 5000]


@pytest.mark.parametrize("text", BROKEN, ids=range(len(BROKEN)))
def test_errors_are_the_standard_librarys(text: str) -> None:
    def outcome(decode):
        try:
            return "value", decode(text)
        except (ValueError, RecursionError) as error:
            return type(error).__name__, str(error)

    fast = outcome(stream_decoder())
    assert fast[0] != "value"
    assert fast == outcome(loads)


def test_what_only_the_standard_library_reads_is_still_read() -> None:
    """A lone surrogate escape: msgspec refuses it, the standard library reads it; so do we."""
    assert stream_decoder()('{"note": "\\ud800"}') == {"note": "\ud800"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: d if d.as_tuple().exponent < 0 else d + Decimal("0.5")),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_stream_decoder_agrees_with_the_standard_library(case: dict) -> None:
    text = _dumps_exact(case)
    expected = json.loads(text, parse_float=Decimal)
    assert stream_decoder()(text) == expected


def _dumps_exact(value) -> str:
    """JSON text with every Decimal written as a number with its own digits."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_dumps_exact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dumps_exact(v) for v in value) + "]"
    return json.dumps(value)


def test_json_lines_case_files_read_numbers_exactly(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": 1, "price": 0.1, "cost": 1e-30}\n{"id": 2, "price": 12345678901234567890.123}\n'
                    '{"id": 3, "price": NaN}\n', encoding="utf-8")
    with open_cases(str(path), None) as cases:
        rows = list(cases.rows())
    assert rows[0].data == {"id": 1, "price": Decimal("0.1"), "cost": Decimal("1E-30")}
    assert str(rows[1].data["price"]) == "12345678901234567890.123"
    assert rows[2].data is None and rows[2].error == "line 3: invalid JSON: NaN is not a number a case can hold"


def test_eval_jsonl_decides_exactly(redress) -> None:
    """25% of 100.02 is 25.005, which rounds half-up to 25.01 only if it was never a float; an id
    of twenty-three digits comes back with every digit."""
    lines = ['{"id": 12345678901234567890123, "situation": "missed_appointment", "price": 100.02, "cost": 50}',
             '{"id": 2, "situation": "missed_appointment", "price": 0.1, "cost": 1e-10}']
    for engine in ("compiled", "durable"):
        result = redress("eval", EXAMPLE_POLICY, "--jsonl", "--engine", engine, stdin="\n".join(lines) + "\n")
        assert result.returncode == 0, result.stderr
        first, second = (json.loads(line) for line in result.stdout.splitlines())
        assert first["case_id"] == 12345678901234567890123
        assert (first["floor"], first["ceiling"]) == ("25.01", "50.01")
        assert (second["floor"], second["ceiling"]) == ("0.03", "0.05")


def test_result_files_keep_amounts_exact(tmp_path: Path) -> None:
    from qa.casewriters import write_cases

    path = tmp_path / "cases.jsonl"
    write_cases([{"id": "a", "price": Decimal("12345678901234567890.123"), "cost": Decimal("1E-30")}], str(path))
    with open_cases(str(path), None) as cases:
        [row] = list(cases.rows())
    assert row.data == {"id": "a", "price": "12345678901234567890.123", "cost": "1E-30"}
