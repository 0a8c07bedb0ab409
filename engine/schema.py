"""The JSON Schema (2020-12) of a policy's cases, so an agent knows exactly what to send."""

from __future__ import annotations

from dsl.model import BOOL, ENUM, INTEGER, MONEY, NUMBER, TEXT, CaseField, Policy
from engine.cases import BOOL_TEXT_PATTERN, CASE_ID_KEY, LARGEST, MAX_DECIMALS, describe_type, value_range

_DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"


def case_schema(policy: Policy) -> dict:
    properties = {CASE_ID_KEY: {"description": "Your identifier for the case; echoed as `case_id` in the decision.",
                                "type": ["string", "integer", "number"]}}
    for field in policy.fields:
        properties[field.name] = _field_schema(field)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:redress:case:{policy.digest}",
        "title": f"A case for {policy.name} ({policy.version})",
        "description": "Amounts may be JSON numbers or decimal strings; they are read as exact decimals, "
                       f"below {LARGEST:,} and with at most {MAX_DECIMALS} decimal places. A flag is a JSON boolean "
                       "or the text true, false, yes or no (any letter case), as a CSV cell writes it. "
                       "A field left out (or null) takes its default; a field without a default is required.",
        "type": "object",
        "properties": properties,
        "required": [field.name for field in policy.fields if field.required],
        "additionalProperties": False,
    }


def _field_schema(field: CaseField) -> dict:
    # The policy owner's comment beside the field says what it is; the type says how to write it.
    described = describe_type(field)
    schema: dict = {"description": f"{field.note}: {described}" if field.note else described}
    if field.kind in (MONEY, NUMBER):
        schema["type"] = ["number", "string"]
        schema["pattern"] = _DECIMAL_PATTERN
        if field.kind == MONEY:
            schema["x-redress-type"] = "money"
    elif field.kind == INTEGER:
        schema["type"] = ["integer", "string"]
        schema["pattern"] = r"^[+-]?\d+$"
    elif field.kind == BOOL:
        schema["type"] = ["boolean", "string"]  # the pattern applies to the strings only
        schema["pattern"] = BOOL_TEXT_PATTERN
    elif field.kind == TEXT:
        schema["type"] = "string"
    elif field.kind == ENUM:
        schema["enum"] = list(field.values)
    low, high = value_range(field)
    if low is not None:
        schema["minimum"] = low  # applies to JSON numbers; a decimal string is checked by the case reader
    if high is not None:
        schema["maximum"] = high
    if not field.required:
        _allow_null(schema)  # null, like leaving the field out, means "use the default"
        default = field.default
        schema["default"] = format(default, "f") if field.kind in (MONEY, NUMBER, INTEGER) else default
    return schema


def _allow_null(schema: dict) -> None:
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    elif isinstance(schema["type"], list):
        schema["type"] = [*schema["type"], "null"]
    else:
        schema["type"] = [schema["type"], "null"]
