"""The README's agent loop with `redress negotiate` works exactly as written: each command block is
run in order, and each answer holds every key and value the JSON block after it shows."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SECTION = "## For agents: a complaint, turn by turn"


def _steps() -> list[tuple[str, object]]:
    """(command block, the JSON shown after it) in the order the README gives them."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    blocks = re.findall(r"^```(sh|json)\n(.*?)^```", section, re.S | re.M)
    steps = []
    for (kind, body), (next_kind, next_body) in zip(blocks, blocks[1:]):
        if kind == "sh":
            assert next_kind == "json", f"the README shows no answer after {body!r}"
            steps.append((body, json.loads(next_body)))
    return steps


def _holds(shown, actual, where: str) -> None:
    if isinstance(shown, list):
        assert isinstance(actual, list) and len(actual) == len(shown), (where, actual)
        for item, got in zip(shown, actual):
            _holds(item, got, where)
        return
    for key, value in shown.items():
        assert key in actual, (where, key)
        if key == "session":
            assert re.fullmatch(r"s_[0-9a-f]{10}", actual[key]), actual[key]
        else:
            assert actual[key] == value, (where, key, actual[key])


def test_the_readme_agent_loop_runs_as_shown(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    shutil.copy(REPO / "policies" / "restaurant_catering.policy", tmp_path / "policies")
    env = dict(os.environ, REDRESS_NOW="2026-12-03T09:00:00Z")
    env.pop("REDRESS_SESSIONS", None)
    session = None
    steps = _steps()
    assert [shlex.split(body.splitlines()[-1])[2] for body, _ in steps] == ["start", "decline", "counter", "accept", "due", "done"]
    for body, shown in steps:
        for line in body.splitlines():
            if line.startswith("export "):
                name, value = line.removeprefix("export ").split("=", 1)
                env[name] = value
                continue
            words = shlex.split(line.replace("$SESSION", session or "$SESSION"))
            assert words[0] == "redress"
            result = subprocess.run([sys.executable, "-m", "redress.cli", *words[1:]], cwd=tmp_path, env=env,
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, (line, result.stdout, result.stderr)
            answer = json.loads(result.stdout)
            session = session or answer["session"]
        _holds(shown, answer, line)
