"""Store first: calls, their event history, the delivery outbox and processed callbacks.

SQLite in WAL mode via the stdlib. A call, its first event and its outbox row are written in
one transaction before any delivery is tried, so a City outage or a crash can delay a call
but never lose it. Every status change writes the call and its event together; a half-done
change rolls back. ``synchronous=FULL`` because calls are few and each one is a person
waiting: a power cut must not eat the last committed call.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from suwon_web_bridge.calls.errors import CallNotFound, IdempotencyConflict, InvalidTransition
from suwon_web_bridge.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Channel,
    EventSource,
    NewCall,
    Priority,
    can_move,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    call_id TEXT PRIMARY KEY,
    robot_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    place_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    service_id TEXT,
    visitor_language TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    priority TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    delivered_at REAL,
    official_name TEXT,
    eta_minutes INTEGER,
    reason TEXT,
    delivery_attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    request_key TEXT,
    request_hash TEXT
);
CREATE INDEX IF NOT EXISTS calls_status ON calls(status);
CREATE INDEX IF NOT EXISTS calls_site ON calls(site_id, created_at);
CREATE INDEX IF NOT EXISTS calls_robot ON calls(robot_id, created_at);
-- A robot retrying a create with the same Idempotency-Key gets the same call.
CREATE UNIQUE INDEX IF NOT EXISTS calls_request_key ON calls(robot_id, request_key)
    WHERE request_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS call_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL REFERENCES calls(call_id),
    at REAL NOT NULL,
    status TEXT NOT NULL,
    previous_status TEXT,
    source TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS call_events_call ON call_events(call_id, seq);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL REFERENCES calls(call_id),
    kind TEXT NOT NULL,              -- deliver | cancel
    state TEXT NOT NULL,             -- pending | done | dropped | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    UNIQUE (call_id, kind)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS processed_callbacks (
    event_id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls(call_id),
    body_hash TEXT NOT NULL,
    at REAL NOT NULL
);
"""

_CALL_COLUMNS = ("call_id", "robot_id", "site_id", "place_id", "topic", "service_id",
                 "visitor_language", "note", "priority", "channel", "status", "created_at",
                 "updated_at", "delivered_at", "official_name", "eta_minutes", "reason",
                 "delivery_attempts", "last_error")
_EVENT_COLUMNS = ("seq", "call_id", "at", "status", "previous_status", "source", "payload")
# Columns a status change may set alongside the status.
_UPDATABLE = frozenset({"official_name", "eta_minutes", "reason", "delivered_at", "last_error"})


class OutboxKind(StrEnum):
    DELIVER = "deliver"
    CANCEL = "cancel"


class OutboxState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DROPPED = "dropped"  # no longer needed (call cancelled or answered before delivery)
    FAILED = "failed"  # attempts exhausted or permanently refused


@dataclass(frozen=True)
class OutboxItem:
    id: int
    call_id: str
    kind: OutboxKind
    state: OutboxState
    attempts: int
    next_attempt_at: float
    last_error: str | None


