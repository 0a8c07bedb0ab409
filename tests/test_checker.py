"""The checker: every diagnostic it can give, where it points, and what it says.

Each case is a small policy with one mistake; the test pins the stable `code` (agents match on it),
the exact line and column, and the words of the message and hint a person acts on. Then: many
mistakes in one run, the LANGUAGE.md example checking clean into the right model, and `render`.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from dsl import ast
from dsl.checker import check_file, check_source
from dsl.diagnostics import render

EXAMPLE_PATH = Path(__file__).parent / "data" / "language_example.policy"

BASE = """\
policy "p"
version "1"
currency USD
case
  price: money
  cost: money
  situation: one of missed, broken
  legal: bool = false
  count: integer = 2
  note: text = ""
authority
  clerk up to $50
  supervisor
"""
B = BASE.count("\n")  # a body's first line is B + 1
RULE = 'rule "r"\n  offer up to price\n'
HEAD = 'policy "p"\nversion "1"\ncurrency USD\n'


def check(source: str):
    return check_source(source, "t.policy")


def only_diagnostic(source: str):
    result = check(source)
    assert result.policy is None
    assert len(result.diagnostics) == 1, "\n".join(render(d, source) for d in result.diagnostics)
    return result.diagnostics[0]


def case(id, source, code, line, column, message, hint=None):
    """One mistake: `hint` is a piece of the hint, None to skip, or "" for "no hint at all"."""
    return pytest.param(source, code, line, column, message, hint, id=id)


def body(text: str) -> str:
    return BASE + text


DIAGNOSTICS = [
    # ------------------------------------------------------------ syntax, through check_source
    case("syntax", body('rule "r"\n  when price = $5\n  offer nothing\n'), "syntax", B + 2, 14,
         "`=` is not a comparison", "`==`"),
    case("nesting", body("let x = " + " + ".join(["price"] * 200) + "\n" + RULE), "nesting", B + 1, 9,
         "nested more than 100 levels deep", "split it into smaller parts with `let`"),
    case("line-ending", body("# a note\r  offer\n" + RULE), "line-ending", B + 1, 9,
         "a carriage return (CR) here does not end a line", "save the file with LF or CRLF line endings"),
    case("encoding", body("let x = price\ud800\n" + RULE), "encoding", B + 1, 14,
         "U+D800 is half of a surrogate pair", "delete it"),
    case("escape", body(RULE + '  say "bad \\x escape"\n'), "escape", B + 3, 12,
         "`\\x` needs exactly 2 hex digits", "write \\\\ for a backslash"),

    # ------------------------------------------------------------ header
    case("missing-header", 'policy "p"\ncurrency USD\ncase\n  price: money\n' + RULE, "missing-header", 3, 1,
         "no `version` line", 'version "2026-11"'),
    case("header-order", 'version "1"\npolicy "p"\ncurrency USD\ncase\n  price: money\n' + RULE, "header-order", 2, 1,
         "`policy` is out of place", "`policy`, `version` and `currency`, in that order"),
    case("header-order-late", 'policy "p"\nversion "1"\ncase\n  price: money\ncurrency USD\n' + RULE,
         "header-order", 5, 1, "`currency` is out of place", "in that order"),
    case("duplicate-header", body('version "2"\n' + RULE), "duplicate", B + 1, 1, "`version` is declared twice", "keep one"),

    # ------------------------------------------------------------ case block
    case("missing-case", HEAD + 'rule "r"\n  offer up to $5\n', "missing-case", 1, 1,
         "no `case` block", "`price: money`"),
    case("duplicate-case", body("case\n  extra_field: money\n" + RULE), "duplicate", B + 1, 1,
         "second `case` block", "one block"),
    case("duplicate-field", body("let x = price\n").replace("  note:", "  price: number\n  note:") + RULE,
         "duplicate", 10, 3, "field `price` is declared twice (first on line 5)", ""),
    case("reserved", BASE.replace("  note:", "  id: text\n  note:") + RULE, "reserved", 10, 3,
         "`id` is reserved for the case's identifier", "another name"),
    case("naming-field", BASE.replace("  note:", "  RefundAmount: money\n  note:") + RULE, "naming", 10, 3,
         "field names are lowercase snake_case", "`refund_amount`"),
    case("naming-value", BASE.replace("one of missed, broken", "one of missed, BrokenItem") + RULE, "naming", 7, 29,
         "value names are lowercase snake_case", "`broken_item`"),
    case("duplicate-value", BASE.replace("one of missed, broken", "one of missed, broken, missed") + RULE,
         "duplicate", 7, 37, "`missed` is listed twice", ""),
    case("bounds-default-outside", BASE.replace("count: integer = 2", "count: integer from 0 to 10 = 12") + RULE,
         "bounds", 9, 33, "the default of `count` lies outside its bounds", "from 0 to 10"),
    case("bounds-reversed", BASE.replace("count: integer = 2", "count: integer from 9 to 3") + RULE,
         "bounds", 9, 18, "the bounds of `count` are the wrong way round", "`from 3 to 9`"),
    case("bounds-negative-money", BASE.replace("cost: money", "cost: money from -$5 to $10") + RULE,
         "bounds", 6, 20, "a money amount in a case is never negative", "`$0`"),
    case("bounds-wrong-type", BASE.replace("cost: money", "cost: money from 0 to 10") + RULE,
         "bounds", 6, 20, "a bound of `cost` must be an amount such as `$0`", "declared as money"),
    case("bounds-not-whole", BASE.replace("count: integer = 2", "count: integer from 0.5 to 3") + RULE,
         "bounds", 9, 23, "a bound of `count` must be a whole number", "declared as integer"),
    case("bounds-on-a-choice", BASE.replace("legal: bool = false", "legal: bool from 0 to 1 = false") + RULE,
         "bounds", 8, 15, "only money, number and integer fields take `from ... to ...`", "declared as bool"),
    case("negative-money-default", BASE.replace("cost: money", "cost: money = -$5") + RULE,
         "bounds", 6, 17, "the default of `cost` is negative", "`$0` or more"),
    case("unknown-type-close", BASE.replace("cost: money", "cost: mony") + RULE, "unknown-type", 6, 9,
         "unknown type `mony`", "did you mean `money`?"),
    case("unknown-type-far", BASE.replace("cost: money", "cost: date") + RULE, "unknown-type", 6, 9,
         "unknown type `date`", "money, number, integer, bool, text and `one of a, b`"),
    case("default-enum-value", BASE.replace("one of missed, broken", "one of missed, broken = brokn") + RULE,
         "unknown-value", 7, 38, "`brokn` is not a value of `situation`", "did you mean `broken`?"),
    case("default-enum-not-a-value", BASE.replace("one of missed, broken", "one of missed, broken = 1") + RULE,
         "type", 7, 38, "the default of `situation` must be one of missed, broken", "declared as a choice"),
    case("default-integer-whole", BASE.replace("count: integer = 2", "count: integer = 2.5") + RULE,
         "type", 9, 20, "the default of `count` must be a whole number", "declared as integer"),
    case("default-money", BASE.replace("cost: money", "cost: money = 5") + RULE,
         "type", 6, 17, "the default of `cost` must be an amount such as `$0`", "declared as money"),
    case("default-number", BASE.replace("cost: money", "cost: number = $5") + RULE,
         "type", 6, 18, "the default of `cost` must be a number", "declared as number"),
    case("default-bool", BASE.replace("legal: bool = false", "legal: bool = no") + RULE,
         "type", 8, 17, "the default of `legal` must be `true` or `false`", "declared as bool"),
    case("default-text", BASE.replace('note: text = ""', "note: text = 0") + RULE,
         "type", 10, 16, "the default of `note` must be a quoted text", "declared as text"),
    case("default-currency", BASE.replace("cost: money", "cost: money = €5") + RULE,
         "currency", 6, 17, "`€5` is in EUR, but this policy's currency is USD", "`5 USD`"),

    # ------------------------------------------------------------ lets
    case("naming-let", body("let ProfitMargin = price - cost\n" + RULE), "naming", B + 1, 5,
         "let names are lowercase snake_case", "`profit_margin`"),
    case("duplicate-let", body("let profit = price - cost\nlet profit = price\n" + RULE), "duplicate", B + 2, 5,
         f"let `profit` is defined twice (first on line {B + 1})", "cannot be redefined"),
    case("let-shadows-field", body("let price = cost\n" + RULE), "duplicate", B + 1, 5,
         "`price` is already a case field", "another name"),
    case("let-cycle", body("let a = b + price\nlet b = a * 2\n" + RULE), "let-cycle", B + 1, 5,
         "depend on each other in a circle: a -> b -> a", "break the circle"),
    case("let-self-cycle", body("let a = a + price\n" + RULE), "let-cycle", B + 1, 5, "a -> a", "break the circle"),
    case("let-text", body("let label = note\n" + RULE), "type", B + 1, 13,
         "a let holds an amount, a number or true/false, but this is text"),
    case("unknown-name-let", body("let margin = prise - cost\n" + RULE), "unknown-name", B + 1, 14,
         "unknown field or let `prise`", "did you mean `price`?"),

    # ------------------------------------------------------------ authority and otherwise
    case("duplicate-authority", body("authority\n  president\n" + RULE), "duplicate", B + 1, 1,
         "second `authority` block", "lowest role first"),
    case("naming-role", BASE.replace("  supervisor", "  Supervisor") + RULE, "naming", 13, 3,
         "role names are lowercase snake_case", "`supervisor`"),
    case("duplicate-role", BASE.replace("  supervisor", "  clerk up to $100\n  supervisor") + RULE,
         "duplicate", 13, 3, "role `clerk` appears twice", ""),
    case("authority-limit-missing", BASE.replace("  clerk up to $50", "  clerk") + RULE, "authority-limit", 12, 3,
         "`clerk` has no limit, but only the last role may have none", "`clerk up to $AMOUNT`"),
    case("authority-limit-expression", BASE.replace("clerk up to $50", "clerk up to price") + RULE,
         "authority-limit", 12, 15, "must be a fixed amount such as `$50`", ""),
    case("authority-limit-number", BASE.replace("clerk up to $50", "clerk up to 50") + RULE,
         "type", 12, 15, "an authority limit must be an amount of money, but this is a plain number", "`$50`"),
    case("authority-limit-currency", BASE.replace("clerk up to $50", "clerk up to 50 EUR") + RULE,
         "currency", 12, 15, "`50 EUR` is in EUR", "`50 USD`"),
    case("authority-order", BASE.replace("  supervisor", "  supervisor up to $50\n  president") + RULE,
         "authority-order", 13, 20, "`supervisor` may approve up to $50, which does not rise above `clerk`",
         "each with a higher limit"),
    case("unknown-role-otherwise", body(RULE + "otherwise escalate to supervsor\n"), "unknown-role", B + 3, 23,
         "unknown role `supervsor`", "did you mean `supervisor`?"),
    case("unknown-role-otherwise-far", body(RULE + "otherwise escalate to president\n"), "unknown-role", B + 3, 23,
         "unknown role `president`", "the roles are clerk, supervisor"),
    case("unknown-role-no-authority", HEAD + "case\n  price: money\n" + RULE + "otherwise escalate to clerk\n",
         "unknown-role", 8, 23, "unknown role `clerk`", "declare the roles in an `authority` block"),
    case("duplicate-otherwise", body(RULE + "otherwise escalate to clerk\notherwise escalate to clerk\n"),
         "duplicate", B + 4, 1, "`otherwise` is declared twice", "keep one"),

    # ------------------------------------------------------------ names and values in expressions
    case("unknown-name", body('rule "r"\n  when prise > $100\n  offer up to price\n'), "unknown-name", B + 2, 8,
         "unknown field or let `prise`", "did you mean `price`?"),
    case("unknown-name-far", body('rule "r"\n  when loyalty > 2\n  offer up to price\n'), "unknown-name", B + 2, 8,
         "unknown field or let `loyalty`", "declare it in the `case` block or with `let`"),
    case("unknown-value", body('rule "r"\n  when situation is mised\n  offer up to price\n'), "unknown-value", B + 2, 21,
         "`mised` is not a value of `situation`", "did you mean `missed`?"),
    case("unknown-value-one-of", body('rule "r"\n  when situation is one of missed, lost\n  offer up to price\n'),
         "unknown-value", B + 2, 36, "`lost` is not a value of `situation`", "the values are missed, broken"),
    case("unknown-value-text", body('rule "r"\n  when situation == "brokn"\n  offer up to price\n'),
         "unknown-value", B + 2, 21, "`brokn` is not a value of `situation`", "did you mean `broken`?"),
    case("unknown-function", body('rule "r"\n  offer up to mn(price, $5)\n'), "unknown-function", B + 2, 15,
         "unknown function `mn`", "did you mean `min`?"),
    case("unknown-function-far", body('rule "r"\n  offer up to average(price, $5)\n'), "unknown-function", B + 2, 15,
         "unknown function `average`", "`min(...)` and `max(...)`"),
    case("unknown-placeholder", body('rule "r"\n  offer up to price\n  say "We give {ofer} today"\n'),
         "unknown-placeholder", B + 3, 16, "`{ofer}` is not something a decision can fill in", "did you mean `offer`?"),
    case("unknown-placeholder-far", body('rule "r"\n  offer up to price\n  say "Dear {customer_name}"\n'),
         "unknown-placeholder", B + 3, 13, "`{customer_name}`", "{offer}, {floor}, {ceiling} or a field name"),
    case("unknown-role-escalate", body('rule "r"\n  offer up to price\n  escalate to supervisr\n'), "unknown-role",
         B + 3, 15, "unknown role `supervisr`", "did you mean `supervisor`?"),

    # ------------------------------------------------------------ types
    case("money-plus-number", body("let x = price + 5\n" + RULE), "type", B + 1, 9,
         "cannot add a number to money", "write `$5` for an amount of money"),
    case("money-minus-number", body("let x = price - 5\n" + RULE), "type", B + 1, 9,
         "cannot subtract a number from money", "`$5`"),
    case("money-plus-percent", body("let x = price + 10%\n" + RULE), "type", B + 1, 9,
         "cannot add a number to money", "`10% of price`"),
    case("money-times-money", body("let x = price * cost\n" + RULE), "type", B + 1, 9,
         "cannot multiply money by money", "by a number or a percentage"),
    case("number-over-money", body("let x = count / price\n" + RULE), "type", B + 1, 9,
         "cannot divide a number by money", "divide money by a number or by money"),
    case("arithmetic-on-bool", body("let x = legal + price\n" + RULE), "type", B + 1, 9,
         "`+` works on amounts and numbers, but this is true/false"),
    case("compare-money-with-number", body('rule "r"\n  when price > 100\n  offer up to price\n'), "type", B + 2, 8,
         "cannot compare money with a number", "write `$100` for an amount of money"),
    case("compare-money-with-text", body('rule "r"\n  when price == note\n  offer up to price\n'), "type", B + 2, 8,
         "cannot compare money with text"),
    case("order-money-and-text", body('rule "r"\n  when price > note\n  offer up to price\n'), "type", B + 2, 8,
         "`>` compares amounts or numbers, but one side is text"),
    case("compare-choice-with-money", body('rule "r"\n  when situation == price\n  offer up to price\n'), "type",
         B + 2, 8, "cannot compare a choice (missed, broken) with money"),
    case("is-on-money", body('rule "r"\n  when price is missed\n  offer up to price\n'), "type", B + 2, 8,
         "`is` tests a choice field, but this is money", "use `==`"),
    case("is-on-bool", body('rule "r"\n  when legal is missed\n  offer up to price\n'), "type", B + 2, 8,
         "`is` tests a choice field, but this is true/false", "`not FIELD`"),
    case("when-not-bool", body('rule "r"\n  when price\n  offer up to price\n'), "type", B + 2, 8,
         "a `when` condition must be true or false, but this is money", "`price > $50`"),
    case("not-of-money", body('rule "r"\n  when not price\n  offer up to price\n'), "type", B + 2, 12,
         "what follows `not` must be true or false"),
    case("and-with-money", body('rule "r"\n  when legal and cost\n  offer up to price\n'), "type", B + 2, 18,
         "each side of `and` must be true or false, but this is money"),
    case("or-with-text", body('rule "r"\n  when note or legal\n  offer up to price\n'), "type", B + 2, 8,
         "each side of `or` must be true or false, but this is text"),
    case("offer-plain-number", body('rule "r"\n  offer up to 50\n'), "type", B + 2, 15,
         "an offer must be an amount of money, but this is a plain number", "write `$50`"),
    case("offer-text", body('rule "r"\n  offer exactly note\n'), "type", B + 2, 17, "an offer must be money, but this is text"),
    case("open-at-number", body('rule "r"\n  offer up to price\n  open at 10%\n'), "type", B + 3, 11,
         "`open at` must be an amount of money", "`10% of price`"),
    case("step-bool", body('rule "r"\n  offer up to price\n  step legal\n'), "type", B + 3, 8,
         "`step` must be money, but this is true/false"),
    case("extra-number", body('rule "r"\n  offer up to price\n  extra "tickets" up to 30\n'), "type", B + 3, 25,
         "an extra gesture's limit must be an amount of money", "`$30`"),
    case("at-least-number", body('entitlement "e"\n  at least 5\n' + RULE), "type", B + 2, 12,
         "`at least` must be an amount of money", "`$5`"),
    case("min-of-nothing", body("let x = min()\n" + RULE), "type", B + 1, 9, "`min` needs at least one value"),
    case("min-mixes", body("let x = min(price, 5)\n" + RULE), "type", B + 1, 9,
         "`min` mixes money and plain numbers", "`$5`"),
    case("max-of-text", body("let x = max(price, note)\n" + RULE), "type", B + 1, 20,
         "`max` takes amounts or numbers, but this is text"),
    case("percent-of-text", body("let x = 10% of note\n" + RULE), "type", B + 1, 16,
         "`10% of` takes an amount or a number, but this is text"),
    case("negative-text", body("let x = -note\n" + RULE), "type", B + 1, 9, "only amounts and numbers can be negative"),
    case("currency-symbol", body('rule "r"\n  offer up to €50\n'), "currency", B + 2, 15,
         "`€50` is in EUR, but this policy's currency is USD", "write the amount as `50 USD`"),
    case("currency-code", body('rule "r"\n  offer up to 1,250 GBP\n'), "currency", B + 2, 15,
         "`1,250 GBP` is in GBP", "`1,250 USD`"),

    # ------------------------------------------------------------ rules, entitlements, routes
    case("missing-rule", BASE, "missing-rule", 11, 1, "the policy has no rule", 'rule "Missed appointment"'),
    case("missing-offer", body('rule "r"\n  when legal\n'), "missing-clause", B + 1, 6,
         'rule "r" has no `offer`', "`offer up to $50`"),
    case("missing-at-least", body('entitlement "e"\n  when legal\n' + RULE), "missing-clause", B + 1, 13,
         'entitlement "e" has no `at least`', "`at least price`"),
    case("clause-in-route", body('route "legal" when legal\n  offer up to price\n' + RULE), "clause", B + 2, 3,
         "a route cannot have `offer`", "a route takes `when`"),
    case("clause-in-entitlement", body('entitlement "e"\n  at least price\n  say "hi"\n' + RULE), "clause", B + 3, 3,
         "an entitlement cannot have `say`", "an entitlement takes `at least`, `when`"),
    case("clause-in-rule", body('rule "r"\n  offer up to price\n  at least cost\n'), "clause", B + 3, 3,
         "a rule cannot have `at least`", "`escalate to`, `extra`, `follow up`"),
    case("duplicate-clause", body('rule "r"\n  offer up to price\n  offer nothing\n'), "duplicate", B + 3, 3,
         f"this rule already has `offer` (line {B + 2})", "keep one"),
    case("duplicate-rule-name", body('rule "r"\n  when legal\n  offer nothing\nrule "r"\n  offer up to price\n'),
         "duplicate", B + 4, 6, f'there is already a rule named "r" (line {B + 1})', "rule names must be unique"),
    case("duplicate-route-name", body('route "legal" when legal\nroute "legal" when price > $5\n' + RULE),
         "duplicate", B + 2, 7, 'there is already a route named "legal"', "route names must be unique"),
    case("follow-up-zero", body('rule "r"\n  offer up to price\n  follow up within 0 days\n'), "follow-up", B + 3, 20,
         "a whole number of days or hours, at least 1"),
    case("follow-up-fraction", body('rule "r"\n  offer up to price\n  follow up within 1.5 hours\n'), "follow-up",
         B + 3, 20, "a whole number of days or hours"),
    case("naming-remedy", body('rule "r"\n  offer up to price\n  remedies repair, FullRefund\n'), "naming", B + 3, 20,
         "remedy names are lowercase snake_case", "`full_refund`"),
    case("duplicate-remedy", body('rule "r"\n  offer up to price\n  remedies repair, repair\n'), "duplicate", B + 3, 20,
         "remedy `repair` is listed twice"),

    # ------------------------------------------------------------ unreachable rules
    case("unreachable-after-no-when", body('rule "a"\n  offer up to price\nrule "b"\n  when legal\n  offer nothing\n'),
         "unreachable", B + 3, 6, 'rule "b" can never apply: rule "a" (line 14) comes first and has no `when`',
         "move the more specific rule above the general one"),
    case("unreachable-same-when", body('rule "a"\n  when legal and price > $5\n  offer up to price\n'
                                       'rule "b"\n  when price > $5 and legal\n  offer nothing\n'),
         "unreachable", B + 4, 6, 'rule "b" can never apply: rule "a" (line 14) comes first and matches every case'),
    case("unreachable-specific-after-general",
         body('rule "general"\n  when situation is missed\n  offer up to price\n'
              'rule "specific"\n  when situation is missed and price > $5\n  offer nothing\n'),
         "unreachable", B + 4, 6, 'rule "specific" can never apply: rule "general" (line 14)', "more specific rule above"),
]


@pytest.mark.parametrize("source, code, line, column, message, hint", DIAGNOSTICS)
def test_each_diagnostic(source, code, line, column, message, hint):
    diagnostic = only_diagnostic(source)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == (code, line, column), diagnostic
    assert diagnostic.severity == "error"
    assert diagnostic.file == "t.policy"
    assert message in diagnostic.message
    if hint == "":
        assert diagnostic.hint is None
    elif hint is not None:
        assert hint in diagnostic.hint


def test_every_code_the_checker_uses_has_a_case():
    """A new diagnostic code in dsl/ must be registered in dsl/codes.py and come with a case above."""
    import re
    import tomllib

    from dsl.codes import CODES

    sources = "".join(path.read_text(encoding="utf-8") for path in (Path(__file__).parents[1] / "dsl").glob("*.py"))
    used = set(re.findall(r'\.(?:error|warning)\(\s*[^,]+,\s*"([a-z-]+)"', sources))
    used |= set(re.findall(r'Diagnostic\([^)]*?"(?:error|warning)",\s*"([a-z-]+)"', sources, re.S))
    used |= set(re.findall(r'SourceProblem\(\s*[^,]+,\s*[^,]+,\s*"([a-z-]+)"', sources))
    assert {"syntax", "nesting", "type", "line-ending", "escape"} <= used  # the patterns do find the codes
    wording = tomllib.loads((Path(__file__).parents[1] / "dsl" / "wording.toml").read_text(encoding="utf-8"))
    used |= {table["code"] for table in wording.values() if isinstance(table, dict) and "code" in table}
    assert used <= set(CODES), f"not registered in dsl/codes.py: {sorted(used - set(CODES))}"
    covered = {param.values[1] for param in DIAGNOSTICS}
    # The wording warnings have their own cases, in test_wording.py.
    covered |= set(re.findall(r'"(wording-[a-z-]+)"', (Path(__file__).parent / "test_wording.py").read_text(encoding="utf-8")))
    # "internal" is the checker crashing, which no policy can make it do.
    assert set(CODES) - {"internal"} <= covered, f"no test for {sorted(set(CODES) - {'internal'} - covered)}"


def test_the_language_reference_lists_every_code_as_registered():
    """docs/language.md's "Diagnostic codes" table and dsl/codes.py agree, code by code."""
    import re

    from dsl.codes import CODES

    reference = (Path(__file__).parents[1] / "docs" / "language.md").read_text(encoding="utf-8")
    section = reference[reference.index("\n## Diagnostic codes\n"):]
    section = section[:section.find("\n## ", 1)] if "\n## " in section[1:] else section
    rows = re.findall(r"^\| `([a-z-]+)` \| (\w+) \| (.+?) \|$", section, re.M)
    assert rows == [(code.name, code.severity, code.meaning) for code in CODES.values()]


