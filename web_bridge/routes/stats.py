"""Workload statistics from the fleet database: what the robots did, per day."""

from __future__ import annotations

import datetime as dt
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
    return {
        "days": days,
        "tasks_per_day": per_day([t.submitted_at for t in tasks], days, tz, now),
        "tasks_by_type": dict(Counter(t.type.value for t in tasks)),
        "tasks_by_status": dict(Counter(t.status.value for t in tasks)),
        "alerts_per_day": per_day([a.at for a in alerts], days, tz, now),
        "mean_task_seconds": round(statistics.fmean(durations), 1) if durations else None,
    }
