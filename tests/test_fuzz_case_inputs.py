"""Fuzzing what agents and case files feed the engine: whatever arrives, nothing crashes and nothing
is lost.

Random and adversarial case JSON (exponents past any arithmetic, NaN and Infinity, lone surrogates,
invalid UTF-8, byte-order marks, stray quotes, nested arrays, very long strings, truncated lines) go
through `redress eval --jsonl` in a few big batches, one subprocess each, and random CSV, JSON Lines,
JSON and YAML case files through the readers and the case reader in this process and through
`redress replay`. The contract held every time: no traceback, exit 0 or 2, one output line per
input line, one row per case (a CSV row per line, but for quoted cells with line breaks), and
every row either a case or a `CaseError`.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import REPO
from dsl.checker import check_file
from engine.cases import CaseError, CaseReader
from engine.schema import case_schema
from qa.casefiles import CaseFileError, open_cases

HARDWARE = REPO / "policies" / "hardware_store.policy"
POLICY = check_file(str(HARDWARE)).policy
FIELDS = [field.name for field in POLICY.fields]
CHOICES = sorted({value for field in POLICY.fields for value in field.values})

# A batch is one subprocess over hundreds of inputs: a few of them, and no shrinking (which would run
# hundreds more subprocesses); a failing batch is reported whole, with the seed to replay it.
BATCHES = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck),
                   phases=[Phase.explicit, Phase.reuse, Phase.generate])
IN_PROCESS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

HOSTILE_NUMBERS = ["1e999999999", "-1e999999999", "1e-1000050", "-1e-1000050", "1e5000", "1e999999", "1E+15",
                   "0.00000000001", "999999999999999.9999999999", "-0", "0E-1000000", "1" + "0" * 5000, "NaN",
                   "Infinity", "-Infinity", "1.5e-10000000", "12.50", "0", "-3"]
HOSTILE_TEXTS = ['"\\ud800"', '"a\\udfff"', '"\\ud83d"', '"5\\" screen"', '"yes"', '"No"', '" TRUE "', '"y"', '""',
                 '"\\u0000"', '"12.50"', '"1e999999999"', '" 12 "']


def _text_json(text: str) -> str:
    return json.dumps(text)


scalars = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(HOSTILE_TEXTS), st.sampled_from(["true", "false", "null"]),
    st.integers().map(str), st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.text(max_size=20).map(_text_json), st.sampled_from(CHOICES).map(_text_json),
    st.integers(1000, 200_000).map(lambda n: '"' + "x" * n + '"'),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(lambda items: "[" + ",".join(items) + "]"),
    st.lists(st.tuples(st.text(max_size=5).map(_text_json), inner), max_size=3).map(
        lambda members: "{" + ",".join(f"{key}: {value}" for key, value in members) + "}")), max_leaves=6)
keys = st.one_of(st.sampled_from(FIELDS + ["id", "offered", "warrenty"]).map(_text_json),
                 st.sampled_from(['"\\ud800"', '""', '"id "']), st.text(max_size=8).map(_text_json))
members = st.lists(st.tuples(keys, st.one_of(values, st.integers(1, 100_000).map(lambda n: "[" * n + "]" * n))),
                   max_size=8)
case_texts = members.map(lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}")
good_cases = st.fixed_dictionaries({"situation": st.sampled_from(["defective_product", "wrong_item"]),
                                    "price": st.sampled_from(["10", "99.99", 120]), "cost": st.sampled_from(["5", 1])})
almost_good = st.tuples(good_cases, keys, values).map(
    lambda parts: json.dumps(parts[0])[:-1] + f", {parts[1]}: {parts[2]}}}")


@st.composite
def mangled(draw, texts) -> bytes:
    """A text's UTF-8, maybe cut short, with maybe a few arbitrary bytes put in, never a line break."""
    data = draw(texts).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data.replace(b"\n", b" ")