def test_an_unregistered_code_cannot_be_reported():
    from dsl.codes import UnregisteredCode
    from dsl.diagnostics import Diagnostic

    with pytest.raises(UnregisteredCode, match="not registered"):
        Diagnostic("t.policy", 1, 1, "error", "no-such-code", "a finding nobody documented")
    with pytest.raises(UnregisteredCode, match="registered as error"):
        Diagnostic("t.policy", 1, 1, "warning", "type", "a type error reported as a mere warning")


# ---------------------------------------------------------------- what is allowed


@pytest.mark.parametrize("let", [
    "price + cost",           # money + money is money
    "price - cost",
    "price * 2",              # money x number is money
    "2 * price",
    "price * count",
    "price / 4",
    "price / cost",           # money / money is a number
    "price / cost * 100",
    "50% of price",           # P% of X
    "0.5 * price",
    "min(price, $25)",
    "max(price, cost, $1)",
    "min(count, 3)",
    "-price",
    "price > $100",
    "price >= cost and not legal",
    "situation is one of missed, broken",
    "situation is not missed",
    'situation == "missed"',
    "note == \"\"",
    "count == 2",
    "10%",
    "250 USD",
    "$1,000.50",
])
def test_well_typed_lets_check_clean(let):
    result = check(body(f"let x = {let}\n" + RULE))
    assert result.diagnostics == []
    assert result.policy is not None


