"""A raw case (JSON object, CSV row, YAML mapping) to checked values, or a `CaseError` that names
the field and says what was expected.

Numbers arrive as JSON numbers, strings or Decimals and become exact Decimals; floats are refused
because `100.02` as a float is not 100.02. Defaults are filled in here, so the engines only ever see
complete cases.

Every number is bounded before any arithmetic touches it: below 10^15 and with at most 10 decimal
places (`MAX_DECIMALS`), so it has at most 25 significant digits and a sum, a difference or a product
of two case values is exact in the engines' 50-digit arithmetic. Past that (`1e-1000050`,
`1e999999999`) the engines could round differently, and printing the value could take megabytes:
such a value is a `CaseError` naming the field. The checks use no decimal context, so no value can
overflow or underflow while it is being checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from functools import partial
from typing import Any, Callable, Mapping

from dsl.diagnostics import did_you_mean
from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, CaseField, Policy

CASE_ID_KEY = "id"
OFFERED_KEY = "offered"  # a case file's record of what was actually given; replays compare it, eval ignores it
_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# A flag written as text (a CSV cell has nothing else): true, false, yes or no in any letter case, with
# spaces or tabs around. The schema offers strings exactly this pattern, so reader and schema agree.
BOOL_TEXT_PATTERN = r"^[ \t]*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[Yy][Ee][Ss]|[Nn][Oo])[ \t]*$"
_BOOL_TEXT = re.compile(BOOL_TEXT_PATTERN)
_TRUE = frozenset({"true", "yes"})
LARGEST = Decimal(10) ** 15  # a thousand trillion: past any real amount, and far inside exact arithmetic
LARGEST_DIGITS = 15
MAX_DECIMALS = 10
_LAST_PLACE = Decimal(1).scaleb(-MAX_DECIMALS)
_BOUNDED = Context(prec=LARGEST_DIGITS + MAX_DECIMALS + 2, traps=[InvalidOperation])  # holds every bounded value
_SURROGATE = re.compile("[\ud800-\udfff]")


class CaseError(ValueError):
    """A case that does not fit the policy's `case` block. `field` is None for a case that is
    not an object at all."""

    def __init__(self, field: str | None, message: str, expected: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.expected = expected

    def to_json(self) -> dict:
        return {"field": self.field, "message": self.message, "expected": self.expected}


@dataclass(slots=True)
class Case:
    values: dict[str, Any]
    case_id: Any = None


def describe_type(field: CaseField) -> str:
    return {
        MONEY: "an amount such as 12.50 (a JSON number or a string)",
        NUMBER: "a number such as 3 or 0.5",
        INTEGER: "a whole number such as 3",
        BOOL: "true or false (or the text true, false, yes or no, in any letter case)",
        TEXT: "a text",
        ENUM: "one of " + ", ".join(field.values),
    }[field.kind]


class CaseReader:
    """Reads raw cases for one policy; built once per policy and reused for every case.

    Replays read millions of rows, so the reader is generated per policy: straight-line code per
    field with a fast path for the common input (a plain decimal string, a listed choice). Anything
    else takes the general path, `_convert`, which also writes the error messages."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.fields = {field.name: field for field in policy.fields}
        self._allowed = frozenset(self.fields) | {CASE_ID_KEY}
        self._allowed_with_extras = self._allowed  # and the extra columns met so far, in replays
        self._read_values = _compile_reader(policy)

    def read(self, raw: Any, extras: set[str] | None = None) -> Case:
        """The checked values of a raw case. Unknown keys are an error, or, when `extras` is
        given (replays keep other columns), collected there and ignored."""
        if not isinstance(raw, Mapping):
            raise CaseError(None, "a case must be a JSON object of field names and values",
                            "an object such as {\"" + next(iter(self.fields), "field") + "\": ...}")
        if not raw.keys() <= self._allowed:
            if extras is None:
                raise self._unknown(next(key for key in raw if key not in self._allowed))
            if not raw.keys() <= self._allowed_with_extras:
                extras.update(printable(str(key)) for key in raw if key not in self._allowed)
                self._allowed_with_extras = self._allowed | extras
        return Case(self._read_values(raw), read_case_id(raw.get(CASE_ID_KEY)))

    def _unknown(self, key: Any) -> CaseError:
        name = printable(str(key)[:200])
        hint = did_you_mean(name, self.fields)
        suffix = f"; {hint}" if hint else ""
        return CaseError(name, f"unknown field `{_clipped(name)}`{suffix}", "one of the case fields: " + ", ".join(self.fields))


