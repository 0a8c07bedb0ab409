"""Policy text before the grammar: line endings, the byte order mark and string escapes.

`check`, `fmt` and `eval` must read the same lines and the same texts, or a policy means one thing
to one command and another to the next (issue 8: a lone CR in a comment was a comment to `check`
and a line break to `fmt`, which turned `# note<CR>open at price` into a clause).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsl.checker import check_source
from dsl.diagnostics import render
from dsl.formatter import FormatError, format_source
from dsl.parser import parse
from dsl.strings import decode

HEAD = 'policy "x"\nversion "1"\ncurrency USD\n\ncase\n  price: money\n\nauthority\n  boss\n\n'
TAIL = "\notherwise escalate to boss\n"


def policy(rule_lines: str) -> str:
    return HEAD + 'rule "a"\n  when price > $1\n  offer up to price\n' + rule_lines + TAIL


def say(literal: str) -> str:
    return policy(f"  say {literal}\n")


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------- line endings


def test_a_lone_cr_in_a_comment_is_refused_by_check_and_fmt_alike(redress, tmp_path: Path) -> None:
    text = policy("  # note\r  open at price\n")
    path = write(tmp_path / "cr.policy", text)
    line = text.split("\n").index("  # note\r  open at price") + 1

    checked = redress("check", path)
    assert checked.returncode == 1
    assert f"cr.policy:{line}:9: error: a carriage return (CR) here does not end a line" in checked.stdout
    assert "LF or CRLF" in checked.stdout

    formatted = redress("fmt", path)
    assert formatted.returncode == 2
    assert f"cr.policy:{line}:9: error: a carriage return" in formatted.stderr
    assert path.read_bytes() == text.encode("utf-8")  # never rewritten into a clause

    assert redress("eval", path, "--case", '{"price": 5}').returncode == 2


def test_a_cr_only_file_is_refused_at_its_first_line(tmp_path: Path) -> None:
    result = check_source(policy("").replace("\n", "\r"), "mac.policy")
    assert result.policy is None
    (diagnostic,) = result.diagnostics
    assert (diagnostic.line, diagnostic.column, diagnostic.code) == (1, 11, "line-ending")
    with pytest.raises(FormatError):
        format_source(policy("").replace("\n", "\r"))


def test_crlf_is_read_as_lf_by_every_command_and_fmt_keeps_it(redress, tmp_path: Path) -> None:
    lf = format_source(policy("  say \"Sorry\"  # kept\n"))
    crlf = lf.replace("\n", "\r\n")
    assert parse(crlf).tree == parse(lf).tree
    assert parse(crlf).tree.comments == parse(lf).tree.comments
    assert format_source(crlf) == crlf  # canonical CRLF stays byte for byte

    path = write(tmp_path / "windows.policy", crlf.replace("  say", "      say"))
    assert redress("check", path).returncode == 0
    result = redress("fmt", path)
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == crlf.encode("utf-8")
    decided = json.loads(redress("eval", path, "--case", '{"price": 5}').stdout)
    assert decided["say"] == "Sorry"


def test_a_diagnostic_in_a_crlf_file_points_at_the_right_column() -> None:
    text = policy("  say \"{nope}\"\n").replace("\n", "\r\n")
    result = check_source(text, "w.policy")
    (diagnostic,) = [d for d in result.diagnostics if d.code == "unknown-placeholder"]
    shown = render(diagnostic, text)
    assert "\r" not in shown
    assert '|   say "{nope}"' in shown


# ---------------------------------------------------------------- byte order mark


def test_a_policy_with_a_bom_checks_evaluates_and_keeps_its_bom_through_fmt(redress, tmp_path: Path) -> None:
    canonical = format_source(policy(""))
    path = write(tmp_path / "bom.policy", canonical, "utf-8-sig")
    assert redress("check", path).returncode == 0
    assert redress("eval", path, "--case", '{"price": 5}').returncode == 0
    assert redress("fmt", "--check", path).returncode == 0  # nothing to change: the BOM is no layout
    messy = write(tmp_path / "messy.policy", canonical.replace("  boss", "      boss"), "utf-8-sig")
    assert redress("fmt", messy).returncode == 0
    assert messy.read_bytes() == canonical.encode("utf-8-sig")


def test_columns_on_the_first_line_of_a_bom_file_are_the_columns_an_editor_shows() -> None:
    text = "\ufeffpolicy x\n"
    (diagnostic, *_) = check_source(text).diagnostics
    assert (diagnostic.line, diagnostic.column) == (1, 8)
    assert render(diagnostic, text).splitlines()[1].endswith("| policy x")


# ---------------------------------------------------------------- string escapes


@pytest.mark.parametrize("literal, column, message", [
    (r'"bad \x escape"', 12, r"`\x` needs exactly 2 hex digits"),
    (r'"\u12"', 8, r"`\u` needs exactly 4 hex digits"),
    (r'"\N{NOT A NAME}"', 8, "`NOT A NAME` is not the name of a Unicode character"),
    (r'"\N"', 8, r"`\N` needs a character name in braces"),
    (r'"\ud800"', 8, r"`\ud800` is half of a surrogate pair"),
    (r'"\U00110000"', 8, r"`\U00110000` is past the last Unicode character"),
    (r'"\q"', 8, r"`\q` is not an escape"),
])
def test_a_bad_escape_is_a_check_error_at_its_column(redress, invoke, tmp_path: Path, literal, column, message) -> None:
    text = say(literal)
    line = text.split("\n").index(f"  say {literal}") + 1
    path = write(tmp_path / "escape.policy", text)

    result = redress("check", path)
    assert result.returncode == 1
    assert f"escape.policy:{line}:{column}: error: {message}" in result.stdout
    assert r"\xHH" in result.stdout and r"\N{NAME}" in result.stdout  # the hint lists the valid escapes

    (diagnostic,) = json.loads(invoke("check", "--format", "json", path).stdout)
    assert (diagnostic["line"], diagnostic["column"], diagnostic["code"]) == (line, column, "escape")
    assert invoke("fmt", path).exit_code == 2
    assert invoke("eval", path, "--case", '{"price": 5}').exit_code == 2


def test_every_bad_escape_of_a_policy_is_reported_in_one_run() -> None:
    result = check_source(policy('  say "\\x \\q"\n  extra "\\u1" up to $5\n'))
    assert [d.code for d in result.diagnostics] == ["escape", "escape", "escape"]


@pytest.mark.parametrize("literal, value", [
    (r'"café \\ {offer}"', "café \\ {offer}"),
    (r'"\"quoted\" and \'single\'"', "\"quoted\" and 'single'"),
    (r'"tab\there\nnext"', "tab\there\nnext"),
    (r'"\xe9 \u00e9 \U0001F600 \N{EURO SIGN}"', "é é \U0001F600 €"),
])
def test_valid_escapes_stand_for_their_characters(literal, value) -> None:
    assert decode(literal) == (value, [])


def test_non_ascii_text_next_to_an_escape_is_not_mojibake(redress, tmp_path: Path) -> None:
    path = write(tmp_path / "cafe.policy", say(r'"café \\ {offer} — merci"'))
    decided = json.loads(redress("eval", path, "--case", '{"price": 5}').stdout)
    assert decided["say"] == "café \\ $0.00 — merci"


def test_fmt_keeps_escapes_as_written() -> None:
    text = format_source(say(r'"caf\u00e9 \N{EURO SIGN}"'))
    assert r'say "caf\u00e9 \N{EURO SIGN}"' in text
    assert parse(text).tree == parse(say(r'"caf\u00e9 \N{EURO SIGN}"')).tree
