"""A checked policy compiled to plain Python: one generated module per policy, built once.

It holds what both engines share (computing lets, amounts, entitlement minimums) and what the
compiled engine uses for matching: one function per condition, and a first-rule dispatcher with
the rules grouped by the value of the enumeration field most rules test (usually `situation`), so
a case only looks at the rules that could apply to it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

from dsl import ast
from dsl.model import ENUM, Policy
from dsl.names import names_used
from dsl.rules import conjuncts
from engine.codegen import SourceWriter, local

Condition = Callable[[dict], bool]


@dataclass(frozen=True)
class Amounts:
    """A guideline's amounts before rounding: `open_at`, `step` and `extra` may be None."""

    floor: object
    ceiling: object
    open_at: object
    step: object
    extra: object


class Program:
    """The generated functions for one policy. All take the dict of field and let values."""

    def __init__(self, policy: Policy):
        self.policy = policy
        writer = SourceWriter()
        lines: list[str] = []
        lines += _derive_source(policy, writer)
        for kind, items in (("rule", policy.guidelines), ("entitlement", policy.entitlements), ("route", policy.routes)):
            for index, item in enumerate(items):
                lines += _function(f"{kind}_{index}", [item.condition], writer, f'{kind} "{item.name}"',
                                   lambda sources: sources[0] if sources[0] else "True")
        for index, rule in enumerate(policy.guidelines):
            parts = [rule.floor, rule.ceiling, rule.open_at, rule.step, rule.extra.up_to if rule.extra else None]
            lines += _function(f"amounts_{index}", parts, writer, f'rule "{rule.name}"',
                               lambda sources: "(" + ", ".join(s or "None" for s in sources) + ",)")
        for index, entitlement in enumerate(policy.entitlements):
            lines += _function(f"minimum_{index}", [entitlement.amount], writer, f'entitlement "{entitlement.name}"',
                               lambda sources: sources[0])
        lines += _first_rule_source(policy, writer)
        lines += _division_guard_source(policy, writer)
        self.source = "\n".join(lines) + "\n"
        namespace = dict(writer.constants)
        exec(compile(self.source, f"<redress program for {policy.path}>", "exec"), namespace)
        self.derive: Callable[[dict], None] = namespace["derive"]
        self.first_rule: Callable[[dict], int | None] = namespace["first_rule"]
        self.rule_conditions: list[Condition] = [namespace[f"rule_{i}"] for i in range(len(policy.guidelines))]
        self.entitlement_conditions: list[Condition] = [namespace[f"entitlement_{i}"] for i in range(len(policy.entitlements))]
        self.route_conditions: list[Condition] = [namespace[f"route_{i}"] for i in range(len(policy.routes))]
        self._amounts = [namespace[f"amounts_{i}"] for i in range(len(policy.guidelines))]
        self.minimums = [namespace[f"minimum_{i}"] for i in range(len(policy.entitlements))]
        self.check_divisions: Callable[[dict], None] | None = namespace.get("check_divisions")

    def amounts(self, rule_index: int, values: dict) -> Amounts:
        return Amounts(*self._amounts[rule_index](values))


def _loads(names, indent: str = "    ") -> list[str]:
    return [f"{indent}{local(name)} = v[{name!r}]" for name in names]


def _function(name: str, exprs, writer: SourceWriter, where: str, body) -> list[str]:
    used: dict[str, None] = {}
    for expr in exprs:
        used.update(dict.fromkeys(names_used(expr)))
    sources = [writer.source(expr, where) if expr is not None else None for expr in exprs]
    return [f"def {name}(v):", *_loads(used), f"    return {body(sources)}", ""]


def _derive_source(policy: Policy, writer: SourceWriter) -> list[str]:
    lines = ["def derive(v):"]
    needed: dict[str, None] = {}
    for let in policy.lets:
        needed.update(dict.fromkeys(n for n in names_used(let.expr) if policy.field_named(n)))
    lines += _loads(needed)
    for let in policy.lets:
        lines.append(f"    {local(let.name)} = v[{let.name!r}] = {writer.source(let.expr, f'let {let.name}')}")
    lines += ["    return None", ""]
    return lines


