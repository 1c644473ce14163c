"""Guests' tour ratings in SQLite: one row per rated tour, and averages per course.

``RatingStore.record`` fits the runner's ``rating_sink``. The fleet's database (var/fleet.db)
is the natural home; any path works, ``:memory:`` for tests.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from suwon_fleet.docent.runner import TourResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tour_ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at REAL NOT NULL,          -- unix time
    site_id TEXT NOT NULL,
    robot_id TEXT NOT NULL,
    course_id TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    reason TEXT NOT NULL,               -- how the tour ended
    duration_s REAL NOT NULL,
    stops_narrated INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class CourseRating:
    course_id: str
    tours: int
    mean: float


class RatingStore:
    def __init__(self, path: Path | str, site_id: str, robot_id: str,
                 wall_clock=time.time) -> None:
        on_disk = str(path) != ":memory:"
        if on_disk:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        if on_disk:
            self.db.execute("PRAGMA journal_mode=WAL")  # readers (dashboard) never block us
        self.db.execute(_SCHEMA)
        self.db.commit()
        self.site_id = site_id
        self.robot_id = robot_id
        self.wall_clock = wall_clock

    def record(self, result: TourResult) -> None:
        """Store a rated tour (unrated tours are not stored)."""
        if result.rating is None:
            return
        self.db.execute(
            "INSERT INTO tour_ratings (recorded_at, site_id, robot_id, course_id, rating, "
            "reason, duration_s, stops_narrated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (self.wall_clock(), self.site_id, self.robot_id, result.course_id, result.rating,
             str(result.reason), result.duration_s, len(result.narrated_places)))
        self.db.commit()

    def by_course(self) -> list[CourseRating]:
        rows = self.db.execute(
            "SELECT course_id, COUNT(*), AVG(rating) FROM tour_ratings WHERE site_id = ? "
            "GROUP BY course_id ORDER BY course_id", (self.site_id,)).fetchall()
        return [CourseRating(c, n, round(m, 2)) for c, n, m in rows]

    def close(self) -> None:
        self.db.close()
