"""`redress eval`: one case from --case, or a stream of cases with --jsonl.

The --jsonl stream is for agents and pipelines: exactly one output line per input line, in order.
A line that is not a valid case (not UTF-8, not JSON, not a case) yields `{"case_id": ..., "line": N,
"error": {...}}` and the stream goes on; memory stays flat however long the stream is. Standard
input is read as bytes and decoded here, a line at a time, so the locale never decides what a
line means and a bad byte spoils only its own line.

A case may carry `offered`, the record of what was actually given that case files (and
`redress cases generate`) have: eval decides the case and ignores it, with one note on stderr, so
a case file's lines can be piped straight in; `redress replay` is what compares offers.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dsl.currency import format_money
from engine.cases import OFFERED_KEY, CaseError, case_id_of
from engine.decide import Engine, load_engine
from qa.exact_json import loads
from redress.inputs import json_error_text, load_checked_policy, parse_json, read_case_argument
from redress.output import ExitCode, counted, emit, emit_json, fail, say, to_json_line, warn

if TYPE_CHECKING:
    from dsl.model import Policy

UTF8_BOM = b"\xef\xbb\xbf"


def _engine(policy_path: str, kind: str, published: bool = False) -> Engine:
    engine = load_engine(load_checked_policy(policy_path, published).policy, kind)
    if engine.fallback_reason:
        warn(engine.fallback_reason)
    return engine


class OfferedNote:
    """Drops `offered` from cases when the policy has no such field, and says so once."""

    def __init__(self, policy: Policy):
        self.applies = OFFERED_KEY not in {field.name for field in policy.fields}
        self.said = False

    def without_offered(self, raw):
        if not self.applies or not isinstance(raw, dict) or OFFERED_KEY not in raw:
            return raw
        if not self.said:
            self.said = True
            say(f"redress: note: `{OFFERED_KEY}` (what was actually given, as case files record it) is ignored: "
                "eval decides the case; `redress replay` compares offers with the decision")
        return {key: value for key, value in raw.items() if key != OFFERED_KEY}


def evaluate_one(policy_path: str, case_argument: str, engine_kind: str, explain: bool, output_format: str,
                 published: bool = False) -> int:
    engine = _engine(policy_path, engine_kind, published)
    raw = OfferedNote(engine.policy).without_offered(read_case_argument(case_argument))
    try:
        decision = engine.decide(raw, explain=explain)
    except CaseError as error:
        fail(f"case: {error.message}" + (f" (expected {error.expected})" if error.expected else ""),
             ExitCode.INPUT_ERROR, error.to_json())
    if output_format == "json":
        emit_json(decision.to_json())
    else:
        emit(describe(decision.to_json()))
    return ExitCode.OK


def evaluate_jsonl(policy_path: str, engine_kind: str, explain: bool, published: bool = False) -> int:
    if engine_kind == "duckdb":
        from redress.bulk_eval import evaluate_jsonl_in_bulk

        return evaluate_jsonl_in_bulk(policy_path, _summary, published)
    from qa.exact_json import stream_decoder

    engine = _engine(policy_path, engine_kind, published)
    offered = OfferedNote(engine.policy)
    decode = stream_decoder()
    write = sys.stdout.write
    invalid = 0
    count = 0
    for count, line in enumerate(_stdin_lines(), start=1):
        if count == 1:
            line = line.removeprefix(UTF8_BOM)
        result, decided = decide_line(engine, decode, offered, line, count, explain)
        write(to_json_line(result) + "\n")
        invalid += not decided
    sys.stdout.flush()
    return _summary(invalid, count)


def _summary(invalid: int, count: int) -> int:
    if invalid:
        was = 'was not a valid case (see its "error" object)' if invalid == 1 else 'were not valid cases (see their "error" objects)'
        say(f"redress: {invalid} of {counted(count, 'line')} {was}")
        return ExitCode.INPUT_ERROR
    return ExitCode.OK


def _stdin_lines():
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream without bytes beneath (a test harness's StringIO)
        return (line.encode("utf-8", "surrogateescape") for line in sys.stdin)
    return iter(buffer.readline, b"")


def line_error(case_id, number: int, error: dict) -> tuple[dict, bool]:
    return {"case_id": case_id, "line": number, "error": error}, False


def unreadable_line(line: bytes, number: int, decode=loads) -> tuple[Any, tuple[dict, bool] | None]:
    """The parsed case of an input line, or (None, its error object) when it is not UTF-8, empty or
    not JSON. `decode` is `qa.exact_json.stream_decoder()` in a stream (the same answers, faster)."""
    try:
        text = line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as error:
        return None, line_error(None, number, {"field": None, "expected": "UTF-8 text",
                                               "message": f"line {number} is not UTF-8 text (byte 0x{line[error.start]:02x} "
                                                          f"at byte {error.start + 1})"})
    if not text.strip():
        return None, line_error(None, number, {"field": None, "message": "empty line", "expected": "one JSON case per line"})
    try:
        return parse_json(text, decode), None
    except ValueError as error:
        return None, line_error(None, number, {"field": None, "message": json_error_text(error, text), "expected": "a JSON object"})


def decide_line(engine: Engine, decode, offered: OfferedNote, line: bytes, number: int,
                 explain: bool) -> tuple[dict, bool]:
    """The decision for one input line, or its error object; and whether it was decided."""
    raw, problem = unreadable_line(line, number, decode)
    if problem is not None:
        return problem
    try:
        return engine.decide(offered.without_offered(raw), explain=explain).to_json(), True
    except CaseError as error:
        return line_error(case_id_of(raw), number, error.to_json())


def describe(decision: dict) -> str:
    """A decision in a few lines for a person at a terminal."""

    def money(text: str) -> str:
        return format_money(Decimal(text), decision["currency"])

    lines = [f"Rule:         {decision['rule'] or '(no guideline matches)'}"]
    if decision["floor"] is not None:
        lines.append(f"Range:        {money(decision['floor'])} to {money(decision['ceiling'])}, open at {money(decision['open_at'])}")
    if decision["step"] is not None:
        lines.append(f"Step:         {money(decision['step'])}")
    for key, label in (("remedies", "Remedies"), ("routes", "Routes"), ("entitlements", "Entitlements")):
        if decision[key]:
            lines.append(f"{label + ':':<14}{', '.join(decision[key])}")
    for key, label in (("approver", "Approver"), ("escalate_to", "Escalate to"), ("say", "Say"), ("follow_up", "Follow up")):
        if decision[key]:
            lines.append(f"{label + ':':<14}{decision[key]}")
    if decision["extra"]:
        lines.append(f"Extra:        {decision['extra']['gesture']} (up to {money(decision['extra']['up_to'])})")
    lines += [f"Note:         {note}" for note in decision["notes"]]
    if "trace" in decision:
        lines += ["Trace:", *(f"  {_traced(step)}" for step in decision["trace"])]
    return "\n".join(lines)


def _traced(step: dict) -> str:
    """One `--explain` step: `rule "Missed appointment" (line 33): matched, decides; situation = missed_appointment`."""
    verdict = "matched" if step["matched"] else "did not match"
    if step.get("decides"):
        verdict += ", decides"
    values = "; ".join(f"{name} = {str(value).lower() if isinstance(value, bool) else value}"
                       for name, value in step["values"].items())
    return f'{step["kind"]} "{step["name"]}" (line {step["line"]}): {verdict}' + (f"; {values}" if values else "")