@pytest.mark.parametrize("let, kind", [("price + cost", "money"), ("price / cost", "number"), ("count * 2", "number"),
                                       ("15% of price", "money"), ("price > $5", "bool"), ("min(price, $1)", "money")])
def test_a_let_takes_the_type_of_its_value(let, kind):
    [derived] = check(body(f"let x = {let}\n" + RULE)).policy.lets
    assert derived.kind == kind


def test_a_bool_let_stands_on_its_own_in_a_condition():
    source = body("let big_ticket = price > $500\n"
                  'rule "big"\n  when big_ticket and not legal\n  offer up to price\n'
                  'rule "small"\n  when legal or not big_ticket\n  offer nothing\n')
    result = check(source)
    assert result.diagnostics == []
    assert result.policy.guidelines[0].condition == ast.Logical("and", ast.Name("big_ticket"), ast.Not(ast.Name("legal")))


def test_lets_are_ordered_by_what_they_use():
    result = check(body("let lifetime = yearly * 10\nlet yearly = price * 4\n" + RULE))
    assert [let.name for let in result.policy.lets] == ["yearly", "lifetime"]


def test_a_rule_and_an_entitlement_may_share_a_name():
    source = body('entitlement "Warranty"\n  at least price\nrule "Warranty"\n  offer up to price\n')
    assert check(source).diagnostics == []


