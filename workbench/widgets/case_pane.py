"""Try a case: the case form beside the decision it gets, decided again on every change and every
time the policy text checks, by the same engine code `redress eval` runs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.widgets import Checkbox, Input, Select

from dsl.model import Policy
from engine.cases import CaseError
from engine.decide import Engine
from engine.decision import Decision
from workbench.widgets.case_form import CaseForm
from workbench.widgets.decision_view import DecisionView
from workbench.widgets.negotiate_pane import NegotiatePane


class CasePane(Container):
    BINDINGS = [Binding("ctrl+n", "negotiate", "Negotiate", tooltip="Walk this case up the ladder: decline, counter, accept",
                        id="negotiate", show=False)]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.engine: Engine | None = None
        self.decision: Decision | None = None
        self.problem: str | None = None

    def compose(self) -> ComposeResult:
        yield CaseForm(id="case-form")
        with VerticalScroll(id="case-decision-scroll"):
            yield NegotiatePane(lambda: self.query_one(CaseForm).case(), id="case-negotiate")
            yield DecisionView("The decision appears here once the policy checks.", id="case-decision")

    async def use_policy(self, policy: Policy | None, engine: Engine | None) -> None:
        """A new check result: rebuild the form if the case block changed, decide again. A policy
        with errors keeps the last good form and says why there is no decision."""
        self.query_one(NegotiatePane).policy = policy
        if policy is None or engine is None:
            self.engine = None
            self.query_one(DecisionView).show_problem("the policy has errors; see Problems (F2).")
            return
        self.engine = engine
        await self.query_one(CaseForm).build(policy.fields)
        self.decide()

    def action_negotiate(self) -> None:
        self.query_one(NegotiatePane).toggle()

    def decide(self) -> None:
        view = self.query_one(DecisionView)
        if self.engine is None:
            return
        case = self.query_one(CaseForm).case()
        try:
            self.decision = self.engine.decide(case, explain=True)
        except CaseError as error:
            self.decision, self.problem = None, error.message
            view.show_problem(error.message, f"expected {error.expected}" if error.expected else None)
            return
        except ArithmeticError:
            self.decision, self.problem = None, "an amount is too large to compute exactly"
            view.show_problem(self.problem)
            return
        self.problem = None
        view.show_decision(self.decision)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.decide()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.decide()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.decide()
