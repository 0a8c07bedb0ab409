"""Wording checks: what the manual teaches about the words of an offer, as warnings on `say` texts
and `extra` gestures, and as the test a negotiation record's note must pass.

The phrases, messages and hints live in one data file, `wording.toml`, so a policy owner can extend
them and a translator can translate them without touching code. The file is read and its patterns
compiled once per process: checking stays as fast as it was.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from dsl import ast
from dsl.diagnostics import DiagnosticSink

WORDING_FILE = Path(__file__).with_name("wording.toml")
NOTE_CATEGORIES = ("admission", "personal_remark")  # what a record must never hold


@dataclass(frozen=True)
class Finding:
    """One phrase a wording rule objects to: where it sits in the text, and what to say about it."""

    category: str
    code: str
    start: int
    end: int
    message: str
    hint: str


@dataclass(frozen=True)
class _PhraseRule:
    category: str
    code: str
    where: tuple[str, ...]
    message: str
    hint: str
    pattern: re.Pattern


@dataclass(frozen=True)
class _PromiseRule:
    code: str
    message: str
    hint: str
    pattern: re.Pattern
    units: dict[str, int]
    numbers: dict[str, int]


@dataclass(frozen=True)
class _Rules:
    phrases: tuple[_PhraseRule, ...]
    promise: _PromiseRule


def _phrase_pattern(phrase: str) -> str:
    """A phrase as a regular expression: its words with any spaces or commas between them, a
    trailing `*` for any ending."""
    words = phrase.rstrip("*").split()
    return r"[\s,]+".join(re.escape(word) for word in words) + (r"\w*" if phrase.endswith("*") else "")


def _alternatives(words) -> str:
    """Whole words only, the longest phrase first (so "do not" wins over "not")."""
    return r"(?<!\w)(?:" + "|".join(_phrase_pattern(word) for word in sorted(words, key=len, reverse=True)) + r")(?!\w)"


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    with WORDING_FILE.open("rb") as handle:
        data = tomllib.load(handle, parse_float=Decimal)
    promise_table = data.pop("time_promise")
    phrases = tuple(
        _PhraseRule(name, table["code"], tuple(table["where"]), table["message"], table["hint"],
                    re.compile(_alternatives(table["phrases"]), re.IGNORECASE))
        for name, table in data.items())
    numbers = {word.lower(): int(value) for word, value in promise_table["numbers"].items()}
    units = {word.lower(): int(value) for word, value in promise_table["units"].items()}
    pattern = re.compile(
        rf"{_alternatives(promise_table['lead_words'])}\s+(?P<count>\d+|{_alternatives(numbers)})\s+"
        rf"(?P<unit>{_alternatives(units)})", re.IGNORECASE)
    promise = _PromiseRule(promise_table["code"], promise_table["message"], promise_table["hint"], pattern, units, numbers)
    return _Rules(phrases, promise)


def _plain(text: str) -> str:
    """Curly apostrophes as straight ones, character for character, so offsets stay true."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


def phrase_findings(text: str, where: str, categories: tuple[str, ...] | None = None) -> list[Finding]:
    """Every phrase in `text` that a rule for `where` ("say", "gesture" or "note") objects to."""
    plain = _plain(text)
    found = []
    for rule in _rules().phrases:
        if where not in rule.where or (categories is not None and rule.category not in categories):
            continue
        for match in rule.pattern.finditer(plain):
            found.append(Finding(rule.category, rule.code, match.start(), match.end(),
                                 rule.message.format(phrase=text[match.start():match.end()]), rule.hint))
    return sorted(found, key=lambda f: (f.start, f.code))


def note_objections(note: str) -> list[Finding]:
    """Why a record note must be refused: an admission of fault or a personal remark."""
    return phrase_findings(note, "note", NOTE_CATEGORIES)


def _minutes(count: int, unit: str) -> int:
    return count * _rules().promise.units[unit.lower()]


def _describe(count: int, unit: str) -> str:
    return f"{count} {unit.lower()}"


def promise_findings(text: str, follow_up: ast.FollowUpClause | None) -> list[Finding]:
    """Times promised in a `say` text that the rule's `follow up` does not keep."""
    rule = _rules().promise
    found = []
    for match in rule.pattern.finditer(_plain(text)):
        count_text = match.group("count").lower()
        count = int(count_text) if count_text.isdigit() else rule.numbers[count_text]
        promised = _minutes(count, match.group("unit"))
        if follow_up is None:
            kept = "the rule has no `follow up`, so nothing schedules it"
        else:
            due = int(follow_up.count.value)
            if promised == _minutes(due, follow_up.unit):
                continue
            kept = f"the rule follows up within {_describe(due, follow_up.unit)}"
        message = rule.message.format(promise=f"“{text[match.start():match.end()]}”", follow_up=kept)
        found.append(Finding("time_promise", rule.code, match.start(), match.end(), message, rule.hint))
    return found


def check_wording(sink: DiagnosticSink, statements) -> None:
    """Warn about the wording of every rule's `say` text and `extra` gesture, with the caret under
    the phrase inside the string."""
    for block in statements:
        if not isinstance(block, ast.Block) or block.kind != "rule":
            continue
        say = next((c for c in block.clauses if isinstance(c, ast.SayClause)), None)
        extra = next((c for c in block.clauses if isinstance(c, ast.ExtraClause)), None)
        follow_up = next((c for c in block.clauses if isinstance(c, ast.FollowUpClause)), None)
        if say is not None:
            text = say.template
            _warn(sink, text, phrase_findings(text.text, "say") + promise_findings(text.text, follow_up))
        if extra is not None:
            _warn(sink, extra.gesture, phrase_findings(extra.gesture.text, "gesture"))


def _warn(sink: DiagnosticSink, text: ast.Text, findings: list[Finding]) -> None:
    """Findings are offsets in the string's source text (quotes included), so columns are exact."""
    line, column = text.span.line, text.span.column
    for finding in findings:
        where = ast.Span(line, column + finding.start, line, column + finding.end)
        sink.warning(where, finding.code, finding.message, finding.hint)
