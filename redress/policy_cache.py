"""Checked policies kept between runs, so `redress eval --case` checks a policy once per edit.

An agent calls `redress eval --case` once per case, and parsing and checking the policy (with Lark's
import) cost far more than deciding the case. So, as Python keeps `.pyc` files, the CLI keeps each
policy it has checked, pickled, under a key made of the policy's bytes, the path it was named by
and the language code that checked it (every `dsl` source file's name, size and modification time,
and the interpreter's version). Any edit of the policy or of Redress is a new key, so a stale entry
is never used; entries past the newest `KEEP` are removed.

The cache is a speed-up only: an entry that cannot be read or written is ignored and the policy
is checked as before. `REDRESS_CACHE_DIR` moves it; set to an empty string it turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys

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


def _entry_path(directory: str, path: str, data: bytes) -> str:
    key = hashlib.sha256(_language_fingerprint() + b"\0" + os.fsencode(path) + b"\0" + data).hexdigest()
    return os.path.join(directory, key + ".pickle")


def _is_ours(handle) -> bool:
    """Only an entry this user wrote and nobody else can change is unpickled."""
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
        _store(directory, entry, result)
    return result


def _store(directory: str, entry: str, result: CheckResult) -> None:
    """Write the entry beside its final name and rename it into place, so a reader never sees half
    of one; then drop the oldest entries past `KEEP`."""
    kept = CheckResult(result.policy, result.diagnostics, None, result.source)
    temporary = f"{entry}.{os.getpid()}.tmp"
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
        _prune(directory)
    except (OSError, pickle.PicklingError):
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _prune(directory: str) -> None:
    with os.scandir(directory) as entries:
        found = [(entry.stat().st_mtime_ns, entry.path) for entry in entries if entry.name.endswith(".pickle")]
    for _, stale in sorted(found, reverse=True)[KEEP:]:
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
