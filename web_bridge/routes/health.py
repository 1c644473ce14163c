"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from suwon_fleet.core.states import RobotMode
from suwon_web_bridge.ratelimit import limit
from suwon_web_bridge.schemas import Health

router = APIRouter(tags=["health"], dependencies=[Depends(limit("public"))])


@router.get("/health", response_model=Health)
async def health(request: Request) -> Health:
    gateway = request.app.state.gateway
    fleet = gateway.fleet() if gateway else None
    online = sum(1 for r in fleet["robots"] if r["mode"] != RobotMode.OFFLINE) if fleet else 0
    alive = bool(gateway and gateway.fleet_manager_alive())
    return Health(status="ok" if alive else "degraded", ros=gateway is not None,
                  fleet_manager=alive, robots_online=online)