def test_money_in_the_policy_currency_is_fine_with_a_code_or_a_symbol():
    source = HEAD.replace("USD", "CAD") + "case\n  price: money\nrule \"r\"\n  offer no less than $5 but no more than 50 CAD\n"
    assert check(source).diagnostics == []


def test_a_general_rule_after_a_specific_one_is_fine():
    source = body('rule "specific"\n  when situation is missed and price > $5\n  offer nothing\n'
                  'rule "general"\n  when situation is missed\n  offer up to price\n'
                  'rule "rest"\n  offer nothing\n')
    assert check(source).diagnostics == []


# ---------------------------------------------------------------- many errors, one run


def test_every_error_in_a_file_is_reported_in_one_run_sorted_by_line():
    source = body(
        "let margin = prise - cost\n"                        # B+1 unknown-name
        "let bad = price + 5\n"                              # B+2 type
        'rule "a"\n'                                         # B+3
        "  when situation is mised\n"                        # B+4 unknown-value
        "  offer up to €5\n"                                 # B+5 currency
        "  escalate to boss\n"                               # B+6 unknown-role
        'rule "b"\n'                                         # B+7
        "  when situation is mised\n"                        # B+8 unknown-value, and unreachable at B+7
        "  offer nothing\n"
        "otherwise escalate to supervisr\n"                  # B+10 unknown-role
    )
    result = check(source)
    assert result.policy is None
    found = [(d.line - B, d.code) for d in result.diagnostics]
    assert found == [(1, "unknown-name"), (2, "type"), (4, "unknown-value"), (5, "currency"), (6, "unknown-role"),
                     (7, "unreachable"), (8, "unknown-value"), (10, "unknown-role")]
    assert found == sorted(found)


