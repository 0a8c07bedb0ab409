"""What a source column's SQL type says about how its values arrive, without sqlglot: callers that
only look at a relation's types (a replay whose query is cached) need not import the compiler."""

from __future__ import annotations

import re
from dataclasses import dataclass

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "UHUGEINT", "INT", "LONG", "SHORT", "BYTE", "INT8", "INT4", "INT2", "INT1"}
_TEXT_TYPES = {"VARCHAR", "STRING", "TEXT"}
_DECIMAL_TYPE = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


@dataclass(frozen=True)
class ColumnType:
    """What a source column holds: text, decimal (with its scale), integer, boolean or other."""

    family: str
    scale: int = 0

    @staticmethod
    def parse(sql_type: str) -> "ColumnType":
        name = sql_type.strip().upper()
        if name in _TEXT_TYPES or name.startswith("VARCHAR"):
            return ColumnType("text")
        if name in _INTEGER_TYPES:
            return ColumnType("integer")
        if name in ("BOOLEAN", "BOOL"):
            return ColumnType("boolean")
        match = _DECIMAL_TYPE.match(name)
        if match:
            return ColumnType("decimal", int(match.group(2)))
        return ColumnType("other")


TEXT_COLUMN = ColumnType("text")
