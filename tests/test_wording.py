"""Wording checks: every category the manual warns about is found in `say` texts and gesture names,
with the caret under the phrase and a hint quoting the manual; warnings never fail `check` unless
`--strict`; the sample policies' own words pass."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from conftest import REPO
from dsl.checker import check_source
from dsl.wording import WORDING_FILE, note_objections, phrase_findings

HEADER = 'policy "Words"\nversion "1"\ncurrency USD\n\ncase\n  price: money\n\n'


def _policy(*clauses: str) -> str:
    return HEADER + 'rule "Everyone"\n  offer up to price\n' + "".join(f"  {clause}\n" for clause in clauses)


def _warnings(source: str) -> list:
    result = check_source(source, "words.policy")
    assert result.ok, result.diagnostics
    return [d for d in result.diagnostics if d.severity == "warning"]


def _column(source: str, line: int, phrase: str) -> int:
    return source.split("\n")[line - 1].index(phrase) + 1


@pytest.mark.parametrize("code, clause, phrase", [
    ("wording-admission", 'say "It was our fault, and we would like to extend {offer}."', "our fault"),
    ("wording-admission", 'say "We were negligent; please accept {offer}."', "We were negligent"),
    ("wording-personal-remark", 'say "Customer is a moron. Offer {offer}."', "moron"),
    ("wording-negative", 'say "We can\'t do more than {offer}."', "can't"),
    ("wording-negative", 'say "We won’t charge you for the visit."', "won’t"),
    ("wording-negative", 'say "Unfortunately, {offer} is all there is."', "Unfortunately"),
    ("wording-negative", 'say "Here is {offer}, the best I can do."', "the best I can do"),
    ("wording-negative", 'say "Our policy says {offer}."', "policy says"),
    ("wording-refusal", 'say "I\'m sorry, but {offer} is our offer."', "sorry, but"),
    ("wording-refusal", 'say "I am sorry but here is {offer}."', "sorry but"),
], ids=lambda value: value if value.startswith("wording") else None)
def test_each_category_is_found_under_its_phrase(code: str, clause: str, phrase: str) -> None:
    source = _policy(clause)
    found = [d for d in _warnings(source) if d.code == code]
    assert len(found) == 1, _warnings(source)
    warning = found[0]
    assert (warning.line, warning.column, warning.end_column) == (
        10, _column(source, 10, phrase), _column(source, 10, phrase) + len(phrase))
    assert phrase in warning.message
    assert warning.hint.startswith("the manual: “")


def test_a_promised_time_that_disagrees_with_follow_up_is_found() -> None:
    source = _policy('say "We will call you within 2 days with {offer}."', "follow up within 4 hours")
    [warning] = _warnings(source)
    assert warning.code == "wording-time-promise" and warning.column == _column(source, 10, "within 2 days")
    assert "within 2 days" in warning.message and "4 hours" in warning.message
    assert "credibility" in warning.hint


def test_a_promised_time_without_any_follow_up_is_found() -> None:
    [warning] = _warnings(_policy('say "Our manager will call you in two hours."'))
    assert warning.code == "wording-time-promise" and "no `follow up`" in warning.message


@pytest.mark.parametrize("text, follow_up", [
    ("We will call you within 24 hours.", "follow up within 1 day"),
    ("We will call you within 4 hours.", "follow up within 4 hours"),
    ("Expect our call in a day.", "follow up within 1 day"),
    ("I will come back in a few minutes.", "follow up within 1 hour"),
])
def test_a_promise_the_follow_up_keeps_is_not_a_warning(text: str, follow_up: str) -> None:
    assert _warnings(_policy(f'say "{text}"', follow_up)) == []


def test_a_gesture_that_makes_the_customer_spend_more_is_found() -> None:
    source = _policy('extra "20% coupon when you spend $100" up to $5')
    warnings = _warnings(source)
    assert [w.code for w in warnings] == ["wording-spend-more", "wording-spend-more"]
    assert warnings[1].column == _column(source, 10, "when you spend")
    assert "spend more money" in warnings[0].hint


@pytest.mark.parametrize("gesture", ["two movie tickets", "fruit basket", "a 50% discount on the next visit"])
def test_a_real_gesture_is_not_a_warning(gesture: str) -> None:
    assert _warnings(_policy(f'extra "{gesture}" up to $30')) == []


def test_the_issues_example_is_no_longer_clean(invoke, tmp_path: Path) -> None:
    path = tmp_path / "words.policy"
    path.write_text(_policy('say "Our known defect, our fault. Customer is a moron."'), encoding="utf-8")
    result = invoke("check", path, "--format", "json")
    assert result.exit_code == 0
    codes = [d["code"] for d in json.loads(result.stdout)]
    assert codes == ["wording-admission", "wording-admission", "wording-personal-remark"]
    assert invoke("check", path, "--strict").exit_code == 1
    text = invoke("check", path)
    assert "3 warnings" in text.stderr and "^^^^^" in text.stdout and "= hint: the manual:" in text.stdout


def test_the_sample_policies_own_words_pass(invoke) -> None:
    samples = sorted((REPO / "policies").glob("*.policy")) + [REPO / "tests" / "data" / "language_example.policy"]
    result = invoke("check", "--strict", "--format", "json", *samples)
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_every_phrase_in_the_word_lists_is_found_by_its_own_rule() -> None:
    """The data file is the only place the lists live: every phrase must compile into its rule."""
    with WORDING_FILE.open("rb") as handle:
        tables = tomllib.load(handle)
    del tables["time_promise"]
    for table in tables.values():
        assert table["hint"].startswith("the manual: “")
        for phrase in table["phrases"]:
            text = f"well {phrase.rstrip('*')} well"
            found = {f.code for where in table["where"] for f in phrase_findings(text, where)}
            assert table["code"] in found, phrase


def test_a_note_objects_only_to_admissions_and_remarks() -> None:
    assert [f.category for f in note_objections("Customer is an idiot and it was our fault")] == ["personal_remark", "admission"]
    assert note_objections("Customer can't be home before 6pm; unfortunately the van won't fit the drive") == []