def test_header_case_and_rule_problems_are_reported_together():
    result = check('version "1"\npolicy "p"\n# no currency, no case, no rule\n')
    assert {d.code for d in result.diagnostics} == {"header-order", "missing-header", "missing-case", "missing-rule"}
    assert [d.line for d in result.diagnostics] == sorted(d.line for d in result.diagnostics)


def test_an_empty_file_reports_what_is_missing():
    result = check("")
    assert result.policy is None
    assert {d.code for d in result.diagnostics} == {"missing-header", "missing-case", "missing-rule"}
    assert all((d.line, d.column) == (1, 1) for d in result.diagnostics)


# ---------------------------------------------------------------- the LANGUAGE.md example


@pytest.fixture(scope="module")
def example():
    source = EXAMPLE_PATH.read_text(encoding="utf-8")
    result = check_source(source, str(EXAMPLE_PATH))
    assert result.diagnostics == []
    return result.policy


def test_the_language_example_checks_with_no_diagnostics(example):
    assert example is not None
    result = check_file(str(EXAMPLE_PATH))
    assert result.ok and result.diagnostics == []
    assert result.policy.digest == "sha256:" + hashlib.sha256(EXAMPLE_PATH.read_bytes()).hexdigest()


def test_the_policy_digest_is_computed_in_one_place(tmp_path):
    """The decision, the history and the workbench name a version by the same digest, computed by
    `dsl.digest` alone (the check cache hashes too, but a cache key is not a version's name)."""
    from qa.history import History

    repo = Path(__file__).parents[1]
    naming = sorted(str(path.relative_to(repo)) for package in ("dsl", "engine", "qa", "redress", "workbench")
                    for path in (repo / package).rglob("*.py") if '"sha256:" +' in path.read_text(encoding="utf-8"))
    assert naming == ["dsl/digest.py"]
    policy = tmp_path / "example.policy"
    policy.write_bytes(EXAMPLE_PATH.read_bytes())
    saved = History(str(tmp_path)).record(str(policy), policy.read_text(encoding="utf-8"), "")
    assert saved.digest == check_file(str(policy)).policy.digest