json_lines = st.one_of(mangled(case_texts), mangled(almost_good), good_cases.map(lambda case: json.dumps(case).encode()),
                       st.sampled_from([b"", b"   ", b"\xef\xbb\xbf{}", b"\xff\xfe", b"\xed\xa0\x80", b'"', b"[]",
                                        b"NaN", b"{", b"\x00"]))


def _run(*args: str, stdin: bytes) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "redress.cli", *args], input=stdin, capture_output=True,
                            cwd=REPO, timeout=600)
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert result.returncode in (0, 2), (result.returncode, stderr[-3000:])
    return result


# ---------------------------------------------------------------- eval --jsonl


@BATCHES
@given(st.lists(json_lines, min_size=200, max_size=300), st.sampled_from(["durable", "compiled"]), st.booleans())
def test_eval_jsonl_answers_every_line_whatever_it_holds(lines, engine, explain):
    options = ["--explain"] if explain else []
    result = _run("eval", str(HARDWARE), "--jsonl", "--engine", engine, *options, stdin=b"\n".join(lines) + b"\n")
    out = result.stdout.decode("utf-8").split("\n")[:-1]  # JSON may hold U+2028, which splitlines() splits at
    assert len(out) == len(lines)
    answers = [json.loads(line) for line in out]
    for number, answer in enumerate(answers, start=1):
        if "error" in answer:
            assert answer["line"] == number and answer["error"]["message"]
        else:
            assert answer["policy"] == POLICY.name
    assert result.returncode == (2 if any("error" in answer for answer in answers) else 0)


@IN_PROCESS
@given(st.one_of(case_texts, almost_good))
def test_eval_case_answers_or_refuses(invoke, text):
    result = invoke("eval", HARDWARE, "--engine", "compiled", "--format", "json", "--case", text)
    assert result.exit_code in (0, 2)
    answer = json.loads(result.stdout)
    assert ("error" in answer) == (result.exit_code == 2)


# ---------------------------------------------------------------- case files

HOSTILE_CELLS = ['5" screen', '"', '"unclosed', 'a""b', '"ok"', '"two\nlines"', '"x"y', "", " ", "defective_product",
                 "12.50", "1e999999999", "yes", "\ufeff", "é", "\r", '"a,b"', '""""', 'x"', *HOSTILE_NUMBERS]
cells = st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=12).map(lambda text: text.replace("\n", " ")))
CSV_HEADER = ["id", "situation", "price", "cost", "note", "offered"]
csv_lines = st.lists(cells, min_size=len(CSV_HEADER) - 1, max_size=len(CSV_HEADER) + 1).map(",".join)


def _covered_lines(rows) -> None:
    """Rows follow each other with no line skipped: each starts where the one before it ended."""
    expected = 2
    for row in rows:
        assert row.number == expected, (row.number, expected)
        expected += (row.text or "").count("\n") + 1


def _read(path: Path) -> list:
    reader = CaseReader(POLICY)
    with open_cases(str(path)) as case_file:
        rows = list(case_file.rows())
    for row in rows:
        if row.data is not None:
            try:
                reader.read(row.data, extras=set())
            except CaseError as error:
                assert error.message
    return rows


@st.composite
def csv_files(draw, min_lines: int = 1, max_lines: int = 40) -> bytes:
    lines = draw(st.lists(csv_lines, min_size=min_lines, max_size=max_lines))
    data = (",".join(CSV_HEADER) + "\n" + "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))).encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(data.index(b"\n") + 1, len(data)))  # junk bytes anywhere after the header
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)).replace(b"\n", b"") + data[at:]
    return data


