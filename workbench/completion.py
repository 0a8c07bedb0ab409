"""What the editor offers to finish the word being typed, and the snippets it expands.

The vocabulary comes from the latest check that got as far as a syntax tree: field names, lets,
roles and each choice field's values. Which words fit depends on what comes before the word:
after `escalate to` only roles, after `situation is` only `situation`'s values, elsewhere the
names an expression may read. Kept apart from the widget so it can be tested as plain functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dsl import ast

_WORD_BEFORE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_AFTER_ESCALATE = re.compile(r"\bescalate\s+to\s+$")
# `situation is `, `situation is not `, `situation is one of a, b, `: the field whose values fit.
_AFTER_IS = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s+is\s+(?:not\s+)?(?:one\s+of\s+(?:[A-Za-z_][A-Za-z0-9_]*\s*,\s*)*)?$")


@dataclass(frozen=True)
class Vocabulary:
    fields: tuple[str, ...] = ()
    lets: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # choice field -> its values

    @classmethod
    def of(cls, tree: ast.PolicyFile) -> Vocabulary:
        fields, lets, roles, values = [], [], [], {}
        for statement in tree.statements:
            if isinstance(statement, ast.CaseBlock):
                for decl in statement.fields:
                    fields.append(decl.name.name)
                    if decl.type.values:
                        values[decl.name.name] = tuple(v.name for v in decl.type.values)
            elif isinstance(statement, ast.LetDecl):
                lets.append(statement.name.name)
            elif isinstance(statement, ast.AuthorityBlock):
                roles.extend(role.name.name for role in statement.roles)
        return cls(tuple(fields), tuple(lets), tuple(roles), values)

    def words_for(self, before: str) -> tuple[str, ...]:
        """The words that fit after `before` (the line up to the word being typed)."""
        if _AFTER_ESCALATE.search(before):
            return self.roles
        chosen = _AFTER_IS.search(before)
        if chosen:
            return self.values.get(chosen.group(1)) or tuple(v for vs in self.values.values() for v in vs)
        return self.fields + self.lets


def suggestion(line: str, column: int, vocabulary: Vocabulary) -> str:
    """The rest of the word the cursor ends, when one known word starts with it (the first in
    declaration order when several do); "" when the cursor is inside a word or nothing fits."""
    if column < len(line) and (line[column].isalnum() or line[column] == "_"):
        return ""
    before = line[:column]
    if before.lstrip().startswith("#") or before.count('"') % 2:
        return ""  # in a comment or a quoted text
    typed = _WORD_BEFORE.search(before)
    if typed is None:
        return ""
    prefix = typed.group()
    candidates = [word for word in vocabulary.words_for(before[:typed.start()]) if word.startswith(prefix) and word != prefix]
    return candidates[0][len(prefix):] if candidates else ""


# Tab after one of these words alone on a line inserts the block, with its first word to change
# selected, to be typed over: keyword -> (template, what it is, the word selected).
SNIPPETS = {
    "rule": ('rule "NAME"\n  when CONDITION\n  offer up to $0\n  say "We would like to extend {offer}."', "a rule", "NAME"),
    "entitlement": ('entitlement "NAME"\n  when CONDITION\n  at least $0', "an entitlement", "NAME"),
    "route": ('route "NAME" when CONDITION', "a route", "NAME"),
    "authority": ("authority\n  clerk up to $50\n  supervisor up to $200\n  manager", "an authority chain", "clerk"),
}


def snippet_for(line: str, column: int) -> str | None:
    """The snippet keyword the cursor ends, when it is alone on its line (so `rule` inside a
    sentence or a name is left alone)."""
    word = line[:column].strip()
    return word if word in SNIPPETS and not line[column:].strip() and line[:column].endswith(word) else None