def test_the_example_header_and_case_fields(example):
    assert (example.name, example.version, example.currency, example.minor_unit) == (
        "Hardware store service recovery", "2026-11", "USD", 2)
    fields = {f.name: f for f in example.fields}
    assert list(fields) == ["situation", "price", "cost", "warranty", "average_purchase", "purchases_per_year",
                            "years_expected", "legal_issue", "note"]
    assert fields["situation"].kind == "enum" and fields["situation"].required
    assert fields["situation"].values == ("defective_product", "broken_after_warranty", "missed_appointment", "wrong_item")
    assert fields["warranty"].default == "none"
    assert fields["average_purchase"].kind == "money" and fields["average_purchase"].default == Decimal(0)
    assert fields["years_expected"].default == Decimal(10)
    assert fields["legal_issue"].default is False
    assert fields["note"].default == ""
    assert [f.name for f in example.fields if f.required] == ["situation", "price", "cost"]


def test_the_example_lets_authority_and_otherwise(example):
    assert [(let.name, let.kind) for let in example.lets] == [
        ("profit", "money"), ("yearly_value", "money"), ("lifetime_value", "money")]
    assert [(role.name, role.limit) for role in example.authority.roles] == [
        ("clerk", Decimal(50)), ("supervisor", Decimal(200)), ("department_manager", Decimal(1000)),
        ("division_vp", Decimal(5000)), ("president", None)]
    assert example.authority.approver_for(Decimal(60)) == "supervisor"
    assert example.otherwise == "supervisor"


