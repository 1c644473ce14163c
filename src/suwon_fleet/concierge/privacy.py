"""Transcript privacy: redact personal data, keep only redacted text, and not for long.

Visitors tell the robot their phone number, resident registration number or name while
asking for help. None of it is needed to improve the service, so it never reaches storage:
``redact`` replaces it with placeholders, and ``TranscriptLog`` stores only redacted text in
SQLite and deletes rows older than the retention period.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PHONE = "[전화번호]"
RRN = "[주민등록번호]"
NAME = "[이름]"
EMAIL = "[이메일]"

_SEP = r"[\s.\-]*"
# Resident registration number: YYMMDD-GNNNNNN (G = 1..8), with or without the hyphen.
_RRN_RE = re.compile(r"(?<!\d)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\s*-?\s*[1-8]\d{6}(?!\d)")
# Mobile 010-1234-5678 / 01012345678, landline 031-228-1234 / 02-123-4567, 1588-1234.
_PHONE_RE = re.compile(
    rf"(?<!\d)(01[016789]{_SEP}\d{{3,4}}{_SEP}\d{{4}}|0\d{{1,2}}{_SEP}\d{{3,4}}{_SEP}\d{{4}}"
    rf"|1[5-9]\d{{2}}{_SEP}\d{{4}})(?!\d)")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Spoken digits as a recogniser writes them: 공일공 일이삼사 오육칠팔, often with 에 between
# groups (공일공에 일이삼사에 ...). Eight or more digit words in a row is a number, not
# Korean: no everyday word is made of eight digit syllables. It must start a word; a
# particle may follow (오육칠팔로).
_DIGIT = "공영일이삼사오육륙칠팔구"
_SPOKEN_NUMBER_RE = re.compile(
    rf"(?<![가-힣])[{_DIGIT}](?:(?:\s|에\s?|다시\s?|-)?[{_DIGIT}]){{7,}}")
# Mixed forms: 공일공 1234 5678.
_MIXED_NUMBER_RE = re.compile(rf"(?<![가-힣])(?:공일공|영일영)(?:에)?{_SEP}\d{{3,4}}{_SEP}\d{{4}}")

_SURNAMES = ("김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구"
             "민진지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용")
_NAME_BODY = r"[가-힣]{1,3}"
# Self-stated names. The anchor phrase (이름은, 저는 ... 예요, ... 라고 합니다) says it is a
# name; for 저는 X예요 the surname check avoids redacting 저는 학생이에요.
_NAME_PATTERNS = [
    re.compile(rf"((?:제|내|저의|나의)?\s*이름은\s*|이름이\s*)({_NAME_BODY})"
               r"(?=\s*(?:입니다|이에요|예요|이고|인데|이요|요|라고|이라고|$|\s))"),
    re.compile(rf"((?:^|\s)(?:저는|전|나는|난|저)\s+)([{_SURNAMES}][가-힣]{{1,2}})"
               r"(?=\s*(?:입니다|이에요|예요|이고요|이고|인데요|인데|이요)(?:\s|$))"),
    re.compile(rf"(^|\s)([{_SURNAMES}][가-힣]{{1,2}})(?=\s*(?:이라고|라고)\s*(?:합니다|해요|하는데|"
               r"하고|불러|부릅니다))"),
    re.compile(rf"(^|\s)([{_SURNAMES}][가-힣]{{1,2}})(?=\s*(?:씨|님)?\s*(?:본인|본인입니다|본인이에요))"),
]


def redact(text: str) -> str:
    """Replace phone numbers, resident registration numbers, e-mail addresses and
    self-stated names with placeholders ([전화번호], [주민등록번호], [이메일], [이름])."""
    text = _RRN_RE.sub(RRN, text)
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _PHONE_RE.sub(PHONE, text)
    text = _MIXED_NUMBER_RE.sub(PHONE, text)
    text = _SPOKEN_NUMBER_RE.sub(PHONE, text)
    for pattern in _NAME_PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{NAME}", text)
    return text


@dataclass(frozen=True)
class TranscriptEntry:
    id: int
    at: float  # Unix time
    session: str
    speaker: str
    text: str


class TranscriptLog:
    """Redacted conversation transcripts in SQLite, kept for ``retention_days``.

    ``db`` is a path (created if missing) or an open sqlite3 connection. Old rows are purged
    on every write and by ``purge()``; ``clock`` returns Unix seconds (injectable for tests).
    """

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS concierge_transcript (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            session TEXT NOT NULL,
            speaker TEXT NOT NULL CHECK (speaker IN ('visitor', 'robot')),
            text TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS concierge_transcript_at ON concierge_transcript (at);
    """

    def __init__(self, db: str | Path | sqlite3.Connection, retention_days: float = 30.0,
                 clock: Callable[[], float] = time.time) -> None:
        if retention_days <= 0:
            raise ValueError("retention_days must be positive")
        self._own = not isinstance(db, sqlite3.Connection)
        self.conn = db if isinstance(db, sqlite3.Connection) else sqlite3.connect(str(db))
        self.retention_s = retention_days * 86400.0
        self.clock = clock
        self.conn.executescript(self._SCHEMA)
        self.conn.commit()

    def add(self, session: str, speaker: str, text: str) -> int:
        """Store one utterance, redacted; returns its row id."""
        if speaker not in ("visitor", "robot"):
            raise ValueError(f"speaker must be 'visitor' or 'robot', not {speaker!r}")
        now = self.clock()
        with self.conn:
            self._purge(now)
            cur = self.conn.execute(
                "INSERT INTO concierge_transcript (at, session, speaker, text) VALUES (?,?,?,?)",
                (now, session, speaker, redact(text)))
        return int(cur.lastrowid or 0)

    def purge(self) -> int:
        """Delete rows older than the retention period; returns how many."""
        with self.conn:
            return self._purge(self.clock())

    def _purge(self, now: float) -> int:
        cur = self.conn.execute("DELETE FROM concierge_transcript WHERE at < ?",
                                (now - self.retention_s,))
        return cur.rowcount

    def entries(self, session: str | None = None) -> list[TranscriptEntry]:
        """Stored rows, oldest first (all sessions, or one)."""
        query = "SELECT id, at, session, speaker, text FROM concierge_transcript"
        args: tuple[str, ...] = ()
        if session is not None:
            query += " WHERE session = ?"
            args = (session,)
        rows = self.conn.execute(query + " ORDER BY at, id", args).fetchall()
        return [TranscriptEntry(*row) for row in rows]

    def close(self) -> None:
        """Close the connection if this log opened it."""
        if self._own:
            self.conn.close()
