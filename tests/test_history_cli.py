"""The version in force from the command line: `redress history` lists and shows saved versions
(who published which, and when), and `redress eval --published` decides with the version in force,
not with whatever the file says now."""

from __future__ import annotations

import json
from pathlib import Path

from qa.history import History

CASE = {"situation": "wrong_item", "price": "30", "cost": "10"}


def saved_twice(workspace: Path) -> tuple[History, str, str]:
    """Version 1 (the sample) published; version 2 (a higher credit) saved to the file, not published."""
    history = History(str(workspace.parent), clock=lambda: "2026-11-20T10:00:00Z", user=lambda: "maria")
    first = workspace.read_text()
    history.record(str(workspace), first, "as shipped")
    history.publish(1)
    second = first.replace("offer up to $25", "offer up to $40")
    workspace.write_text(second)
    history.record(str(workspace), second, "more for a wrong item")
    return history, first, second


def test_history_lists_versions_with_the_one_in_force(workspace: Path, redress) -> None:
    saved_twice(workspace)
    listed = redress("history", workspace, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [(v["id"], v["in_force"], v["message"]) for v in data["versions"]] == [
        (2, False, "more for a wrong item"), (1, True, "as shipped")]
    assert data["versions"][1]["published_by"] == "maria" and data["versions"][1]["published_at"] == "2026-11-20T10:00:00Z"
    assert data["publications"] == [{"version": 1, "published_at": "2026-11-20T10:00:00Z", "published_by": "maria"}]
    text = redress("history", workspace)
    assert "#1  2026-11-20T10:00:00Z  maria  in force (published 2026-11-20T10:00:00Z by maria)  as shipped" in text.stdout


def test_history_show_prints_a_versions_text(workspace: Path, redress) -> None:
    _, first, _ = saved_twice(workspace)
    shown = redress("history", workspace, "show", "1")
    assert shown.returncode == 0 and shown.stdout == first
    as_json = json.loads(redress("history", workspace, "show", "1", "--format", "json").stdout)
    assert as_json["content"] == first and as_json["in_force"]
    missing = redress("history", workspace, "show", "9")
    assert missing.returncode == 2 and "no version #9" in missing.stderr
    assert redress("history", workspace, "show").returncode == 2


def test_eval_published_uses_the_version_in_force(workspace: Path, redress) -> None:
    saved_twice(workspace)
    now = json.loads(redress("eval", workspace, "--case", json.dumps(CASE)).stdout)
    in_force = json.loads(redress("eval", workspace, "--case", json.dumps(CASE), "--published").stdout)
    assert (now["ceiling"], in_force["ceiling"]) == ("40.00", "25.00")
    streamed = redress("eval", workspace, "--jsonl", "--published", stdin=json.dumps(CASE) + "\n")
    assert json.loads(streamed.stdout)["ceiling"] == "25.00"


def test_eval_published_without_a_published_version_says_so(workspace: Path, redress) -> None:
    result = redress("eval", workspace, "--case", json.dumps(CASE), "--published")
    assert result.returncode == 2 and "no version is in force" in result.stderr and result.stdout == ""
    assert json.loads(redress("history", workspace, "--format", "json").stdout)["versions"] == []
