"""The fleet's memory: tasks with their state history, alerts, and the operators' audit log.

SQLite in WAL mode (readers never block the writer; a crash loses no committed write). Every
change is written before it is announced, so a fleet manager that dies and restarts finds
every task it had accepted. No ROS here.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from suwon_fleet.core.states import TaskStatus, TaskType
from suwon_fleet.fleet.tasks import TaskRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    site_id TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    robot_id TEXT NOT NULL DEFAULT '',
    requested_robot TEXT NOT NULL DEFAULT '',
    tour_id TEXT NOT NULL DEFAULT '',
    priority INTEGER NOT NULL DEFAULT 0,
    requester TEXT NOT NULL DEFAULT '',
    parameters_json TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    progress REAL NOT NULL DEFAULT 0,
    attempt INTEGER NOT NULL DEFAULT 0,
    submitted_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    queue_order INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks(status);
CREATE INDEX IF NOT EXISTS tasks_submitted ON tasks(submitted_at);
CREATE TABLE IF NOT EXISTS task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES tasks(task_id),
    at REAL NOT NULL,
    status TEXT NOT NULL,
    robot_id TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS task_events_task ON task_events(task_id);
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    at REAL NOT NULL,
    severity TEXT NOT NULL,
    robot_id TEXT NOT NULL DEFAULT '',
    site_id TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    message_ko TEXT NOT NULL,
    message_en TEXT NOT NULL,
    acknowledged_at REAL,
    acknowledged_by TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    robot_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    accepted INTEGER NOT NULL
);
"""

_TASK_COLUMNS = ("task_id", "type", "site_id", "place", "robot_id", "requested_robot",
                 "tour_id", "priority",
                 "requester", "parameters_json", "status", "message", "progress", "attempt",
                 "submitted_at", "updated_at", "queue_order")


@dataclass(frozen=True)
class Alert:
    alert_id: str
    at: float
    severity: str  # info | warning | critical
    robot_id: str
    site_id: str
    code: str
    message_ko: str
    message_en: str
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None


class FleetStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the node's threads, serialised by a lock: the writes are
        # small and few (task changes), and one writer is what SQLite wants anyway.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives a crash of the process (a power cut may lose
            # the last few); fsync per commit would cost more than the manager can spare.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---------------------------------------------------------------- tasks
    def save_task(self, task: TaskRecord, event: bool = True) -> None:
        """Insert or update a task, and append a history event when its status changed."""
        row = (task.task_id, task.type.value, task.site_id, task.place, task.robot_id,
               task.requested_robot, task.tour_id, task.priority, task.requester,
               task.parameters_json, task.status.value, task.message, task.progress, task.attempt,
               task.submitted_at, task.updated_at, task.order)
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            previous = self._db.execute("SELECT status, robot_id FROM tasks WHERE task_id = ?",
                                        (task.task_id,)).fetchone()
            self._db.execute(
                f"INSERT OR REPLACE INTO tasks ({', '.join(_TASK_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_TASK_COLUMNS))})", row)
            if event and (previous is None or previous != (task.status.value, task.robot_id)):
                self._db.execute(
                    "INSERT INTO task_events (task_id, at, status, robot_id, message) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (task.task_id, task.updated_at, task.status.value, task.robot_id,
                     task.message))

    def tasks(self, statuses: list[TaskStatus] | None = None) -> list[TaskRecord]:
        query = f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks"
        params: tuple = ()
        if statuses:
            query += f" WHERE status IN ({', '.join('?' * len(statuses))})"
            params = tuple(s.value for s in statuses)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY queue_order", params).fetchall()
        return [_task_from_row(row) for row in rows]

    def task_page(self, *, site_id: str | None = None, robot_id: str | None = None,
                  statuses: list[TaskStatus] | None = None, type_: TaskType | None = None,
                  offset: int = 0, limit: int = 50) -> tuple[int, list[TaskRecord]]:
        """Newest first, filtered and paged in SQL (the table grows by the month)."""
        where, params = [], []
        for column, value in (("site_id", site_id), ("robot_id", robot_id),
                              ("type", type_.value if type_ else None)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params += [s.value for s in statuses]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM tasks{clause}", params).fetchone()[0]
            rows = self._db.execute(
                f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks{clause} "
                "ORDER BY submitted_at DESC, queue_order DESC LIMIT ? OFFSET ?",
                [*params, limit, offset]).fetchall()
        return total, [_task_from_row(row) for row in rows]

    def task(self, task_id: str) -> TaskRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_TASK_COLUMNS)} FROM tasks "
                                   "WHERE task_id = ?", (task_id,)).fetchone()
        return _task_from_row(row) if row else None

    def open_tasks(self) -> list[TaskRecord]:
        return [t for t in self.tasks() if not t.status.is_terminal]

    def history(self, task_id: str) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT at, status, robot_id, message FROM task_events WHERE task_id = ? "
                "ORDER BY id", (task_id,)).fetchall()
        return [dict(zip(("at", "status", "robot_id", "message"), row, strict=True))
                for row in rows]

    def max_order(self) -> int:
        with self._lock:
            value = self._db.execute("SELECT MAX(queue_order) FROM tasks").fetchone()[0]
        return int(value) if value is not None else 0

    # ---------------------------------------------------------------- alerts
    def add_alert(self, alert: Alert) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                tuple(asdict(alert).values()))

    def alerts(self, unacknowledged_only: bool = False) -> list[Alert]:
        query = "SELECT * FROM alerts"
        if unacknowledged_only:
            query += " WHERE acknowledged_at IS NULL"
        with self._lock:
            rows = self._db.execute(query + " ORDER BY at").fetchall()
        return [Alert(*row) for row in rows]

    def acknowledge_alert(self, alert_id: str, by: str) -> bool:
        with self._lock, self._db:
            cursor = self._db.execute(
                "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? "
                "WHERE alert_id = ? AND acknowledged_at IS NULL", (time.time(), by, alert_id))
        return cursor.rowcount == 1

    # ---------------------------------------------------------------- audit
    def audit(self, actor: str, action: str, robot_id: str = "", detail: dict | None = None,
              accepted: bool = True) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO audit (at, actor, action, robot_id, detail, accepted) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), actor, action, robot_id, json.dumps(detail or {},
                                                                  ensure_ascii=False),
                 int(accepted)))

    def audit_log(self, limit: int = 100) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT at, actor, action, robot_id, detail, accepted FROM audit "
                "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [dict(zip(("at", "actor", "action", "robot_id", "detail", "accepted"), row,
                         strict=True)) for row in rows]


def _task_from_row(row: tuple) -> TaskRecord:
    data = dict(zip(_TASK_COLUMNS, row, strict=True))
    return TaskRecord(
        task_id=data["task_id"], type=TaskType(data["type"]), site_id=data["site_id"],
        place=data["place"], robot_id=data["robot_id"],
        requested_robot=data["requested_robot"], tour_id=data["tour_id"],
        priority=data["priority"], requester=data["requester"],
        parameters_json=data["parameters_json"], status=TaskStatus(data["status"]),
        message=data["message"], progress=data["progress"], attempt=data["attempt"],
        submitted_at=data["submitted_at"], updated_at=data["updated_at"],
        order=data["queue_order"])
