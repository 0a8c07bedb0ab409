"""Which rows of a case diff are settled before any amount is computed: proved to decide the same
in both versions from the rule they match alone.

A decision is made from the case's fields as read (the field declarations), the lets, the matched
rule's body, the entitlements, the routes, the authority chain, the `otherwise` and the currency;
its notes explain only the amounts of that rule and those entitlements (clamps, an inverted range,
a raised range, a moved opening offer), never an earlier rule or the rule's position
(`engine.decision`). So when everything but the rules is the same in both versions, rule `i` is
the same rule with the same body in both, and the conditions of rules `0..i` are the same, a case
matches rule `i` in one version exactly when it matches it in the other, and its decision is the
same: the diff counts it unchanged without computing it. When every condition is the same and the
versions have as many rules, a case no rule matches is settled too (`None`).

The proof is decided from each version on its own terms and gives both the same set of rules, so
both versions' queries leave the same rows out. Parts are compared by `repr`, with the line each
part starts on left out: layout and comments do not count, but `10` and `10.0` do, and so does any
difference the comparison cannot see through (an edited let proves nothing, even one no rule uses).
"""

from __future__ import annotations

import dataclasses

from dsl.model import Policy

_LINED = ("fields", "lets", "routes", "entitlements")


def _part(item) -> str:
    return repr(dataclasses.replace(item, line=0))


def _context(policy: Policy) -> tuple:
    """Everything a decision depends on besides its rule."""
    return (policy.currency, policy.minor_unit, policy.otherwise, repr(policy.authority),
            *(tuple(_part(item) for item in getattr(policy, name)) for name in _LINED))


def settled_rules(old: Policy, new: Policy) -> frozenset[int | None]:
    """The rules (by index; `None` for no rule) whose cases decide the same in both versions."""
    if _context(old) != _context(new):
        return frozenset()
    settled: set[int | None] = set()
    for index, (before, after) in enumerate(zip(old.guidelines, new.guidelines)):
        if repr(before.condition) != repr(after.condition):
            return frozenset(settled)
        if _part(before) == _part(after):
            settled.add(index)
    if len(old.guidelines) == len(new.guidelines):
        settled.add(None)
    return frozenset(settled)
