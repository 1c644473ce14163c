"""Workload statistics from the fleet database: what the robots did, per day."""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
import time
from collections import Counter
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request

from suwon_fleet.core.states import TaskStatus
from suwon_web_bridge.auth.deps import Viewer
from suwon_web_bridge.schemas import StatsOut

router = APIRouter(tags=["statistics"])


def per_day(stamps: list[float], days: int, tz: ZoneInfo, now: float) -> list[dict]:
    """Counts for each of the last ``days`` days (oldest first), zero days included."""
    today = dt.datetime.fromtimestamp(now, tz).date()
    counts = Counter(dt.datetime.fromtimestamp(s, tz).date() for s in stamps)
    return [{"day": (today - dt.timedelta(days=n)).isoformat(),
             "count": counts.get(today - dt.timedelta(days=n), 0)}
            for n in range(days - 1, -1, -1)]


@router.get("/stats", response_model=StatsOut)
async def stats(_user: Viewer, request: Request,
                days: Annotated[int, Query(ge=1, le=366)] = 14) -> dict:
    store = request.app.state.store
    fleet = request.app.state.fleet
    tz = ZoneInfo(next(iter(fleet.sites.values())).timezone) if fleet.sites else ZoneInfo("UTC")
    now = time.time()
    since = now - days * 86400
    tasks = [t for t in store.tasks() if t.submitted_at >= since]
    alerts = [a for a in store.alerts() if a.at >= since]
    durations = [t.updated_at - t.submitted_at for t in tasks
                 if t.status is TaskStatus.COMPLETED]
    extra = _workload(request.app.state.settings.database, since)
    interactions = per_day(extra.pop("_interaction_stamps"), days, tz, now)
    calls = per_day(extra.pop("_call_stamps"), days, tz, now)
    return {
        **extra,
        "interactions_per_day": interactions,
        "calls_per_day": calls,
        "days": days,
        "tasks_per_day": per_day([t.submitted_at for t in tasks], days, tz, now),
        "tasks_by_type": dict(Counter(t.type.value for t in tasks)),
        "tasks_by_status": dict(Counter(t.status.value for t in tasks)),
        "alerts_per_day": per_day([a.at for a in alerts], days, tz, now),
        "mean_task_seconds": round(statistics.fmean(durations), 1) if durations else None,
    }


def _rows(db: sqlite3.Connection, query: str, params: tuple) -> list[tuple]:
    """Rows of a table other nodes create (concierge, calls, tours); none yet is no rows."""
    try:
        return db.execute(query, params).fetchall()
    except sqlite3.OperationalError:  # no such table: that part of the system has not run
        return []


def _workload(database: str, since: float) -> dict:
    with sqlite3.connect(database, timeout=10.0) as db:
        turns = _rows(db, "SELECT at, intent FROM concierge_interactions WHERE at >= ?",
                      (since,))
        calls = _rows(db, "SELECT call_id, created_at, status FROM calls WHERE created_at >= ?",
                      (since,))
        accepted = dict(_rows(db, "SELECT e.call_id, MIN(e.at) FROM call_events e JOIN calls c "
                              "ON c.call_id = e.call_id WHERE e.status = 'accepted' AND "
                              "c.created_at >= ? GROUP BY e.call_id", (since,)))
        ratings = _rows(db, "SELECT course_id, rating FROM tour_ratings WHERE recorded_at >= ?",
                        (since,))
    waits = [accepted[call_id] - created for call_id, created, _ in calls if call_id in accepted]
    by_course: dict[str, list[int]] = {}
    for course, rating in ratings:
        by_course.setdefault(course, []).append(rating)
    return {
        "_interaction_stamps": [at for at, _ in turns],
        "_call_stamps": [created for _, created, _ in calls],
        "intents": dict(Counter(intent for _, intent in turns)),
        "calls_by_status": dict(Counter(status for _, _, status in calls)),
        "mean_official_wait_s": round(statistics.fmean(waits), 1) if waits else None,
        "tour_ratings": {course: round(statistics.fmean(r), 2) for course, r in by_course.items()},
        "tours_rated": len(ratings),
    }
