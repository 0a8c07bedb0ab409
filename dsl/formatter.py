"""Syntax tree to canonical text: the one layout every policy file can be brought to.

The formatter works on `dsl.ast`, never on Lark trees, so it prints what a policy *means* and
nothing of how it was typed: parentheses are the fewest the precedence ladder needs, a condition
continued over several lines comes out on one, indentation and blank lines follow one layout (the
example in LANGUAGE.md, which formats to itself). Two promises hold for every file that parses:

* the meaning is kept: `parse(format_source(text)).tree == parse(text).tree`;
* formatting is idempotent: `format_source(format_source(text)) == format_source(text)`.

Comments are not in the tree proper; the parser hands them over with their line numbers, and the
formatter gives each one to the printed line it belongs to (see `_attach_comments`). None is ever
lost, duplicated or reordered.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, fields, is_dataclass

from dsl import ast
from dsl.diagnostics import Diagnostic
from dsl.parser import parse
from dsl.source import read_source

INDENT = "  "
COMMENT_GAP = 2

# The precedence ladder of policy.lark, loosest first. A subexpression is parenthesised exactly when
# its own level is below the level its position demands.
OR, AND, NOT, COMPARISON, SUM, PRODUCT, UNARY, ATOM = range(1, 9)


class FormatError(ValueError):
    """The text has syntax errors, so there is no tree to print. Carries the parser's diagnostics
    so that callers can report them exactly as the checker would."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0]
        super().__init__(f"{first.file}:{first.line}:{first.column}: {first.message}")


def format_source(source: str, file: str = "<policy>") -> str:
    """Parse policy text and return its canonical form. Raises `FormatError` on syntax errors.

    The layout is canonical; the file's conventions are not the formatter's to change: a byte order
    mark stays, and CRLF line ends stay CRLF (the style of the first line break, as black does)."""
    result = parse(source, file)
    if result.tree is None:
        raise FormatError(result.diagnostics)
    text = read_source(source)
    return text.restore(format_policy(result.tree, text.text))


def format_policy(tree: ast.PolicyFile, source: str | None = None) -> str:
    """The canonical text of a parsed policy.

    `source` is the text the tree came from. It is only consulted for the columns of trailing
    comments, so that a run of comments the author aligned (like the `case` block of the LANGUAGE.md
    example) keeps its column; without it every run is aligned two spaces after its longest line.
    """
    lines = _layout(tree.statements)
    leftover = _attach_comments(lines, tree.comments)
    _align_trailing_comments(lines, source.split("\n") if source is not None else [])
    return _render(lines, leftover)


# ---------------------------------------------------------------- expressions


def format_expression(expression: ast.Expr) -> str:
    """One expression in canonical form (also used by tools that show a condition on its own)."""
    return _expression(expression, OR)


def _level(node: ast.Expr) -> int:
    match node:
        case ast.Logical(operator="or"):
            return OR
        case ast.Logical():
            return AND
        case ast.Not():
            return NOT
        case ast.Compare() | ast.IsOneOf():
            return COMPARISON
        case ast.Binary(operator="+" | "-"):
            return SUM
        case ast.Binary():
            return PRODUCT
        case ast.Negate():
            return UNARY
        case _:
            return ATOM


def _expression(node: ast.Expr, minimum: int) -> str:
    """`node` printed where the grammar wants at least `minimum`: in parentheses if it binds looser."""
    text = _bare_expression(node)
    return f"({text})" if _level(node) < minimum else text