def read_case_id(value: Any) -> Any:
    """A case's `id` as the schema has it: a text, a whole number, or a number within the bounds
    every case number has (so echoing it as `case_id` is cheap and exact)."""
    if value is None or value.__class__ is int:
        return value
    expected = "your identifier for the case: a text or a number"
    if value.__class__ is str:
        if not value.isascii() and _SURROGATE.search(value):
            raise _not_text(CASE_ID_KEY, value, expected)
        return value
    if isinstance(value, Decimal) and value.is_finite():
        return bounded_number(CASE_ID_KEY, value, value, expected)
    raise CaseError(CASE_ID_KEY, f"`id` must be a text or a number, not {_shown(value)}", expected)


def case_id_of(raw: Any) -> Any:
    """The `id` of a raw case that may be invalid, for its error report; None when the id itself
    is not a valid one."""
    if not isinstance(raw, Mapping):
        return None
    try:
        return read_case_id(raw.get(CASE_ID_KEY))
    except CaseError:
        return None


def printable(text: str) -> str:
    """Text that can be written as UTF-8: a lone surrogate (JSON allows `\\ud800`, Unicode does not)
    is shown as its escape."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# A plain decimal string within the bounds (below LARGEST, MAX_DECIMALS): the common input, read without checks.
_PLAIN_DECIMAL = re.compile(r"^\s*[+-]?(\d{1,15}(\.\d{0,10})?|\.\d{1,10})\s*$")
_PLAIN_INTEGER = re.compile(r"^\s*[+-]?\d{1,15}\s*$")


def _missing(field: CaseField):
    raise CaseError(field.name, f"missing required field `{field.name}`", describe_type(field))


def _compile_reader(policy: Policy) -> Callable[[Mapping], dict]:
    """Generated straight-line code: one block per field, no loop, no per-field dispatch."""
    namespace: dict[str, Any] = {"Decimal": Decimal}
    lines = ["def read_values(raw):", "    get = raw.get", "    values = {}"]
    for index, field in enumerate(policy.fields):
        namespace[f"field{index}"] = field
        namespace[f"general{index}"] = partial(_convert, field)
        namespace[f"default{index}"] = field.default
        lines += [f"    x = get({field.name!r})", "    if x is None:"]
        lines.append(f"        _missing(field{index})" if field.required else f"        x = default{index}")
        if field.kind in (MONEY, NUMBER, INTEGER):
            namespace[f"plain{index}"] = (_PLAIN_INTEGER if field.kind == INTEGER else _PLAIN_DECIMAL).match
            lines += [f"    elif x.__class__ is str and plain{index}(x):", "        x = Decimal(x)"]
        elif field.kind == ENUM:
            namespace[f"listed{index}"] = frozenset(field.values)
            lines += [f"    elif x.__class__ is str and x in listed{index}:", "        pass"]
        elif field.kind == BOOL:
            lines += ["    elif x == 'false' or x is False:", "        x = False", "    elif x == 'true' or x is True:", "        x = True"]
        lines += ["    else:", f"        x = general{index}(x)", f"    values[{field.name!r}] = x"]
        low, high = value_range(field)
        if low is not None or high is not None:
            namespace[f"outside{index}"] = partial(_outside, field)
            tests = ([f"x < {low!r}"] if low is not None else []) + ([f"x > {high!r}"] if high is not None else [])
            namespace["Decimal"] = Decimal
            lines += [f"    if {' or '.join(tests)}:", f"        outside{index}(x)"]
    lines.append("    return values")
    namespace["_missing"] = _missing
    exec(compile("\n".join(lines) + "\n", f"<case reader for {policy.path}>", "exec"), namespace)
    return namespace["read_values"]


def value_range(field: CaseField) -> tuple[Decimal | None, Decimal | None]:
    """The values a case may carry for a number field: its `from ... to ...` bounds, and for
    money never below zero."""
    if field.kind not in (MONEY, NUMBER, INTEGER):
        return None, None
    low = field.low if field.low is not None else (Decimal(0) if field.kind == MONEY else None)
    return low, field.high


def _outside(field: CaseField, value: Decimal):
    low, high = value_range(field)
    if field.low is None and field.high is None:
        raise CaseError(field.name, f"`{field.name}` cannot be negative: {value}", "an amount of 0 or more")
    expected = f"a value from {format(low, 'f')} to {format(high, 'f')}"
    raise CaseError(field.name, f"`{field.name}` is {value}, outside its bounds", expected)


def _convert(field: CaseField, value: Any):
    kind = field.kind
    if kind in (MONEY, NUMBER, INTEGER):
        number = exact_decimal(value)
        if number is None:
            raise CaseError(field.name, f"`{field.name}` must be {describe_type(field)}, not {_shown(value)}", describe_type(field))
        number = bounded_number(field.name, number, value, describe_type(field))
        if kind == INTEGER and number != number.to_integral_value():
            raise CaseError(field.name, f"`{field.name}` must be {describe_type(field)}, not {_shown(value)}", describe_type(field))
        return number
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        flag = _BOOL_TEXT.match(value) if isinstance(value, str) else None
        if flag:
            return flag.group(1).lower() in _TRUE
        raise CaseError(field.name, f"`{field.name}` must be true or false, not {_shown(value)}", describe_type(field))
    if kind == TEXT:
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise _not_text(field.name, value, describe_type(field))
            return value
        raise CaseError(field.name, f"`{field.name}` must be a text, not {_shown(value)}", describe_type(field))
    if isinstance(value, str) and value in field.values:
        return value
    hint = did_you_mean(printable(value), field.values) if isinstance(value, str) else None
    suffix = f"; {hint}" if hint else ""
    raise CaseError(field.name, f"`{field.name}` cannot be {_shown(value)}{suffix}", describe_type(field))


def bounded_number(name: str, number: Decimal, value: Any, expected: str) -> Decimal:
    """`number` (finite, read from `value`) if it is within the bounds exact arithmetic carries:
    below `LARGEST`, at most `MAX_DECIMALS` decimal places. Trailing zeros past them are dropped
    (`1.500000000000` is 1.5). Nothing here uses the current decimal context, and every step is
    linear in the number's digits."""
    if number and number.adjusted() >= LARGEST_DIGITS:
        raise CaseError(name, f"`{name}` is too large: {_shown(value)}", f"{expected}, below {LARGEST:,}")
    places = number.quantize(_LAST_PLACE, context=_BOUNDED)
    if places != number:
        raise CaseError(name, f"`{name}` has more than {MAX_DECIMALS} decimal places: {_shown(value)}",
                        f"{expected}, with at most {MAX_DECIMALS} decimal places (exact arithmetic carries no more)")
    if number.compare_total(places) >= 0 and (number or number.adjusted() <= 0):
        return number  # its exponent is -MAX_DECIMALS or more: as written
    trimmed = places.normalize(_BOUNDED)
    return trimmed if trimmed.as_tuple().exponent <= 0 else trimmed.quantize(Decimal(1), context=_BOUNDED)