def group_field(policy: Policy) -> str | None:
    """The enumeration field that most rules test with `is` at the top of their condition."""
    counts: Counter[str] = Counter()
    for rule in policy.guidelines:
        for part in conjuncts(rule.condition):
            if isinstance(part, ast.IsOneOf) and isinstance(part.subject, ast.Name):
                counts[part.subject.name] += 1
    for name, _ in counts.most_common():
        field = policy.field_named(name)
        if field is not None and field.kind == ENUM:
            return name
    return None


def _in_source_order(condition) -> list:
    return sorted(conjuncts(condition), key=lambda part: (part.span.line, part.span.column))


def _split(condition, group: str) -> tuple[list[tuple[frozenset, bool]], list]:
    """A rule's condition as its tests of `group` (values, negated) and the rest, in source order."""
    tests, rest = [], []
    for part in _in_source_order(condition):
        if isinstance(part, ast.IsOneOf) and isinstance(part.subject, ast.Name) and part.subject.name == group:
            tests.append((frozenset(v.name for v in part.values), part.negated))
        else:
            rest.append(part)
    return tests, rest


def _first_rule_source(policy: Policy, writer: SourceWriter) -> list[str]:
    """`first_rule(v)`: the index of the first rule whose condition holds, or None.

    With a group field, the rules that can apply to each of its values are worked out here, once:
    values with the same candidate rules share one generated function, and `first_rule` picks the
    function from a dict by the case's value. The source grows with the number of distinct
    candidate lists, not with values x rules, so a `one of` with 10,000 values stays cheap."""
    group = group_field(policy)
    if group is None:
        candidates = [(i, _in_source_order(r.condition)) for i, r in enumerate(policy.guidelines)]
        return _rule_chain("first_rule", policy, candidates, writer)
    split = [_split(rule.condition, group) for rule in policy.guidelines]
    shared: dict[tuple[int, ...], list[str]] = {}
    for value in policy.field_named(group).values:
        applicable = tuple(i for i, (tests, _) in enumerate(split)
                           if all((value in listed) != negated for listed, negated in tests))
        shared.setdefault(applicable, []).append(value)
    lines: list[str] = []
    table: dict[str, str] = {}
    for number, (applicable, values) in enumerate(shared.items()):
        name = f"first_rule_{number}"
        lines += _rule_chain(name, policy, [(i, split[i][1]) for i in applicable], writer)
        table.update(dict.fromkeys(values, name))
    lines += _rule_chain("first_rule_none", policy, [], writer)
    functions = "{" + ", ".join(f"{value!r}: {name}" for value, name in table.items()) + "}"
    lines += [f"first_rule_by_value = {functions}", "",
              "def first_rule(v):", f"    return first_rule_by_value.get(v[{group!r}], first_rule_none)(v)", ""]
    return lines


def _rule_chain(name: str, policy: Policy, candidates: list[tuple[int, list]], writer: SourceWriter) -> list[str]:
    """A function returning the first candidate rule whose remaining conjuncts all hold."""
    used: dict[str, None] = {}
    for _, parts in candidates:
        for part in parts:
            used.update(dict.fromkeys(names_used(part)))
    lines = [f"def {name}(v):", *_loads(used)]
    for index, parts in candidates:
        if not parts:
            lines.append(f"    return {index}")
            return [*lines, ""]
        test = " and ".join(writer.source(part, f'rule "{policy.guidelines[index].name}"') for part in parts)
        lines += [f"    if {test}:", f"        return {index}"]
    return [*lines, "    return None", ""]


def _divisions(expr) -> list[ast.Binary]:
    return [node for node in ast.walk(expr) if isinstance(node, ast.Binary) and node.operator == "/"]


def _division_guard_source(policy: Policy, writer: SourceWriter) -> list[str]:
    """Conditions are matched as a whole (durable_rules sees every comparison at once), so a
    division by zero anywhere in a condition makes the case an error in both engines alike,
    whatever `and` might have short-circuited."""
    items = [(f'{kind} "{item.name}"', item.condition) for kind, items in
             (("rule", policy.guidelines), ("entitlement", policy.entitlements), ("route", policy.routes)) for item in items]
    checks = [(where, division) for where, condition in items for division in _divisions(condition)]
    if not checks:
        return []
    used: dict[str, None] = {}
    for _, division in checks:
        used.update(dict.fromkeys(names_used(division)))
    lines = ["def check_divisions(v):", *_loads(used)]
    for where, division in checks:
        lines.append(f"    {writer.source(division, where)}")
    return [*lines, "    return None", ""]
