"""Matching with durable_rules: every rule, entitlement and route condition becomes one durable
rule in one ruleset per policy; a case becomes one fact.

What we know about durable_rules 2.0.28 and design around:
- `post` consumes an event in the first matching rule, so a case is asserted as a *fact* and
  retracted afterwards: every matching rule fires, on one reused session id.
- `Host` runs dispatcher threads that steal actions; we call the raw `durable_rules_engine`
  functions synchronously instead, under a lock.
- Numbers are int64 or double, exponents are rejected, a string "100" compares as text. So a number
  x is sent as two integers: floor(x * 10^k) and whether anything was cut off. Every comparison
  with a constant C (where C * 10^k is whole) is exact on that pair (see `_numeric`). Comparisons
  between two computed values become "difference vs zero"; anything else is computed in Python and
  sent as 0/1.
- A missing attribute makes every test false, so every attribute is always sent.
- Rulesets cannot be deleted; one matcher per loaded policy, reused. `delete_state` can crash: never
  called.
"""

from __future__ import annotations

import itertools
import json
import threading
from decimal import ROUND_FLOOR, Decimal

import durable_rules_engine

from dsl import ast
from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, Policy
from dsl.names import names_used
from engine.codegen import SourceWriter, local

MAX_DECIMALS = 6  # constants needing more are compared in Python instead
_INT_LIMIT = 2**62  # values are clamped here; constants stay far inside, so order is kept
_CONSTANT_LIMIT = Decimal(10) ** 12  # larger constants are compared in Python instead
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_NUMERIC_KINDS = (MONEY, NUMBER, INTEGER)
_ruleset_names = itertools.count()


class DurableMatcher:
    """Finds every matching rule, entitlement and route of a case with durable_rules."""

    kind = "durable"

    def __init__(self, policy: Policy):
        self.policy = policy
        translator = _Translator(policy)
        trees = {}
        for prefix, items in (("r", policy.guidelines), ("e", policy.entitlements), ("t", policy.routes)):
            for index, item in enumerate(items):
                trees[f"{prefix}{index}"] = translator.tree(item.condition)
        # Rendered only now: the scale depends on every constant of every condition.
        definition = {name: {"all": [{"m": translator.render(tree)}]} for name, tree in trees.items()}
        self._encode = translator.encoder()
        self.attributes = translator.attributes
        name = f"redress_{next(_ruleset_names)}_{policy.digest[7:19]}"
        self._handle = durable_rules_engine.create_ruleset(name, json.dumps(definition, ensure_ascii=False))
        self.definition = definition
        self._lock = threading.Lock()

    def match_all(self, values: dict) -> tuple[list[int], list[int], list[int]]:
        fact = json.dumps(self._encode(values), ensure_ascii=False)
        fired: dict[str, list[int]] = {"r": [], "e": [], "t": []}
        with self._lock:
            result = durable_rules_engine.assert_fact(self._handle, fact)
            try:
                if result[0] == 0:
                    state = result[1]
                    action = durable_rules_engine.start_action_for_state(self._handle, state)
                    while action:
                        for name in json.loads(action[1]):
                            fired[name[0]].append(int(name[1:]))
                        following = durable_rules_engine.complete_and_start_action(self._handle, state)
                        action = (None, following) if following else None
            finally:
                durable_rules_engine.retract_fact(self._handle, fact)
        return sorted(fired["r"]), sorted(fired["e"]), sorted(fired["t"])

    def match(self, values: dict) -> tuple[int | None, list[int], list[int]]:
        rules, entitlements, routes = self.match_all(values)
        return (rules[0] if rules else None), entitlements, routes


