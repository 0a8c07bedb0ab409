"""Fuzzing the language front end: whatever text arrives, `check_source` answers with diagnostics.

The workbench checks on every keystroke and the CLI checks whatever file it is given, so a crash on
half-written or garbled text is a bug. Each example mutates the LANGUAGE.md policy (lines deleted,
duplicated, swapped; tokens and characters inserted; text truncated) or feeds arbitrary text, and
holds the checker to its contract: a `CheckResult` every time, a policy only without errors, at
least one error without a policy, and every diagnostic at a real place in the file that `render`
can show.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl.checker import CheckResult, check_source
from dsl.diagnostics import render

EXAMPLE = (Path(__file__).parent / "data" / "language_example.policy").read_text(encoding="utf-8")
EXAMPLE_LINES = EXAMPLE.split("\n")

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of the language, and pieces that look like it, for insertion.
TOKENS = [
    "policy", "version", "currency", "case", "let", "authority", "route", "entitlement", "rule", "when",
    "offer", "no less than", "but no more than", "up to", "exactly", "nothing", "open at", "step",
    "remedies", "say", "follow up within", "days", "hours", "extra", "escalate to", "at least",
    "otherwise", "one of", "is", "is not", "is one of", "and", "or", "not", "true", "false", "min(", "max(",
    "of", "money", "number", "integer", "bool", "text", "price", "cost", "situation", "clerk", "president",
    "profit", "defective_product", "USD", "EUR", "$5", "$1,000", "$12.50", "€250", "£30", "250 EUR", "10%",
    "0", "2.5", "-", "+", "*", "/", "(", ")", ",", ":", "=", "==", "!=", "<", ">=", '"', '"x"', '"{offer}"',
    '"{nope}"', "{", "}", "#", "\n", "\n\n", "  ", "\t", "\r\n", "\\", "é", "€", "\u2028", "\x0c", "\x00",
]


def assert_well_formed(result: object, source: str) -> None:
    assert isinstance(result, CheckResult)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if result.policy is None:
        assert errors, "no policy, yet no error says why"
    else:
        assert not errors, "a policy was built despite errors"
    last_line = source.count("\n") + 1
    for diagnostic in result.diagnostics:
        assert diagnostic.code and diagnostic.message
        assert 1 <= diagnostic.line <= last_line, diagnostic
        assert diagnostic.column >= 1, diagnostic
        assert render(diagnostic, source).startswith(f"{diagnostic.file}:{diagnostic.line}:{diagnostic.column}: ")


def check(source: str) -> CheckResult:
    result = check_source(source, "fuzz.policy")
    assert_well_formed(result, source)
    return result


# ---------------------------------------------------------------- mutations of the example


@st.composite
def line_mutation(draw, lines: list[str]) -> list[str]:
    if not lines:
        return lines
    index = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "move"]))
    lines = list(lines)
    if kind == "delete":
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, lines[index])
    else:
        other = draw(st.integers(0, len(lines) - 1))
        if kind == "swap":
            lines[index], lines[other] = lines[other], lines[index]
        else:
            lines.insert(other, lines.pop(index))
    return lines


@st.composite
def text_mutation(draw, text: str) -> str:
    position = draw(st.integers(0, len(text)))
    kind = draw(st.sampled_from(["token", "characters", "delete", "replace", "truncate"]))
    if kind == "token":
        return text[:position] + draw(st.sampled_from(TOKENS)) + text[position:]
    if kind == "characters":
        return text[:position] + draw(st.text(min_size=1, max_size=5)) + text[position:]
    if kind == "delete":
        return text[:position] + text[position + draw(st.integers(1, 20)):]
    if kind == "replace":
        return text[:position] + draw(st.characters()) + text[position + 1:]
    return text[:position]


@st.composite
def mutated_example(draw) -> str:
    lines = list(EXAMPLE_LINES)
    for _ in range(draw(st.integers(0, 3))):
        lines = draw(line_mutation(lines))
    text = "\n".join(lines)
    for _ in range(draw(st.integers(0 if lines != EXAMPLE_LINES else 1, 4))):
        text = draw(text_mutation(text))
    return text


@FUZZ
@given(mutated_example())
def test_a_mutated_example_policy_is_always_answered_with_diagnostics(source):
    check(source)


@FUZZ
@given(st.lists(st.integers(0, len(EXAMPLE_LINES) - 1), min_size=1, max_size=len(EXAMPLE_LINES), unique=True))
def test_any_subset_of_the_example_lines_is_answered(kept):
    check("\n".join(EXAMPLE_LINES[i] for i in sorted(kept)))


# ---------------------------------------------------------------- text from nowhere


@FUZZ
@given(st.text(max_size=300))
def test_random_unicode_text_is_answered(source):
    result = check(source)
    assert result.policy is None or source.strip()


@FUZZ
@given(st.lists(st.sampled_from(TOKENS + ["\n", " ", " ", "\n  "]), max_size=60))
def test_a_jumble_of_language_tokens_is_answered(tokens):
    check(" ".join(tokens))


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=12))
def test_garbage_after_a_valid_header_and_case_block_is_answered(tokens):
    """Behind a valid header and case block the parser gets deep into expressions and clauses."""
    head = 'policy "p"\nversion "1"\ncurrency USD\ncase\n  price: money\n  kind: one of a, b\n  flag: bool = false\n'
    check(head + 'rule "r"\n  when ' + " ".join(tokens) + "\n  offer up to price\n")
    check(head + "let x = " + " ".join(tokens) + '\nrule "r"\n  offer up to price\n')
    check(head + 'rule "r"\n  ' + " ".join(tokens) + "\n")


# ---------------------------------------------------------------- well-formed but ill-typed expressions

FIELDS_HEAD = ('policy "p"\nversion "1"\ncurrency USD\ncase\n  price: money\n  count: integer = 1\n'
               '  kind: one of a, b\n  flag: bool = false\n  note: text = ""\nauthority\n  clerk up to $50\n  boss\n')
ATOMS = ["price", "count", "kind", "flag", "note", "missing", "$5", "€5", "5 EUR", "$1,000", "3", "0.5", "10%", '"a"',
         "true", "false", "a"]


def expressions() -> st.SearchStrategy[str]:
    """Expressions that parse, mixing every type, so the type checker sees every combination."""
    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "<", ">=", "==", "!=", "and", "or"]), inner)
            .map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"not {e}"),
            inner.map(lambda e: f"-{e}"),
            inner.map(lambda e: f"25% of {e}"),
            st.tuples(st.sampled_from(["min", "max", "avg"]), st.lists(inner, max_size=3))
            .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(inner, st.sampled_from(["a", "b", "c"])).map(lambda t: f"{t[0]} is {t[1]}"),
            inner.map(lambda e: f"{e} is not one of a, c"),
        )
    return st.recursive(st.sampled_from(ATOMS), extend, max_leaves=8)


@FUZZ
@given(expressions(), expressions(), expressions())
def test_ill_typed_expressions_are_reported_not_raised(let, condition, amount):
    check(FIELDS_HEAD + f"let x = {let}\nentitlement \"e\" when {condition}\n  at least {amount}\n"
          f"rule \"r\"\n  when {condition}\n  offer no less than {amount} but no more than {let}\n  open at {amount}\n"
          "  escalate to boss\n")
    check(FIELDS_HEAD.replace("count: integer = 1", f"count: integer = {let}") + f'rule "r"\n  offer up to {amount}\n')


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 600), st.sampled_from(["price + ", "not ", "-", "(", "min(price, ", "flag and "]))
def test_deep_nesting_is_answered_without_a_recursion_error(depth, prefix):
    closing = ")" * depth if prefix.endswith("(") else ""
    check(FIELDS_HEAD + f"let x = {prefix * depth}price{closing}\n" + 'rule "r"\n  offer up to price\n')


def test_the_unmutated_example_checks_clean():
    result = check(EXAMPLE)
    assert result.policy is not None
    assert result.diagnostics == []
