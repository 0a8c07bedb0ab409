"""Reading what users hand the CLI: policy files and cases (`JSON`, `@FILE`, `-` for stdin).

JSON is always read with exact decimals (`parse_float=Decimal`), so `100.02` stays 100.02.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable

from qa.exact_json import loads
from redress.output import ExitCode, counted, fail

if TYPE_CHECKING:
    from dsl.checker import CheckResult


def parse_json(text: str, decode: Callable[[str], Any] = loads) -> Any:
    """A case's JSON with exact numbers; `decode` is `qa.exact_json.stream_decoder()` for a stream."""
    try:
        return decode(text)
    except RecursionError:
        raise ValueError("nested too deeply to be a case") from None


def json_error_text(error: Exception, line: str | None = None) -> str:
    """Where JSON broke and why. Given `line` (one line of a --jsonl stream, whose number the
    caller reports), the place is its column, or its end when the line stops before the JSON does."""
    if not isinstance(error, json.JSONDecodeError):
        return f"invalid JSON: {error}"
    if line is None:
        return f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
    if error.pos >= len(line.rstrip()):
        return f"invalid JSON: the line ends (column {error.pos + 1}) before the JSON does: {error.msg}; is it cut short?"
    return f"invalid JSON at column {error.colno}: {error.msg}"


def why_unreadable(error: OSError | UnicodeDecodeError) -> str:
    """Why a file could not be read, in the words every command uses."""
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a directory, expected a file"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start})"
    return f"cannot read ({error.strerror})"


@contextmanager
def reading(path: str):
    """Turns the ways a file cannot be read into one clear message and exit code 2."""
    try:
        yield
    except (OSError, UnicodeDecodeError) as error:
        fail(f"{path}: {why_unreadable(error)}")


def read_text(path: str) -> str:
    """A file's text, or stdin for `-`."""
    with reading(path):
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as handle:
            return handle.read()


def read_policy_text(path: str) -> str:
    """A policy's text exactly as written, or stdin for `-`: no newline translation, so `fmt` sees
    the same carriage returns `check` does (see `dsl.source`)."""
    with reading(path):
        if path == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")


def load_checked_policy(path: str, published: bool = False) -> CheckResult:
    """Check a policy file (or take it from the cache of checked policies; or, `published`, check its
    version in force); one that does not check ends the command with its diagnostics (errors only,
    so the wording warnings are not computed)."""
    from redress.policy_cache import cached_check

    if published:
        result = _published(path)
    else:
        with reading(path):
            with open(path, "rb") as handle:
                data = handle.read()
            result = cached_check(path, data, _check)
    if not result.ok:
        from dsl.diagnostics import render

        errors = [d for d in result.diagnostics if d.severity == "error"]
        shown = "\n".join(render(d, result.source) for d in errors[:10])
        fail(f"{path} does not check ({counted(len(errors), 'error')}); run `redress check {path}`\n{shown}",
             ExitCode.INPUT_ERROR, {"diagnostics": [d.to_json() for d in errors]})
    return result


def _check(path: str, data: bytes) -> CheckResult:
    from dsl.checker import check_source

    return check_source(data.decode("utf-8"), path, data, wording=False)


def _published(path: str) -> CheckResult:
    from qa.history import HistoryError, published_text

    try:
        found = published_text(path)
    except HistoryError as error:
        fail(str(error))
    if found is None:
        fail(f"{path}: no version is in force (publish one from the workbench's History pane); "
             f"see `redress history {path}`")
    from dsl.checker import check_source

    return check_source(found[1], path, wording=False)


def _stdin_text() -> str:
    """Standard input decoded as UTF-8 whatever the locale says, or a clear error."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return sys.stdin.read()
    data = buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        fail(f"stdin: not UTF-8 text (byte 0x{data[error.start]:02x} at byte {error.start + 1})", ExitCode.INPUT_ERROR,
             {"field": None, "expected": "a JSON object in UTF-8 text"})


def read_case_argument(argument: str) -> Any:
    """`--case` takes JSON text, `@FILE` or `-` (stdin)."""
    if argument == "-":
        text, where = _stdin_text(), "stdin"
    elif argument.startswith("@"):
        text, where = read_text(argument[1:]), argument[1:]
    else:
        text, where = argument, "--case"
    try:
        return parse_json(text)
    except ValueError as error:
        fail(f"{where}: {json_error_text(error)}", ExitCode.INPUT_ERROR, {"field": None, "expected": "a JSON object"})
