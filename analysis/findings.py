"""The questions `redress analyze` asks about one policy, each small and about one rule, entitlement,
route or division, and the findings their answers give (codes and severities: analysis/report.py).

A finding that claims "some case does X" carries the solver's case, and is reported only if both
engines decide that case so that it shows X. A finding that claims "no case does X" (never applies)
is a proof; its witness, when there is one, is a case its `when` matches that an earlier rule takes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Callable

import z3

from dsl import ast
from dsl.currency import format_money
from dsl.model import Policy
from engine.program import group_field
from analysis.encoding import Encoding, RuleTerms, clamped, disjoint, encode, rational
from analysis.referee import Outcome, Referee, decided, matched
from analysis.report import ERROR, INFO, WARNING, Finding, Report
from analysis.solving import SAT, UNSAT, Solving, holds_for, readable_variants

Shows = Callable[[Outcome], bool]
REGION_VALUES = 40  # a longer choice is not listed value by value in the uncovered region


def _notes(outcome: Outcome, words: str) -> bool:
    return decided(outcome) and any(words in note for note in outcome.notes)


class Analyzer:
    def __init__(self, policy: Policy, solving: Solving):
        self.policy = policy
        self.solving = solving
        self.encoding: Encoding = encode(policy)
        self.referee = Referee(policy)
        self.report = Report(policy.path)
        self.scale = 10 ** policy.minor_unit

    def run(self) -> Report:
        live = self._reachability()
        self._coverage()
        for terms, exact in zip(self.encoding.rules, self.encoding.exact_rules):
            if terms.index in live:
                base = [*self.encoding.valid(), terms.decides]
                with self.solving.sharing([*self.encoding.domain, *base]):
                    self._amounts(terms, base, lambda condition, t=terms, e=exact: z3.And(condition(t), condition(e)))
        self._divisions()
        self.report.unknown = self.solving.unknown
        self.report.questions = self.solving.questions
        self.report.findings.sort(key=lambda f: (f.line, f.column, f.code))
        return self.report

    # ------------------------------------------------------------ asking and confirming
    def _find(self, code: str, severity: str, subject: str | None, where: ast.Span | int, constraints: list,
              question: str, message: Callable[[Outcome], str], hint: str | None, shows: Shows, explain: bool = False) -> bool:
        """Look for a case satisfying `constraints`; report it if the engines agree it `shows` the finding."""
        constraints = [*self.encoding.domain, *constraints]
        answer = self.solving.ask(constraints, question, subject)
        if answer.status != SAT:
            return False
        finding = constraints[-1]

        def confirms(found: dict) -> bool:
            """The question's own condition holds for the case and both engines show the finding."""
            return holds_for(finding, self.encoding.case, found) and all(shows(o) for o in self.referee.outcomes(found, explain))

        case = self.solving.witness(constraints, answer, self.encoding.case, self.policy.fields, self.scale, confirms)
        outcomes = self.referee.outcomes(case, explain) if case is not None else []
        if case is None or not all(shows(outcome) for outcome in outcomes):
            reason = ("the solver's only cases are not finite decimals" if case is None
                      else "the solver's case did not reproduce in the engines")
            self.solving.unknown.append({"subject": subject, "question": question, "reason": reason, "case": case})
            return False
        case, outcomes = self._readable(case, outcomes, confirms, explain)
        self._add(code, severity, subject, where, message(outcomes[0]), hint, case)
        return True

    def _readable(self, case: dict, outcomes: list, confirms: Callable[[dict], bool], explain: bool):
        """A larger variant of the witness when the question's condition and the engines still hold."""
        for (variant,) in readable_variants([case], self.policy.fields):
            if variant is not case and confirms(variant):
                return variant, self.referee.outcomes(variant, explain)
        return case, outcomes

    def _add(self, code, severity, subject, where, message, hint, witness) -> None:
        if isinstance(where, ast.Span) and where.line:
            line, column = where.line, where.column
            end = where.end_column if where.end_line == where.line else None
        else:
            line, column, end = (where if isinstance(where, int) else 1), 1, None
        self.report.findings.append(Finding(self.policy.path, code, severity, subject, line, column, message, hint,
                                            witness, end))

    def _money(self, amount: Decimal | None) -> str:
        return format_money(amount or Decimal(0), self.policy.currency)

    # ------------------------------------------------------------ never applies, uncovered
    def _reachability(self) -> set[int]:
        """Rules that decide some case; reports the rest, and entitlements and routes that never match."""
        valid = self.encoding.valid()
        live = set()
        for terms in self.encoding.rules:
            name = terms.guideline.name
            answer = self.solving.ask([*valid, terms.decides], f'can any case be decided by rule "{name}"?', name)
            if answer.status == UNSAT:
                self._never_applies(terms)
            elif answer.status == SAT:
                live.add(terms.index)
        for kind, items, matches in (("entitlement", self.policy.entitlements, self.encoding.entitlement_matches),
                                     ("route", self.policy.routes, self.encoding.route_matches)):
            for item, match in zip(items, matches):
                answer = self.solving.ask([*valid, match], f'can any case match {kind} "{item.name}"?', item.name)
                if answer.status == UNSAT:
                    where = item.condition.span if item.condition is not None else item.line
                    self._add(f"{kind}-never-applies", WARNING, item.name, where,
                              f'{kind} "{item.name}" never applies: no case the `case` block admits matches its `when`',
                              "check the condition's values and constants against the field types and bounds", None)
        return live

    def _never_applies(self, terms: RuleTerms) -> None:
        guideline = terms.guideline
        where = guideline.condition.span if guideline.condition is not None else guideline.line
        match = self.encoding.rule_matches[terms.index]
        shadowed = self._find(
            "rule-never-applies", WARNING, guideline.name, where, [self.encoding.decided(), match],
            f'a case matching rule "{guideline.name}"',
            lambda outcome: (f'rule "{guideline.name}" never decides a case: every case it matches is taken by an earlier '
                             f'rule, such as this one, decided by rule "{outcome.rule}"'),
            "move it above the rules that take its cases, or narrow theirs",
            lambda outcome: matched(outcome, "rule", guideline.name) and outcome.rule != guideline.name, explain=True)
        if not shadowed:
            self._add("rule-never-applies", WARNING, guideline.name, where,
                      f'rule "{guideline.name}" never decides a case: no case the `case` block admits matches its `when`',
                      "check the condition's values and constants against the field types and bounds", None)

    def _coverage(self) -> None:
        valid, no_rule = self.encoding.valid(), self.encoding.no_rule
        otherwise = self.policy.otherwise
        line = _otherwise_line(self.policy) if otherwise else (self.policy.guidelines[-1].line if self.policy.guidelines else 1)
        if otherwise is None:
            self._find("uncovered-case", WARNING, None, line, [*valid, no_rule], "a case no rule matches",
                       lambda outcome: "no rule matches some cases, and there is no `otherwise`: such a case gets no range",
                       "add a rule for these cases, or end the policy with `otherwise escalate to ROLE`",
                       lambda outcome: decided(outcome) and outcome.rule is None)
            return
        region = self._region(valid, no_rule)
        if region is None:
            return
        self._find("uncovered-case", INFO, None, line, [*valid, no_rule], "a case no rule matches",
                   lambda outcome: f"cases no rule matches escalate to {otherwise}: {region}",
                   None, lambda outcome: decided(outcome) and outcome.rule is None and outcome.escalate_to == otherwise)

    def _region(self, valid: list, no_rule) -> str | None:
        """The cases that escalate, described by the choice field the rules test most (two
        questions per value, so only for a choice of a readable length)."""
        choice = self.policy.field_named(group_field(self.policy) or "")
        if choice is None or len(choice.values) > REGION_VALUES:
            answer = self.solving.ask([*valid, no_rule], "a case no rule matches")
            return "some cases" if answer.status == SAT else None
        term = self.encoding.case.terms[choice.name]
        every, some = [], []
        for value in choice.values:
            is_value = term == self.encoding.case.value_index(choice.name, value)
            uncovered = self.solving.ask([*valid, is_value, no_rule], f"a case with {choice.name} {value} that no rule matches")
            if uncovered.status != SAT:
                continue
            covered = self.solving.ask([*valid, is_value, z3.Not(no_rule)], f"a case with {choice.name} {value} that a rule matches")
            (every if covered.status == UNSAT else some).append(value)
        parts = []
        if every:
            parts.append(f"every case with {choice.name} {', '.join(every)}")
        if some:
            parts.append(f"some cases with {choice.name} {', '.join(some)}")
        return "; ".join(parts) or None

    # ------------------------------------------------------------ amounts of a rule that decides cases
    def _amounts(self, terms: RuleTerms, base: list, both: Callable) -> None:
        """Questions about the cases the rule decides (`base`). `both(condition)`: the condition
        holds with the engine's rounding and exactly, so what is reported is the guideline's
        design, not a cent of rounding on a tiny amount."""
        guideline, name = terms.guideline, terms.guideline.name
        rule_is = lambda outcome: decided(outcome) and outcome.rule == name  # noqa: E731
        self._find("floor-above-ceiling", ERROR, name, guideline.floor.span, [*base, both(lambda t: t.floor > t.ceiling)],
                   f'can rule "{name}"\'s floor exceed its ceiling?',
                   lambda o: f'rule "{name}": the floor can come out above the ceiling (the ceiling is raised to {self._money(o.floor)})',
                   "the engine raises the ceiling to the floor; make sure the floor is never more than the ceiling",
                   lambda o: rule_is(o) and _notes(o, "is above its ceiling"))
        for index, entitlement in enumerate(self.policy.entitlements):
            if disjoint(entitlement.condition, guideline.condition):
                continue
            match = self.encoding.entitlement_matches[index]
            rounded_minimum, exact_minimum = self.encoding.minimums[index], self.encoding.exact_minimums[index]
            lifts = both(lambda t: t.raised_ceiling < (rounded_minimum if t is terms else exact_minimum))
            self._find("guideline-below-entitlement", WARNING, name, guideline.ceiling.span, [*base, match, lifts],
                       f'can entitlement "{entitlement.name}" lift rule "{name}" above its ceiling?',
                       lambda o, e=entitlement.name: f'rule "{name}": entitlement "{e}" can lift the range above the guideline\'s ceiling',
                       "raise the guideline's ceiling to cover the entitlement, or narrow one of the two conditions",
                       lambda o, e=entitlement.name: rule_is(o) and _notes(o, f'below the entitlement "{e}"'))
        for what, raw, expr in (("the floor", terms.raw_floor, guideline.floor), ("the ceiling", terms.raw_ceiling, guideline.ceiling),
                                ("the opening offer", terms.raw_open, guideline.open_at), ("the step", terms.raw_step, guideline.step),
                                ("the extra gesture", terms.raw_extra, guideline.extra.up_to if guideline.extra else None)):
            if raw is None or _never_negative(expr):
                continue
            self._find("negative-bound", INFO, name, expr.span, [*base, clamped(raw, self.scale)],
                       f'can rule "{name}"\'s {what[4:]} come out below zero?',
                       lambda o, w=what: f'rule "{name}": {w} can come out below zero; it is clamped to {self._money(Decimal(0))}',
                       "intended when the amount may run out (a sale at a loss); otherwise bound it with max(..., $0)",
                       lambda o, w=what: rule_is(o) and _notes(o, f"{w[0].upper()}{w[1:]} came out at"))
        if terms.wanted_open is not None:
            self._opening(terms, base, rule_is, both)
        if terms.step is not None:
            self._find("step-too-large", WARNING, name, guideline.step.span,
                       [*base, both(lambda t: t.step > t.final_ceiling - t.final_floor)],
                       f'can rule "{name}"\'s step be wider than its range?',
                       lambda o: f'rule "{name}": the step ({self._money(o.step)}) can be wider than the whole range '
                                 f"({self._money(o.floor)} to {self._money(o.ceiling)})",
                       "make the step a share of the range, or narrow it",
                       lambda o: rule_is(o) and o.step > o.ceiling - o.floor)
        authority = self.policy.authority
        if authority is not None and authority.roles[-1].limit is not None:
            last = authority.roles[-1]
            self._find("above-every-limit", WARNING, name, guideline.ceiling.span,
                       [*base, terms.final_ceiling > rational(last.limit)],
                       f'can rule "{name}"\'s ceiling exceed the limit of {last.name}?',
                       lambda o: f'rule "{name}": the ceiling ({self._money(o.ceiling)}) can exceed every authority limit '
                                 f"({last.name} up to {self._money(last.limit)})",
                       "cap the ceiling with min(..., LIMIT), or add a role without a limit at the top of the chain",
                       lambda o: rule_is(o) and o.ceiling > last.limit)

    def _opening(self, terms: RuleTerms, base: list, rule_is: Shows, both: Callable) -> None:
        guideline, name = terms.guideline, terms.guideline.name
        self._find("open-outside-range", WARNING, name, guideline.open_at.span,
                   [*base, both(lambda t: z3.Or(t.wanted_open < t.final_floor, t.wanted_open > t.final_ceiling))],
                   f'can rule "{name}"\'s opening offer lie outside its range?',
                   lambda o: f'rule "{name}": the opening offer can lie outside the range; for this case it is moved to '
                             f"{self._money(o.open_at)}",
                   "open at an amount between the floor and the ceiling, e.g. min(..., CEILING)",
                   lambda o: rule_is(o) and _notes(o, "The opening offer ("))
        self._find("opens-at-best", WARNING, name, guideline.open_at.span,
                   [*base, both(lambda t: z3.And(t.wanted_open == t.final_ceiling, t.final_ceiling > t.final_floor))],
                   f'can rule "{name}" open at the ceiling of a real range?',
                   lambda o: f'rule "{name}" can open with its best offer: {self._money(o.open_at)}, the ceiling of a range '
                             f"from {self._money(o.floor)}",
                   "never open with your best offer: open lower and step up",
                   lambda o: rule_is(o) and o.open_at == o.ceiling > o.floor and not _notes(o, "The opening offer ("))

    # ------------------------------------------------------------ divisions
    def _divisions(self) -> None:
        for division in self.encoding.divisions:
            self._find("division-by-zero", ERROR, _subject_name(division.subject), division.node.span,
                       [division.evaluated, division.divisor == 0],
                       f"can the divisor in {division.subject} be zero?",
                       lambda o, where=division.subject: f"a case makes a divisor in {where} zero: the engine cannot decide it",
                       "guard the division, e.g. divide by max(..., 1), or bound the field with `from 1 to ...`",
                       lambda o: isinstance(o, Exception) and "division by zero" in str(o))


def _never_negative(expr: ast.Expr | None) -> bool:
    """A literal amount (`$25`, the `$0` of `offer up to`) needs no question."""
    return isinstance(expr, (ast.Money, ast.Number))


def _subject_name(subject: str) -> str:
    found = re.match(r'^\w+ "(.*)"$', subject)
    return found.group(1) if found else subject.split(" ", 1)[-1]


def _otherwise_line(policy: Policy) -> int:
    for number, text in enumerate(policy.source.split("\n"), start=1):
        if re.match(r"\s*otherwise\b", text):
            return number
    return 1
