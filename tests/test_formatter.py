"""The formatter, tested both ways (as python-hcl2's round-trip tests do): formatting keeps the
meaning (parse -> format -> parse gives the same tree) and formatting formatted text changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import ast
from dsl.formatter import FormatError, format_expression, format_source
from dsl.parser import parse

LANGUAGE_REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "language.md"
EXAMPLE_COPY = Path(__file__).resolve().parent / "data" / "language_example.policy"


def _example_from_the_language_reference() -> str:
    text = LANGUAGE_REFERENCE.read_text(encoding="utf-8")
    return re.search(r"```\n(.*?)```", text[text.index("## A whole policy"):], re.S).group(1)


def _tree(source: str) -> ast.PolicyFile:
    result = parse(source)
    assert result.tree is not None, [d.message for d in result.diagnostics]
    return result.tree


def _comment_texts(source: str) -> list[str]:
    return sorted(comment.text for comment in _tree(source).comments)


# ---------------------------------------------------------------- the LANGUAGE.md example


def test_the_language_example_formats_to_itself():
    example = EXAMPLE_COPY.read_text(encoding="utf-8")
    assert format_source(example) == example


def test_the_example_in_the_language_reference_formats_to_itself():
    example = _example_from_the_language_reference()
    assert format_source(example) == example


# ---------------------------------------------------------------- a messy policy

MESSY = '''\
   # Store policy, draft 3
  policy   "Messy"     # the name
version "1"
    currency USD



case
      # what the customer bought
  situation:one of defective_product,wrong_item
       price :money    # paid
  cost: money = $0            # ours
let profit = price-cost
# the yearly value
   let yearly = (profit *
        12)  # rough
authority
 clerk up to $50
   president   # no limit
route "Legal"  # lawyers
   when legal_issue
rule "Defective"   when situation is defective_product and
      (price > $100 or
       # big customers too
       yearly >= $1,000)
  offer no less than 10% of (price + $5) but no more than max($1,000, ((price)))
  # a gesture
      say "Sorry # truly"

  follow up within 2 days
rule "Wrong item"
  when not (situation is not one of wrong_item)
  offer exactly -(-$5) * 2 - (1 - 2)
otherwise escalate to clerk   # fallback


# the end
'''

MESSY_FORMATTED = '''\
# Store policy, draft 3
policy "Messy"  # the name
version "1"
currency USD

case
  # what the customer bought
  situation: one of defective_product, wrong_item
  price: money      # paid
  cost: money = $0  # ours

let profit = price - cost
# the yearly value
let yearly = profit * 12  # rough

authority
  clerk up to $50
  president  # no limit

route "Legal" when legal_issue  # lawyers

rule "Defective"
  # big customers too
  when situation is defective_product and (price > $100 or yearly >= $1,000)
  offer no less than 10% of (price + $5) but no more than max($1,000, price)
  # a gesture
  say "Sorry # truly"
  follow up within 2 days

rule "Wrong item"
  when not situation is not one of wrong_item
  offer exactly --$5 * 2 - (1 - 2)

otherwise escalate to clerk  # fallback

# the end
'''


def test_a_messy_policy_formats_to_the_canonical_text():
    assert format_source(MESSY) == MESSY_FORMATTED


def test_the_messy_policy_keeps_its_meaning_and_is_stable():
    assert _tree(MESSY_FORMATTED) == _tree(MESSY)
    assert format_source(MESSY_FORMATTED) == MESSY_FORMATTED


def test_every_comment_survives_exactly_once():
    texts = [comment.text for comment in _tree(MESSY).comments]
    assert len(texts) == len(set(texts)) == 13
    formatted = format_source(MESSY)
    for text in texts:
        assert formatted.count(text) == 1, text
    assert _comment_texts(formatted) == sorted(texts)


# ---------------------------------------------------------------- pieces


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a * (b + c)", "a * (b + c)"),
        ("(a * b) + c", "a * b + c"),
        ("a / (b * c)", "a / (b * c)"),
        ("-(a + b)", "-(a + b)"),
        ("-(-a)", "--a"),
        ("(-a) * b", "-a * b"),
        ("50% of (price)", "50% of price"),
        ("50% of (price + $1)", "50% of (price + $1)"),
        ("50% of (-price)", "50% of (-price)"),
        ("50% of 20% of price", "50% of 20% of price"),
        ("(50% of price) * 2", "50% of price * 2"),
        ("min(a, (b + c), max(1))", "min(a, b + c, max(1))"),
        ("f()", "f()"),
        ("min((k is one of x, y), 1)", "min((k is one of x, y), 1)"),
        ("min((a and not k is one of x), 1)", "min((a and not k is one of x), 1)"),
        ("min((a and k is x), (k is not one of x) or b, 1)", "min(a and k is x, k is not one of x or b, 1)"),
        ("min(1, (k is one of x, y))", "min(1, k is one of x, y)"),
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("a or (b or c)", "a or (b or c)"),
        ("(a and b) and c", "a and b and c"),
        ("not (a and b)", "not (a and b)"),
        ("not (not a)", "not not a"),
        ("(not a) == b", "(not a) == b"),
        ("(a < b) == true", "(a < b) == true"),
        ("(a + b) is one of x, y", "a + b is one of x, y"),
        ("(k is x) is y", "(k is x) is y"),
        ("k is not x", "k is not x"),
        ("k is not one of x", "k is not one of x"),
        ("$1,000 + 1,000   EUR + €12.50 + 0.50 + 15%", "$1,000 + 1,000 EUR + €12.50 + 0.50 + 15%"),
        ('"a \\"quoted\\" # word"', '"a \\"quoted\\" # word"'),
    ],
)
def test_expressions_get_the_fewest_parentheses_that_keep_their_meaning(source, expected):
    policy = 'policy "p"\nversion "v"\ncurrency USD\n\nlet value = {}\n'
    formatted = format_source(policy.format(source))
    assert formatted == policy.format(expected)
    assert _tree(formatted) == _tree(policy.format(source))
    assert format_expression(_tree(formatted).statements[-1].value) == expected


def test_money_with_thousands_stays_one_argument():
    tree = _tree('policy "p"\nversion "v"\ncurrency USD\nlet value = max($1,000, price)\n')
    assert len(tree.statements[-1].value.arguments) == 2


def test_rules_keep_their_order_and_clauses_go_on_their_own_lines():
    source = 'rule "b" when x\n offer nothing\nrule "a" offer up to $5\n  when y\nentitlement "e" when z\n  at least $1\n'
    assert format_source(source) == (
        'rule "b"\n  when x\n  offer nothing\n\n'
        'rule "a"\n  offer up to $5\n  when y\n\n'
        'entitlement "e"\n  when z\n  at least $1\n'
    )


def test_a_route_keeps_its_condition_on_the_name_line():
    source = 'route "r"\n  when a\n  escalate to boss\nroute "s" escalate to boss\n'
    assert format_source(source) == 'route "r" when a\n  escalate to boss\n\nroute "s"\n  escalate to boss\n'


def test_ragged_trailing_comments_align_two_spaces_after_the_longest_line():
    source = "case\n  a: money # one\n  long_name: number       # two\n  b: bool   # three\n"
    assert format_source(source) == (
        "case\n"
        "  a: money           # one\n"
        "  long_name: number  # two\n"
        "  b: bool            # three\n"
    )


def test_trailing_comments_the_author_aligned_keep_their_column():
    source = "case\n  a: money          # one\n  b: number         # two\n"
    assert format_source(source) == source


def test_a_lone_trailing_comment_sits_two_spaces_after_its_code():
    assert format_source("let a = 1        # one\n") == "let a = 1  # one\n"


def test_comments_on_each_line_of_a_continued_condition_move_above_it():
    source = 'rule "r"\n  when a and  # first\n    b        # second\n  offer nothing\n'
    assert format_source(source) == 'rule "r"\n  # first\n  # second\n  when a and b\n  offer nothing\n'


def test_empty_and_comment_only_files():
    assert format_source("") == ""
    assert format_source("\n\n") == ""
    assert format_source("# only\n\n   # comments") == "# only\n# comments\n"


def test_syntax_errors_raise_format_error_with_the_diagnostics():
    with pytest.raises(FormatError) as caught:
        format_source('policy "p"\nlet = 1\nrule\n', "bad.policy")
    assert len(caught.value.diagnostics) == 2
    assert str(caught.value).startswith("bad.policy:2:")


# ---------------------------------------------------------------- random policies

OR, AND, NOT, COMPARISON, SUM, PRODUCT, UNARY, ATOM = range(1, 9)
NAMES = ["price", "cost", "legal_issue", "situation", "yearly_value", "x2"]
VALUES = ["defective_product", "wrong_item", "active"]
ROLES = ["clerk", "supervisor", "president"]
ATOMS = NAMES + [
    "$50", "$1,000", "€12.50", "£3", "250 EUR", "1,000 EUR", "10", "0.5", "000", "25%", "true", "false",
    '"text"', '"say \\"hi\\" # not a comment"',
]
COMMENTS = st.text(alphabet="ab XY#'\"-", max_size=8).map(lambda text: "#" + text)


@st.composite
def _breaks(draw):
    """Where the grammar lets a line continue: a space, a newline, or a comment and a newline."""
    kind = draw(st.sampled_from(["space"] * 5 + ["newline", "trailing", "whole"]))
    if kind == "space":
        return " "
    if kind == "newline":
        return "\n      "
    comment = draw(COMMENTS)
    return f"  {comment}\n    " if kind == "trailing" else f"\n  {comment}\n    "


@st.composite
def expressions(draw, depth=3):
    """Random expression text and its precedence level, parenthesised where the grammar needs it
    and, now and then, where it does not."""
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(ATOMS)), ATOM

    def operand(minimum):
        text, level = draw(expressions(depth - 1))
        if level < minimum or draw(st.integers(0, 6)) == 0:
            return "(" + draw(st.sampled_from(["", "", "\n   "])) + text + ")"
        return text

    kind = draw(st.sampled_from(["or", "and", "not", "compare", "is", "+-", "*/", "negate", "percent", "call"]))
    if kind in ("or", "and"):
        level = OR if kind == "or" else AND
        return f"{operand(level)} {kind}{draw(_breaks())}{operand(level + 1)}", level
    if kind == "not":
        return f"not{draw(_breaks())}{operand(NOT)}", NOT
    if kind == "compare":
        operator = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return f"{operand(SUM)} {operator}{draw(_breaks())}{operand(SUM)}", COMPARISON
    if kind == "is":
        words = draw(st.sampled_from(["is", "is not", "is one of", "is not one of"]))
        count = draw(st.integers(2, 3)) if "one of" in words else 1
        return f"{operand(SUM)} {words} {', '.join(draw(st.permutations(VALUES))[:count])}", COMPARISON
    if kind in ("+-", "*/"):
        level = SUM if kind == "+-" else PRODUCT
        return f"{operand(level)} {draw(st.sampled_from(kind))}{draw(_breaks())}{operand(level + 1)}", level
    if kind == "negate":
        return "-" + operand(UNARY), UNARY
    if kind == "percent":
        return f"{draw(st.sampled_from(['10%', '2.5%']))} of {operand(ATOM)}", ATOM
    # A comma after `is one of a, b` would continue its list, so such an argument is wrapped.
    *leading, last = draw(st.lists(expressions(depth - 1), min_size=1, max_size=3))
    arguments = [f"({text})" if level <= COMPARISON else text for text, level in leading] + [last[0]]
    return f"{draw(st.sampled_from(['min', 'max']))}({', '.join(arguments)})", ATOM


def _expr(draw) -> str:
    return draw(expressions())[0]


@st.composite
def clauses(draw):
    kind = draw(st.integers(0, 12))
    return [
        lambda: "when " + _expr(draw),
        lambda: f"offer no less than {_expr(draw)} but no more than {_expr(draw)}",
        lambda: "offer up to " + _expr(draw),
        lambda: "offer exactly " + _expr(draw),
        lambda: "offer nothing",
        lambda: "open at " + _expr(draw),
        lambda: "step " + _expr(draw),
        lambda: "remedies " + ", ".join(draw(st.permutations(VALUES))[: draw(st.integers(1, 3))]),
        lambda: 'say "We are sorry about {offer}."',
        lambda: f"follow up within {draw(st.sampled_from(['1 day', '2 days', '4 hours', '1 hour']))}",
        lambda: f'extra "movie tickets" up to {_expr(draw)}',
        lambda: "escalate to " + draw(st.sampled_from(ROLES)),
        lambda: "at least " + _expr(draw),
    ][kind]()


@st.composite
def statements(draw):
    """One statement as (depth, text) lines; any order of statements is valid syntax."""
    kind = draw(st.sampled_from(["header", "case", "let", "authority", "block", "otherwise"]))
    if kind == "header":
        return [(0, draw(st.sampled_from(['policy "P"', 'version "2026-11"', "currency USD"])))]
    if kind == "case":
        fields = []
        for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4)):
            field_type = draw(st.sampled_from(["money", "number", "bool", "text", "one of active, expired"]))
            default = f" = {_expr(draw)}" if draw(st.booleans()) else ""
            fields.append((1, f"{name}: {field_type}{default}"))
        return [(0, "case"), *fields]
    if kind == "let":
        return [(0, f"let {draw(st.sampled_from(NAMES))} = {_expr(draw)}")]
    if kind == "authority":
        roles = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3))
        return [(0, "authority"), *((1, f"{role} up to {_expr(draw)}" if draw(st.booleans()) else role) for role in roles)]
    if kind == "otherwise":
        return [(0, "otherwise escalate to " + draw(st.sampled_from(ROLES)))]
    head = f'{draw(st.sampled_from(["rule", "entitlement", "route"]))} "{draw(st.sampled_from("ABC"))}"'
    body = draw(st.lists(clauses(), max_size=4))
    if body and draw(st.booleans()):
        head += " " + body.pop(0)
    return [(0, head), *((1, clause) for clause in body)]


@st.composite
def policies(draw):
    """Valid-syntax policy text, typed carelessly: odd indentation, blank lines, comments anywhere,
    conditions continued over lines, sometimes no final newline."""
    filler = st.sampled_from(["", "", "", "\n", "\n\n  \n", "COMMENT", "  COMMENT\n\n"])
    parts: list[str] = []
    for lines in draw(st.lists(statements(), max_size=7)):
        for depth, text in lines:
            parts.append(draw(filler).replace("COMMENT", draw(COMMENTS) + "\n"))
            indent = draw(st.sampled_from(["", " ", "  ", "    ", "\t"] if depth else ["", "", " "]))
            trailing = "  " + draw(COMMENTS) if draw(st.integers(0, 3)) == 0 else ""
            parts.append(f"{indent}{text}{trailing}\n")
    parts.append(draw(filler).replace("COMMENT", draw(COMMENTS) + "\n"))
    text = "".join(parts)
    return text.rstrip("\n") if draw(st.booleans()) else text


ROUND_TRIP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(policies())
def test_formatting_keeps_the_meaning_and_every_comment(source):
    formatted = format_source(source)
    assert _tree(formatted) == _tree(source)
    assert _comment_texts(formatted) == _comment_texts(source)


@ROUND_TRIP
@given(policies())
def test_formatting_is_idempotent(source):
    formatted = format_source(source)
    assert format_source(formatted) == formatted


def test_a_blank_line_after_a_files_opening_comment_is_kept() -> None:
    source = '# Guidelines for the counter.\n# Owner: the service desk.\n\npolicy "p"\nversion "1"\ncurrency USD\n' \
             '\ncase\n  price: money\n\n# The only rule.\nrule "r"\n  offer up to price\n'
    assert format_source(source) == source


def test_consecutive_one_line_routes_stay_together() -> None:
    source = 'policy "p"\nversion "1"\ncurrency USD\n\ncase\n  legal: bool\n  shipping: bool\n\n' \
             'route "Attorney\'s Office" when legal\nroute "Warehouse Supervisor" when shipping\n\n' \
             'rule "r"\n  offer nothing\n'
    assert format_source(source) == source
    spaced = source.replace("when legal\nroute", "when legal\n\n\nroute")
    assert format_source(spaced) == source


def test_every_sample_policy_is_in_canonical_layout() -> None:
    for path in sorted((Path(__file__).resolve().parents[1] / "policies").glob("*.policy")):
        text = path.read_text(encoding="utf-8")
        assert format_source(text, str(path)) == text, path.name
