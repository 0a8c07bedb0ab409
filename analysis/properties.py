"""Properties a policy owner states in a `.tests.yaml` and the solver proves over every case, or
refutes with a counterexample the engines confirm.

    properties:
      - name: A longer delay never lowers the floor or the ceiling
        monotonic: delay_hours            # raising this field (all else equal) never lowers...
        amounts: [floor, ceiling]         # ...these (the default); `direction: down` for the reverse
        when: situation is late           # optional: only cases where this holds
      - name: A late delivery is settled for $500 at most
        when: situation is late
        at_most: {ceiling: 500}           # or at_least; keys floor, ceiling, open_at
      - name: Guidelines always cover the legal minimum
        never_below_entitlement: true     # no matching entitlement lifts a range above its ceiling

Only cases a rule decides have amounts, so properties speak about those; `when` uses the policy's own
condition language and names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import z3

from dsl.diagnostics import DiagnosticSink
from dsl.model import BOOL, Policy
from dsl.parser import parse_expression
from dsl.typecheck import ExpressionChecker, field_value_type
from analysis.encoding import CaseVariables, Encoding, encode, rational
from analysis.referee import Referee, decided
from analysis.solving import SAT, UNSAT, Solving, readable_variants

AMOUNTS = ("floor", "ceiling", "open_at")
KINDS = ("monotonic", "at_most", "at_least", "never_below_entitlement")


class PropertyError(ValueError):
    """A property that cannot be checked as written (unknown field, bad condition, no kind)."""


@dataclass
class PropertyOutcome:
    status: str  # passed, failed, unknown
    mismatches: list[dict] = field(default_factory=list)
    reason: str | None = None


def check_property(policy: Policy, spec: dict, time_limit: float = 5.0) -> PropertyOutcome:
    kinds = [kind for kind in KINDS if kind in spec]
    if len(kinds) != 1:
        raise PropertyError(f"a property states exactly one of {', '.join(KINDS)}")
    solving = Solving(time_limit)
    checker = _PropertyChecker(policy, solving, spec.get("when"))
    kind = kinds[0]
    if kind == "monotonic":
        return checker.monotonic(str(spec["monotonic"]), spec.get("direction", "up"), _amount_names(spec.get("amounts", ["floor", "ceiling"])))
    if kind == "never_below_entitlement":
        return checker.covers_entitlements()
    limits = spec[kind]
    if not isinstance(limits, dict) or not limits:
        raise PropertyError(f"`{kind}` maps amounts to limits, e.g. `{kind}: {{ceiling: 500}}`")
    return checker.bound(kind, {name: _limit(value) for name, value in zip(_amount_names(list(limits)), limits.values())})


def _amount_names(names: Any) -> list[str]:
    if not isinstance(names, list) or not names or any(name not in AMOUNTS for name in names):
        raise PropertyError(f"amounts are some of {', '.join(AMOUNTS)}")
    return names


def _limit(value: Any) -> Decimal:
    try:
        return Decimal(str(value).replace("$", "").replace("€", "").replace("£", "").replace(",", ""))
    except InvalidOperation:
        raise PropertyError(f"`{value}` is not an amount") from None


class _PropertyChecker:
    def __init__(self, policy: Policy, solving: Solving, when: Any):
        self.policy = policy
        self.solving = solving
        self.when = _condition(policy, when) if when is not None else None
        self.referee = Referee(policy)
        self.scale = 10 ** policy.minor_unit

    def _ranged(self, encoding: Encoding) -> list:
        return [*encoding.valid(), z3.Not(encoding.no_rule), encoding.condition(self.when)]

    def _amount(self, encoding: Encoding, name: str):
        attribute = {"floor": "final_floor", "ceiling": "final_ceiling", "open_at": "open_at"}[name]
        result = z3.RealVal(0)
        for terms in reversed(encoding.rules):
            result = z3.If(encoding.rule_matches[terms.index], getattr(terms, attribute), result)
        return result

    def _refute(self, constraints: list, question: str, cases: list[tuple[CaseVariables, Encoding]]):
        answer = self.solving.ask(constraints, question)
        if answer.status == UNSAT:
            return PropertyOutcome("passed")
        if answer.status != SAT:
            return PropertyOutcome("unknown", reason=self.solving.unknown[-1]["reason"])
        witnesses = self.solving.witnesses(constraints, answer, [case for case, _ in cases], self.policy.fields, self.scale)
        if witnesses is None:
            return PropertyOutcome("unknown", reason="the solver's only counterexamples are not finite decimals")
        return witnesses

    def bound(self, kind: str, limits: dict[str, Decimal]) -> PropertyOutcome:
        encoding = encode(self.policy)
        over = [self._amount(encoding, name) > rational(limit) if kind == "at_most" else self._amount(encoding, name) < rational(limit)
                for name, limit in limits.items()]
        found = self._refute([*self._ranged(encoding), z3.Or(over)], f"a case breaking `{kind}`", [(encoding.case, encoding)])
        if isinstance(found, PropertyOutcome):
            return found
        def broken(cases: list[dict]) -> list[dict]:
            decision = self._decision(cases[0])
            return [] if decision is None else [
                {"key": name, "expected": f"{'at most' if kind == 'at_most' else 'at least'} {limit}",
                 "actual": decision[name], "case": cases[0]}
                for name, limit in limits.items()
                if (Decimal(decision[name]) > limit if kind == "at_most" else Decimal(decision[name]) < limit)]

        return self._confirmed(found, broken)

    def _confirmed(self, found: list[dict], broken) -> PropertyOutcome:
        """The counterexample as the engines decide it (the most readable variant that still breaks
        the property); unknown when the engines do not confirm it."""
        for variant in readable_variants(found, self.policy.fields):
            mismatches = broken(variant)
            if mismatches:
                return PropertyOutcome("failed", mismatches)
        return _disagreement()

    def monotonic(self, field_name: str, direction: str, amounts: list[str]) -> PropertyOutcome:
        if self.policy.field_named(field_name) is None or self.policy.field_named(field_name).kind not in ("money", "number", "integer"):
            raise PropertyError(f"`{field_name}` is not a number, integer or money field of the policy")
        if direction not in ("up", "down"):
            raise PropertyError("`direction` is up or down")
        lower_case, higher_case = CaseVariables(self.policy.fields, "lower_"), CaseVariables(self.policy.fields, "higher_")
        lower, higher = encode(self.policy, lower_case), encode(self.policy, higher_case)
        same = [lower_case.terms[f.name] == higher_case.terms[f.name] for f in self.policy.fields if f.name != field_name]
        raised = higher_case.terms[field_name] > lower_case.terms[field_name]
        if direction == "down":
            raised = higher_case.terms[field_name] < lower_case.terms[field_name]
        lowered = z3.Or([self._amount(higher, name) < self._amount(lower, name) for name in amounts])
        found = self._refute([*self._ranged(lower), *self._ranged(higher), *same, raised, lowered],
                             f"two cases breaking `monotonic: {field_name}`", [(lower_case, lower), (higher_case, higher)])
        if isinstance(found, PropertyOutcome):
            return found
        def broken(cases: list[dict]) -> list[dict]:
            before, after = (self._decision(case) for case in cases)
            return [] if before is None or after is None else [
                {"key": name, "expected": f"at least {before[name]} (as with {field_name} {cases[0][field_name]})",
                 "actual": after[name], "case": cases[1], "compared_with": cases[0]}
                for name in amounts if Decimal(after[name]) < Decimal(before[name])]

        return self._confirmed(found, broken)

    def covers_entitlements(self) -> PropertyOutcome:
        encoding = encode(self.policy)
        lifted = []
        for terms in encoding.rules:
            for match, minimum in zip(encoding.entitlement_matches, encoding.minimums):
                lifted.append(z3.And(terms.decides, match, minimum > terms.raised_ceiling))
        found = self._refute([*self._ranged(encoding), z3.Or(lifted)], "a case an entitlement lifts above its guideline",
                             [(encoding.case, encoding)])
        if isinstance(found, PropertyOutcome):
            return found
        def broken(cases: list[dict]) -> list[dict]:
            notes = [note for note in (self._decision(cases[0]) or {}).get("notes", []) if "below the entitlement" in note]
            return [{"key": "notes", "expected": "no entitlement above the guideline's ceiling", "actual": notes[0],
                     "case": cases[0]}] if notes else []

        return self._confirmed(found, broken)

    def _decision(self, case: dict) -> dict | None:
        outcomes = self.referee.outcomes(case)
        if not all(decided(outcome) for outcome in outcomes):
            return None
        shown = [outcome.to_json() for outcome in outcomes]
        return shown[0] if all(s == shown[0] for s in shown) else None


def _disagreement() -> PropertyOutcome:
    return PropertyOutcome("unknown", reason="the solver's counterexample did not reproduce in the engines")


def _condition(policy: Policy, text: Any):
    """A `when` in the policy's own language, checked against its fields and lets."""
    try:
        expr = parse_expression(str(text))
    except ValueError as error:
        raise PropertyError(f"`when: {text}` is not a condition: {error}") from None
    scope = {f.name: field_value_type(f.kind, f.values, f.name) for f in policy.fields}
    scope |= {let.name: field_value_type(let.kind) for let in policy.lets}
    sink = DiagnosticSink("<property>")
    ExpressionChecker(sink, scope, policy.currency).expect(expr, BOOL, "`when`")
    if sink.items:
        raise PropertyError(f"`when: {text}`: {sink.items[0].message}")
    return expr