def test_the_example_routes_and_entitlements(example):
    [route] = example.routes
    assert (route.name, route.condition) == ("Attorney's Office", ast.Name("legal_issue"))
    [entitlement] = example.entitlements
    assert entitlement.name == "Warranty replacement"
    assert entitlement.amount == ast.Name("price")
    assert entitlement.condition == ast.Logical(
        "and",
        ast.IsOneOf(ast.Name("warranty"), (ast.Name("active"),), False, False),
        ast.IsOneOf(ast.Name("situation"), (ast.Name("defective_product"),), False, False))


def test_the_example_guidelines(example):
    missed, valued, broke, defective = example.guidelines
    assert [g.name for g in example.guidelines] == [
        "Missed appointment", "Broke after warranty, valued customer", "Broke after warranty", "Defective product"]

    assert missed.floor == ast.PercentOf(ast.Percent(Decimal(25), "25%"), ast.Name("price"))
    assert missed.ceiling == ast.PercentOf(ast.Percent(Decimal(50), "50%"), ast.Name("price"))
    assert missed.say.startswith("We realize you were inconvenienced and would like to extend {offer}")
    assert missed.follow_up == "2 days"
    assert (missed.open_at, missed.step, missed.remedies, missed.extra, missed.escalate_to) == (None, None, (), None, None)

    assert valued.open_at == ast.PercentOf(ast.Percent(Decimal(20), "20%"), ast.Name("price"))
    assert valued.step == ast.Money(Decimal(10), "$10", "$", None)
    assert valued.remedies == ("discount", "replace")
    assert valued.ceiling == ast.Name("price")

    assert broke.floor.amount == 0  # `offer up to` has floor 0
    assert broke.ceiling == ast.Call(ast.Name("min"), (
        ast.Name("profit"), ast.PercentOf(ast.Percent(Decimal(15), "15%"), ast.Name("price"))))

    assert defective.remedies == ("repair", "replace", "exchange", "refund")
    assert defective.extra.gesture == "two movie tickets"
    assert defective.extra.up_to == ast.Money(Decimal(30), "$30", "$", None)
    assert defective.ceiling == ast.Binary("+", ast.Name("price"), ast.Money(Decimal(25), "$25", "$", None))
    assert [g.line for g in example.guidelines] == [33, 39, 46, 51]


