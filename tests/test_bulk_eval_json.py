"""`eval --jsonl` on DuckDB writes each decision's JSON text in SQL (`engine.sql.json_text`): it must be
the compiled engine's text to the byte, also where a case's own text is shown by `say`.

The policy here shows a case's `note` in its wording and has quotes, backslashes, non-ASCII and (in
one variant) a newline and a tab in its own texts: rule, route and entitlement names, the gesture,
the templates. A case's text with a control character the policy's texts do not hold must go to
the compiled engine (SQL would have to write a `\\u00XX` escape); everything else is SQL's.
The sample policies and the LANGUAGE.md example are held to the byte by tests/test_bulk_sql.py.
"""

from __future__ import annotations

import json

import pytest

from dsl.checker import check_source
from engine.decision import Decision
from qa.bulk_eval import BulkDecider
from test_bulk_sql import _cli, assert_sql_agrees

POLICY = r'''policy "Café \"quoted\" \\ policy"
version "1"
currency USD

case
  situation: one of late, rude, other
  price: money
  note: text = ""
  member: bool = false

authority
  clerk up to $50
  manager

route "Back\\office \"desk\" ☎" when member

entitlement "Prix \"garanti\" ☕"
  when situation is late
  at least 10% of price

rule "Late, \"member\" \\ VIP"
  when situation is late and member
  offer no less than $5 but no more than price
  say "Dear customer,\n\twe read: {note} \u2014 here is {offer}."
  extra "café \"voucher\"" up to $3

rule "Rude"
  when situation is rude
  offer up to price
  say "You wrote \"{note}\"; we owe you {offer}."

otherwise escalate to manager
'''
# The same policy without a control character in any of its texts.
PLAIN_POLICY = POLICY.replace(r"Dear customer,\n\twe read", "Dear customer, we read")

NOTES = ["", "plain", 'say "hi"', "back\\slash", '\\"', "café ☕ 😀", "line\u2028separator", "del\x7f",
         "tab\there", "new\nline", "carriage\rreturn", "bell\x07", "unit\x1fseparator", "form\x0cfeed"]
HELD = {True: "\t\n", False: ""}  # the control characters each variant's own texts hold


def _cases() -> list[dict]:
    cases = []
    for index, note in enumerate(NOTES):
        for situation, member in (("late", True), ("rude", False), ("late", False), ("other", False)):
            cases.append({"id": f"{situation}-{index}", "situation": situation, "price": "123.45", "note": note,
                          "member": member})
    return cases


def _policy(source: str):
    result = check_source(source, "policy.policy")
    assert result.ok, result.diagnostics
    return result.policy


def _needs_engine(case: dict, held: str) -> bool:
    """Whether the case's wording shows a control character SQL does not escape for this policy."""
    shown = case["situation"] == "rude" or (case["situation"] == "late" and case["member"])
    return shown and any(character < " " and character not in held for character in case["note"])


@pytest.mark.parametrize("with_controls", [True, False], ids=["texts with newline and tab", "plain texts"])
def test_texts_shown_by_say_are_escaped_to_the_byte(with_controls):
    policy = _policy(POLICY if with_controls else PLAIN_POLICY)
    cases = _cases()
    assert_sql_agrees(policy, cases)  # every case's text (or error) is the compiled engine's, to the byte
    results = BulkDecider(policy).decide(cases)
    for case, result in zip(cases, results):
        if _needs_engine(case, HELD[with_controls]):
            assert isinstance(result, Decision), f"SQL wrote a text it does not escape: {case!r}"
        else:
            assert isinstance(result, str), f"SQL handed back a case it can write: {case!r}"


def test_eval_jsonl_writes_hostile_texts_as_the_compiled_engine_does(tmp_path):
    path = tmp_path / "policy.policy"
    path.write_text(POLICY, encoding="utf-8")
    lines = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in _cases()).encode("utf-8")
    results = {engine: _cli("eval", path, "--jsonl", "--engine", engine, stdin=lines) for engine in ("duckdb", "compiled")}
    assert results["duckdb"].returncode == results["compiled"].returncode == 0, results["duckdb"].stderr
    assert results["duckdb"].stdout == results["compiled"].stdout
    decided = [json.loads(line) for line in results["duckdb"].stdout.splitlines()]
    assert [decision["case_id"] for decision in decided] == [case["id"] for case in _cases()]
    # the template's newline and tab read back as written; the offer is the entitlement's 10% of $123.45
    assert decided[0]["say"] == "Dear customer,\n\twe read:  \u2014 here is $12.35."
