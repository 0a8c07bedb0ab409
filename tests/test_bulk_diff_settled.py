"""`diff --cases` on DuckDB leaves out the rows it proves unchanged (`qa.bulk_settled`): every
report must still equal the compiled engine's, whatever the edit proves or fails to prove.

Each edit here is one the proof must see through or must refuse: a rule's body (its rows alone
are decided), a rule's condition (rows move between rules: the rules from it on prove nothing), a
moved or renamed rule, a global change (an authority limit, an entitlement, a route: nothing is
proved), an edited let (nothing is proved, though unchanged rules use it), a changed `say`, and
layout alone (everything is proved). Random policy pairs (a random policy and a random edit of it)
close the gaps between them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dsl.checker import check_source
from qa.bulk import sql_refusal
from qa.bulk_diff import BulkDiff
from qa.bulk_settled import settled_rules
from qa.casefiles import open_cases
from qa.casewriters import write_cases
from qa.diff import BehaviourDiff, CaseDiff, change_json
from test_diff import FIELD_EDITS, RESTAURANT, RESTAURANT_CASES, RULE_RAISED, SERVER_LIMIT_LOWERED, THRESHOLD_LOWERED, edited
from test_differential import _OFFERS, CaseGenerator, _condition, small_policies

REPO = Path(__file__).resolve().parents[1]
SOURCE = RESTAURANT.read_text()
RULES = [g.name for g in check_source(SOURCE, "old.policy").policy.guidelines]
ALL = frozenset([*range(len(RULES)), None])

WIDENED = ('rule "Rude staff"\n  when situation is rude_staff\n', 'rule "Rude staff"\n  when situation is rude_staff or situation is billing_error\n')
LET_EDITED = ("let yearly_value = weekly_value * 52", "let yearly_value = weekly_value * 5")
RESPACED = ('\nrule "Rude staff"\n', '\n# reviewed\n\n\nrule "Rude staff"\n')
EDITS = {  # what each edit proves: the rules (by name, None for no rule) whose rows are left out
    "a rule's ceiling": ((RULE_RAISED,), ALL - {RULES.index("Late catering")}),
    "a rule's condition": ((THRESHOLD_LOWERED,), frozenset(range(RULES.index("Late catering, large order")))),
    "a rule's name": ((FIELD_EDITS["rule"],), ALL - {RULES.index("Rude staff")}),
    "a rule's say": ((FIELD_EDITS["say"],), None),
    "a rule's condition that takes a later rule's rows": ((WIDENED,), frozenset(range(RULES.index("Rude staff")))),
    "an authority limit": ((SERVER_LIMIT_LOWERED,), frozenset()),
    "an entitlement": ((FIELD_EDITS["entitlements"],), frozenset()),
    "a route": ((FIELD_EDITS["routes"],), frozenset()),
    "a let unchanged rules use": ((LET_EDITED,), frozenset()),
    "layout and comments": ((RESPACED,), ALL),
}


def _reports(old: tuple[str, str], new: tuple[str, str], cases: Path) -> list[tuple[dict, list]]:
    """The report and every case's change, from DuckDB and from the compiled engine."""
    results = []
    for differ in (BulkDiff(old, new), CaseDiff(old, new, "compiled", 1)):
        behaviour = BehaviourDiff()
        with open_cases(str(cases)) as case_file:
            for part, _, _ in differ.batches(case_file, keep_changes=False):
                behaviour.merge(part)
        with open_cases(str(cases)) as case_file:
            changes = [change_json(change) for change in differ.changes(case_file)]
        results.append((behaviour.to_json(), changes))
    return results


