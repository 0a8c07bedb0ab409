"""A whole decision as SMT terms, one term per decision key, for comparing two versions of a policy.

Each key is a term whose value identifies what the decision shows: names (rule, approver, remedies,
wording templates...) are interned as integers shared by both versions, amounts are the rounded
amounts, lists of routes and entitlements are one Bool per name. Two versions decide a case alike
exactly when every key's terms are equal, except that `say` and `notes` are compared by what fills
them (template and values; kind of note and its amounts), which can only over-report a difference:
every difference the solver finds is decided again by the engines before it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from dsl.model import Policy
from dsl.rules import PLACEHOLDER
from analysis.encoding import Encoding, clamped, rational

# The decision keys compared, in the order counterexamples are looked for.
KEYS = ("error", "rule", "floor", "ceiling", "open_at", "step", "remedies", "approver", "escalate_to", "routes",
        "entitlements", "say", "follow_up", "extra", "notes")

NONE = -1


class Names:
    """Interned names shared by the two versions: equal text, equal integer."""

    def __init__(self) -> None:
        self.ids: dict[object, int] = {}

    def __call__(self, value: object) -> z3.ArithRef:
        """`None` (no rule, no approver...) is its own value, never equal to a name."""
        if value is None:
            return z3.IntVal(NONE)
        return z3.IntVal(self.ids.setdefault(value, len(self.ids)))


@dataclass
class DecisionTerms:
    """`parts[key]` is a list of terms; a key differs when any term differs (see `differs`)."""

    encoding: Encoding
    parts: dict[str, list] = field(default_factory=dict)
    flags: dict[str, tuple[z3.BoolRef, list]] = field(default_factory=dict)  # note kind -> (shown, amounts)


def first_match(encoding: Encoding, per_rule: list, none):
    """The value of the first rule whose `when` holds, or `none` when no rule matches."""
    result = none
    for match, value in reversed(list(zip(encoding.rule_matches, per_rule))):
        result = z3.If(match, value, result)
    return result


def decision_terms(encoding: Encoding, names: Names) -> DecisionTerms:
    policy = encoding.policy
    rules = encoding.rules
    terms = DecisionTerms(encoding)
    zero = z3.RealVal(0)
    ranged = z3.Not(encoding.no_rule)
    pick = lambda per_rule, none: first_match(encoding, per_rule, none)  # noqa: E731
    terms.parts["error"] = [z3.Not(encoding.decided())]
    terms.parts["rule"] = [pick([names(r.guideline.name) for r in rules], names(None))]
    for key, attribute in (("floor", "final_floor"), ("ceiling", "final_ceiling"), ("open_at", "open_at")):
        terms.parts[key] = [ranged, pick([getattr(r, attribute) for r in rules], zero)]
    terms.parts["step"] = [pick([z3.BoolVal(r.step is not None) for r in rules], z3.BoolVal(False)),
                           pick([r.step if r.step is not None else zero for r in rules], zero)]
    terms.parts["extra"] = [pick([names(("gesture", r.guideline.extra.gesture if r.guideline.extra else None)) for r in rules], names(None)),
                            pick([r.extra if r.extra is not None else zero for r in rules], zero)]
    terms.parts["remedies"] = [pick([names(("remedies", r.guideline.remedies)) for r in rules], names(("remedies", ())))]
    terms.parts["approver"] = [pick([_approver(policy, r.final_ceiling, names) for r in rules], names(None))]
    terms.parts["escalate_to"] = [pick([names(("role", r.guideline.escalate_to)) if r.guideline.escalate_to else names(None)
                                        for r in rules], names(("role", policy.otherwise)) if policy.otherwise else names(None))]
    terms.parts["follow_up"] = [pick([names(("follow", r.guideline.follow_up)) if r.guideline.follow_up else names(None)
                                      for r in rules], names(None))]
    terms.parts["say"] = _wording(encoding, names, pick)
    terms.parts["routes"] = [("route", r.name, m) for r, m in zip(policy.routes, encoding.route_matches)]
    terms.parts["entitlements"] = [("entitlement", e.name, m) for e, m in zip(policy.entitlements, encoding.entitlement_matches)]
    terms.flags = _notes(encoding, pick)
    return terms


def _approver(policy: Policy, ceiling, names: Names):
    if policy.authority is None:
        return names(None)
    roles = policy.authority.roles
    result = names(("role", roles[-1].name))
    for role in reversed(roles):
        covers = z3.BoolVal(True) if role.limit is None else ceiling <= rational(role.limit)
        result = z3.If(covers, names(("role", role.name)), result)
    return result


def _wording(encoding: Encoding, names: Names, pick) -> list:
    """The template and, for each placeholder it uses, the value that fills it."""
    parts = [pick([names(("say", r.guideline.say)) for r in encoding.rules], names(None))]
    for rule in encoding.rules:
        if rule.guideline.say is None:
            continue
        fills = {"offer": rule.open_at, "floor": rule.final_floor, "ceiling": rule.final_ceiling,
                 "step": rule.step, "extra": None}
        for placeholder in dict.fromkeys(PLACEHOLDER.findall(rule.guideline.say)):
            value = fills.get(placeholder) if placeholder in fills else encoding.values.get(placeholder)
            if value is not None:
                parts.append(("fill", placeholder, rule.decides, value))
    return parts


def _notes(encoding: Encoding, pick) -> dict[str, tuple[z3.BoolRef, list]]:
    """Each kind of note the engine can write: when it is written, and the amounts it mentions."""
    scale = 10 ** encoding.policy.minor_unit
    notes: dict[str, tuple[z3.BoolRef, list]] = {}
    for index, entitlement in enumerate(encoding.policy.entitlements):
        match, raw = encoding.entitlement_matches[index], encoding.raw_minimums[index]
        notes[f"clamped entitlement {entitlement.name}"] = (z3.And(match, clamped(raw, scale)), [raw])
        notes[f"no guideline, entitlement {entitlement.name}"] = (z3.And(match, encoding.no_rule), [encoding.minimums[index]])
    per_rule: list[dict[str, tuple[z3.BoolRef, list]]] = []
    for rule in encoding.rules:
        kinds: dict[str, tuple[z3.BoolRef, list]] = {}
        for what, raw in (("floor", rule.raw_floor), ("ceiling", rule.raw_ceiling), ("open", rule.raw_open),
                          ("step", rule.raw_step), ("extra", rule.raw_extra)):
            if raw is not None:
                kinds[f"clamped {what}"] = (clamped(raw, scale), [raw])
        kinds["floor above ceiling"] = (rule.floor > rule.ceiling, [rule.floor, rule.ceiling])
        running = rule.raised_ceiling
        for index, entitlement in enumerate(encoding.policy.entitlements):
            match, minimum = encoding.entitlement_matches[index], encoding.minimums[index]
            kinds[f"lifted by {entitlement.name}"] = (z3.And(match, minimum > running), [running, minimum])
            running = z3.If(z3.And(match, minimum > running), minimum, running)
        if rule.wanted_open is not None:
            kinds["open moved"] = (rule.wanted_open != rule.open_at, [rule.wanted_open, rule.open_at])
        per_rule.append(kinds)
    false, zero = z3.BoolVal(False), z3.RealVal(0)
    for kind in dict.fromkeys(k for kinds in per_rule for k in kinds):
        width = max(len(kinds[kind][1]) for kinds in per_rule if kind in kinds)
        shown = pick([kinds[kind][0] if kind in kinds else false for kinds in per_rule], false)
        amounts = [pick([kinds[kind][1][j] if kind in kinds else zero for kinds in per_rule], zero) for j in range(width)]
        notes[kind] = (shown, amounts)
    return notes


def differs(key: str, old: DecisionTerms, new: DecisionTerms) -> z3.BoolRef:
    """The two decisions show something different under `key`."""
    if key == "notes":
        return _notes_differ(old.flags, new.flags)
    if key in ("routes", "entitlements"):
        listed_old = {name: match for _, name, match in old.parts[key]}
        listed_new = {name: match for _, name, match in new.parts[key]}
        false = z3.BoolVal(False)
        return z3.Or([listed_old.get(n, false) != listed_new.get(n, false) for n in {**listed_old, **listed_new}])
    if key == "say":
        return _say_differs(old.parts["say"], new.parts["say"])
    if key in ("floor", "ceiling", "open_at"):
        (ranged_old, amount_old), (ranged_new, amount_new) = old.parts[key], new.parts[key]
        return z3.Or(ranged_old != ranged_new, z3.And(ranged_old, amount_old != amount_new))
    if key in ("step", "extra"):
        (shown_old, amount_old), (shown_new, amount_new) = old.parts[key], new.parts[key]
        return z3.Or(shown_old != shown_new, amount_old != amount_new)
    return z3.Or([a != b for a, b in zip(old.parts[key], new.parts[key])])


def _say_differs(old: list, new: list) -> z3.BoolRef:
    template_old, template_new = old[0], new[0]
    fills = []
    for _, name, shown_old, value_old in old[1:]:
        for _, other, shown_new, value_new in new[1:]:
            if name == other:
                fills.append(z3.And(shown_old, shown_new, value_old != value_new))
    return z3.Or(template_old != template_new, *fills)


def _notes_differ(old: dict, new: dict) -> z3.BoolRef:
    false = z3.BoolVal(False)
    checks = []
    for kind in {**old, **new}:
        shown_old, amounts_old = old.get(kind, (false, []))
        shown_new, amounts_new = new.get(kind, (false, []))
        checks.append(shown_old != shown_new)
        checks += [z3.And(shown_old, shown_new, a != b) for a, b in zip(amounts_old, amounts_new)]
    return z3.Or(checks)
