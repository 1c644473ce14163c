"""Fleet and robot state, over REST and a throttled WebSocket stream."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from suwon_web_bridge.auth.deps import Viewer, user_from_token, websocket_token
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.routes.deps import FleetDep, GatewayDep
from suwon_web_bridge.schemas import FleetOut, RobotOut

router = APIRouter(tags=["fleet"])

STREAM_MIN_PERIOD_S = 0.2  # at most 5 updates/s per client (Open-RMF's dashboard uses 2 Hz)


def _snapshot(gateway) -> dict:
    fleet = gateway.fleet()
    if fleet is None:
        raise Problem(503, "Fleet Unavailable", "no fleet state received from the fleet manager "
                      "yet; is it running?", "fleet-unavailable")
    return fleet


@router.get("/fleet", response_model=FleetOut)
async def get_fleet(_user: Viewer, gateway: GatewayDep) -> dict:
    return _snapshot(gateway)


@router.get("/robots/{robot_id}", response_model=RobotOut)
async def get_robot(_user: Viewer, robot_id: str, gateway: GatewayDep, fleet: FleetDep) -> dict:
    if robot_id not in fleet.robots:
        raise Problem(404, "Unknown Robot", f"no robot {robot_id!r}; robots: "
                      + ", ".join(fleet.robots), "unknown-robot")
    for robot in _snapshot(gateway)["robots"]:
        if robot["robot_id"] == robot_id:
            return robot
    raise Problem(503, "Robot Unavailable", f"no state for {robot_id} yet", "robot-unavailable")


@router.websocket("/fleet/ws")
async def stream_fleet(websocket: WebSocket) -> None:
    """Fleet state as it changes, at most 5 times a second. Authenticate with the
    subprotocol pair ["bearer", <token>] (browsers) or ?token=<token>."""
    token, subprotocol = websocket_token(websocket)
    try:
        user_from_token(websocket.app, token)
    except Problem as exc:
        # Close before accepting: the handshake fails with 403 and nothing is streamed.
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=exc.detail[:120])
        return
    await websocket.accept(subprotocol=subprotocol)
    gateway = websocket.app.state.gateway
    sent_version = -1
    try:
        while True:
            if gateway is not None and gateway.version != sent_version:
                fleet = gateway.fleet()
                if fleet is not None:
                    sent_version = gateway.version
                    await websocket.send_json({"type": "fleet_state", "data": fleet})
            await asyncio.sleep(STREAM_MIN_PERIOD_S)
    except (WebSocketDisconnect, RuntimeError):
        return
