"""docs/language.md is the reference policy owners read: what it shows must be real. The whole
example checks and decides as shown (test_contracts.py); every fragment is valid syntax; the checker
output it shows is what `redress check` prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsl.parser import parse

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "language.md"
HEADER = 'policy "Fragment"\nversion "1"\ncurrency USD\n'
CASE = "case\n  situation: one of missed_appointment\n"
RULE = 'rule "Any"\n  offer nothing\n'


def _code_blocks(info: str = "") -> list[str]:
    """The fenced blocks whose info string is `info` ("" for plain ``` fences)."""
    blocks, current, fence = [], [], None
    for line in REFERENCE.read_text(encoding="utf-8").splitlines(keepends=True):
        if fence is None and line.startswith("```"):
            fence, current = line[3:].strip(), []
        elif fence is not None and line.rstrip() == "```":
            if fence == info:
                blocks.append("".join(current))
            fence = None
        elif fence is not None:
            current.append(line)
    return blocks


def _fragments() -> list[str]:
    return [block for block in _code_blocks() if not block.startswith(("policy", "my_store.policy:"))]


def _as_policy(fragment: str) -> str:
    first = fragment.split()[0]
    if first == "say":
        return HEADER + CASE + RULE + "  " + fragment
    return HEADER + ("" if first == "case" else CASE) + fragment + ("" if first == "rule" else RULE)


@pytest.mark.parametrize("fragment", _fragments(), ids=lambda fragment: fragment.split()[0])
def test_every_fragment_in_the_reference_is_valid_syntax(fragment: str) -> None:
    result = parse(_as_policy(fragment), "fragment.policy")
    assert result.tree is not None and not result.diagnostics, [d.message for d in result.diagnostics]


def test_the_reference_shows_a_fragment_for_every_piece_of_a_policy() -> None:
    shown = {fragment.split()[0] for fragment in _fragments()}
    assert shown >= {"case", "let", "authority", "route", "entitlement", "rule", "say", "otherwise"}


def test_the_checker_output_in_the_reference_is_what_check_prints(redress, tmp_path: Path) -> None:
    shown = next(block for block in _code_blocks() if block.startswith("my_store.policy:"))
    readme = (REFERENCE.parents[1] / "README.md").read_text(encoding="utf-8")
    policy = re.search(r"Save this as `my_store.policy`:\n\n   ```\n(.*?)   ```", readme, re.S).group(1)
    policy = "\n".join(line[3:] for line in policy.splitlines()) + "\n"
    policy = policy.replace("when situation is defective_product\n",
                            "when situation is defective_product and pric > $100\n", 1)
    (tmp_path / "my_store.policy").write_text(policy, encoding="utf-8")
    result = redress("check", "my_store.policy", cwd=tmp_path)
    assert result.returncode == 1
    assert shown in result.stderr + result.stdout
