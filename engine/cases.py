"""A raw case (JSON object, CSV row, YAML mapping) to checked values, or a `CaseError` that names
the field and says what was expected.

Numbers arrive as JSON numbers, strings or Decimals and become exact Decimals; floats are refused
because `100.02` as a float is not 100.02. Defaults are filled in here, so the engines only ever see
complete cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Callable, Mapping

from dsl.diagnostics import did_you_mean
from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, CaseField, Policy

CASE_ID_KEY = "id"
_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_TRUE, _FALSE = {"true", "yes"}, {"false", "no"}
LARGEST = Decimal(10) ** 15  # a thousand trillion: past any real amount, and far inside exact arithmetic


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
        BOOL: "true or false",
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
                extras.update(key for key in raw if key not in self._allowed)
                self._allowed_with_extras = self._allowed | extras
        return Case(self._read_values(raw), raw.get(CASE_ID_KEY))

    def _unknown(self, key: Any) -> CaseError:
        hint = did_you_mean(str(key), self.fields)
        suffix = f"; {hint}" if hint else ""
        return CaseError(str(key), f"unknown field `{key}`{suffix}", "one of the case fields: " + ", ".join(self.fields))


# A plain decimal string short enough to be below LARGEST: the common input, read without checks.
_PLAIN_DECIMAL = re.compile(r"^\s*[+-]?(\d{1,15}(\.\d*)?|\.\d+)\s*$")
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
        if number is None or (kind == INTEGER and number != number.to_integral_value()):
            raise CaseError(field.name, f"`{field.name}` must be {describe_type(field)}, not {_shown(value)}", describe_type(field))
        if abs(number) >= LARGEST:
            raise CaseError(field.name, f"`{field.name}` is too large: {_shown(value)}", f"a value below {LARGEST:,}")
        return number
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise CaseError(field.name, f"`{field.name}` must be true or false, not {_shown(value)}", describe_type(field))
    if kind == TEXT:
        if isinstance(value, str):
            return value
        raise CaseError(field.name, f"`{field.name}` must be a text, not {_shown(value)}", describe_type(field))
    if isinstance(value, str) and value in field.values:
        return value
    hint = did_you_mean(str(value), field.values) if isinstance(value, str) else None
    suffix = f"; {hint}" if hint else ""
    raise CaseError(field.name, f"`{field.name}` cannot be {_shown(value)}{suffix}", describe_type(field))


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
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