def _bare_expression(node: ast.Expr) -> str:
    # Left-associative operators: the left operand may sit on the same rung, the right one must be
    # a rung higher, so `a - (b - c)` keeps its parentheses and `(a - b) - c` loses them.
    # Comparisons do not chain, so both of their operands must be sums.
    match node:
        case ast.Number() | ast.Percent() | ast.Money() | ast.Text():
            return node.text
        case ast.Boolean():
            return "true" if node.value else "false"
        case ast.Name():
            return node.name
        case ast.Call():
            *leading, last = node.arguments or (None,)
            arguments = [_argument(argument) for argument in leading]
            if last is not None:
                arguments.append(_expression(last, OR))
            return f"{node.function.name}({', '.join(arguments)})"
        case ast.PercentOf():
            return f"{node.percent.text} of {_expression(node.operand, ATOM)}"
        case ast.Negate():
            return "-" + _expression(node.operand, UNARY)
        case ast.Binary() | ast.Logical():
            level = _level(node)
            left, right = _expression(node.left, level), _expression(node.right, level + 1)
            return f"{left} {node.operator} {right}"
        case ast.Compare():
            return f"{_expression(node.left, SUM)} {node.operator} {_expression(node.right, SUM)}"
        case ast.IsOneOf():
            words = "is not" if node.negated else "is"
            if node.one_of:
                words += " one of"
            return f"{_expression(node.subject, SUM)} {words} {_names(node.values)}"
        case ast.Not():
            return "not " + _expression(node.operand, NOT)
    raise TypeError(f"not an expression: {node!r}")


def _argument(node: ast.Expr) -> str:
    """A call argument other than the last. One that ends in `is one of a, b` needs parentheses,
    or the comma after it would read the next argument as one more value: `min((k is one of a, b), $5)`."""
    text = _expression(node, OR)
    return f"({text})" if _ends_in_name_list(node) else text


def _ends_in_name_list(node: ast.Expr) -> bool:
    match node:
        case ast.IsOneOf():
            return node.one_of
        case ast.Logical():
            return _level(node.right) > _level(node) and _ends_in_name_list(node.right)
        case ast.Not():
            return _level(node.operand) >= NOT and _ends_in_name_list(node.operand)
    return False


def _names(names: tuple[ast.Name, ...]) -> str:
    return ", ".join(name.name for name in names)


# ---------------------------------------------------------------- statements and clauses


def format_clause(clause: ast.Clause) -> str:
    """One rule, entitlement or route clause, without indentation."""
    match clause:
        case ast.WhenClause():
            return "when " + format_expression(clause.condition)
        case ast.OfferClause(form="range"):
            floor, ceiling = format_expression(clause.floor), format_expression(clause.ceiling)
            return f"offer no less than {floor} but no more than {ceiling}"
        case ast.OfferClause(form="up_to"):
            return "offer up to " + format_expression(clause.ceiling)
        case ast.OfferClause(form="exactly"):
            return "offer exactly " + format_expression(clause.floor)
        case ast.OfferClause(form="nothing"):
            return "offer nothing"
        case ast.OpenClause():
            return "open at " + format_expression(clause.amount)
        case ast.StepClause():
            return "step " + format_expression(clause.amount)
        case ast.RemediesClause():
            return "remedies " + _names(clause.remedies)
        case ast.SayClause():
            return "say " + clause.template.text
        case ast.FollowUpClause():
            return f"follow up within {clause.count.text} {clause.unit}"
        case ast.ExtraClause():
            return f"extra {clause.gesture.text} up to {format_expression(clause.up_to)}"
        case ast.EscalateClause():
            return "escalate to " + clause.role.name
        case ast.AtLeastClause():
            return "at least " + format_expression(clause.amount)
    raise TypeError(f"not a clause: {clause!r}")


@dataclass
class _Line:
    """One printed line of code, and the source lines its code came from (`first`..`last`), which
    is what comments are matched against."""

    depth: int
    code: str
    first: int
    last: int
    gap: bool = False  # a blank line goes before it (and before its leading comments)
    leading: list[ast.Comment] = field(default_factory=list)
    trailing: list[ast.Comment] = field(default_factory=list)
    column: int = 0  # where its trailing comment starts

    @property
    def text(self) -> str:
        return INDENT * self.depth + self.code


