"""Try a case: the case form beside the decision it gets, decided again on every change and every
time the policy text checks, by the same engine code `redress eval` runs.

The engine is built lazily, in a worker, and only while this pane is shown: compiling a long
policy on every keystroke would slow the live check for nothing."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select

from dsl.model import Policy
from engine.cases import CaseError
from engine.decide import Engine, load_engine
from engine.decision import Decision
from workbench.messages import EngineBuilt
from workbench.widgets.case_form import CaseForm
from workbench.widgets.decision_view import DecisionView
from workbench.widgets.negotiate_pane import NegotiatePane


class CasePane(Container):
    BINDINGS = [Binding("ctrl+n", "negotiate", "Negotiate", tooltip="Walk this case up the ladder: decline, counter, accept",
                        id="negotiate", show=False)]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.policy: Policy | None = None
        self.engine: Engine | None = None  # for `policy` once built
        self.decision: Decision | None = None
        self.problem: str | None = None

    def compose(self) -> ComposeResult:
        yield CaseForm(id="case-form")
        with VerticalScroll(id="case-decision-scroll"):
            yield NegotiatePane(lambda: self.query_one(CaseForm).case(), id="case-negotiate")
            yield DecisionView("The decision appears here once the policy checks.", id="case-decision")

    async def use_policy(self, policy: Policy | None) -> None:
        """A new check result: rebuild the form if the case block changed, decide again. A policy
        with errors keeps the last good form and says why there is no decision."""
        self.policy = policy
        self.query_one(NegotiatePane).policy = policy
        if policy is None:
            self.engine = None
            self.query_one(DecisionView).show_problem("the policy has errors; see Problems (F2).")
            return
        if self.engine is not None and self.engine.policy.digest != policy.digest:
            self.engine = None
        await self.query_one(CaseForm).build(policy.fields)
        self.decide()

    @property
    def shown(self) -> bool:
        return all(node.display for node in self.ancestors_with_self if isinstance(node, Widget))

    def action_negotiate(self) -> None:
        self.query_one(NegotiatePane).toggle()

    def decide(self) -> None:
        """Decide the form's case; first build the engine, if the pane is shown."""
        if self.policy is None:
            return
        if self.engine is None:
            if self.shown:
                self._build_engine(self.policy)
            return
        view = self.query_one(DecisionView)
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

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def _build_engine(self, policy: Policy) -> None:
        self.post_message(EngineBuilt(policy.digest, load_engine(policy, "compiled")))

    def on_engine_built(self, message: EngineBuilt) -> None:
        message.stop()
        if self.policy is not None and message.digest == self.policy.digest:
            self.engine = message.engine
            self.decide()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.decide()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.decide()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.decide()
