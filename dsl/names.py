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
    return list(dict.fromkeys(node.name for node in ast.walk(expr) if isinstance(node, ast.Name)))