def _code_end(node) -> int:
    """The last source line holding `node`'s code.

    A statement's own span is no use here: it runs on to the next statement, because it ends with
    the newline token that swallows the blank lines and comments in between. The spans of its parts
    (names, types, expressions) stop at their last token, so they are asked instead."""
    last = node.span.line
    for part in fields(node):
        value = getattr(node, part.name)
        for child in value if isinstance(value, tuple) else (value,):
            if is_dataclass(child) and hasattr(child, "span"):
                last = max(last, child.span.end_line)
    return last


def _line(depth: int, code: str, node) -> _Line:
    return _Line(depth, code, node.span.line, _code_end(node))


def _statement_lines(statement: ast.Statement) -> list[_Line]:
    match statement:
        case ast.PolicyDecl():
            return [_line(0, "policy " + statement.name.text, statement)]
        case ast.VersionDecl():
            return [_line(0, "version " + statement.version.text, statement)]
        case ast.CurrencyDecl():
            return [_line(0, "currency " + statement.code, statement)]
        case ast.CaseBlock():
            head = _Line(0, "case", statement.span.line, statement.span.line)
            return [head, *(_line(1, _field_code(item), item) for item in statement.fields)]
        case ast.LetDecl():
            return [_line(0, f"let {statement.name.name} = {format_expression(statement.value)}", statement)]
        case ast.AuthorityBlock():
            head = _Line(0, "authority", statement.span.line, statement.span.line)
            return [head, *(_line(1, _role_code(role), role) for role in statement.roles)]
        case ast.Block():
            return _block_lines(statement)
        case ast.OtherwiseDecl():
            return [_line(0, "otherwise escalate to " + statement.role.name, statement)]
    raise TypeError(f"not a statement: {statement!r}")


def _field_code(item: ast.FieldDecl) -> str:
    kind = item.type.name if item.type.name is not None else "one of " + _names(item.type.values)
    default = "" if item.default is None else " = " + format_expression(item.default)
    bounds = "" if item.bounds is None else f" from {format_expression(item.bounds.low)} to {format_expression(item.bounds.high)}"
    return f"{item.name.name}: {kind}{bounds}{default}"


def _role_code(role: ast.AuthorityRole) -> str:
    return role.name.name if role.limit is None else f"{role.name.name} up to {format_expression(role.limit)}"


def _block_lines(block: ast.Block) -> list[_Line]:
    """A route keeps its condition on the name's line (`route "NAME" when COND`), as LANGUAGE.md
    writes it; rules and entitlements put every clause on a line of its own."""
    clauses = list(block.clauses)
    head = _Line(0, f"{block.kind} {block.name.text}", block.span.line, max(block.span.line, block.name.span.end_line))
    if block.kind == "route" and clauses and isinstance(clauses[0], ast.WhenClause):
        when = clauses.pop(0)
        head.code += " " + format_clause(when)
        head.last = max(head.last, when.span.end_line)
    return [head, *(_Line(1, format_clause(clause), clause.span.line, clause.span.end_line) for clause in clauses)]


_HEADER = (ast.PolicyDecl, ast.VersionDecl, ast.CurrencyDecl)


def _one_line_route(statement: ast.Statement) -> bool:
    return isinstance(statement, ast.Block) and statement.kind == "route" and len(statement.clauses) <= 1


def _same_group(previous: ast.Statement, statement: ast.Statement) -> bool:
    """Header lines sit together, and so do consecutive lets and consecutive one-line routes;
    everything else stands apart."""
    if _one_line_route(previous) and _one_line_route(statement):
        return True
    return any(isinstance(previous, kinds) and isinstance(statement, kinds) for kinds in (_HEADER, ast.LetDecl))


def _layout(statements: tuple[ast.Statement, ...]) -> list[_Line]:
    """Every statement's lines in source order (rule order decides cases, so nothing moves)."""
    lines: list[_Line] = []
    previous = None
    for statement in statements:
        own = _statement_lines(statement)
        own[0].gap = previous is not None and not _same_group(previous, statement)
        lines.extend(own)
        previous = statement
    return lines


