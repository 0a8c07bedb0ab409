"""Checked policies, and the SQL compiled from them, kept between runs, so `redress eval --case`
checks a policy once per edit and `redress replay` compiles its query once.

An agent calls `redress eval --case` once per case, and parsing and checking the policy (with Lark's
import) cost far more than deciding the case. So, as Python keeps `.pyc` files, the CLI keeps each
policy it has checked, pickled, under a key made of the policy's bytes, the path it was named by
and the language code that checked it (every `dsl` source file's name, size and modification time,
and the interpreter's version). Any edit of the policy or of Redress is a new key, so a stale entry
is never used; entries past the newest `KEEP` are removed.

The SQL engine's queries are kept the same way, as text (`remembered_sql`): compiling the policy
with sqlglot (and importing sqlglot) is a fifth of a million-row Parquet replay. Their key adds the
code that writes them (the `engine`, `engine/sql` and `qa` sources, and sqlglot's version).

The cache is a speed-up only: an entry that cannot be read or written is ignored and the policy
is checked as before. `REDRESS_CACHE_DIR` moves it; set to an empty string it turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from typing import IO, Callable

import dsl
from dsl.checker import CheckResult

KEEP = 100
_FORMAT = b"redress-policy-cache-1"


def cache_directory() -> str | None:
    """Where entries live: `$REDRESS_CACHE_DIR`, else `$XDG_CACHE_HOME/redress/policies`, else
    `~/.cache/redress/policies`; None when turned off."""
    configured = os.environ.get("REDRESS_CACHE_DIR")
    if configured is not None:
        return configured or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "redress", "policies")


def _language_fingerprint() -> bytes:
    """Changes whenever the code that turns text into a checked policy changes."""
    parts = [_FORMAT, sys.version.encode()]
    with os.scandir(os.path.dirname(dsl.__file__)) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith((".py", ".lark")):
                stat = entry.stat()
                parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return b"\0".join(parts)


def _query_fingerprint() -> bytes:
    """Changes whenever the code that turns a checked policy into SQL text changes."""
    from importlib.util import find_spec

    import engine
    import qa

    parts = [_language_fingerprint()]
    root = os.path.dirname(engine.__file__)
    for directory in (root, os.path.join(root, "sql"), os.path.dirname(qa.__file__)):
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_file() and entry.name.endswith(".py"):
                    stat = entry.stat()
                    parts.append(f"{entry.path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    spec = find_spec("sqlglot")  # its version, without importing it
    if spec is not None and spec.origin:
        stat = os.stat(spec.origin)
        parts.append(f"sqlglot:{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return b"\0".join(parts)


def _entry_path(directory: str, path: str, data: bytes) -> str:
    key = hashlib.sha256(_language_fingerprint() + b"\0" + os.fsencode(path) + b"\0" + data).hexdigest()
    return os.path.join(directory, key + ".pickle")


def remembered_sql(key: str, make: Callable[[], str]) -> str:
    """`make()`, the text of a query (or of why there is none) for `key`, or that text from the
    cache. `key` names everything the text depends on besides Redress's code (the policy's text,
    the relation's column types, which query)."""
    directory = cache_directory()
    if directory is None:
        return make()
    digest = hashlib.sha256(_query_fingerprint() + b"\0" + key.encode("utf-8", "surrogatepass")).hexdigest()
    entry = os.path.join(directory, digest + ".sql")
    try:
        with open(entry, "rb") as handle:
            if _is_ours(handle):  # DuckDB runs this text: only this user's own entry is trusted
                return handle.read().decode("utf-8")
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        pass  # a damaged entry is a miss; it is overwritten below
    text = make()
    _store(directory, entry, lambda handle: handle.write(text.encode("utf-8")))
    return text


def _is_ours(handle) -> bool:
    """Only an entry this user wrote and nobody else can change is read."""
    stat = os.fstat(handle.fileno())
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def cached_check(path: str, data: bytes, check) -> CheckResult:
    """`check(path, data)` for a policy, or its result from the cache. Only policies that check are
    kept: a broken one is re-checked every time, so its diagnostics are always fresh."""
    directory = cache_directory()
    if directory is None:
        return check(path, data)
    entry = _entry_path(directory, path, data)
    try:
        with open(entry, "rb") as handle:
            if _is_ours(handle):
                return pickle.load(handle)
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass  # a damaged or foreign entry is a miss; it is overwritten below
    result = check(path, data)
    if result.ok:
        kept = CheckResult(result.policy, result.diagnostics, None, result.source)
        _store(directory, entry, lambda handle: pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL))
    return result


def _store(directory: str, entry: str, write: Callable[[IO[bytes]], object]) -> None:
    """Write the entry beside its final name and rename it into place, so a reader never sees half
    of one; then drop the oldest entries of its kind past `KEEP`."""
    temporary = f"{entry}.{os.getpid()}.tmp"
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            write(handle)
        os.replace(temporary, entry)
        _prune(directory, os.path.splitext(entry)[1])
    except (OSError, pickle.PicklingError):
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _prune(directory: str, suffix: str) -> None:
    with os.scandir(directory) as entries:
        found = [(entry.stat().st_mtime_ns, entry.path) for entry in entries if entry.name.endswith(suffix)]
    for _, stale in sorted(found, reverse=True)[KEEP:]:
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