class CallStore:
    """Durable calls. Thread-safe. Writes go through one connection under a lock; reads use
    a second connection, so (thanks to WAL) a read never waits for a write's fsync. Writes
    block on fsync: async callers run them in a thread (the service and worker do)."""

    def __init__(self, db_path: Path | str) -> None:
        self.path = Path(db_path)
        if str(db_path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a transaction takes
        # the write lock up front and a check-then-write cannot race another writer.
        self._db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None,
                                   timeout=10.0)
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            # One transaction: one fsync instead of one per statement, and all or nothing.
            self._db.executescript(f"BEGIN IMMEDIATE;\n{SCHEMA}\nCOMMIT;")
        # ":memory:" is private to its connection, so there the reader is the writer.
        self._reader = self._db if str(db_path) == ":memory:" else sqlite3.connect(
            str(db_path), check_same_thread=False, isolation_level=None, timeout=10.0)
        self._read_lock = self._lock if self._reader is self._db else threading.Lock()

    def close(self) -> None:
        with self._lock, self._read_lock:
            if self._reader is not self._db:
                self._reader.close()
            self._db.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent snapshot across its SELECTs."""
        with self._read_lock:
            self._reader.execute("BEGIN")
            try:
                yield self._reader
            finally:
                self._reader.execute("COMMIT")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it commits, or none of it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ------------------------------------------------------------------ calls
    def create(self, new: NewCall, channel: Channel, *, request_key: str | None = None,
               request_hash: str | None = None, now: float | None = None) -> tuple[Call, bool]:
        """Store a call, its first event and its delivery outbox row, atomically.

        Returns ``(call, created)``; with a ``request_key`` already used by this robot the
        existing call comes back with ``created=False`` (a different body → conflict).
        """
        at = time.time() if now is None else now
        call_id = str(uuid.uuid4())
        with self._tx() as db:
            if request_key is not None:
                row = db.execute("SELECT call_id, request_hash FROM calls "
                                 "WHERE robot_id = ? AND request_key = ?",
                                 (new.robot_id, request_key)).fetchone()
                if row is not None:
                    if row[1] != request_hash:
                        raise IdempotencyConflict(request_key)
                    return self._get(db, row[0]), False
            db.execute(
                f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)}, request_key, request_hash) "
                f"VALUES ({', '.join('?' * (len(_CALL_COLUMNS) + 2))})",
                (call_id, new.robot_id, new.site_id, new.place_id, new.topic, new.service_id,
                 new.visitor_language, new.note, new.priority.value, channel.value,
                 CallStatus.PENDING.value, at, at, None, None, None, None, 0, None,
                 request_key, request_hash))
            self._add_event(db, call_id, at, CallStatus.PENDING, None, EventSource.ROBOT,
                            {"channel": channel.value})
            db.execute("INSERT INTO outbox (call_id, kind, state, attempts, next_attempt_at, "
                       "created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?, ?)",
                       (call_id, OutboxKind.DELIVER.value, OutboxState.PENDING.value, at, at,
                        at))
            return self._get(db, call_id), True

    def get(self, call_id: str) -> Call:
        """The call with its event history; ``CallNotFound`` if there is none."""
        with self._read() as db:
            return self._get(db, call_id)

    def list_calls(self, *, statuses: Sequence[CallStatus] = (), site_id: str | None = None,
             robot_id: str | None = None, channel: Channel | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[Call], int]:
        """A page of calls, newest first (without events), and how many match in total."""
        where, params = [], []
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params += [s.value for s in statuses]
        for column, value in (("site_id", site_id), ("robot_id", robot_id),
                              ("channel", channel.value if channel else None)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._read() as db:
            total = db.execute(f"SELECT COUNT(*) FROM calls{clause}", params).fetchone()[0]
            rows = db.execute(
                f"SELECT {', '.join(_CALL_COLUMNS)} FROM calls{clause} "
                "ORDER BY created_at DESC, call_id LIMIT ? OFFSET ?",
                [*params, limit, offset]).fetchall()
        return [_call_from_row(row) for row in rows], int(total)

    def transition(self, call_id: str, new_status: CallStatus, source: EventSource,
                   payload: dict[str, Any] | None = None, *,
                   fields: dict[str, Any] | None = None, event_id: str | None = None,
                   event_hash: str = "", now: float | None = None
                   ) -> tuple[Call, CallEvent | None]:
        """Move a call to ``new_status`` with its event, atomically.

        With an ``event_id`` (a City callback) a repeat of an already applied event changes
        nothing and returns ``(call, None)``. Raises ``CallNotFound``, ``InvalidTransition``
        or ``IdempotencyConflict`` (same event id, different body).
        """
        at = time.time() if now is None else now
        updates = dict(fields or {})
        if not set(updates) <= _UPDATABLE:
            raise ValueError(f"cannot set {sorted(set(updates) - _UPDATABLE)}")
        with self._tx() as db:
            if event_id is not None:
                seen = db.execute("SELECT call_id, body_hash FROM processed_callbacks "
                                  "WHERE event_id = ?", (event_id,)).fetchone()
                if seen is not None:
                    if seen[0] != call_id or seen[1] != event_hash:
                        raise IdempotencyConflict(event_id)
                    return self._get(db, call_id), None
            call = self._get(db, call_id, with_events=False)
            if not can_move(call.status, new_status):
                raise InvalidTransition(call_id, call.status, new_status)
            if new_status in (CallStatus.ACCEPTED, CallStatus.DECLINED) and \
                    call.delivered_at is None:
                # An answer proves the call arrived: stop delivering it.
                updates["delivered_at"] = at
                self._finish_outbox(db, call_id, OutboxKind.DELIVER, OutboxState.DONE, at)
            if new_status is CallStatus.CANCELLED:
                self._finish_outbox(db, call_id, OutboxKind.DELIVER, OutboxState.DROPPED, at)
                # Tell the City only if it may have the call (delivered or a POST was sent).
                if call.channel is Channel.CITY and (call.delivered_at is not None or
                                                     call.delivery_attempts > 0):
                    db.execute("INSERT OR IGNORE INTO outbox (call_id, kind, state, attempts, "
                               "next_attempt_at, created_at, updated_at) "
                               "VALUES (?, ?, ?, 0, ?, ?, ?)",
                               (call_id, OutboxKind.CANCEL.value, OutboxState.PENDING.value,
                                at, at, at))
            sets = ", ".join(f"{column} = ?" for column in updates)
            db.execute(f"UPDATE calls SET status = ?, updated_at = ?{', ' if sets else ''}{sets}"
                       " WHERE call_id = ?",
                       (new_status.value, at, *updates.values(), call_id))
            event = self._add_event(db, call_id, at, new_status, call.status, source,
                                    payload or {})
            if event_id is not None:
                db.execute("INSERT INTO processed_callbacks (event_id, call_id, body_hash, at) "
                           "VALUES (?, ?, ?, ?)", (event_id, call_id, event_hash, at))
            return self._get(db, call_id), event

    # ------------------------------------------------------------------ outbox
    def due_outbox(self, now: float | None = None, limit: int = 16) -> list[OutboxItem]:
        """Pending outbox rows whose next attempt is due, oldest first."""
        at = time.time() if now is None else now
        with self._read() as db:
            rows = db.execute(
                "SELECT id, call_id, kind, state, attempts, next_attempt_at, last_error "
                "FROM outbox WHERE state = ? AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at, id LIMIT ?",
                (OutboxState.PENDING.value, at, limit)).fetchall()
        return [_outbox_from_row(row) for row in rows]

    def next_due_at(self) -> float | None:
        """When the earliest pending outbox row is due (None: nothing pending)."""
        with self._read() as db:
            value = db.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE state = ?",
                                     (OutboxState.PENDING.value,)).fetchone()[0]
        return None if value is None else float(value)

    def outbox(self, call_id: str | None = None) -> list[OutboxItem]:
        """Outbox rows (of one call), in insertion order; for inspection and tests."""
        query = "SELECT id, call_id, kind, state, attempts, next_attempt_at, last_error " \
                "FROM outbox"
        params: tuple = ()
        if call_id is not None:
            query, params = query + " WHERE call_id = ?", (call_id,)
        with self._read() as db:
            rows = db.execute(query + " ORDER BY id", params).fetchall()
        return [_outbox_from_row(row) for row in rows]

    def begin_attempt(self, item: OutboxItem, now: float | None = None) -> int:
        """Count an attempt before sending, so a crash mid-request still counts it (and a
        cancel then knows the City may have the call). Returns the attempt number."""
        at = time.time() if now is None else now
        with self._tx() as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE id = ?",
                       (at, item.id))
            if item.kind is OutboxKind.DELIVER:
                db.execute("UPDATE calls SET delivery_attempts = delivery_attempts + 1 "
                           "WHERE call_id = ?", (item.call_id,))
            return int(db.execute("SELECT attempts FROM outbox WHERE id = ?",
                                  (item.id,)).fetchone()[0])

    def outbox_retry(self, item: OutboxItem, error: str, next_attempt_at: float,
                     now: float | None = None) -> None:
        """A failed attempt: keep the row pending, due again at ``next_attempt_at``."""
        at = time.time() if now is None else now
        with self._tx() as db:
            db.execute("UPDATE outbox SET last_error = ?, next_attempt_at = ?, updated_at = ? "
                       "WHERE id = ? AND state = ?",
                       (error, next_attempt_at, at, item.id, OutboxState.PENDING.value))
            if item.kind is OutboxKind.DELIVER:
                # Only a call still owed delivery shows the error (an answered one is fine).
                db.execute("UPDATE calls SET last_error = ? WHERE call_id = ? AND status = ?",
                           (error, item.call_id, CallStatus.PENDING.value))

    def outbox_postpone(self, item: OutboxItem, next_attempt_at: float) -> None:
        """Not attempted (circuit open): due again later, attempts unchanged."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = ?",
                       (next_attempt_at, item.id, OutboxState.PENDING.value))

    def outbox_done(self, item: OutboxItem, payload: dict[str, Any] | None = None,
                    now: float | None = None) -> tuple[Call, CallEvent | None]:
        """The City (or the board) has it. A delivery moves a still-pending call to
        ``delivered``; returns the call and that event (None when nothing changed)."""
        at = time.time() if now is None else now
        with self._tx() as db:
            self._finish_outbox(db, item.call_id, item.kind, OutboxState.DONE, at)
            call = self._get(db, item.call_id, with_events=False)
            if item.kind is OutboxKind.DELIVER and call.status is CallStatus.PENDING:
                db.execute("UPDATE calls SET status = ?, updated_at = ?, delivered_at = ?, "
                           "last_error = NULL WHERE call_id = ?",
                           (CallStatus.DELIVERED.value, at, at, item.call_id))
                event = self._add_event(db, item.call_id, at, CallStatus.DELIVERED,
                                        call.status, EventSource.SYSTEM, payload or {})
                return self._get(db, item.call_id), event
            return self._get(db, item.call_id), None

    def outbox_failed(self, item: OutboxItem, error: str, now: float | None = None
                      ) -> tuple[Call, CallEvent | None]:
        """Give up on a row. A failed delivery of a still-pending call makes it ``failed``."""
        at = time.time() if now is None else now
        with self._tx() as db:
            db.execute("UPDATE outbox SET state = ?, last_error = ?, updated_at = ? "
                       "WHERE id = ? AND state = ?",
                       (OutboxState.FAILED.value, error, at, item.id,
                        OutboxState.PENDING.value))
            call = self._get(db, item.call_id, with_events=False)
            if item.kind is OutboxKind.DELIVER and call.status is CallStatus.PENDING:
                db.execute("UPDATE calls SET status = ?, updated_at = ?, last_error = ? "
                           "WHERE call_id = ?",
                           (CallStatus.FAILED.value, at, error, item.call_id))
                event = self._add_event(db, item.call_id, at, CallStatus.FAILED, call.status,
                                        EventSource.SYSTEM,
                                        {"error": error, "attempts": item.attempts})
                return self._get(db, item.call_id), event
            return self._get(db, item.call_id), None

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _finish_outbox(db: sqlite3.Connection, call_id: str, kind: OutboxKind,
                       state: OutboxState, at: float) -> None:
        db.execute("UPDATE outbox SET state = ?, updated_at = ? "
                   "WHERE call_id = ? AND kind = ? AND state = ?",
                   (state.value, at, call_id, kind.value, OutboxState.PENDING.value))

    @staticmethod
    def _add_event(db: sqlite3.Connection, call_id: str, at: float, status: CallStatus,
                   previous: CallStatus | None, source: EventSource,
                   payload: dict[str, Any]) -> CallEvent:
        cursor = db.execute(
            "INSERT INTO call_events (call_id, at, status, previous_status, source, payload) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (call_id, at, status.value, previous.value if previous else None, source.value,
             json.dumps(payload, ensure_ascii=False)))
        return CallEvent(int(cursor.lastrowid or 0), call_id, at, status, previous, source,
                         payload)

    @staticmethod
    def _get(db: sqlite3.Connection, call_id: str, with_events: bool = True) -> Call:
        row = db.execute(f"SELECT {', '.join(_CALL_COLUMNS)} FROM calls WHERE call_id = ?",
                         (call_id,)).fetchone()
        if row is None:
            raise CallNotFound(call_id)
        events: tuple[CallEvent, ...] = ()
        if with_events:
            events = tuple(_event_from_row(r) for r in db.execute(
                f"SELECT {', '.join(_EVENT_COLUMNS)} FROM call_events WHERE call_id = ? "
                "ORDER BY seq", (call_id,)))
        return _call_from_row(row, events)


def _call_from_row(row: Sequence[Any], events: tuple[CallEvent, ...] = ()) -> Call:
    values = dict(zip(_CALL_COLUMNS, row, strict=True))
    values["priority"] = Priority(values["priority"])
    values["channel"] = Channel(values["channel"])
    values["status"] = CallStatus(values["status"])
    return Call(**values, events=events)


def _event_from_row(row: Sequence[Any]) -> CallEvent:
    seq, call_id, at, status, previous, source, payload = row
    return CallEvent(seq, call_id, at, CallStatus(status),
                     CallStatus(previous) if previous else None, EventSource(source),
                     json.loads(payload))


def _outbox_from_row(row: Sequence[Any]) -> OutboxItem:
    id_, call_id, kind, state, attempts, next_at, error = row
    return OutboxItem(id_, call_id, OutboxKind(kind), OutboxState(state), attempts, next_at,
                      error)
