"""The engine's one small interface: `load_engine(policy, kind)` and `Engine.decide(case)`.

Two matchers sit behind it and must agree on every case: `durable` (durable_rules does the
matching; the default for per-case work) and `compiled` (generated Python; the default for bulk
replay, and the fallback where durable_rules cannot be imported). Everything around the matching
(reading the case, lets, amounts, rounding, wording) is shared, so the only thing that can differ is
the matching itself, and the differential tests check exactly that.
"""

from __future__ import annotations

from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from typing import Any, Protocol

from dsl.model import Policy
from engine.cases import CaseError, CaseReader
from engine.codegen import EvaluationError
from engine.decision import Decision, DecisionMaker
from engine.program import Program
from engine.trace import build_trace

ENGINE_KINDS = ("durable", "compiled")

# Exact decimal arithmetic: 50 significant digits is far past any amount of money; only a
# division can be inexact, and it rounds the same way in both engines.
ARITHMETIC = Context(prec=50, traps=[DivisionByZero, InvalidOperation, Overflow])


class Matcher(Protocol):
    kind: str

    def match(self, values: dict) -> tuple[int | None, list[int], list[int]]:
        """The first matching rule (or None), every matching entitlement and route."""

    def match_all(self, values: dict) -> tuple[list[int], list[int], list[int]]:
        """Every matching rule, entitlement and route, for explanations."""


class CompiledMatcher:
    kind = "compiled"

    def __init__(self, program: Program):
        self.program = program

    def match(self, values: dict) -> tuple[int | None, list[int], list[int]]:
        program = self.program
        return (program.first_rule(values),
                [i for i, condition in enumerate(program.entitlement_conditions) if condition(values)],
                [i for i, condition in enumerate(program.route_conditions) if condition(values)])

    def match_all(self, values: dict) -> tuple[list[int], list[int], list[int]]:
        program = self.program
        return tuple([i for i, condition in enumerate(conditions) if condition(values)]
                     for conditions in (program.rule_conditions, program.entitlement_conditions, program.route_conditions))


class Engine:
    """Decides cases for one checked policy. Build once per policy and reuse: building compiles
    the policy (and, for durable, registers a ruleset that lives as long as the process)."""

    def __init__(self, policy: Policy, matcher: Matcher, program: Program, fallback_reason: str | None = None):
        self.policy = policy
        self.matcher = matcher
        self.program = program
        self.kind = matcher.kind
        self.fallback_reason = fallback_reason
        self.reader = CaseReader(policy)
        self.maker = DecisionMaker(policy, program)

    def decide(self, raw_case: Any, explain: bool = False, extras: set[str] | None = None, wording: bool = True,
               offer: Decimal | None = None) -> Decision:
        """Decide one case. Raises `CaseError` for a case that does not fit the policy. With
        `extras`, keys that are not case fields are collected there instead of refused; with
        `wording=False`, `say` is left out (bulk work that never shows it); `offer` is the amount
        `{offer}` in `say` stands for (default: the opening offer)."""
        case = self.reader.read(raw_case, extras)
        values = case.values
        try:
            with localcontext(ARITHMETIC):
                self.program.derive(values)
                if self.program.check_divisions is not None:
                    self.program.check_divisions(values)
                if explain:
                    rules, entitlements, routes = self.matcher.match_all(values)
                    rule = rules[0] if rules else None
                else:
                    rule, entitlements, routes = self.matcher.match(values)
                decision = self.maker.decide(values, case.case_id, rule, entitlements, routes, wording, offer)
        except EvaluationError as error:
            raise CaseError(None, f"this case cannot be decided: {error}", "a case for which no amount divides by zero") from None
        except ArithmeticError:  # an amount so large or precise that exact arithmetic gives up
            raise CaseError(None, "this case cannot be decided: an amount is out of range", "amounts of a sensible size") from None
        if explain:
            decision.trace = build_trace(self.policy, values, rules, entitlements, routes)
        return decision


def load_engine(policy: Policy, kind: str = "durable") -> Engine:
    """An engine of the given kind. `durable` falls back to `compiled` when durable_rules cannot be
    imported (CPython 3.13, or a machine without the extension); `fallback_reason` then says why."""
    if kind not in ENGINE_KINDS:
        raise ValueError(f"unknown engine {kind!r}; choose one of {', '.join(ENGINE_KINDS)}")
    program = Program(policy)
    if kind == "durable":
        try:
            from engine.durable_matcher import DurableCapacityError, DurableMatcher
        except ImportError as error:
            reason = f"durable_rules is unavailable ({error}); using the compiled engine"
            return Engine(policy, CompiledMatcher(program), program, reason)
        try:
            return Engine(policy, DurableMatcher(policy, CompiledMatcher(program)), program)
        except DurableCapacityError as error:
            return Engine(policy, CompiledMatcher(program), program, f"{error}; using the compiled engine")
    return Engine(policy, CompiledMatcher(program), program)
