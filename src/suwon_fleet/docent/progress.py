"""How far a tour under way has got, in the fleet's database, so nothing is lost to a crash.

The tour guide saves its tour at every stop; a tour guide restarted mid-tour (the launcher
respawns it, the robot agent sends its goal again) finds the record and takes the tour up at
the stop it was heading for, without the introduction and without narrating a stop twice.
One row per robot; a finished tour deletes its row, and a record older than the caller's limit
is a tour abandoned long ago, not one to resume.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from suwon_fleet.docent.runner import StopOutcome

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tour_progress (
    robot_id TEXT PRIMARY KEY,
    tour_id TEXT NOT NULL,
    language TEXT NOT NULL,
    season TEXT NOT NULL DEFAULT '',
    next_stop INTEGER NOT NULL,         -- the first stop not yet narrated or skipped
    elapsed_s REAL NOT NULL,            -- of the tour so far
    outcomes TEXT NOT NULL,             -- JSON: [{index, place, status, reason}]
    narrations TEXT NOT NULL,           -- JSON: place ids narrated, in order
    updated_at REAL NOT NULL            -- unix time
)
"""


@dataclass(frozen=True)
class TourProgress:
    tour_id: str
    language: str
    season: str
    next_stop: int
    elapsed_s: float
    outcomes: list[StopOutcome] = field(default_factory=list)
    narrations: list[str] = field(default_factory=list)
    updated_at: float = 0.0


class ProgressStore:
    def __init__(self, path: Path | str, robot_id: str, wall_clock=time.time) -> None:
        on_disk = str(path) != ":memory:"
        if on_disk:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        if on_disk:
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(_SCHEMA)
        self.db.commit()
        self.robot_id = robot_id
        self.wall_clock = wall_clock

    def save(self, progress: TourProgress) -> None:
        outcomes = [{"index": o.index, "place": o.place, "status": o.status, "reason": o.reason}
                    for o in progress.outcomes]
        self.db.execute(
            "INSERT OR REPLACE INTO tour_progress (robot_id, tour_id, language, season, "
            "next_stop, elapsed_s, outcomes, narrations, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.robot_id, progress.tour_id, progress.language, progress.season,
             progress.next_stop, progress.elapsed_s, json.dumps(outcomes),
             json.dumps(progress.narrations), self.wall_clock()))
        self.db.commit()

    def load(self, max_age_s: float) -> TourProgress | None:
        """This robot's unfinished tour, if saved within ``max_age_s``."""
        row = self.db.execute(
            "SELECT tour_id, language, season, next_stop, elapsed_s, outcomes, narrations, "
            "updated_at FROM tour_progress WHERE robot_id = ?", (self.robot_id,)).fetchone()
        if row is None or self.wall_clock() - row[7] > max_age_s:
            return None
        outcomes = [StopOutcome(o["index"], o["place"], o["status"], o["reason"])
                    for o in json.loads(row[5])]
        return TourProgress(row[0], row[1], row[2], row[3], row[4], outcomes,
                            json.loads(row[6]), row[7])

    def clear(self) -> None:
        self.db.execute("DELETE FROM tour_progress WHERE robot_id = ?", (self.robot_id,))
        self.db.commit()

    def close(self) -> None:
        self.db.close()
