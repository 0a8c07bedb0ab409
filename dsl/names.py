"""Names: how they must be spelled, and which ones an expression reads (for let ordering,
explanations and traces)."""

from __future__ import annotations

import re

from dsl import ast

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")


def snake_case_hint(name: str) -> str:
    """`MissedAppointment` -> "write `missed_appointment`"."""
    return "write `" + re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").lower() + "`"


def names_used(expr: ast.Expr | None) -> list[str]:
    """Field and let names read by `expr`, each once, in the order they first appear."""
    found: dict[str, None] = {}
    _collect(expr, found)
    return list(found)


def _collect(expr, found: dict[str, None]) -> None:
    if expr is None:
        return
    if isinstance(expr, ast.Name):
        found.setdefault(expr.name)
    elif isinstance(expr, ast.Call):
        for argument in expr.arguments:
            _collect(argument, found)
    elif isinstance(expr, ast.IsOneOf):
        _collect(expr.subject, found)
    else:
        for child in ("left", "right", "operand"):
            _collect(getattr(expr, child, None), found)
