"""Matching with durable_rules: every rule, entitlement and route condition becomes one durable
rule in one ruleset per policy; a case becomes one fact.

What we know about durable_rules 2.0.28 and design around:
- `post` consumes an event in the first matching rule, so a case is asserted as a *fact* and
  retracted afterwards: every matching rule fires, on one reused session id.
- `Host` runs dispatcher threads that steal actions; we call the raw `durable_rules_engine`
  functions synchronously instead, under a lock.
- Numbers are int64 or double, exponents are rejected, a string "100" compares as text. So a number
  x is sent as one integer, floor(x * 10^k) + ceil(x * 10^k): twice x where x sits on the grid of
  10^-k, the odd number between otherwise. Every comparison with a constant C (where C * 10^k = c is
  whole) is then one exact test against 2c (see `_numeric`), with no `$or`. Comparisons between
  two computed values become "difference vs zero"; anything else is computed in Python and sent
  as 0/1.
- A missing attribute makes every test false, so every attribute is always sent.
- `$or` is expanded into separate paths: a rule fires once per branch that holds (matches are
  collected as sets), and more than 64 paths holding at once fail the assert (error 303). Each
  `$and`/`$or` takes two of the 31 places in a rule's expression sequence (error 113 past them).
  So chains of one operator are flattened, and a condition over `MAX_LOGIC` operators or
  `MAX_PATHS` paths has its largest parts computed in Python instead (`_fit`).
- A string's length is kept in 16 bits (a 65,537-byte text equals "a" if it starts with "a"), so a
  text longer than `TEXT_LIMIT` is sent as a placeholder longer than every constant it is compared
  with, and a longer constant is compared in Python.
- Attributes are told apart by a 32-bit FNV-1a hash of their names: names are chosen so that no
  two hashes collide.
- JSON is sent ASCII-only (`\\uXXXX` escapes): a text with a lone surrogate cannot be passed as UTF-8,
  and the ruleset and the facts must be escaped the same way for strings to compare equal.
- `create_ruleset` hangs on more than 512 rules: a policy is split into rulesets of 500. It also
  hangs (SIGINT ignored) on an `$or` of more than 512 parts, and asserting into one of 512 never
  returns: an `$and` or `$or` wider than `MAX_PARTS` (`is one of` a long list) is computed in
  Python instead (a frozenset lookup, so the cost stays linear in the policy).
- Rulesets cannot be deleted; one matcher per loaded policy, reused. `delete_state` can crash: never
  called.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections import Counter
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_FLOOR, Context, Decimal

import durable_rules_engine

from dsl import ast
from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, Policy
from dsl.names import names_used
from engine.codegen import SourceWriter, local

MAX_DECIMALS = 6  # constants needing more are compared in Python instead
_INT_LIMIT = 2**62  # values past 10^18 (scaled) are sent as this; 2c stays far inside int64
_CONSTANT_LIMIT = Decimal(10) ** 12  # larger constants are compared in Python instead
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)  # scaling by 10^k never rounds
TEXT_LIMIT = 5_000  # characters; at most 12 bytes each when escaped, inside durable_rules' 16 bits
_LONG_TEXT = "~" * (TEXT_LIMIT + 1)  # equals no constant sent to durable_rules
_FACT_PROPERTIES = ("sid", "id", "k")
MAX_LOGIC = 15  # $and/$or operators in one condition
MAX_PARTS = 256  # parts of one `$and`/`$or` (durable_rules hangs on an `$or` of 512)
MAX_PATHS = 8  # `$or` paths of one condition that can hold at once (durable_rules fails past 64 in all)
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_NUMERIC_KINDS = (MONEY, NUMBER, INTEGER)
# durable_rules 2.0.28 never returns from create_ruleset past 512 rules: larger policies are spread
# over several rulesets, and a case is asserted into each.
RULES_PER_RULESET = 500
_ruleset_names = itertools.count()


class DurableCapacityError(RuntimeError):
    """durable_rules cannot load this policy (it is past one of the engine's fixed capacities)."""


class DurableMatcher:
    """Finds every matching rule, entitlement and route of a case with durable_rules.

    A few capacities of durable_rules are fixed (about 64 alternatives holding at once, 252
    properties in one fact): a case past them is matched by `fallback`, the compiled matcher,
    which the differential tests hold to the same answers; `fallbacks` counts such cases."""

    kind = "durable"

    def __init__(self, policy: Policy, fallback):
        self.policy = policy
        self.fallback = fallback
        self.fallbacks = 0
        translator = _Translator(policy)
        trees = {}
        for prefix, items in (("r", policy.guidelines), ("e", policy.entitlements), ("t", policy.routes)):
            for index, item in enumerate(items):
                trees[f"{prefix}{index}"] = translator.tree(item.condition)
        # Rendered only now: the scale depends on every constant of every condition.
        definition = {name: {"all": [{"m": translator.render(tree)}]} for name, tree in trees.items()}
        self._encode = translator.encoder()
        self.attributes = translator.attributes
        names = list(definition)
        self._handles = [self._ruleset({name: definition[name] for name in names[start:start + RULES_PER_RULESET]})
                         for start in range(0, max(len(names), 1), RULES_PER_RULESET)]
        self.definition = definition
        self._lock = threading.Lock()

    def _ruleset(self, definition: dict) -> int:
        name = f"redress_{next(_ruleset_names)}_{self.policy.digest[7:19]}"
        try:
            return durable_rules_engine.create_ruleset(name, json.dumps(definition))
        except durable_rules_engine.error as error:
            raise DurableCapacityError(f"durable_rules cannot load this policy ({error})") from None

    def match_all(self, values: dict) -> tuple[list[int], list[int], list[int]]:
        try:
            return self._match_all(values)
        except durable_rules_engine.error:
            self.fallbacks += 1
            return self.fallback.match_all(values)

    def _match_all(self, values: dict) -> tuple[list[int], list[int], list[int]]:
        fact = json.dumps(self._encode(values))
        fired: dict[str, set[int]] = {"r": set(), "e": set(), "t": set()}
        with self._lock:
            for handle in self._handles:
                _fire(handle, fact, fired)
        return sorted(fired["r"]), sorted(fired["e"]), sorted(fired["t"])

    def match(self, values: dict) -> tuple[int | None, list[int], list[int]]:
        rules, entitlements, routes = self.match_all(values)
        return (rules[0] if rules else None), entitlements, routes


def _fire(handle: int, fact: str, fired: dict[str, set[int]]) -> None:
    """Match the case against one ruleset; rule names are a kind letter and an index (`r3`)."""
    for name in fire_rules(handle, fact):
        fired[name[0]].add(int(name[1:]))


def fire_rules(handle: int, fact: str) -> list[str]:
    """Assert one fact (JSON) into a ruleset, collect the name of every rule that fires, and retract
    it again: synchronous matching, with no `Host` and no dispatcher threads. Call under a lock."""
    names: list[str] = []
    result = durable_rules_engine.assert_fact(handle, fact)
    try:
        if result[0] == 0:
            state = result[1]
            action = durable_rules_engine.start_action_for_state(handle, state)
            while action:
                names += json.loads(action[1])
                following = durable_rules_engine.complete_and_start_action(handle, state)
                action = (None, following) if following else None
    finally:
        durable_rules_engine.retract_fact(handle, fact)
    return names


class _Translator:
    """Conditions to durable_rules JSON, and the Python encoder that makes the matching fact."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.kinds = {f.name: f.kind for f in policy.fields} | {let.name: let.kind for let in policy.lets}
        self.writer = SourceWriter()
        self.attributes: dict[str, tuple[str, str]] = {}  # attribute -> (encoding, python source)
        self._named: dict[tuple[str, str], str] = {}  # (encoding, name or source) -> attribute
        self._hashes = {_property_hash(name) for name in _FACT_PROPERTIES}
        self._aux = itertools.count()
        self.decimals = policy.minor_unit

    # ------------------------------------------------------------ public
    def tree(self, condition: ast.Expr | None) -> tuple:
        """The condition as a small tree of and/or/equality/numeric tests, negations pushed in,
        small enough for durable_rules."""
        return ("true",) if condition is None else self._fit(self._condition(condition, False))

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
        return _numeric(attribute, operator, 2 * int(constant.scaleb(self.decimals)))

    def encoder(self):
        """A generated function from field/let values to the fact durable_rules matches."""
        used: dict[str, None] = {}
        lines = []
        for attribute, (encoding, source) in self.attributes.items():
            if encoding == "number":
                lines.append(f"    f[{attribute!r}] = scaled({source})")
            elif encoding == "flag":
                lines.append(f"    f[{attribute!r}] = 1 if {source} else 0")
            else:
                lines.append(f"    f[{attribute!r}] = {source} if len({source}) <= {TEXT_LIMIT} else long_text")
        for name in self.kinds:
            used[name] = None
        header = ["def encode(v):", *[f"    {local(n)} = v[{n!r}]" for n in used],
                  "    f = {'sid': '0', 'id': 'case', 'k': 1}"]
        source = "\n".join([*header, *lines, "    return f", ""])
        namespace = dict(self.writer.constants, scaled=_scaler(self.decimals), long_text=_LONG_TEXT)
        exec(compile(source, f"<durable encoder for {self.policy.path}>", "exec"), namespace)
        return namespace["encode"]

    # ------------------------------------------------------------ conditions, negation pushed inwards
    def _condition(self, expr: ast.Expr, negated: bool) -> tuple:
        if isinstance(expr, ast.Logical):
            operator = {"and": "or", "or": "and"}[expr.operator] if negated else expr.operator
            parts = []
            for side in (expr.left, expr.right):
                part = self._condition(side, negated)
                parts += part[1] if part[0] == operator else [part]
            return (operator, parts, (expr, negated))
        if isinstance(expr, ast.Not):
            return self._condition(expr.operand, not negated)
        if isinstance(expr, ast.Boolean):
            return ("true",) if expr.value != negated else ("false",)
        if isinstance(expr, ast.Name) and self.kinds.get(expr.name) == BOOL:
            return ("eq", self._attribute(expr, "flag"), 0 if negated else 1, False)
        if isinstance(expr, ast.IsOneOf) and isinstance(expr.subject, ast.Name) and all(
                len(value.name) <= TEXT_LIMIT for value in expr.values):
            attribute = self._attribute(expr.subject, "text")
            exclude = expr.negated != negated
            tests = [("eq", attribute, value.name, exclude) for value in expr.values]
            return ("and" if exclude else "or", tests, (expr, negated))
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
        if text_sides and operator in ("==", "!=") and len(text_sides[0][1].value) <= TEXT_LIMIT:
            name, text = text_sides[0]
            return ("eq", self._attribute(name, "text"), text.value, operator == "!=")
        return ("eq", self._aux_attribute(expr, "flag"), 0 if negated else 1, False)

    # ------------------------------------------------------------ fitting durable_rules' limits
    def _fit(self, tree: tuple) -> tuple:
        """The tree with its costliest parts computed in Python until it fits MAX_PARTS, MAX_LOGIC
        and MAX_PATHS."""
        tree = self._narrow(tree)
        while _logic(tree) > MAX_LOGIC or _paths(tree) > MAX_PATHS:
            costly = [i for i, part in enumerate(tree[1]) if part[0] in ("and", "or")]
            if not costly:
                return self._flag(tree)
            worst = max(costly, key=lambda i: (_paths(tree[1][i]), _logic(tree[1][i])))
            parts = list(tree[1])
            parts[worst] = self._flag(parts[worst])
            tree = (tree[0], parts, tree[2])
        return tree

    def _narrow(self, tree: tuple) -> tuple:
        """The tree with every `$and`/`$or` of more than MAX_PARTS parts computed in Python."""
        if tree[0] not in ("and", "or"):
            return tree
        if len(tree[1]) > MAX_PARTS:
            return self._flag(tree)
        return (tree[0], [self._narrow(part) for part in tree[1]], tree[2])

    def _flag(self, tree: tuple) -> tuple:
        expr, negated = tree[2]
        return ("eq", self._aux_attribute(expr, "flag"), 0 if negated else 1, False)

    # ------------------------------------------------------------ attributes
    def _numeric(self, expr: ast.Expr) -> bool:
        if isinstance(expr, ast.Name):
            return self.kinds.get(expr.name) in _NUMERIC_KINDS
        return isinstance(expr, (ast.Money, ast.Number, ast.Percent, ast.PercentOf, ast.Negate, ast.Binary, ast.Call))

    def _attribute(self, expr: ast.Expr, encoding: str) -> str:
        if isinstance(expr, ast.Name):
            return self._allocate(encoding, local(expr.name), f"{encoding[0]}_{expr.name}")
        return self._aux_attribute(expr, encoding)

    def _aux_attribute(self, expr: ast.Expr, encoding: str) -> str:
        return self._allocate(encoding, self.writer.source(expr, "a condition"), None)

    def _allocate(self, encoding: str, source: str, wanted: str | None) -> str:
        """The attribute carrying `source`, one per distinct source, named so that its name shares
        no hash with any other property of the fact."""
        key = (encoding, source)
        if key in self._named:
            return self._named[key]
        for attempt in itertools.count():
            attribute = (f"x{next(self._aux)}" if wanted is None else wanted if attempt == 0
                         else f"{wanted}_{attempt}")
            if _property_hash(attribute) not in self._hashes:
                break
        self._hashes.add(_property_hash(attribute))
        self._named[key] = attribute
        self.attributes[attribute] = (encoding, source)
        return attribute

    def _constant(self, expr: ast.Expr) -> Decimal:
        return eval(self.writer.source(expr, "a constant"), dict(self.writer.constants))  # noqa: S307 - our own generated source

    def _constant_compare(self, expr: ast.Compare) -> bool:
        return bool(eval(self.writer.source(expr, "a constant"), dict(self.writer.constants)))  # noqa: S307


def _logic(tree: tuple) -> int:
    """How many `$and`/`$or` the tree renders to (a one-part list renders as its part)."""
    if tree[0] not in ("and", "or"):
        return 0
    return (len(tree[1]) > 1) + sum(_logic(part) for part in tree[1])


def _paths(tree: tuple) -> int:
    """At most how many of the tree's `$or` paths hold at once: equality tests of one attribute
    against different values exclude each other."""
    if tree[0] == "and":
        return max(1, math.prod(_paths(part) for part in tree[1]))
    if tree[0] == "or":
        equalities = Counter((part[1], part[2]) for part in tree[1] if part[0] == "eq" and not part[3])
        most_per_attribute: dict[str, int] = {}
        for (attribute, _), count in equalities.items():
            most_per_attribute[attribute] = max(count, most_per_attribute.get(attribute, 0))
        others = [part for part in tree[1] if not (part[0] == "eq" and not part[3])]
        return sum(most_per_attribute.values()) + sum(_paths(part) for part in others)
    return 1


def _numeric(attribute: str, operator: str, twice: int) -> dict:
    """x op C as one test of floor(x * 10^k) + ceil(x * 10^k) against 2c = 2 * C * 10^k: the sum
    is 2c exactly when x = C, and lies on the same side of 2c as x does of C otherwise."""
    return {
        ">=": {"$gte": {attribute: twice}},
        "<": {"$lt": {attribute: twice}},
        ">": {"$gt": {attribute: twice}},
        "<=": {"$lte": {attribute: twice}},
        "==": {attribute: twice},
        "!=": {"$neq": {attribute: twice}},
    }[operator]


def _property_hash(name: str) -> int:
    """The 32-bit FNV-1a hash durable_rules identifies a property by."""
    value = 2166136261
    for byte in name.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def _scaler(decimals: int):
    def scaled(value: Decimal) -> int:
        shifted = value.scaleb(decimals, _EXACT)  # the case's context would round past 50 digits
        if shifted and shifted.adjusted() >= 18:  # past every scaled constant (< 10^18): only the sign matters
            return _INT_LIMIT if shifted > 0 else -_INT_LIMIT
        whole = int(shifted.to_integral_value(rounding=ROUND_FLOOR))
        return 2 * whole if shifted == whole else 2 * whole + 1

    return scaled
