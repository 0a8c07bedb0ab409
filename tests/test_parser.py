"""The parser: text to syntax tree, and syntax errors that read like a compiler's.

Policy owners are not programmers, so the tests pin the friendly message (not Lark's) and the exact
line:column of each typical mistake, and that one run reports every broken line.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from dsl import ast
from dsl.parser import parse, parse_expression

HEADER = 'policy "p"\nversion "1"\ncurrency USD\ncase\n  price: money\n  legal: bool = false\n'
HEADER_LINES = HEADER.count("\n")  # the next line of a test's body is HEADER_LINES + 1


def syntax_errors(source: str) -> list[tuple[int, int, str, str | None]]:
    result = parse(source, "t.policy")
    assert result.tree is None, "expected a syntax error"
    assert all(d.code == "syntax" and d.severity == "error" and d.file == "t.policy" for d in result.diagnostics)
    return [(d.line, d.column, d.message, d.hint) for d in result.diagnostics]


def statements(source: str) -> tuple:
    result = parse(source)
    assert result.diagnostics == [], result.diagnostics
    return result.tree.statements


def block(source: str) -> ast.Block:
    return statements(HEADER + source)[-1]


def usd(amount: str, text: str | None = None) -> ast.Money:
    return ast.Money(Decimal(amount), text or f"${amount}", "$", None)


# ---------------------------------------------------------------- friendly syntax errors

# (body after HEADER, line within the body, column, words of the message, words of the hint)
MISTAKES = [
    pytest.param('rule Missed appointment\n  offer nothing\n', 1, 6,
                 "must be in double quotes", 'rule "Missed appointment"', id="unquoted-rule-name"),
    pytest.param("entitlement warranty\n  at least price\n", 1, 13,
                 "must be in double quotes", 'rule "Missed appointment"', id="unquoted-entitlement-name"),
    pytest.param('rule "r"\n  when price = $5\n  offer nothing\n', 2, 14,
                 "`=` is not a comparison", "compare with `==`", id="assign-in-first-clause"),
    pytest.param('rule "r"\n  offer nothing\n  when price = $5\n', 3, 14,
                 "`=` is not a comparison", "compare with `==`", id="assign-in-later-clause"),
    pytest.param('rule "r" when price = $5\n  offer nothing\n', 1, 21,
                 "`=` is not a comparison", "`situation is missed_appointment`", id="assign-on-the-name-line"),
    pytest.param('route "r" when (legal and price = $5)\n', 1, 33,
                 "`=` is not a comparison", "compare with `==`", id="assign-in-parentheses"),
    pytest.param('rule "r"\n  offer between $1 and $2\n', 2, 9,
                 "`offer no less than A but no more than B`", "`offer up to B`", id="offer-between"),
    pytest.param('rule "r"\n  when legal\n  offer between $1 and $2\n', 3, 9,
                 "`offer no less than A but no more than B`", "`offer exactly A`", id="offer-between-later"),
    pytest.param('rule "r"\n  offer no less than $1 and no more than $2\n', 2, 32,
                 "`offer no less than A but no more than B`", "`offer nothing`", id="offer-and-for-but"),
    pytest.param('rule "r"\n  offer nothing\n  say "We are sorry\n', 3, 7,
                 'this text has no closing `"`', "end on the same line", id="unterminated-string"),
    pytest.param('rule "r"\n  offer nothing\n  follow up within 2 weeks\n', 3, 22,
                 "`follow up within N days`", None, id="follow-up-weeks"),
    pytest.param('rule "r"\n  follow up within 2 weeks\n  offer nothing\n', 2, 22,
                 "`follow up within N hours`", None, id="follow-up-weeks-first"),
    pytest.param("  cost = money\n", 1, 8, "a case field is written `name: type`", "`price: money`", id="field-equals"),
    pytest.param("offer up to $5\n", 1, 7, "belongs inside a rule, entitlement or route", 'rule "NAME"',
                 id="clause-without-rule"),
    pytest.param("policy\n", 1, 7, "this line ends too early", "expected a quoted text", id="line-ends-early"),
    pytest.param('rule "r"\n  offer up to price ~ 2\n', 2, 21, "unexpected character `~`", None, id="stray-character"),
]


@pytest.mark.parametrize("body, line, column, message, hint", MISTAKES)
def test_a_typical_mistake_gets_a_friendly_message_at_its_spot(body, line, column, message, hint):
    [(found_line, found_column, found_message, found_hint)] = syntax_errors(HEADER + body)
    assert (found_line, found_column) == (HEADER_LINES + line, column)
    assert message in found_message
    if hint is not None:
        assert hint in found_hint


def test_an_unexpected_word_names_what_was_expected():
    [(line, column, message, hint)] = syntax_errors(HEADER + 'rule "r"\n  offer up to price price\n')
    assert (line, column) == (HEADER_LINES + 2, 21)
    assert message == "unexpected `price`"
    assert hint.startswith("expected ")


def test_a_file_ending_mid_statement_says_so():
    [(line, column, message, _)] = syntax_errors('policy "p"\nversion "1"\ncurrency USD\ncase\n')
    assert line == 4
    assert "ends in the middle of a statement" in message


def test_every_broken_line_is_reported_in_one_run_in_line_order():
    source = HEADER + (
        "rule Missed appointment\n"       # +1
        "  offer up to $5\n"
        'rule "r"\n'                      # +3
        "  when price = $5\n"             # +4
        "  offer between $1 and $2\n"     # +5
        '  say "oops\n'                   # +6
        "  follow up within 2 weeks\n"    # +7
        'route "legal" when legal\n'
    )
    errors = syntax_errors(source)
    assert [(line - HEADER_LINES, column) for line, column, _, _ in errors] == [(1, 6), (4, 14), (5, 9), (6, 7), (7, 22)]
    words = ["double quotes", "`=` is not a comparison", "offer no less than", "no closing", "follow up within"]
    assert all(word in message for word, (_, _, message, _) in zip(words, errors, strict=True))


def test_a_broken_rule_name_does_not_orphan_the_rule_s_clauses():
    """Recovery keeps a stand-in rule, so its clauses are not each reported as outside a rule."""
    errors = syntax_errors(HEADER + "rule Missed appointment\n  when legal\n  offer up to $5\n")
    assert len(errors) == 1


def test_syntax_errors_stop_at_a_limit():
    errors = syntax_errors(HEADER + "let = 1\n" * 50)
    assert 1 < len(errors) <= 20


# ---------------------------------------------------------------- layout: lines, continuation, comments


def test_a_condition_continues_inside_parentheses():
    rule = block('rule "r"\n  when (legal\n        and price > $5)\n  offer nothing\n')
    [when, _] = rule.clauses
    assert when.condition == ast.Logical("and", ast.Name("legal"), ast.Compare(">", ast.Name("price"), usd("5")))


@pytest.mark.parametrize("operator", ["and", "or"])
def test_a_condition_continues_after_a_trailing_and_or(operator):
    rule = block(f'rule "r"\n  when legal {operator}\n       price > $5\n  offer nothing\n')
    assert rule.clauses[0].condition == ast.Logical(operator, ast.Name("legal"), ast.Compare(">", ast.Name("price"), usd("5")))
    assert rule.clauses[0].span.line == HEADER_LINES + 2
    assert rule.clauses[1] == ast.OfferClause("nothing", None, None)


def test_function_arguments_may_span_lines():
    [let] = [s for s in statements(HEADER + "let x = max(price,\n            $5)\n") if isinstance(s, ast.LetDecl)]
    assert let.value == ast.Call(ast.Name("max"), (ast.Name("price"), usd("5")))


def test_comments_may_stand_anywhere():
    source = (
        "# a policy\n"
        'policy "p"   # its name\n'
        'version "1"\n'
        "# between statements\n"
        "currency USD\n"
        "case\n"
        "  # inside the case block\n"
        "  price: money  # what was paid\n"
        "\n"
        "   # indented, after a blank line\n"
        'rule "r"  # a rule\n'
        "  # inside a rule\n"
        "  when price > $5 and  # a dangling `and` continues past a comment\n"
        "       price < $10\n"
        "  offer nothing # the end\n"
        "# the very end"
    )
    result = parse(source)
    assert result.diagnostics == []
    assert [type(s).__name__ for s in result.tree.statements] == [
        "PolicyDecl", "VersionDecl", "CurrencyDecl", "CaseBlock", "Block"]
    comments = {c.line: c for c in result.tree.comments}
    assert sorted(comments) == [1, 2, 4, 7, 8, 10, 11, 12, 13, 15, 16]
    assert comments[8] == ast.Comment("# what was paid", 8, trailing=True)
    assert comments[7] == ast.Comment("# inside the case block", 7, trailing=False)
    assert comments[13].text == "# a dangling `and` continues past a comment"


def test_a_file_without_a_trailing_newline_parses():
    source = HEADER + 'rule "r"\n  offer up to price'
    assert not source.endswith("\n")
    assert block('rule "r"\n  offer up to price').clauses == (ast.OfferClause("up_to", None, ast.Name("price")),)


def test_windows_line_endings_parse():
    source = (HEADER + 'rule "r"\n  when legal\n  offer nothing\n').replace("\n", "\r\n")
    assert statements(source)[-1].clauses[0] == ast.WhenClause(ast.Name("legal"))


def test_an_empty_file_parses_to_no_statements():
    assert statements("") == ()
    assert statements("\n\n# nothing here\n") == ()


def test_an_inline_clause_is_remembered_for_the_formatter():
    assert block('route "legal" when legal\n').inline == 1
    assert block('route "legal"\n  when legal\n').inline == 0
    assert block('rule "r"\n  offer nothing\n').inline == 0
    assert block('rule "r" when legal\n  offer nothing\n').inline == 1


def test_a_rule_without_clauses_parses():
    """The checker, not the parser, says that a rule needs an `offer`."""
    assert block('rule "r"\n').clauses == ()


# ---------------------------------------------------------------- literals


@pytest.mark.parametrize("text, amount, symbol, currency", [
    ("$50", "50", "$", None),
    ("$1,000", "1000", "$", None),
    ("$12.50", "12.50", "$", None),
    ("$1,000.50", "1000.50", "$", None),
    ("€250", "250", "€", None),
    ("£30", "30", "£", None),
    ("250 EUR", "250", None, "EUR"),
    ("1,250.75 EUR", "1250.75", None, "EUR"),
])
def test_money_literals(text, amount, symbol, currency):
    money = parse_expression(text)
    assert money == ast.Money(Decimal(amount), text, symbol, currency)
    assert money.span.column == 13  # after `let value = `
    assert money.span.end_column == 13 + len(text)


def test_min_with_two_small_amounts_has_two_arguments():
    """`$1, $2` must not read as the thousands in `$1,000`."""
    assert parse_expression("min($1, $2)") == ast.Call(ast.Name("min"), (usd("1"), usd("2")))
    assert parse_expression("min($1,$200)") == ast.Call(ast.Name("min"), (usd("1"), usd("200")))
    assert parse_expression("max($1,000, $2)") == ast.Call(ast.Name("max"), (usd("1000", "$1,000"), usd("2")))


def test_numbers_and_percentages():
    assert parse_expression("0.5") == ast.Number(Decimal("0.5"), "0.5")
    assert parse_expression("10%") == ast.Percent(Decimal("10"), "10%")
    assert parse_expression("15% of price") == ast.PercentOf(ast.Percent(Decimal("15"), "15%"), ast.Name("price"))


def test_strings_keep_escapes_and_placeholders():
    rule = block('rule "r"\n  offer nothing\n  say "Say \\"sorry\\" with {offer}"\n')
    assert rule.clauses[1].template.value == 'Say "sorry" with {offer}'


# ---------------------------------------------------------------- expressions and clauses


def test_and_binds_tighter_than_or():
    a, b, c = ast.Name("a"), ast.Name("b"), ast.Name("c")
    assert parse_expression("a or b and c") == ast.Logical("or", a, ast.Logical("and", b, c))
    assert parse_expression("(a or b) and c") == ast.Logical("and", ast.Logical("or", a, b), c)
    assert parse_expression("not a and b") == ast.Logical("and", ast.Not(a), b)


def test_arithmetic_precedence():
    two, three = ast.Number(Decimal(2), "2"), ast.Number(Decimal(3), "3")
    assert parse_expression("-price + 2 * 3") == ast.Binary(
        "+", ast.Negate(ast.Name("price")), ast.Binary("*", two, three))
    assert parse_expression("price - cost - 2") == ast.Binary(
        "-", ast.Binary("-", ast.Name("price"), ast.Name("cost")), two)


@pytest.mark.parametrize("text, negated, one_of, values", [
    ("kind is a", False, False, ("a",)),
    ("kind is not a", True, False, ("a",)),
    ("kind is one of a, b", False, True, ("a", "b")),
    ("kind is not one of a, b", True, True, ("a", "b")),
])
def test_choice_tests(text, negated, one_of, values):
    assert parse_expression(text) == ast.IsOneOf(ast.Name("kind"), tuple(ast.Name(v) for v in values), negated, one_of)


@pytest.mark.parametrize("clause, expected", [
    ("offer no less than $1 but no more than price", ast.OfferClause("range", usd("1"), ast.Name("price"))),
    ("offer up to $5", ast.OfferClause("up_to", None, usd("5"))),
    ("offer exactly $5", ast.OfferClause("exactly", usd("5"), None)),
    ("offer nothing", ast.OfferClause("nothing", None, None)),
    ("open at $2", ast.OpenClause(usd("2"))),
    ("step $1", ast.StepClause(usd("1"))),
    ("remedies repair, refund", ast.RemediesClause((ast.Name("repair"), ast.Name("refund")))),
    ("follow up within 4 hours", ast.FollowUpClause(ast.Number(Decimal(4), "4"), "hours")),
    ("follow up within 1 day", ast.FollowUpClause(ast.Number(Decimal(1), "1"), "day")),
    ('extra "tickets" up to $30', ast.ExtraClause(ast.Text("tickets", '"tickets"'), usd("30"))),
    ("escalate to clerk", ast.EscalateClause(ast.Name("clerk"))),
])
def test_rule_clauses(clause, expected):
    assert block(f'rule "r"\n  {clause}\n').clauses == (expected,)


def test_spans_point_at_the_source():
    rule = block('rule "r"\n  when price > $5\n  offer nothing\n')
    assert rule.span.line == HEADER_LINES + 1
    assert rule.name.span == ast.Span(HEADER_LINES + 1, 6, HEADER_LINES + 1, 9)
    condition = rule.clauses[0].condition
    assert condition.span == ast.Span(HEADER_LINES + 2, 8, HEADER_LINES + 2, 18)
    assert condition.right.span == ast.Span(HEADER_LINES + 2, 16, HEADER_LINES + 2, 18)


@pytest.mark.parametrize("expression", [
    " + ".join(["price"] * 500),
    "not " * 500 + "legal",
    "-" * 500 + "price",
])
def test_an_absurdly_deep_expression_is_refused_not_a_recursion_error(expression):
    result = parse(HEADER + f"let x = {expression}\n")
    assert result.tree is None
    [diagnostic] = result.diagnostics
    assert (diagnostic.code, diagnostic.line) == ("nesting", HEADER_LINES + 1)
    assert "nested more than 100 levels" in diagnostic.message
    assert "`let`" in diagnostic.hint


def test_long_but_reasonable_expressions_parse():
    assert parse(HEADER + "let x = " + " + ".join(["price"] * 60) + "\n").diagnostics == []
    assert parse(HEADER + "let x = " + "(" * 500 + "price" + ")" * 500 + "\n").diagnostics == []


def test_parse_expression_raises_on_bad_text():
    with pytest.raises(ValueError):
        parse_expression("1 < 2 < 3")