# ---------------------------------------------------------------- comments


def _attach_comments(lines: list[_Line], comments: tuple[ast.Comment, ...]) -> list[str]:
    """Give every comment to a printed line; return those that come after all the code.

    A trailing comment stays on the line of the code it followed: the last printed line that began
    at or before it. A whole-line comment goes above the first printed line whose code is not all
    before it, at that line's indentation, so a note above a clause stays above the clause and one
    inside a condition continued over several lines goes above that condition.

    A parser quirk: a comment on the very first line is reported as trailing even when nothing
    precedes it; with no code before it, it is treated as the whole-line comment it is.
    """
    leftover: list[str] = []
    firsts = [line.first for line in lines]  # in source order, so sorted
    below = 0  # comments come in line order: the first line not all before one only moves down
    for comment in sorted(comments, key=lambda comment: comment.line):
        if comment.trailing:
            index = bisect.bisect_right(firsts, comment.line) - 1
            if index >= 0:
                lines[index].trailing.append(comment)
                continue
        while below < len(lines) and lines[below].last < comment.line:
            below += 1
        if below == len(lines):
            leftover.append(comment.text)
        else:
            lines[below].leading.append(comment)
    for line in lines:
        # A condition spread over lines may carry a comment on each; its one printed line has room
        # for one, so all of them move above it rather than merge into one comment.
        if len(line.trailing) > 1:
            line.leading.extend(line.trailing)
            line.trailing.clear()
    return leftover


def _runs(lines: list[_Line]) -> list[list[_Line]]:
    """Maximal runs of adjacent printed lines (no blank or comment line between) that each end in
    a comment: the lines whose comments are aligned together."""
    runs: list[list[_Line]] = []
    previous = None
    for line in lines:
        if not line.trailing:
            previous = None
            continue
        if previous is not None and not line.gap and not line.leading:
            runs[-1].append(line)
        else:
            runs.append([line])
        previous = line
    return runs


def _source_column(source_lines: list[str], comment: ast.Comment) -> int | None:
    """Where `comment` started in the source (0-based): it runs to the end of its line."""
    if not 1 <= comment.line <= len(source_lines):
        return None
    text = source_lines[comment.line - 1].rstrip()
    return len(text) - len(comment.text) if text.endswith(comment.text) else None


def _align_trailing_comments(lines: list[_Line], source_lines: list[str]) -> None:
    """Align each run's comments two spaces after its longest line, unless the author had already
    aligned a run of two or more at one column that still clears that: then the column stays.

    This keeps deliberate alignment (the LANGUAGE.md example's `case` block) and tidies ragged
    comments, and it is idempotent: a second pass finds every run aligned at the column it chose.
    """
    for run in _runs(lines):
        column = max(len(line.text) for line in run) + COMMENT_GAP
        chosen = {_source_column(source_lines, line.trailing[0]) for line in run}
        if len(run) > 1 and len(chosen) == 1:
            (original,) = chosen
            if original is not None and original > column:
                column = original
        for line in run:
            line.column = column


def _render(lines: list[_Line], leftover: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if line.gap:
            out.append("")
        for index, comment in enumerate(line.leading):
            out.append(INDENT * line.depth + comment.text)
            # Between top-level statements, a blank line the author left after a comment stays:
            # a file's opening notes are not the first statement's comment.
            following = line.leading[index + 1].line if index + 1 < len(line.leading) else line.first
            if line.depth == 0 and following - comment.line > 1:
                out.append("")
        text = line.text
        if line.trailing:
            text = text.ljust(line.column) + line.trailing[0].text
        out.append(text)
    if leftover:
        if out:
            out.append("")
        out.extend(leftover)
    return "\n".join(out) + "\n" if out else ""
