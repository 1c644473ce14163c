"""Users of the dashboard and API, in the fleet database, with argon2id password hashes."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    display_name TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
"""
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
MIN_PASSWORD_LENGTH = 8


class Role(IntEnum):
    """Ordered: each role may do everything the ones below it may."""

    VIEWER = 1  # sees the fleet, tasks, alerts, calls
    OPERATOR = 2  # also commands robots, submits tasks, acknowledges alerts
    ADMIN = 3  # also manages users

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Role:
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(f"unknown role {name!r}; roles: viewer, operator, admin") from None


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    display_name: str
    disabled: bool


class UserError(ValueError):
    pass


class UserStore:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        # argon2id with the library's defaults (RFC 9106 "second recommended" profile)
        self._hasher = PasswordHasher()

    def close(self) -> None:
        self._db.close()

    def add(self, username: str, password: str, role: Role | str,
            display_name: str = "") -> User:
        role = Role.parse(role) if isinstance(role, str) else role
        if not USERNAME_RE.match(username):
            raise UserError("username: 2-32 characters, lower-case letters, digits, . _ -, "
                            "starting with a letter")
        _check_password(password)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users (username, password_hash, role, display_name, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (username, self._hasher.hash(password), role.label, display_name,
                     time.time()))
            except sqlite3.IntegrityError:
                raise UserError(f"user {username!r} already exists") from None
        return User(username, role, display_name, False)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right and the account enabled, else None."""
        with self._lock:
            row = self._db.execute(
                "SELECT password_hash, role, display_name, disabled FROM users "
                "WHERE username = ?", (username,)).fetchone()
        if row is None:
            # Hash anyway so a wrong username takes as long as a wrong password.
            self._hasher.hash(password)
            return None
        stored, role, display_name, disabled = row
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            self.set_password(username, password)
        return User(username, Role.parse(role), display_name, False)

    def get(self, username: str) -> User | None:
        with self._lock:
            row = self._db.execute("SELECT username, role, display_name, disabled FROM users "
                                   "WHERE username = ?", (username,)).fetchone()
        return _user(row) if row else None

    def list(self) -> list[User]:
        with self._lock:
            rows = self._db.execute("SELECT username, role, display_name, disabled FROM users "
                                    "ORDER BY username").fetchall()
        return [_user(r) for r in rows]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0]

    def set_password(self, username: str, password: str) -> None:
        _check_password(password)
        self._update(username, "password_hash", self._hasher.hash(password))

    def set_role(self, username: str, role: Role | str) -> None:
        role = Role.parse(role) if isinstance(role, str) else role
        self._update(username, "role", role.label)

    def set_disabled(self, username: str, disabled: bool) -> None:
        self._update(username, "disabled", int(disabled))

    def remove(self, username: str) -> None:
        with self._lock:
            if self._db.execute("DELETE FROM users WHERE username = ?",
                                (username,)).rowcount == 0:
                raise UserError(f"no user {username!r}")

    def _update(self, username: str, column: str, value: object) -> None:
        with self._lock:  # column names come from this module only
            if self._db.execute(f"UPDATE users SET {column} = ? WHERE username = ?",
                                (value, username)).rowcount == 0:
                raise UserError(f"no user {username!r}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


def _user(row: tuple) -> User:
    username, role, display_name, disabled = row
    return User(username, Role.parse(role), display_name, bool(disabled))
