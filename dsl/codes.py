"""Every diagnostic code the parser and the checker can report, with its severity and meaning.

Agents match on a code, so a code is a promise: it is listed here once, documented in
docs/language.md ("Diagnostic codes", tested to agree with this table), and `Diagnostic` refuses a
code that is not here or a severity that does not match, so a new finding cannot ship unregistered.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Code:
    name: str
    severity: str
    meaning: str


CODES: dict[str, Code] = {code.name: code for code in (
    Code("line-ending", ERROR, "a carriage return (CR) that does not end a line: only LF or CRLF does"),
    Code("encoding", ERROR, "half of a surrogate pair in the text, which is no character"),
    Code("syntax", ERROR, "a line does not follow the grammar; the message says what was expected there"),
    Code("escape", ERROR, "a `\\` escape in a quoted text that is not one of the valid escapes"),
    Code("nesting", ERROR, "an expression is nested too deeply to read; split it with `let`"),
    Code("missing-header", ERROR, "the `policy`, `version` or `currency` line is missing"),
    Code("header-order", ERROR, "the header lines are not first, or not in the order policy, version, currency"),
    Code("missing-case", ERROR, "the policy has no `case` block"),
    Code("missing-rule", ERROR, "the policy has no rule"),
    Code("missing-clause", ERROR, "a rule without `offer`, or an entitlement without `at least`"),
    Code("clause", ERROR, "a clause where it does not belong, such as `offer` in a route"),
    Code("duplicate", ERROR, "a name, clause, block or value given twice"),
    Code("reserved", ERROR, "a field named like a key Redress reads itself (`id`, the case's identifier)"),
    Code("naming", ERROR, "a field, let, value, role or remedy name that is not lowercase snake_case"),
    Code("unknown-type", ERROR, "a field type that is not money, number, integer, bool, text or `one of`"),
    Code("bounds", ERROR, "`from ... to ...` bounds on a field that takes none, the wrong way round or of the wrong type, a negative money bound, or a default outside them"),
    Code("unknown-name", ERROR, "an expression reads a field or let that is not declared"),
    Code("unknown-function", ERROR, "a call of a function other than `min` and `max`"),
    Code("unknown-value", ERROR, "a choice value that the field does not list"),
    Code("unknown-role", ERROR, "`escalate to` or `otherwise` names a role not in the authority chain"),
    Code("unknown-placeholder", ERROR, "a `{name}` in `say` that a decision cannot fill in"),
    Code("type", ERROR, "a value of the wrong type: money where a number is needed, text compared with money, ..."),
    Code("currency", ERROR, "an amount in another currency than the policy's"),
    Code("let-cycle", ERROR, "lets that depend on each other in a circle"),
    Code("authority-limit", ERROR, "an authority limit that is not a fixed amount, or missing before the last role"),
    Code("authority-order", ERROR, "authority limits that do not rise from one role to the next"),
    Code("follow-up", ERROR, "a follow-up that is not a whole number of days or hours, at least 1"),
    Code("unreachable", ERROR, "a rule that can never apply because an earlier rule takes every case it would"),
    Code("internal", ERROR, "the checker itself failed (a bug in Redress); the message carries the error"),
    # The wording checks (`dsl/wording.toml` holds their phrases): warnings, errors only with `--strict`.
    Code("wording-admission", WARNING, "a `say` text, gesture or note that admits fault (\"our fault\")"),
    Code("wording-personal-remark", WARNING, "a personal remark about the customer (\"moron\")"),
    Code("wording-negative", WARNING, "negative phrasing (\"can't\", \"unfortunately\", \"policy says\")"),
    Code("wording-refusal", WARNING, "an apology before the offer (\"I'm sorry, but\")"),
    Code("wording-spend-more", WARNING, "a gesture that makes the customer spend more (\"coupon when you spend $50\")"),
    Code("wording-time-promise", WARNING, "a `say` text promises a time the rule's `follow up within` does not keep"),
)}


class UnregisteredCode(ValueError):
    """A diagnostic with a code (or severity) `CODES` does not list: a bug in Redress."""


def registered(code: str, severity: str) -> Code:
    """The registry's entry for `code`, which must be reported with its registered severity."""
    entry = CODES.get(code)
    if entry is None:
        raise UnregisteredCode(f"diagnostic code {code!r} is not registered in dsl/codes.py")
    if entry.severity != severity:
        raise UnregisteredCode(f"diagnostic code {code!r} is registered as {entry.severity}, not {severity}")
    return entry