def _not_text(name: str, value: str, expected: str) -> CaseError:
    position = _SURROGATE.search(value).start()
    return CaseError(name, f"`{name}` is not Unicode text: it holds a lone surrogate "
                           f"(\\u{ord(value[position]):04x}) at character {position + 1}", expected)


def read_amount(name: str, value: Any) -> Decimal:
    """An amount that is not a case field (a case file's `offered`), held to a money field's rules."""
    expected = "an amount such as 12.50"
    number = exact_decimal(value)
    if number is None:
        raise CaseError(name, f"`{name}` must be {expected}, not {_shown(value)}", expected)
    return bounded_number(name, number, value, expected)


def exact_decimal(value: Any) -> Decimal | None:
    """A JSON number, decimal string, int or Decimal as an exact Decimal; None for anything else."""
    if value.__class__ is str and _PLAIN_DECIMAL.match(value):
        return Decimal(value)
    if isinstance(value, bool) or isinstance(value, float):
        return None  # a float has already lost the exact amount; JSON is read with Decimal instead
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _shown(value: Any) -> str:
    """A value in an error message, in at most about 40 characters whatever its size (a nested list
    that a YAML alias chain made a billion items long is only named)."""
    if isinstance(value, str):
        return _clipped(repr(printable(value[:41])))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return _clipped(str(value)) if value.bit_length() < 4000 else "a whole number of over a thousand digits"
    if isinstance(value, Decimal):
        return _clipped(str(value))
    return {list: "a list", dict: "an object", type(None): "null", float: "a binary floating-point number"}.get(
        type(value), "a value of another kind")


def _clipped(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
