"""Alerts raised by the fleet (robot offline, low battery, e-stop, ...): list, acknowledge."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request

from suwon_web_bridge.auth.deps import Operator, Viewer
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.schemas import AlertOut

router = APIRouter(tags=["alerts"])


@router.get("/alerts", response_model=list[AlertOut])
async def list_alerts(_user: Viewer, request: Request,
                      unacknowledged: Annotated[bool, Query()] = False,
                      site_id: Annotated[str | None, Query(max_length=64)] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict]:
    """Newest first."""
    alerts = [asdict(a) for a in request.app.state.store.alerts(unacknowledged)]
    if site_id:
        alerts = [a for a in alerts if a["site_id"] == site_id]
    return alerts[::-1][:limit]


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
async def acknowledge(user: Operator, alert_id: str, request: Request) -> dict:
    store = request.app.state.store
    known = {a.alert_id: a for a in store.alerts()}
    if alert_id not in known:
        raise Problem(404, "Unknown Alert", f"no alert {alert_id!r}", "unknown-alert")
    if not store.acknowledge_alert(alert_id, user.username):
        alert = known[alert_id]
        raise Problem(409, "Already Acknowledged", f"acknowledged by {alert.acknowledged_by}",
                      "already-acknowledged")
    store.audit(user.username, "acknowledge_alert", known[alert_id].robot_id,
                {"alert_id": alert_id})
    return asdict(next(a for a in store.alerts() if a.alert_id == alert_id))
