"""Exit codes, stdout and stderr: the one module that decides how the CLI talks.

stdout carries results only (JSON or text a person asked for); stderr carries progress and
messages. Errors are one plain line, `redress: error: ...`, or a JSON object when the user asked for
`--format json`. stdout is flushed before anything is written to stderr, so the two never interleave
mid-line in a terminal.
"""

from __future__ import annotations

import enum
import json
import os
import sys
from decimal import Decimal
from typing import Any, NoReturn


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1  # check errors, failing tests, changed cases, cases outside a guideline
    INPUT_ERROR = 2  # bad usage, unreadable file, malformed case or policy given as input
    INTERRUPTED = 130


class Failure(Exception):
    """An error the CLI reports and exits on: one message, one exit code, no traceback."""

    def __init__(self, message: str, code: ExitCode = ExitCode.INPUT_ERROR, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


def _json_default(value: Any):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json_line(data: Any, indent: int | None = None) -> str:
    return json.dumps(data, ensure_ascii=False, indent=indent, default=_json_default)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 entitlement`, `2 entitlements`, `0 entitlements`: a count with its noun agreeing."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def emit(text: str) -> None:
    """A result, to stdout; a lone surrogate a case file carried (a column named `\\ud800`) is
    written as its escape rather than ending the command."""
    from engine.cases import printable

    text = printable(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: Any, pretty: bool = True) -> None:
    emit(to_json_line(data, indent=2 if pretty else None))


def say(message: str) -> None:
    """A message for the person at the terminal, to stderr."""
    sys.stdout.flush()
    sys.stderr.write(message if message.endswith("\n") else message + "\n")
    sys.stderr.flush()


def warn(message: str) -> None:
    say(f"redress: warning: {message}")


def fail(message: str, code: ExitCode = ExitCode.INPUT_ERROR, details: dict | None = None) -> NoReturn:
    raise Failure(message, code, details)


def report_failure(failure: Failure, as_json: bool) -> int:
    """Print a failure the way the user asked for output, and return its exit code."""
    if as_json:
        error = {"message": failure.message} | (failure.details or {})
        emit_json({"error": error})
    else:
        say(f"redress: error: {failure.message}")
    return int(failure.code)


def quiet_broken_pipe() -> int:
    """`redress eval ... | head` closed our stdout: stop quietly, as Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return int(ExitCode.OK)
