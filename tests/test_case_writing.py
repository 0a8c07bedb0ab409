"""`redress cases generate`: a destination that cannot work is a clear error and exit 2 before any
case is drawn, and nothing is left behind; what it writes can be piped into `eval --jsonl`."""

from __future__ import annotations

import json

import pytest

from conftest import REPO

HARDWARE = REPO / "policies" / "hardware_store.policy"


@pytest.mark.parametrize("options, said", [
    (["--out", "{tmp}/cases.txt"], "cannot tell which format to write from its extension"),
    (["--out", "{tmp}/missing/folder/cases.csv"], "the folder {tmp}/missing/folder does not exist"),
    (["--out", "-", "--output-format", "parquet"], "a Parquet file cannot be written to standard output"),
])
def test_a_destination_that_cannot_work(redress, tmp_path, options, said):
    result = redress("cases", "generate", HARDWARE, "--n", "5", *[option.format(tmp=tmp_path) for option in options])
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("redress: error: ") and said.format(tmp=tmp_path) in result.stderr
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


def test_an_unknown_extension_with_an_explicit_format(redress, tmp_path):
    path = tmp_path / "cases.txt"
    result = redress("cases", "generate", HARDWARE, "--n", "5", "--out", path, "--output-format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == [f"C00000{n}" for n in range(1, 6)]


def test_an_unwritable_folder(redress, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    try:
        result = redress("cases", "generate", HARDWARE, "--n", "5", "--out", folder / "cases.csv")
    finally:
        folder.chmod(0o700)
    if result.returncode == 0:  # root writes anywhere: then the file must be complete
        assert len((folder / "cases.csv").read_text().splitlines()) == 6
    else:
        assert result.returncode == 2 and "is not writable" in result.stderr


def test_generated_cases_pipe_into_eval_which_ignores_offered_with_one_note(redress):
    generated = redress("cases", "generate", HARDWARE, "--n", "50", "--seed", "3", "--output-format", "jsonl")
    assert generated.returncode == 0 and '"offered"' in generated.stdout
    result = redress("eval", HARDWARE, "--jsonl", "--engine", "compiled", stdin=generated.stdout)
    assert result.returncode == 0, result.stdout[:500]
    decisions = [json.loads(line) for line in result.stdout.splitlines()]
    assert [decision["case_id"] for decision in decisions] == [f"C{n:06d}" for n in range(1, 51)]
    assert result.stderr.count("`offered`") == 1 and "is ignored" in result.stderr
    one = json.loads(generated.stdout.splitlines()[0])
    single = redress("eval", HARDWARE, "--case", json.dumps(one))
    assert single.returncode == 0 and json.loads(single.stdout) == decisions[0]  # the durable engine agrees


def test_offered_is_a_field_when_the_policy_has_one(redress, tmp_path):
    policy = tmp_path / "offered.policy"
    policy.write_text(HARDWARE.read_text().replace("case\n", "case\n  offered: money = $0\n", 1))
    result = redress("eval", policy, "--case", '{"situation": "defective_product", "price": 10, "cost": 5, "offered": "x"}')
    assert result.returncode == 2 and "`offered` must be an amount" in result.stderr


def test_generated_cases_pipe_into_replay_as_an_arrow_stream(redress, tmp_path):
    """`--out -` as Arrow writes the stream format (no footer, so it can go down a pipe); a replay
    reading it from standard input reports what it reports for the same cases written as CSV."""
    generated = redress("cases", "generate", HARDWARE, "--n", "300", "--seed", "4", "--out", "-", "--output-format", "arrow",
                        stdin=b"")
    assert generated.returncode == 0 and generated.stdout.startswith(b"\xff\xff\xff\xff")
    from_pipe = redress("replay", HARDWARE, "-", "--input-format", "arrow", "--format", "json", stdin=generated.stdout)
    assert redress("cases", "generate", HARDWARE, "--n", "300", "--seed", "4", "--out", tmp_path / "cases.csv").returncode == 0
    from_csv = redress("replay", HARDWARE, tmp_path / "cases.csv", "--format", "json")
    reports = [json.loads(result.stdout) for result in (from_pipe, from_csv)]
    for report in reports:
        for key in ("seconds", "source", "worst"):  # the worst cases name their rows, which a CSV header shifts by one
            report.pop(key)
    assert reports[0] == reports[1] and reports[0]["cases"] == 300
