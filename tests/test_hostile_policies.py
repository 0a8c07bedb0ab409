"""Policies built to hurt: huge `one of` lists, long comment runs, tens of thousands of lets.

Each used to hang, crash or cost quadratic time (issue 8). These tests hold the behaviour (the
command finishes, the answer is right, both engines agree); what it costs is measured in
`bench/hostile_policies.py`, never asserted here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsl.checker import check_source
from dsl.formatter import format_source
from engine.decide import load_engine
from engine.durable_matcher import MAX_PARTS
from engine.program import Program

HEAD = 'policy "x"\nversion "1"\ncurrency USD\n\n'


def choices(count: int) -> str:
    return ", ".join(f"v{i}" for i in range(count))


def wide_choice_policy(count: int, listed: int) -> str:
    """A `k` with `count` values; rule "in" takes the first `listed`, rule "not in" all but those."""
    return (HEAD + f"case\n  k: one of {choices(count)}\n  price: money\n\nauthority\n  boss\n\n"
            f'rule "in"\n  when k is one of {choices(listed)}\n  offer up to price\n\n'
            f'rule "not in"\n  when k is not one of {choices(listed)} and price > $1\n  offer exactly $1\n\n'
            "otherwise escalate to boss\n")


def checked(text: str):
    result = check_source(text, "hostile.policy")
    assert result.ok, result.diagnostics[:3]
    return result.policy


def _or_widths(node) -> list[int]:
    if isinstance(node, dict):
        own = [len(value) for key, value in node.items() if key in ("$or", "$and")]
        return own + [w for value in node.values() for w in _or_widths(value)]
    if isinstance(node, list):
        return [w for value in node for w in _or_widths(value)]
    return []


def test_a_one_of_past_durable_rules_limit_is_decided_by_both_engines(redress, tmp_path: Path) -> None:
    """durable_rules never returned from an `$or` of more than 512 parts (SIGINT ignored)."""
    path = tmp_path / "wide.policy"
    path.write_text(wide_choice_policy(700, 600), encoding="utf-8")
    for engine in ("durable", "compiled"):
        for value, rule in (("v0", "in"), ("v599", "in"), ("v600", "not in"), ("v699", "not in")):
            result = redress("eval", path, "--engine", engine, "--case", json.dumps({"k": value, "price": 5}))
            assert result.returncode == 0, result.stderr
            assert json.loads(result.stdout)["rule"] == rule, (engine, value)


def test_durable_rules_is_never_handed_a_wider_and_or_than_it_holds() -> None:
    few = 'rule "few"\n  when k is one of v0, v1, v2 and price > $1,000\n  offer up to price\n\notherwise'
    text = wide_choice_policy(2_000, 1_500).replace("otherwise", few)
    widths = _or_widths(load_engine(checked(text), "durable").matcher.definition)
    assert 3 in widths  # a short list is still matched by durable_rules itself
    assert max(widths) <= MAX_PARTS


@pytest.mark.parametrize("engine", ["durable", "compiled"])
def test_ten_thousand_choices_decide_right_in_both_engines(engine) -> None:
    decide = load_engine(checked(wide_choice_policy(10_000, 9_000)), engine).decide
    for value, rule in (("v0", "in"), ("v8999", "in"), ("v9000", "not in"), ("v9999", "not in")):
        assert decide({"k": value, "price": 5}).rule == rule


def test_the_compiled_dispatch_does_not_grow_with_the_number_of_choices() -> None:
    """One generated branch per value and rule made 10,000 values cost 20 s to compile."""
    small, large = (Program(checked(wide_choice_policy(count, count // 2))) for count in (10, 10_000))
    assert small.source.count("\n") == large.source.count("\n")


def test_forty_thousand_comment_lines_keep_their_line_numbers() -> None:
    notes = "".join(f"# note {i}\n" for i in range(40_000))
    text = HEAD + "case\n  price: money\n" + notes + 'authority\n  boss\n\nrule "a"\n  offer up to price\n'
    result = check_source(text)
    assert result.ok
    comments = result.tree.comments
    assert len(comments) == 40_000
    assert (comments[0].line, comments[-1].line, comments[-1].text) == (7, 40_006, "# note 39999")
    assert format_source(text).count("# note ") == 40_000


def test_comments_beside_thousands_of_lets_stay_with_their_lets() -> None:
    lets = "".join(f"# about l{i}\nlet l{i} = price + ${i}  # l{i} itself\n" for i in range(5_000))
    text = HEAD + "case\n  price: money\n\n" + lets + '\nauthority\n  boss\n\nrule "a"\n  offer up to l4999\n'
    formatted = format_source(text).split("\n")
    index = formatted.index("let l4321 = price + $4321  # l4321 itself")
    assert formatted[index - 1] == "# about l4321"


def test_a_long_chain_of_lets_written_backwards_is_ordered_and_evaluated() -> None:
    """Each let uses the one after it: ordering recursed once per let (RecursionError at 1,000)."""
    count = 5_000
    lets = "".join(f"let l{i} = l{i + 1} + $1\n" for i in range(count - 1)) + f"let l{count - 1} = price\n"
    text = HEAD + "case\n  price: money\n\n" + lets + '\nauthority\n  boss\n\nrule "a"\n  offer up to l0\n'
    policy = checked(text)
    assert [let.name for let in policy.lets][:2] == [f"l{count - 1}", f"l{count - 2}"]
    for engine in ("durable", "compiled"):
        assert load_engine(policy, engine).decide({"price": 5}).to_json()["ceiling"] == f"{5 + count - 1}.00"


def test_a_long_let_cycle_is_reported_once_with_its_whole_loop() -> None:
    count = 3_000
    lets = "".join(f"let l{i} = l{(i + 1) % count} + $1\n" for i in range(count))
    result = check_source(HEAD + "case\n  price: money\n\n" + lets + '\nauthority\n  boss\n\nrule "a"\n  offer up to l0\n')
    cycles = [d for d in result.diagnostics if d.code == "let-cycle"]
    assert len(cycles) == 1
    assert cycles[0].message.endswith(" -> ".join(f"l{i}" for i in (count - 1, 0)))
