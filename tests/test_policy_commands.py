"""The policy commands' rough edges from issue 8: options honoured or refused, never ignored; the
JSON error where JSON was asked for; what `fmt` says it did; field notes in the schema; no
temporary files left by a killed writer; counts whose nouns agree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLE_POLICY, REPO

from qa.atomic import replacing, write_atomically

MISSED = '{"situation": "missed_appointment", "price": 120, "cost": 50, "legal_issue": true}'


def test_check_format_json_on_a_missing_file_prints_the_json_error(redress, tmp_path: Path) -> None:
    missing = tmp_path / "missing.policy"
    result = redress("check", "--format", "json", missing, EXAMPLE_POLICY)
    assert result.returncode == 2
    error = json.loads(result.stdout)["error"]
    assert error["message"] == f"{missing}: no such file"
    assert error["unreadable"] == [{"file": str(missing), "reason": "no such file"}]
    assert error["diagnostics"] == []  # what the readable file said: nothing


def test_eval_explain_format_text_shows_the_trace(invoke) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--case", MISSED, "--explain", "--format", "text")
    assert result.exit_code == 0
    trace = result.stdout.split("Trace:\n")[1].splitlines()
    assert trace[0] == '  rule "Missed appointment" (line 33): matched, decides; situation = missed_appointment'
    assert '  route "Attorney\'s Office" (line 27): matched; legal_issue = true' in trace
    assert any(line.startswith('  rule "Broke after warranty" (line 46): did not match') for line in trace)


def test_eval_jsonl_refuses_format_text(invoke) -> None:
    result = invoke("eval", EXAMPLE_POLICY, "--jsonl", "--format", "text", stdin=MISSED + "\n")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--format text" in result.stderr


def test_the_schema_describes_a_field_with_its_comment(invoke) -> None:
    properties = json.loads(invoke("schema", EXAMPLE_POLICY).stdout)["properties"]
    assert properties["price"]["description"].startswith("what the customer paid: an amount")
    assert properties["cost"]["description"].startswith("what the item cost us: an amount")
    assert properties["warranty"]["description"] == "one of active, expired, none"  # no comment, no note


def test_fmt_says_how_many_files_it_changed_and_left(redress, example_policy: Path, tmp_path: Path) -> None:
    messy = tmp_path / "messy.policy"
    messy.write_text(example_policy.read_text(encoding="utf-8").replace("  clerk", "      clerk"), encoding="utf-8")
    assert redress("fmt", "--check", example_policy, messy).stderr.splitlines() == [
        "1 file would be reformatted, 1 file already formatted"]
    result = redress("fmt", example_policy, messy)
    assert result.stderr.splitlines() == [f"reformatted {messy}", "1 file reformatted, 1 file left unchanged"]
    assert redress("fmt", example_policy).stderr == "1 file left unchanged\n"


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "p.policy"
    target.write_text("old\n", encoding="utf-8")
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from qa.atomic import replacing\n"
        "with replacing(sys.argv[1]) as temporary:\n"
        "    open(temporary, 'w').write('half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"), str(target)], cwd=REPO)
    assert killed.returncode == -signal.SIGKILL
    assert len([p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]) == 1

    write_atomically(str(target), "new\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.policy"]
    assert target.read_text(encoding="utf-8") == "new\n"


def test_a_live_writers_temporary_file_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "p.policy"
    with replacing(str(target)) as temporary:
        Path(temporary).write_text("first\n", encoding="utf-8")
        write_atomically(str(target), "second\n")  # another writer, while the first still writes
        assert os.path.exists(temporary)
    assert target.read_text(encoding="utf-8") == "first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.policy"]


def test_the_demo_counts_agree_with_their_nouns() -> None:
    result = subprocess.run([sys.executable, "-m", "redress.demo"], cwd=REPO, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=300)
    summaries = [line for line in result.stdout.splitlines() if line.endswith("checks cleanly")]
    assert summaries
    assert "1 entitlement," in result.stdout
    assert not any(f"1 {noun}s" in line for line in summaries for noun in ("guideline", "entitlement", "route"))
