"""Every save of a policy, kept in one SQLite file beside the policies.

`<policy dir>/.redress-history.sqlite3` holds the saved text of each version with its digest, time,
user and an optional message, so Diff can compare the buffer with any earlier version, a version can
be restored, and one version per file can be *published* (marked as the one in force). Paths are
stored relative to that folder, so a folder of policies keeps its history when moved or copied.

A connection is opened per operation: SQLite connections may not cross threads, and the publish
check runs in a worker thread.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

from dsl.digest import text_digest

HISTORY_FILE = ".redress-history.sqlite3"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS saves (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    content TEXT NOT NULL,
    digest TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    user TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS saves_by_path ON saves (path, id);
CREATE TABLE IF NOT EXISTS publications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    save_id INTEGER NOT NULL REFERENCES saves (id),
    path TEXT NOT NULL,
    published_at TEXT NOT NULL,
    user TEXT NOT NULL
);
"""


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers): getpass raises OSError (3.13) or KeyError (pwd)
        return "unknown"


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class HistoryError(Exception):
    """The history database cannot be read or written. The policy file itself is not affected."""


@dataclass(frozen=True)
class Version:
    id: int
    path: str
    digest: str
    saved_at: str
    user: str
    message: str
    in_force: bool = False
    published_at: str | None = None  # when and by whom it was put in force, for the version in force
    published_by: str | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "path": self.path, "digest": self.digest, "saved_at": self.saved_at, "user": self.user,
                "message": self.message, "in_force": self.in_force, "published_at": self.published_at,
                "published_by": self.published_by}

    @property
    def label(self) -> str:
        """How a person picks the version from a list."""
        when = self.saved_at.replace("T", " ").removesuffix("Z")
        note = f" - {self.message}" if self.message else ""
        force = " (in force)" if self.in_force else ""
        return f"#{self.id} {when} {self.user}{force}{note}"


class History:
    """The save history of the policies in one folder."""

    def __init__(self, directory: str, clock: Callable[[], str] = utc_now, user: Callable[[], str] = current_user):
        self.directory = os.path.abspath(directory)
        self.path = os.path.join(self.directory, HISTORY_FILE)
        self.clock = clock
        self.user = user

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One connection for one operation, committed when it writes; any database failure
        (locked, corrupt, read-only folder) becomes a `HistoryError` naming the file."""
        try:
            with closing(sqlite3.connect(self.path, timeout=5)) as connection:
                if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                    with connection:
                        connection.executescript(_SCHEMA)
                        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                if write:
                    with connection:
                        yield connection
                else:
                    yield connection
        except sqlite3.Error as error:
            raise HistoryError(f"{self.path}: {error}") from None

    def _key(self, policy_path: str) -> str:
        return os.path.relpath(os.path.abspath(policy_path), self.directory)

    def record(self, policy_path: str, content: str, message: str = "") -> Version:
        """Add a version (every save calls this)."""
        key, digest, when, user = self._key(policy_path), text_digest(content), self.clock(), self.user()
        with self._connect(write=True) as connection:
            cursor = connection.execute(
                "INSERT INTO saves (path, content, digest, saved_at, user, message) VALUES (?, ?, ?, ?, ?, ?)",
                (key, content, digest, when, user, message))
            return Version(cursor.lastrowid, key, digest, when, user, message)

    def remember(self, policy_path: str, content: str, message: str) -> Version | None:
        """Record `content` unless it is already the latest version: keeps the text found on disk
        before a save overwrites it, so even a version written by another program can be restored."""
        latest = self.versions(policy_path)[:1]
        if latest and latest[0].digest == text_digest(content):
            return None
        return self.record(policy_path, content, message)

    def versions(self, policy_path: str) -> list[Version]:
        """Every version of one policy, newest first."""
        key = self._key(policy_path)
        if not os.path.exists(self.path):
            return []
        with self._connect() as connection:
            publication = self._publication(connection, key)
            rows = connection.execute(
                "SELECT id, path, digest, saved_at, user, message FROM saves WHERE path = ? ORDER BY id DESC", (key,))
            return [Version(*row, True, *publication[1:]) if publication and row[0] == publication[0] else Version(*row)
                    for row in rows]

    def content(self, version_id: int) -> str:
        with self._connect() as connection:
            row = connection.execute("SELECT content FROM saves WHERE id = ?", (version_id,)).fetchone()
        if row is None:
            raise KeyError(version_id)
        return row[0]

    def publish(self, version_id: int) -> None:
        """Mark a version as the one in force for its policy (the caller has checked it may be)."""
        with self._connect(write=True) as connection:
            row = connection.execute("SELECT path FROM saves WHERE id = ?", (version_id,)).fetchone()
            if row is None:
                raise KeyError(version_id)
            connection.execute("INSERT INTO publications (save_id, path, published_at, user) VALUES (?, ?, ?, ?)",
                               (version_id, row[0], self.clock(), self.user()))

    def in_force(self, policy_path: str) -> Version | None:
        return next((version for version in self.versions(policy_path) if version.in_force), None)

    def publications(self, policy_path: str) -> list[tuple[int, str, str]]:
        """Every publication of one policy, newest first: (version id, when, who)."""
        if not os.path.exists(self.path):
            return []
        with self._connect() as connection:
            return [tuple(row) for row in connection.execute(
                "SELECT save_id, published_at, user FROM publications WHERE path = ? ORDER BY id DESC", (self._key(policy_path),))]

    @staticmethod
    def _publication(connection: sqlite3.Connection, key: str) -> tuple[int, str, str] | None:
        """The latest publication: (version id, when, who)."""
        return connection.execute("SELECT save_id, published_at, user FROM publications WHERE path = ? ORDER BY id DESC LIMIT 1",
                                  (key,)).fetchone()


def history_of(policy_path: str) -> History:
    """The history that keeps `policy_path`'s versions: the one in its folder."""
    return History(os.path.dirname(os.path.abspath(policy_path)))


def published_text(policy_path: str) -> tuple[Version, str] | None:
    """The version in force of a policy and its text, or None when none was published."""
    history = history_of(policy_path)
    version = history.in_force(policy_path)
    return None if version is None else (version, history.content(version.id))