@pytest.mark.parametrize("offer, floor, ceiling", [
    ("offer exactly $5", "5", "5"),
    ("offer nothing", "0", "0"),
    ("offer up to $7", "0", "7"),
    ("offer no less than $1 but no more than $9", "1", "9"),
])
def test_every_offer_form_becomes_a_floor_and_a_ceiling(offer, floor, ceiling):
    [guideline] = check(body(f'rule "r"\n  {offer}\n')).policy.guidelines
    assert (guideline.floor.amount, guideline.ceiling.amount) == (Decimal(floor), Decimal(ceiling))


def test_follow_up_units_are_normalised():
    source = body('rule "a"\n  when legal\n  offer nothing\n  follow up within 1 days\n'
                  'rule "b"\n  offer nothing\n  follow up within 4 hour\n')
    assert [g.follow_up for g in check(source).policy.guidelines] == ["1 day", "4 hours"]


# ---------------------------------------------------------------- rendering


def test_render_puts_the_caret_under_the_spot():
    source = body('rule "r"\n  when prise > $100\n  offer up to price\n')
    [diagnostic] = check(source).diagnostics
    lines = render(diagnostic, source).split("\n")
    assert lines[0] == f"t.policy:{B + 2}:8: error: unknown field or let `prise`"
    assert lines[1] == f"  {B + 2} |   when prise > $100"
    caret_line = lines[2]
    code_start = lines[1].index("|") + 2
    assert caret_line.index("^") - code_start == 7  # column 8, 1-based
    assert caret_line.strip().endswith("| " + " " * 7 + "^^^^^")  # as wide as `prise`
    assert lines[3] == "     = hint: did you mean `price`?"


def test_render_of_a_syntax_error_points_at_the_bad_token():
    source = body('rule "r"\n  offer between $1 and $2\n')
    [diagnostic] = check(source).diagnostics
    source_line, caret_line = render(diagnostic, source).split("\n")[1:3]
    assert source_line[caret_line.index("^"):].startswith("between")


def test_render_counts_lines_as_the_parser_does():
    """A form feed in a comment is not a line break for the parser, so not for `render` either."""
    source = body("# page\x0cbreak\n" + 'rule "r"\n  when prise > $100\n  offer up to price\n')
    [diagnostic] = check(source).diagnostics
    assert "when prise > $100" in render(diagnostic, source).split("\n")[1]


def test_render_without_source_still_gives_place_message_and_hint():
    [diagnostic] = check(body("let x = price + 5\n" + RULE)).diagnostics
    assert render(diagnostic, None).split("\n") == [
        f"t.policy:{B + 1}:9: error: cannot add a number to money", "     = hint: write `$5` for an amount of money"]
