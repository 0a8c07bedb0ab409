"""Negotiation sessions in SQLite: one row per session, one row per event, one transaction per event.

Every event is written in a `BEGIN IMMEDIATE` transaction that first reads the session: two
processes answering the same session queue on the write lock, and each sees the other's event, so
none is lost. The event's sequence number is the primary key with the session id, so none is
written twice; a caller that says which event it answered (`expect_seq`) is told of a conflict
instead of answering a turn it never saw.

Amounts are stored as decimal text inside JSON: SQLite's DECIMAL affinity would turn `12.50` into
a binary float.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Iterator

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    seq INTEGER NOT NULL,          -- how many events the session has had
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    due_at TEXT,                   -- when the follow-up of a settled session falls due
    terms TEXT NOT NULL            -- JSON: the policy text, the case, the decision, the ladder's terms
);
CREATE INDEX IF NOT EXISTS sessions_by_status ON sessions (status, due_at);
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,            -- start, decline, counter, accept, done
    at TEXT NOT NULL,
    status TEXT NOT NULL,          -- the session's status after the event
    facts TEXT NOT NULL,           -- JSON: offers, amounts, approvers, escalation, note
    PRIMARY KEY (session_id, seq)
);
"""


class StoreError(Exception):
    """The store cannot be opened, read or written (not a database, a read-only folder...)."""


class UnknownSession(LookupError):
    def __init__(self, session_id: str, path: str):
        super().__init__(f"no session `{session_id}` in {path}")
        self.session_id = session_id


class Conflict(Exception):
    """Another call answered the session first."""

    def __init__(self, session_id: str, expected: int, found: "Event"):
        super().__init__(f"session `{session_id}` has moved on: you answered event {expected}, but event {found.seq} "
                         f"(`{found.kind}` at {found.at}, now {found.status}) came first; `show` it and answer again")
        self.session_id = session_id
        self.expected = expected
        self.found = found


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str
    at: str
    status: str
    facts: dict


@dataclass
class Session:
    id: str
    status: str
    seq: int
    opened_at: str
    updated_at: str
    due_at: str | None
    terms: dict
    events: list[Event] = field(default_factory=list)


class SessionStore:
    """The sessions in one SQLite file. A connection per operation: nothing is held between calls."""

    def __init__(self, path: str):
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as connection:
                if connection.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                    connection.execute("BEGIN IMMEDIATE")
                    for statement in _SCHEMA.split(";"):  # executescript would commit first
                        connection.execute(statement)
                    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    connection.execute("COMMIT")
                yield connection
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: {error}") from None

    @contextmanager
    def writing(self) -> Iterator["Transaction"]:
        """One event's transaction: `BEGIN IMMEDIATE`, committed when the block ends, rolled back
        when it raises."""
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(connection, self.path)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def load(self, session_id: str) -> Session:
        with self._connect() as connection:
            return _load(connection, session_id, self.path)

    def sessions(self, statuses: tuple[str, ...] = ()) -> list[Session]:
        """Every session (with its events), oldest first; only those in `statuses` if given."""
        with self._connect() as connection:
            query = "SELECT id FROM sessions"
            if statuses:
                query += f" WHERE status IN ({', '.join('?' * len(statuses))})"
            ids = [row[0] for row in connection.execute(query + " ORDER BY opened_at, rowid", statuses)]
            return [_load(connection, session_id, self.path) for session_id in ids]

    def due(self, by: str) -> list[Session]:
        """Settled sessions whose follow-up falls due at or before `by`, soonest first."""
        with self._connect() as connection:
            ids = [row[0] for row in connection.execute(
                "SELECT id FROM sessions WHERE status = 'settled' AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, rowid", (by,))]
            return [_load(connection, session_id, self.path) for session_id in ids]


class Transaction:
    """The reads and writes of one event, inside its `BEGIN IMMEDIATE`."""

    def __init__(self, connection: sqlite3.Connection, path: str):
        self.connection = connection
        self.path = path

    def load(self, session_id: str) -> Session:
        return _load(self.connection, session_id, self.path)

    def open_session(self, terms: dict, event: Event, due_at: str | None = None) -> Session:
        for _ in range(8):
            session_id = "s_" + secrets.token_hex(5)
            if self.connection.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
                break
        else:  # 16^10 ids: never in practice
            raise StoreError(f"{self.path}: no free session id")
        self.connection.execute(
            "INSERT INTO sessions (id, status, seq, opened_at, updated_at, due_at, terms) VALUES (?, ?, 0, ?, ?, ?, ?)",
            (session_id, "new", event.at, event.at, due_at, json.dumps(terms)))
        session = Session(session_id, "new", 0, event.at, event.at, due_at, terms)
        self.append(session, event, due_at)
        return session

    def append(self, session: Session, event: Event, due_at: str | None = None) -> None:
        """Write the session's next event; the update only applies if no other event came first."""
        updated = self.connection.execute(
            "UPDATE sessions SET status = ?, seq = ?, updated_at = ?, due_at = ? WHERE id = ? AND seq = ?",
            (event.status, event.seq, event.at, due_at, session.id, event.seq - 1))
        if updated.rowcount != 1:
            raise StoreError(f"{self.path}: session `{session.id}` changed inside its own transaction")
        self.connection.execute("INSERT INTO events (session_id, seq, kind, at, status, facts) VALUES (?, ?, ?, ?, ?, ?)",
                                (session.id, event.seq, event.kind, event.at, event.status, json.dumps(event.facts)))
        session.status, session.seq, session.updated_at, session.due_at = event.status, event.seq, event.at, due_at
        session.events.append(event)


def _load(connection: sqlite3.Connection, session_id: str, path: str) -> Session:
    row = connection.execute("SELECT id, status, seq, opened_at, updated_at, due_at, terms FROM sessions WHERE id = ?",
                             (session_id,)).fetchone()
    if row is None:
        raise UnknownSession(session_id, path)
    session = Session(*row[:6], json.loads(row[6]))
    session.events = [Event(seq, kind, at, status, json.loads(facts)) for seq, kind, at, status, facts in connection.execute(
        "SELECT seq, kind, at, status, facts FROM events WHERE session_id = ? ORDER BY seq", (session_id,))]
    return session
