"""A decision's JSON text made by the query itself, so `eval --jsonl` fetches one string per case.

The text is the decision JSON from `"rule"` on, to the byte as `json.dumps(Decision.to_json(),
ensure_ascii=False)` writes it (the caller writes the policy's head and the case id in front). The
parts that depend only on the rule (its name, the currency, remedies, escalation, follow-up and
gesture) are encoded once in Python, by the `json` module's own string encoder, and joined to each
row by the rule's name. Amounts are SQL text, as `rows.decision_of` reads them. A text that can
hold anything (the wording with a case's text in it, the notes, the names of routes and
entitlements) is escaped in SQL: the backslash and the quote always, and every control character
that one of the policy's own texts holds (a `\\n` in a `say` template). Only the wording can show
a case's own text; where it shows any other control character (a case's text with a tab, in a
policy whose texts have none) the text would need an escape SQL does not write, so the row's `ok`
is false and the caller decides it with the compiled engine, as it does every row that is not ok.
Nothing else in a decision's text needs escaping: `ensure_ascii=False` writes every other
character as it is, and a lone surrogate never reaches SQL (`qa.bulk_sources` marks its row).
"""

from __future__ import annotations

from json import dumps
from json.encoder import encode_basestring

from sqlglot import exp

from dsl.model import Policy
from engine.sql.compiler import CompiledPolicy
from engine.sql.wording import joined, text

_KEY = "_json_rule"
_CONSTANTS = ("_json_head", "_json_remedies", "_json_escalate", "_json_follow_up", "_json_gesture")


def _json(value) -> str:
    return dumps(value, ensure_ascii=False)


def _rule_constants(policy: Policy) -> dict[str | None, tuple[str, ...]]:
    """Per rule name (None: no rule matched), the constant pieces of its text, in `_CONSTANTS` order."""
    currency = _json(policy.currency)

    def pieces(name, remedies, escalate_to, follow_up, gesture):
        return (f'"rule": {_json(name)}, "currency": {currency}, "floor": ',
                f', "remedies": {_json(remedies)}, "approver": ',
                f', "escalate_to": {_json(escalate_to)}, "routes": ',
                f', "follow_up": {_json(follow_up)}, "extra": ',
                f'{{"gesture": {_json(gesture)}, "up_to": "')

    constants = {None: pieces(None, [], policy.otherwise, None, None)}
    for rule in policy.guidelines:
        constants[rule.name] = pieces(rule.name, list(rule.remedies), rule.escalate_to, rule.follow_up,
                                      rule.extra and rule.extra.gesture)
    return constants


def _policy_texts(policy: Policy) -> list[str]:
    """Every text of the policy that a decision's escaped parts can show."""
    texts = [rule.say for rule in policy.guidelines if rule.say is not None]
    texts += [item.name for item in (*policy.guidelines, *policy.routes, *policy.entitlements)]
    texts += [rule.extra.gesture for rule in policy.guidelines if rule.extra]
    if policy.authority:
        texts += [role.name for role in policy.authority.roles]
    return texts


class _Escaper:
    """A text column as a JSON string, escaped in SQL for the characters the policy's texts hold."""

    def __init__(self, policy: Policy):
        held = {character for value in _policy_texts(policy) for character in value if character < " "}
        self.replaced = ["\\", '"', *sorted(held)]  # the backslash first: the other escapes hold one
        # a regular expression for the characters JSON writes escaped that SQL leaves as they are
        left = "".join(f"\\x{code:02x}" for code in range(0x20) if chr(code) not in held)
        self.unescaped = f"[{left}]" if left else None

    def string(self, value: exp.Expression) -> exp.Expression:
        for character in self.replaced:
            value = exp.Replace(this=value, expression=text(character), replacement=text(encode_basestring(character)[1:-1]))
        return joined('"', value, '"')

    def string_or_null(self, value: exp.Expression) -> exp.Expression:
        return exp.Coalesce(this=self.string(value), expressions=[text("null")])

    def strings(self, values: exp.Expression, names: list[str] | None = None) -> exp.Expression:
        """A list as a JSON array; `names`: the only texts it can hold, when they are known."""
        empty = exp.EQ(this=exp.ArraySize(this=values.copy()), expression=exp.Literal.number(0))
        if names is not None and all(encode_basestring(name) == f'"{name}"' for name in names):
            listed = joined('["', exp.ArrayToString(this=values, expression=text('", "')), '"]')
        else:
            x = exp.to_identifier("x")
            each = exp.Transform(this=values, expression=exp.Lambda(this=self.string(exp.column("x")), expressions=[x]))
            listed = joined("[", exp.ArrayToString(this=each, expression=text(", ")), "]")
        return exp.Case(ifs=[exp.If(this=empty, true=text("[]"))], default=listed)


def _amount(value: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=joined('"', exp.cast(value, "VARCHAR"), '"'), expressions=[text("null")])


def decision_json(compiled: CompiledPolicy) -> exp.Select:
    """SELECT <carried columns>, ok, json FROM the compiled query: `json` is each decision's text from
    `"rule"` on; `ok` is the query's own ok and false as well where the text would need an escape SQL
    does not write (see the module's docstring). Needs the query compiled with wording."""
    if "say" not in compiled.outputs:
        raise ValueError("a decision's JSON text needs the wording: compile the policy with wording=True")
    policy = compiled.policy
    escape = _Escaper(policy)
    constants = _rule_constants(policy)
    values = exp.values([(name, *pieces) for name, pieces in constants.items() if name is not None],
                        alias="rule_text", columns=[_KEY, *_CONSTANTS]) if policy.guidelines else None
    none = dict(zip(_CONSTANTS, constants[None]))

    def piece(name: str) -> exp.Expression:
        if values is None:
            return text(none[name])
        return exp.Coalesce(this=exp.column(name, "rule_text"), expressions=[text(none[name])])

    def decided(name: str) -> exp.Expression:
        return exp.column(name, "decided", quoted=True)

    extra = exp.Case(ifs=[exp.If(this=exp.Is(this=decided("extra_up_to"), expression=exp.Null()), true=text("null"))],
                     default=joined(piece("_json_gesture"), exp.cast(decided("extra_up_to"), "VARCHAR"), '"}'))
    document = joined(
        piece("_json_head"), _amount(decided("floor")), ', "ceiling": ', _amount(decided("ceiling")),
        ', "open_at": ', _amount(decided("open_at")), ', "step": ', _amount(decided("step")),
        piece("_json_remedies"), escape.string_or_null(decided("approver")),
        piece("_json_escalate"), escape.strings(decided("routes"), [route.name for route in policy.routes]),
        ', "entitlements": ', escape.strings(decided("entitlements"), [item.name for item in policy.entitlements]),
        ', "say": ', escape.string_or_null(decided("say")),
        piece("_json_follow_up"), extra, ', "notes": ', escape.strings(decided("notes")), "}")
    # Only the wording can show a case's own text; every other text is the policy's (escaped above).
    printable = exp.true() if escape.unescaped is None else exp.Not(this=exp.RegexpLike(
        this=exp.Coalesce(this=decided("say"), expressions=[text("")]), expression=text(escape.unescaped)))
    query = exp.select(*(decided(name) for name in compiled.carried),
                       exp.alias_(exp.and_(decided("ok"), printable), "ok", quoted=True),
                       exp.alias_(document, "json", quoted=True)).from_(compiled.expression.subquery("decided"))
    if values is not None:
        query = query.join(values, on=exp.EQ(this=decided("rule"), expression=exp.column(_KEY, "rule_text")), join_type="left")
    return query
