"""Hostile policies, fuzzed: random string escapes, CR/CRLF/BOM, huge `one of` lists, deep nesting,
long comment runs (issue 8's campaign, kept bounded for CI).

Each example is pushed through `check`, `fmt` (the real command, on a file, so the file is read as
the CLI reads it) and `eval` in both engines, in-process, and held to the promises:
* nothing raises: every problem is a diagnostic with a place;
* `check` and `fmt` agree on whether the text parses, and where it does,
  `parse(fmt(p)) == parse(p)` and formatting again changes nothing;
* where the policy checks, the durable and compiled engines give the same decision (or the same
  case error) for every case tried.
"""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dsl.checker import check_source
from dsl.formatter import FormatError, format_source
from dsl.parser import MAX_NESTING, parse
from engine.cases import CaseError
from engine.decide import load_engine
from redress.cli import cli

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

VALID_ESCAPES = [r"\\", r"\"", r"\'", r"\n", r"\t", r"\xe9", r"\u00e9", r"\U0001F600", r"\N{EURO SIGN}", "{offer}"]
BAD_ESCAPES = [r"\x", r"\xZZ", r"\u12", r"\ud800", r"\udfff", r"\U00110000", r"\N{NOT A NAME}", r"\N", r"\q", r"\{", "{nope}"]
LITERAL_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\\n\r'), max_size=8)
HOSTILE_CHARACTERS = ["\r", "\r\n", "\n", "\ufeff", "\\", '"', "#", "\x00", "\x0c", "\u2028", "é", "\t"]


@st.composite
def string_literals(draw) -> str:
    """Mostly valid escapes, so that most examples get as far as the engines; sometimes a bad one."""
    escapes = VALID_ESCAPES + (BAD_ESCAPES if draw(st.integers(0, 4)) == 0 else [])
    pieces = draw(st.lists(st.one_of(st.sampled_from(escapes), LITERAL_TEXT), max_size=6))
    return '"' + "".join(pieces) + '"'


def _values(count: int) -> str:
    return ", ".join(f"v{i}" for i in range(count))


@st.composite
def hostile_policies(draw) -> tuple[str, int]:
    """A policy text (line ends, BOM and a stray character applied) and its number of choices."""
    choices = draw(st.sampled_from([2, 3, 40, 300, 520, 1_100]))
    listed = draw(st.integers(1, choices))
    depth = draw(st.sampled_from([0, 1, 5, 30, MAX_NESTING - 2, MAX_NESTING - 2, MAX_NESTING + 5]))
    comment_run = draw(st.sampled_from([0, 1, 50, 2_000]))
    nested = "(" * depth + "price" + " + $1)" * depth
    lines = [
        f"policy {draw(string_literals())}", 'version "1"', "currency USD", "",
        "case", f"  k: one of {_values(choices)}", f"  price: money  # {draw(LITERAL_TEXT)}", "  flag: bool = false", "",
        f"let base = {nested}", "",
        "authority", "  clerk up to $50", "  boss", "",
        'rule "a"', f"  when k is one of {_values(listed)} and price > $10", "  offer up to price",
        f"  say {draw(string_literals())}",
        *[f"# note {i}" for i in range(comment_run)],
        f"rule {draw(string_literals())}", f"  when k is not one of {_values(listed)} or flag",
        "  offer no less than $1 but no more than base", "  step $5", "",
        "otherwise escalate to boss", "",
    ]
    text = "\n".join(lines)
    ending = draw(st.sampled_from(["\n", "\n", "\r\n", "\r\n", "\r"]))
    text = text.replace("\n", ending)
    if draw(st.integers(0, 3)) == 0:
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.sampled_from(HOSTILE_CHARACTERS)) + text[position:]
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text, choices


def _decision(engine, case: dict):
    try:
        return engine.decide(case, explain=True).to_json()
    except CaseError as error:
        return {"error": error.to_json()}


def _fmt_through_the_cli(text: str) -> tuple[int, str]:
    """`redress fmt FILE` on the text's bytes: its exit code and the file afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.policy"
        path.write_bytes(text.encode("utf-8"))
        result = CliRunner().invoke(cli, ["fmt", str(path)])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        check = CliRunner().invoke(cli, ["check", "--format", "json", str(path)])
        if check.exception is not None and not isinstance(check.exception, SystemExit):
            raise check.exception
        json.loads(check.stdout)  # a list of diagnostics or the JSON error, never a traceback
        return result.exit_code, path.read_bytes().decode("utf-8")


@FUZZ
@given(hostile_policies(), st.data())
def test_hostile_policy_text_is_checked_formatted_and_decided_without_surprises(policy, data) -> None:
    text, choices = policy
    checked = check_source(text, "fuzz.policy")
    errors = [d for d in checked.diagnostics if d.severity == "error"]
    assert (checked.policy is None) == bool(errors)
    for diagnostic in checked.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.column >= 1 and diagnostic.code

    parsed = parse(text)
    event("parses" if parsed.tree is not None else "refused: " + ", ".join(sorted({d.code for d in parsed.diagnostics})))
    code, rewritten = _fmt_through_the_cli(text)
    if parsed.tree is None:
        assert code == 2
        assert rewritten == text  # a file that does not parse is never rewritten
        try:
            format_source(text)
        except FormatError:
            pass
        else:
            raise AssertionError("fmt formatted a text the parser refuses")
        return
    assert code == 0
    assert rewritten == format_source(text)
    assert parse(rewritten).tree == parsed.tree
    assert format_source(rewritten) == rewritten
    assert check_source(rewritten, "fuzz.policy").ok == checked.ok

    if checked.policy is None:
        return
    event("checks: both engines decide")
    durable, compiled = load_engine(checked.policy, "durable"), load_engine(checked.policy, "compiled")
    for _ in range(3):
        case = {"k": f"v{data.draw(st.integers(0, choices - 1))}",
                "price": str(data.draw(st.decimals(Decimal(0), Decimal(500), places=2))),
                "flag": data.draw(st.booleans())}
        assert _decision(durable, case) == _decision(compiled, case), case