def test_a_moved_rule_proves_only_the_rules_above_it():
    source = SOURCE
    start, end = source.index('rule "Rude staff"'), source.index('rule "Billing error"')
    moved = source[:source.index('rule "Food safety concern"')] + source[start:end] + \
        source[source.index('rule "Food safety concern"'):start] + source[end:]
    old, new = (check_source(text, "p.policy").policy for text in (source, moved))
    assert settled_rules(old, new) == frozenset()
    assert settled_rules(old, old) == ALL


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_the_sql_diff_of_an_edit_equals_the_compiled_engines(edit, tmp_path):
    edits, proved = EDITS[edit]
    new_source = edited(SOURCE, *edits)
    old, new = (check_source(text, "p.policy").policy for text in (SOURCE, new_source))
    if proved is not None:
        assert settled_rules(old, new) == proved
    else:  # the say's rule alone is unproved
        assert settled_rules(old, new) == ALL - {next(i for i, (a, b) in enumerate(zip(old.guidelines, new.guidelines)) if a != b)}
    (sql, sql_changes), (compiled, compiled_changes) = _reports((SOURCE, "old.policy"), (new_source, "new.policy"), RESTAURANT_CASES)
    assert sql == compiled
    assert sql_changes == compiled_changes
    assert sql["cases"] == 2000 and (sql["changed"] > 0) == (edit != "layout and comments")


def test_the_cli_reports_a_rule_edit_as_the_compiled_engine_does(tmp_path):
    new = tmp_path / "new.policy"
    new.write_text(edited(SOURCE, RULE_RAISED))
    runs = {engine: subprocess.run([sys.executable, "-m", "redress.cli", "diff", str(RESTAURANT), str(new), "--cases",
                                    str(RESTAURANT_CASES), "--format", "json", "--engine", engine],
                                   capture_output=True, cwd=REPO, timeout=120) for engine in ("duckdb", "compiled")}
    assert runs["duckdb"].returncode == runs["compiled"].returncode == 1, runs["duckdb"].stderr.decode()
    reports = [json.loads(runs[engine].stdout) for engine in ("duckdb", "compiled")]
    assert [report.pop("engine") for report in reports] == ["duckdb", "compiled"]
    assert reports[0] == reports[1]
    assert reports[0]["changed"] > 0


def _rule_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first line, end) of each `rule` block."""
    starts = [i for i, line in enumerate(lines) if line.startswith("rule ")]
    return [(start, next((j for j in range(start + 1, len(lines)) if not lines[j].startswith("  ")), len(lines)))
            for start in starts]


@st.composite
def policy_pairs(draw) -> tuple[str, str]:
    """A random policy and a random edit of it."""
    old = draw(small_policies())
    lines = old.split("\n")
    blocks = _rule_blocks(lines)
    start, end = blocks[draw(st.integers(0, len(blocks) - 1))]
    edit = draw(st.sampled_from(["none", "offer", "condition", "move", "rename", "limit", "let", "say", "layout"]))
    if edit == "offer":
        lines[end - 1] = f"  offer {draw(st.sampled_from(_OFFERS))}"
    elif edit == "condition" and lines[start + 1].startswith("  when "):
        lines[start + 1] = f"  when {draw(_condition)}"
    elif edit == "move" and len(blocks) > 1:
        first, last = blocks[0], blocks[-1]
        lines = lines[:first[0]] + lines[last[0]:last[1]] + lines[first[0]:last[0]] + lines[last[1]:]
    elif edit == "rename":
        lines[start] = lines[start][:-1] + ' renamed"'
    elif edit == "limit":
        lines[lines.index("  clerk up to $50")] = f"  clerk up to ${draw(st.sampled_from(['5', '20', '100']))}"
    elif edit == "let":
        lines[lines.index("let half = a / 2")] = "let half = a / 5"
    elif edit == "say":
        lines.insert(end, f'  say "{draw(st.sampled_from(["You get {offer}.", "Up to {ceiling}, {flag}."]))}"')
    elif edit == "layout":
        lines.insert(start, "# a comment\n")
    return old, "\n".join(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(pair=policy_pairs(), seed=st.integers(0, 2**32))
def test_random_policy_pairs_diff_on_duckdb_as_on_the_compiled_engine(pair, seed, tmp_path_factory):
    checked = [check_source(text, "random.policy") for text in pair]
    assume(all(result.ok for result in checked))
    assume(all(sql_refusal(result.policy) is None for result in checked))
    generator = CaseGenerator(checked[0].policy, seed)
    cases = tmp_path_factory.mktemp("pair") / "cases.jsonl"
    write_cases(iter([generator.case() for _ in range(60)]), str(cases), "jsonl")
    (sql, sql_changes), (compiled, compiled_changes) = _reports((pair[0], "old.policy"), (pair[1], "new.policy"), cases)
    assert sql == compiled, pair[1]
    assert sql_changes == compiled_changes
