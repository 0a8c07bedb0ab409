"""Hostile case values get a clear case error and exit 2, never a traceback, and a --jsonl stream
goes on past them: amounts past what exact arithmetic carries, ids that cannot be echoed, invalid
UTF-8, lone surrogates, a truncated line. Both engines only ever see exact values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from conftest import REPO
from test_casefiles import _billion_laughs
from dsl.checker import check_file
from engine.cases import CaseError
from engine.decide import load_engine

HARDWARE = REPO / "policies" / "hardware_store.policy"
FIELD_SERVICE = REPO / "policies" / "field_service.policy"
GOOD = {"situation": "defective_product", "price": 10, "cost": 5}
GOOD_LINE = json.dumps(GOOD)


def _with(text: str) -> str:
    """A good case with `text` (raw JSON members) added: `_with('"price": 1e999999999')`."""
    return GOOD_LINE[:-1] + ", " + text + "}"


@pytest.fixture(scope="module")
def field_service_engines():
    policy = check_file(str(FIELD_SERVICE)).policy
    return load_engine(policy, "durable"), load_engine(policy, "compiled")


def test_an_amount_finer_than_exact_arithmetic_is_refused_by_both_engines(field_service_engines):
    """The durable engine compared `repair_cost >= 50% of replacement_cost` as a difference, which
    underflowed to zero, and picked another rule than the compiled engine."""
    case = {"situation": "repeat_failure", "visit_charge": 100, "repair_cost": Decimal("-1e-1000050"), "replacement_cost": 0}
    for engine in field_service_engines:
        with pytest.raises(CaseError) as caught:
            engine.decide(case)
        assert caught.value.field == "repair_cost"
        assert "more than 10 decimal places" in caught.value.message and "at most 10 decimal places" in caught.value.expected


@pytest.mark.parametrize("value, accepted", [
    ("999999999999999.9999999999", True), ("0.0000000001", True), ("1.500000000000000", True),
    ("-0.0000000001", False),  # within the digits, but an amount of money in a case is never negative
    ("0E-1000000", True), ("1000000000000000", False), ("0.00000000001", False), ("1e-1000050", False),
    ("1e999999999", False), ("-1e999999999", False),
])
def test_the_bounds_of_a_case_number(field_service_engines, value, accepted):
    durable, compiled = field_service_engines
    case = {"situation": "repeat_failure", "visit_charge": 100, "repair_cost": Decimal(value), "replacement_cost": 200}
    for engine in (durable, compiled):
        if accepted:
            assert engine.decide(case).to_json() == compiled.decide(case).to_json()
        else:
            with pytest.raises(CaseError) as caught:
                engine.decide(case)
            assert caught.value.field == "repair_cost"


def test_explaining_a_tiny_amount_is_a_short_error_not_megabytes(redress):
    result = redress("eval", FIELD_SERVICE, "--explain", "--case",
                     '{"situation": "repeat_failure", "visit_charge": 100, "repair_cost": 1e-10000000}')
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr) < 400 and "`repair_cost` has more than 10 decimal places" in result.stderr


@pytest.mark.parametrize("member, said", [
    ('"price": 1e999999999', "`price` is too large"),
    ('"id": 1e5000', "`id` is too large"),
    ('"id": 1e999999', "`id` is too large"),
    ('"id": [1e5000]', "`id` must be a text or a number, not a list"),
    ('"cost": "\\ud800"', "`cost` must be an amount"),
    ('"id": "\\ud800x"', "lone surrogate"),
    ('"\\udfff": 1', "unknown field `\\udfff`"),
])
@pytest.mark.parametrize("engine", ["durable", "compiled"])
def test_eval_case_refuses_hostile_values_with_exit_2(redress, member, said, engine):
    result = redress("eval", HARDWARE, "--engine", engine, "--case", _with(member))
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("redress: error: case: ") and said in result.stderr
    as_json = redress("eval", HARDWARE, "--engine", engine, "--format", "json", "--case", _with(member))
    assert as_json.returncode == 2 and said in json.loads(as_json.stdout)["error"]["message"]


def test_a_jsonl_stream_goes_on_past_every_bad_line(redress):
    lines = [GOOD_LINE.encode(), _with('"price": 1e999999999').encode(), _with('"id": 1e5000').encode(),
             b"\xff\xfe{}", _with('"id": 1e999999').encode(), b'{"situ', _with('"id": "\\ud800"').encode(),
             _with('"\\ud800": 1').encode(), b"[" * 100_000, b"NaN", _with('"price": Infinity').encode(),
             ("{" + json.dumps(GOOD)[1:-1] + ', "id": "' + "x" * 100_000 + '"}').encode(), GOOD_LINE.encode()]
    result = redress("eval", HARDWARE, "--jsonl", stdin=b"\n".join(lines) + b"\n")
    assert result.returncode == 2
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    decided = [index for index, line in enumerate(out, start=1) if "error" not in line]
    assert decided == [1, 12, 13]
    assert all(line["line"] == number for number, line in enumerate(out, start=1) if "error" in line)
    assert "not UTF-8 text" in out[3]["error"]["message"]
    assert out[11]["case_id"] == "x" * 100_000


def test_invalid_utf8_on_stdin_for_one_case(redress):
    result = redress("eval", HARDWARE, "--case", "-", stdin=b'{"situation": "\xff"}')
    assert result.returncode == 2 and b"stdin: not UTF-8 text (byte 0xff" in result.stderr


def test_a_truncated_line_is_reported_at_its_own_line_number(redress):
    truncated = '{"situation": "defective_product", "price":'
    result = redress("eval", HARDWARE, "--jsonl", stdin=GOOD_LINE + "\n" + truncated + "\n")
    error = json.loads(result.stdout.splitlines()[1])
    assert error["line"] == 2
    assert f"the line ends (column {len(truncated) + 1}) before the JSON does" in error["error"]["message"]
    assert "line 2 column 1" not in error["error"]["message"]
    broken = redress("eval", HARDWARE, "--jsonl", stdin='{"situation" "x"}\n')
    assert "invalid JSON at column 14: Expecting ':' delimiter" in json.loads(broken.stdout)["error"]["message"]


def test_a_byte_order_mark_at_the_start_of_the_stream(redress):
    result = redress("eval", HARDWARE, "--jsonl", stdin=b"\xef\xbb\xbf" + GOOD_LINE.encode() + b"\n")
    assert result.returncode == 0 and "error" not in json.loads(result.stdout)


@pytest.mark.parametrize("extension", ["jsonl", "json", "yaml"])
def test_replay_and_diff_count_hostile_rows_as_invalid(redress, tmp_path, extension):
    members = ['"price": 1e999999999', '"id": 1e5000', '"id": [1e5000]', '"offered": 1e999999999', '"offered": "5"',
               '"repair": 1e-1000050']
    if extension != "yaml":  # YAML refuses a lone surrogate's escape: the whole file is not valid YAML
        members += ['"id": "\\ud800"', '"\\ud800": 1']
    lines = [_with(member) for member in members]
    path = tmp_path / f"cases.{extension}"
    if extension == "jsonl":
        path.write_text("\n".join(lines) + "\n")
    elif extension == "json":
        path.write_text("[" + ",\n".join(lines) + "]\n")
    else:  # JSON is YAML, one flow mapping per item
        path.write_text("".join(f"- {line}\n" for line in lines))
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    result = redress("replay", HARDWARE, path, "--format", "json", "--out", out, "--rejects", rejects)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["cases"] == len(lines)
    # In YAML `1e999999999` and `1e5000` are texts (its floats need a point): a bad price and offer, a fine id.
    assert summary["status"]["invalid"] == (5 if extension != "yaml" else 3)
    outcomes = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(outcomes) == len(lines)
    assert [outcome["offered"] for outcome in outcomes if outcome["offered"] is not None] == ["5.00"]
    assert all(json.loads(line) for line in rejects.read_text().splitlines())
    changed = tmp_path / "changed.policy"
    changed.write_text(HARDWARE.read_text().replace('rule "Defective product"', 'rule "Defective products"'))
    diff = redress("diff", HARDWARE, changed, "--cases", path, "--format", "json", "--out", tmp_path / "diff.jsonl")
    assert diff.returncode in (0, 1), diff.stderr
    assert len((tmp_path / "diff.jsonl").read_text().splitlines()) == len(lines)


def test_a_value_a_billion_items_long_is_named_not_printed():
    from engine.cases import CaseReader

    value = ["lol"] * 9
    for _ in range(9):
        value = [value] * 9  # shared, as YAML aliases make it: a billion items in a few hundred bytes
    reader = CaseReader(check_file(str(HARDWARE)).policy)
    with pytest.raises(CaseError) as caught:
        reader.read({**GOOD, "warranty": value})
    assert caught.value.message == "`warranty` cannot be a list"


def test_replay_refuses_a_yaml_alias_chain(redress, tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(_billion_laughs())
    result = redress("replay", HARDWARE, path)
    assert result.returncode == 2 and "aliases (`*name`) stand for more than" in result.stderr
    assert len(result.stderr) < 400
