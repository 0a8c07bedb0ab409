"""The incremental check (dsl/incremental.py) gives exactly what a full check gives: the same
diagnostics, the same checked policy, the same tree with the same spans, keystroke after keystroke.

The workbench relies on it for the live check; if the two ever differ, a policy owner sees a
finding that `redress check` does not report, or misses one it does."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO
from dsl import ast
from dsl.checker import check_source
from dsl.incremental import IncrementalChecker, chunk_starts

SAMPLES = sorted((REPO / "policies").glob("*.policy"))
PATH = "edited.policy"


def spans(node, found=None) -> list:
    """Every span in a tree, in order (spans are left out of equality, so compared apart)."""
    found = [] if found is None else found
    if isinstance(node, tuple):
        for item in node:
            spans(item, found)
    elif isinstance(node, ast.Span):
        found.append(node)
    elif dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            spans(getattr(node, field.name), found)
    return found


def assert_same_as_full(checker: IncrementalChecker, text: str) -> None:
    got, want = checker.check(text), check_source(text, PATH)
    assert got.diagnostics == want.diagnostics, text
    assert got.policy == want.policy
    assert got.tree == want.tree
    if want.tree is not None:
        assert spans(got.tree) == spans(want.tree)
        assert got.tree.comments == want.tree.comments
        assert [(c.line, c.trailing) for c in got.tree.comments] == [(c.line, c.trailing) for c in want.tree.comments]


def typed(text: str, at: int, insert: str) -> list[str]:
    """The texts a person produces typing `insert` at `at`, one character at a time."""
    return [text[:at] + insert[:n] + text[at:] for n in range(1, len(insert) + 1)]


def test_every_sample_checks_the_same_incrementally() -> None:
    for sample in SAMPLES:
        assert_same_as_full(IncrementalChecker(PATH), sample.read_text())


def test_typing_a_clause_an_error_and_a_new_rule_keystroke_by_keystroke() -> None:
    text = (REPO / "policies" / "hardware_store.policy").read_text()
    checker = IncrementalChecker(PATH)
    checker.check(text)
    at = text.index("  offer up to profit\n")
    for version in typed(text, at, "  when price > $5 and\n"):  # a dangling `and` runs on into the next line
        assert_same_as_full(checker, version)
    at = text.index('rule "Wrong item"')
    for version in typed(text, at, 'rule "New"\n  when (price > $1\n  offer up to $5\n\n'):  # an unclosed `(`
        assert_same_as_full(checker, version)
    for version in typed(text, len(text), "let x = y\n"):
        assert_same_as_full(checker, version)


def test_moving_a_block_down_keeps_its_findings_on_its_new_lines() -> None:
    """Errors and wording warnings alike (the warnings are reused from the block's earlier place)."""
    text = (REPO / "policies" / "hardware_store.policy").read_text().replace("offer up to $25", "offer up to nonsense")
    text = text.replace('say "We appreciate your business,', 'say "Since it was our fault,')
    checker = IncrementalChecker(PATH)
    first = checker.check(text)
    assert {d.severity for d in first.diagnostics} == {"error", "warning"}
    for added in (2, 1, 3):
        moved = checker.check("\n" * added + text)
        assert [d.line + added for d in first.diagnostics] == [d.line for d in moved.diagnostics]
        assert moved.diagnostics == check_source("\n" * added + text, PATH).diagnostics


def test_blocks_moving_up_and_down_keep_findings_that_name_lines_and_identical_blocks_apart() -> None:
    """Enter and Backspace above blocks move them without parsing them again: a finding whose
    message names a line must name the new one, and two identical blocks must keep two places."""
    twin = 'rule "Twin"\n  when price > $1\n  when price > $2\n  offer up to $5\n\n'  # "already has `when` (line N)"
    text = (REPO / "policies" / "hardware_store.policy").read_text().replace('rule "Wrong item"', twin + twin + 'rule "Wrong item"')
    checker = IncrementalChecker(PATH)
    for added in (0, 1, 3, 0, 2, 5, 1):
        assert_same_as_full(checker, "\n" * added + text)
    middle = text.index(twin) + len(twin)
    assert_same_as_full(checker, text[:middle] + "\n\n" + text[middle:])  # only the second twin and what follows move
    assert_same_as_full(checker, text)


def test_chunks_start_at_statement_keywords_only() -> None:
    lines = ['policy "p"', "# note", "case", "  rule: money", "let x = a and", "rule_count > 1", 'rule "r"']
    assert chunk_starts(lines) == [0, 2, 4, 6]


FRAGMENTS = st.sampled_from([
    " ", "\n", "(", ")", "and ", "or ", "not ", "x", "price", "$5", "10%", '"', "#", ",", "=", ":", "is ", "\\",
    'rule "r"\n', "  when ", "  offer up to ", "let ", "case\n", "  cost: money\n", "authority\n", "otherwise ",
    "escalate to clerk", "\n\n", "  say \"{offer}\"\n", "one of a, b", "entitlement \"e\"\n  at least $1\n",
    '  say "since it was our fault"\n',  # a wording warning
    '"\\q"', "\r", "\r\n", "\ufeff",  # a bad escape, a lone CR, CRLF, a byte order mark
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(SAMPLES), edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 12), FRAGMENTS),
                                                        min_size=1, max_size=6))
def test_random_edits_check_the_same_incrementally(sample: Path, edits) -> None:
    text = sample.read_text()
    checker = IncrementalChecker(PATH)
    checker.check(text)
    for where, deleted, inserted in edits:
        at = int(where * len(text))
        text = text[:at] + inserted + text[at + deleted:]
        assert_same_as_full(checker, text)