class _Translator:
    """Conditions to durable_rules JSON, and the Python encoder that makes the matching fact."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.kinds = {f.name: f.kind for f in policy.fields} | {let.name: let.kind for let in policy.lets}
        self.writer = SourceWriter()
        self.attributes: dict[str, tuple[str, str]] = {}  # attribute -> (encoding, python source)
        self._aux = itertools.count()
        self._pending: list[tuple] = []
        self.decimals = policy.minor_unit

    # ------------------------------------------------------------ public
    def tree(self, condition: ast.Expr | None) -> tuple:
        """The condition as a small tree of and/or/equality/numeric tests, negations pushed in."""
        return ("true",) if condition is None else self._condition(condition, False)

    def render(self, tree: tuple) -> dict:
        """The durable_rules JSON for a tree; call after every tree is made."""
        kind = tree[0]
        if kind == "true":
            return {"k": 1}
        if kind == "false":
            return {"k": 0}
        if kind in ("and", "or"):
            parts = [self.render(part) for part in tree[1]]
            return parts[0] if len(parts) == 1 else {f"${kind}": parts}
        if kind == "eq":
            _, attribute, value, negated = tree
            return {"$neq": {attribute: value}} if negated else {attribute: value}
        _, attribute, operator, constant = tree
        return _numeric(attribute, operator, int(constant.scaleb(self.decimals)))

    def encoder(self):
        """A generated function from field/let values to the fact durable_rules matches."""
        used: dict[str, None] = {}
        lines = []
        for attribute, (encoding, source) in self.attributes.items():
            if encoding == "number":
                lines.append(f"    f[{attribute!r}], f[{attribute + 'f'!r}] = scaled({source})")
            elif encoding == "flag":
                lines.append(f"    f[{attribute!r}] = 1 if {source} else 0")
            else:
                lines.append(f"    f[{attribute!r}] = {source}")
        for name in self.kinds:
            used[name] = None
        header = ["def encode(v):", *[f"    {local(n)} = v[{n!r}]" for n in used],
                  "    f = {'sid': '0', 'id': 'case', 'k': 1}"]
        source = "\n".join([*header, *lines, "    return f", ""])
        namespace = dict(self.writer.constants, scaled=_scaler(self.decimals))
        exec(compile(source, f"<durable encoder for {self.policy.path}>", "exec"), namespace)
        return namespace["encode"]

    # ------------------------------------------------------------ conditions, negation pushed inwards
    def _condition(self, expr: ast.Expr, negated: bool) -> tuple:
        if isinstance(expr, ast.Logical):
            operator = {"and": "or", "or": "and"}[expr.operator] if negated else expr.operator
            return (operator, [self._condition(expr.left, negated), self._condition(expr.right, negated)])
        if isinstance(expr, ast.Not):
            return self._condition(expr.operand, not negated)
        if isinstance(expr, ast.Boolean):
            return ("true",) if expr.value != negated else ("false",)
        if isinstance(expr, ast.Name) and self.kinds.get(expr.name) == BOOL:
            return ("eq", self._attribute(expr, "flag"), 0 if negated else 1, False)
        if isinstance(expr, ast.IsOneOf) and isinstance(expr.subject, ast.Name):
            attribute = self._attribute(expr.subject, "text")
            exclude = expr.negated != negated
            tests = [("eq", attribute, value.name, exclude) for value in expr.values]
            return ("and" if exclude else "or", tests)
        if isinstance(expr, ast.Compare):
            return self._compare(expr, negated)
        return ("eq", self._aux_attribute(expr, "flag"), 0 if negated else 1, False)

    def _compare(self, expr: ast.Compare, negated: bool) -> tuple:
        operator = _NEGATE[expr.operator] if negated else expr.operator
        left, right = expr.left, expr.right
        if self._numeric(left) and self._numeric(right):
            left_constant, right_constant = not names_used(left), not names_used(right)
            if left_constant and right_constant:
                return ("true",) if self._constant_compare(expr) != negated else ("false",)
            if left_constant:
                left, right, operator = right, left, _FLIP[operator]
            elif not right_constant:
                left, right = ast.Binary("-", left, right, expr.span), ast.Number(Decimal(0), "0", expr.span)
            constant = self._constant(right)
            if constant.as_tuple().exponent < -MAX_DECIMALS or abs(constant) >= _CONSTANT_LIMIT:
                return ("eq", self._aux_attribute(expr, "flag"), 0 if negated else 1, False)
            self.decimals = max(self.decimals, -min(0, constant.as_tuple().exponent))
            return ("num", self._attribute(left, "number"), operator, constant)
        text_sides = [(l, r) for l, r in ((left, right), (right, left)) if isinstance(r, ast.Text) and isinstance(l, ast.Name)
                      and self.kinds.get(l.name) in (TEXT, ENUM)]
        if text_sides and operator in ("==", "!="):
            name, text = text_sides[0]
            return ("eq", self._attribute(name, "text"), text.value, operator == "!=")
        return ("eq", self._aux_attribute(expr, "flag"), 0 if negated else 1, False)

    # ------------------------------------------------------------ attributes
    def _numeric(self, expr: ast.Expr) -> bool:
        if isinstance(expr, ast.Name):
            return self.kinds.get(expr.name) in _NUMERIC_KINDS
        return isinstance(expr, (ast.Money, ast.Number, ast.Percent, ast.PercentOf, ast.Negate, ast.Binary, ast.Call))

    def _attribute(self, expr: ast.Expr, encoding: str) -> str:
        if isinstance(expr, ast.Name):
            attribute = f"{encoding[0]}_{expr.name}"
            self.attributes.setdefault(attribute, (encoding, local(expr.name)))
            return attribute
        return self._aux_attribute(expr, encoding)

    def _aux_attribute(self, expr: ast.Expr, encoding: str) -> str:
        attribute = f"x{next(self._aux)}"
        self.attributes[attribute] = (encoding, self.writer.source(expr, "a condition"))
        return attribute

    def _constant(self, expr: ast.Expr) -> Decimal:
        return eval(self.writer.source(expr, "a constant"), dict(self.writer.constants))  # noqa: S307 - our own generated source

    def _constant_compare(self, expr: ast.Compare) -> bool:
        return bool(eval(self.writer.source(expr, "a constant"), dict(self.writer.constants)))  # noqa: S307


def _numeric(attribute: str, operator: str, scaled: int) -> dict:
    """x op C on the pair (floor(x * 10^k), cut off?) against c = C * 10^k, exactly."""
    whole, cut = attribute, attribute + "f"
    equal_exactly = {"$and": [{whole: scaled}, {cut: 0}]}
    return {
        ">=": {"$gte": {whole: scaled}},
        "<": {"$lt": {whole: scaled}},
        ">": {"$or": [{"$gt": {whole: scaled}}, {"$and": [{whole: scaled}, {cut: 1}]}]},
        "<=": {"$or": [{"$lt": {whole: scaled}}, equal_exactly]},
        "==": equal_exactly,
        "!=": {"$or": [{"$neq": {whole: scaled}}, {cut: 1}]},
    }[operator]


def _scaler(decimals: int):
    def scaled(value: Decimal) -> tuple[int, int]:
        shifted = value.scaleb(decimals)
        whole = int(shifted.to_integral_value(rounding=ROUND_FLOOR))
        cut = 0 if shifted == whole else 1
        return max(-_INT_LIMIT, min(_INT_LIMIT, whole)), cut

    return scaled
