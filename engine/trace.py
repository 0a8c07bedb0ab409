"""The `--explain` trace: every rule, entitlement and route in file order, whether it matched,
the values it read, and where it is written, so a person can see why a case was decided as it was."""

from __future__ import annotations

from decimal import Decimal

from dsl.model import Policy
from dsl.names import names_used


def trace_value(value):
    return format(value, "f") if isinstance(value, Decimal) else value


def build_trace(policy: Policy, values: dict, rules: list[int], entitlements: list[int], routes: list[int]) -> list[dict]:
    deciding = rules[0] if rules else None
    lets = {let.name: let for let in policy.lets}
    entries = []
    for kind, items, matched in (("rule", policy.guidelines, rules), ("entitlement", policy.entitlements, entitlements),
                                 ("route", policy.routes, routes)):
        for index, item in enumerate(items):
            used = _with_lets(names_used(item.condition), lets)
            entry = {"kind": kind, "name": item.name, "line": item.line, "matched": index in matched,
                     "values": {name: trace_value(values[name]) for name in used}}
            if kind == "rule":
                entry["decides"] = index == deciding
            entries.append(entry)
    return entries


def _with_lets(names: list[str], lets: dict) -> list[str]:
    """The names a condition reads, followed by the fields and lets its lets read in turn."""
    seen: dict[str, None] = {}
    pending = list(names)
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen[name] = None
        if name in lets:
            pending.extend(names_used(lets[name].expr))
    return list(seen)