@IN_PROCESS
@given(csv_files())
def test_every_csv_line_is_in_a_row(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("csv") / "cases.csv"
    path.write_bytes(data)
    try:
        rows = _read(path)
    except CaseFileError as error:
        assert str(error).startswith(str(path))
        return
    _covered_lines(rows)
    last = len(data.rstrip(b"\r\n").split(b"\n"))  # the last line that is not empty
    assert not rows or rows[-1].number + (rows[-1].text or "").count("\n") == last


@IN_PROCESS
@given(st.lists(json_lines, min_size=1, max_size=40))
def test_every_json_line_is_a_row(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("jsonl") / "cases.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    try:
        rows = _read(path)
    except CaseFileError as error:
        assert str(error).startswith(str(path))
        return
    last = max((number for number, line in enumerate(lines, start=1) if line.strip()), default=0)
    assert [row.number for row in rows] == list(range(1, last + 1))


@IN_PROCESS
@given(st.lists(st.one_of(case_texts, almost_good, scalars), max_size=20), st.sampled_from(["json", "yaml"]))
def test_every_array_item_is_a_row_or_the_file_is_refused(tmp_path_factory, items, kind):
    path = tmp_path_factory.mktemp(kind) / f"cases.{kind}"
    text = "[" + ",\n".join(items) + "]\n" if kind == "json" else "".join(f"- {item}\n" for item in items) or "[]\n"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        rows = _read(path)
    except CaseFileError as error:
        assert str(error).startswith(str(path)) and len(str(error)) < 1000
        return
    assert [row.number for row in rows] == list(range(1, len(items) + 1))


def _hostile_csv(rng: random.Random, lines: int) -> bytes:
    """A big hostile CSV file drawn from the hostile cells with `rng` (Hypothesis draws big examples
    slowly, so it draws only the seed)."""
    def cell() -> str:
        return rng.choice(HOSTILE_CELLS) if rng.random() < 0.7 else "".join(rng.choice("ab\" ,é1.") for _ in range(rng.randint(0, 6)))

    rows = [",".join(cell() for _ in range(len(CSV_HEADER) + rng.choice((-1, 0, 0, 0, 1)))) for _ in range(lines)]
    data = (",".join(CSV_HEADER) + "\n" + "\n".join(rows) + "\n").encode()
    for _ in range(rng.randint(0, 3)):  # a few arbitrary bytes past the part a reader sniffs
        at = rng.randint(min(len(data), 9000), len(data))
        data = data[:at] + bytes([rng.choice((0xff, 0xc3, 0xe2, 0x80, 0x22, 0x00))]) + data[at:]
    return data


@BATCHES
@given(st.integers(0, 2**32), st.sampled_from(["1", "2"]))
def test_replay_counts_every_row_of_a_hostile_csv(tmp_path_factory, seed, workers):
    folder = tmp_path_factory.mktemp("replay")
    path, out = folder / "cases.csv", folder / "out.jsonl"
    path.write_bytes(_hostile_csv(random.Random(seed), 300))
    result = _run("replay", str(HARDWARE), str(path), "--format", "json", "--workers", workers, "--out", str(out), stdin=b"")
    try:
        rows = _read(path)
    except CaseFileError as error:
        assert result.returncode == 2 and json.loads(result.stdout)["error"]["message"] == str(error)
        return
    summary = json.loads(result.stdout)
    assert summary["cases"] == len(rows) == sum(summary["status"].values())
    assert [json.loads(line)["row"] for line in out.read_text().split("\n")[:-1]] == [row.number for row in rows]


# ---------------------------------------------------------------- the schema and the reader agree on flags


@IN_PROCESS
@given(st.one_of(st.booleans(), st.sampled_from(["yes", "No", " TRUE ", "\tfalse", "y", "1", "on", "true\n", "ｔｒｕｅ"]),
                 st.text(alphabet="tRuEfAlsyoNn \t\n", max_size=8)))
def test_a_flag_is_accepted_exactly_when_the_schema_allows_it(flag):
    case = {"situation": "defective_product", "price": "10", "cost": "5", "legal_issue": flag}
    schema_allows = jsonschema.Draft202012Validator(case_schema(POLICY)).is_valid(case)
    try:
        CaseReader(POLICY).read(case)
        reader_accepts = True
    except CaseError:
        reader_accepts = False
    assert schema_allows == reader_accepts
