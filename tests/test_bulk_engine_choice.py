"""Which engine a bulk command gets: SQL refuses only what it cannot compute exactly for that command.
A replay reports no wording, so a `say` that SQL cannot print does not send a replay to the compiled
engine; the case diff and `eval --jsonl`, which do show the wording, still say why they use it."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO

HARDWARE = REPO / "policies" / "hardware_store.policy"
HARDWARE_CASES = REPO / "policies" / "hardware_store.cases.csv"


def _with_number_in_the_wording(tmp_path: Path) -> Path:
    """The hardware store's policy, with a `say` that shows a computed number (its digits in Python
    depend on how the case wrote its inputs, so SQL cannot print them the same way)."""
    text = HARDWARE.read_text(encoding="utf-8")
    anchor = '  say "We value your business and would like to extend {offer} toward a replacement today."'
    assert anchor in text
    text = text.replace(anchor, anchor[:-1] + ' ({twice_yearly} visits a year)."', 1)
    text = text.replace("\nauthority", "\nlet twice_yearly = purchases_per_year * 2\n\nauthority", 1)
    policy = tmp_path / "wording.policy"
    policy.write_text(text, encoding="utf-8")
    return policy


def _report(redress, *args) -> tuple[dict, str]:
    done = redress(*args, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    report.pop("seconds", None)
    return report, done.stderr


def test_a_wording_sql_cannot_print_stops_the_diff_but_not_the_replay(tmp_path: Path, redress) -> None:
    policy = _with_number_in_the_wording(tmp_path)
    assert redress("check", policy).returncode == 0

    on_sql, warned = _report(redress, "replay", policy, HARDWARE_CASES, "--engine", "duckdb")
    assert on_sql.pop("engine") == "duckdb" and "compiled engine" not in warned
    compiled, _ = _report(redress, "replay", policy, HARDWARE_CASES, "--engine", "compiled")
    compiled.pop("engine")
    assert on_sql == compiled

    diffed, warned = _report(redress, "diff", HARDWARE, policy, "--cases", HARDWARE_CASES, "--engine", "duckdb")
    assert "the wording shows the number `twice_yearly`" in warned and "using the compiled engine" in warned
    assert diffed["engine"] == "compiled"  # the engine that decided, not the one asked for
    assert diffed["changed"] > 0 and diffed["fields"]["say"] == diffed["changed"]  # the rule whose wording changed

    evaluated = redress("eval", policy, "--jsonl", "--engine", "duckdb", stdin='{"situation": "defective_product", "price": 10, "cost": 5}\n')
    assert evaluated.returncode == 0 and "the wording shows the number `twice_yearly`" in evaluated.stderr
    assert "rule" in json.loads(evaluated.stdout)


def test_replay_and_the_case_diff_run_on_sql_unless_told_otherwise(redress) -> None:
    new_version, _ = _report(redress, "diff", HARDWARE, HARDWARE, "--cases", HARDWARE_CASES)
    replayed, _ = _report(redress, "replay", HARDWARE, HARDWARE_CASES)
    assert new_version["engine"] == replayed["engine"] == "duckdb"
    assert new_version["cases"] == replayed["cases"] and new_version["changed"] == 0
