"""A policy file's text before the grammar sees it: byte order mark, line endings, characters.

Every reader of policy text (the parser, the formatter, the caret in a diagnostic) must count the
same lines, or a policy can mean one thing to `check` and another to `fmt`. So the rules live here:

* a UTF-8 byte order mark at the start is accepted and is not part of the text (columns on line 1
  count from after it); `fmt` keeps it;
* LF and CRLF both end a line; `fmt` writes the style of the file's first line break;
* a carriage return that is not followed by a line feed is refused. Editors disagree on it (some
  show a line break, some show nothing), so `# note<CR>open at price` would be a comment to one
  reader and a clause to the next;
* a lone surrogate (which no UTF-8 file can hold, but a string from an editor buffer might) is
  refused, since the policy could not be saved or hashed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BOM = "\ufeff"
_UNREADABLE = re.compile(r"\r(?!\n)|[\ud800-\udfff]")


@dataclass(frozen=True)
class SourceProblem:
    """A character the grammar must not see, at a 1-based line and column."""

    line: int
    column: int
    code: str
    message: str
    hint: str


@dataclass(frozen=True)
class SourceText:
    """Policy text as the grammar reads it (`text`: no BOM, LF line ends) and how the file wrote it."""

    text: str
    bom: bool
    newline: str  # "\n" or "\r\n"

    def restore(self, text: str) -> str:
        """`text` (LF line ends, no BOM) written the way this file was."""
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return BOM + text if self.bom else text


def read_source(source: str) -> SourceText:
    """The text to parse. Positions in it are the positions a user's editor shows: dropping the
    BOM shifts nothing visible, and replacing CRLF by LF keeps every line and column."""
    bom = source.startswith(BOM)
    if bom:
        source = source[1:]
    first_break = source.find("\n")
    newline = "\r\n" if first_break > 0 and source[first_break - 1] == "\r" else "\n"
    return SourceText(source.replace("\r\n", "\n"), bom, newline)


def source_problems(text: str, limit: int) -> list[SourceProblem]:
    """Lone carriage returns and surrogates in normalised text, at most `limit`, one per line."""
    problems: list[SourceProblem] = []
    line, counted_to = 1, 0
    for match in _UNREADABLE.finditer(text):
        line += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        if problems and problems[-1].line == line:
            continue
        column = match.start() - text.rfind("\n", 0, match.start())
        if match.group() == "\r":
            problems.append(SourceProblem(
                line, column, "line-ending", "a carriage return (CR) here does not end a line: only LF or CRLF does",
                "save the file with LF or CRLF line endings; a lone CR shows as a line break in some editors "
                "and as nothing in others, so the policy would read differently in each"))
        else:
            problems.append(SourceProblem(
                line, column, "encoding", f"U+{ord(match.group()):04X} is half of a surrogate pair, not a character",
                "delete it; paste the character again from its source"))
        if len(problems) >= limit:
            break
    return problems
