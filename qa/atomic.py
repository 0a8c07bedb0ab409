"""Writing files so that a crash never leaves a half-written one where a complete one is expected:
write beside the target, fsync, rename over it, fsync the folder. Used for policies, case files and
result files alike.

The temporary file sits beside the target (a rename is atomic only within one filesystem), so a
writer killed with SIGKILL leaves it behind. Each writer holds an exclusive `flock` on its temporary
file while it writes; the next write to the same target removes every temporary file of that
target nobody holds a lock on. A kill releases the lock, so only abandoned files go, never the one
another process is writing right now.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def replacing(path: str) -> Iterator[str]:
    """A temporary path beside `path` to write to; when the block ends without an error, the
    temporary file is synced and renamed over `path` (keeping its permissions), else removed."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    remove_abandoned(path)
    lock, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield temporary
        handle = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    finally:
        os.close(lock)
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def remove_abandoned(path: str) -> None:
    """Remove the temporary files a killed writer left beside `path`."""
    directory = os.path.dirname(os.path.abspath(path))
    # mkstemp's names: the prefix, eight characters, the suffix.
    own = re.compile(rf"\.{re.escape(os.path.basename(path))}\.[a-z0-9_]{{8}}\.tmp")
    with os.scandir(directory) as entries:
        candidates = [entry.path for entry in entries if own.fullmatch(entry.name)]
    for candidate in candidates:
        try:
            handle = os.open(candidate, os.O_RDONLY)
        except OSError:
            continue  # gone already, or not ours to read
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live writer holds it
        else:
            try:
                os.unlink(candidate)
            except FileNotFoundError:
                pass
        finally:
            os.close(handle)


def write_atomically(path: str, text: str) -> None:
    with replacing(path) as temporary:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
