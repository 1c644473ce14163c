"""Fleet and robot state, over REST and a throttled WebSocket stream."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect, status

from suwon_web_bridge.auth.deps import Viewer, user_from_token, websocket_token
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.routes.deps import FleetDep, GatewayDep
from suwon_web_bridge.schemas import FleetOut, RobotOut

router = APIRouter(tags=["fleet"])

DEFAULT_STREAM_HZ = 10.0  # the fleet manager publishes at 10 Hz: every state, at once
MAX_STREAM_HZ = 20.0


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
async def stream_fleet(websocket: WebSocket,
                       max_hz: float = Query(DEFAULT_STREAM_HZ, gt=0, le=MAX_STREAM_HZ)) -> None:
    """Fleet state as it changes, pushed the moment it arrives, at most ``max_hz`` times a
    second per client (a slow tablet can ask for less). Authenticate with the subprotocol
    pair ["bearer", <token>] (browsers) or ?token=<token>."""
    token, subprotocol = websocket_token(websocket)
    try:
        user_from_token(websocket.app, token)
    except Problem as exc:
        # Close before accepting: the handshake fails with 403 and nothing is streamed.
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=exc.detail[:120])
        return
    await websocket.accept(subprotocol=subprotocol)
    gateway = websocket.app.state.gateway
    if gateway is None:
        await websocket.close(code=status.WS_1011_INTERNAL_ERROR, reason="no ROS")
        return
    loop = asyncio.get_running_loop()
    period = 1.0 / max_hz
    # Throttle by a virtual schedule (GCRA): a state may go when the client's next slot is at
    # most half a period away. Anchoring on the last send instead made timer jitter pile up
    # into ~50 ms of lag at equal input and output rates (bench/web_bench.py).
    sent_version, next_slot = -1, 0.0
    try:
        while True:
            if not await gateway.wait_for_news(sent_version, timeout_s=5.0):
                continue
            early = next_slot - period / 2 - loop.time()
            if early > 0:  # throttled: send the newest state when this client may have one
                await asyncio.sleep(early)
            text, version = gateway.fleet_text()
            if version == sent_version or not text:
                continue
            # One encoding for all clients: fan-out costs a send per client, nothing more.
            await websocket.send_text(text)
            sent_version, next_slot = version, max(next_slot, loop.time()) + period
    except (WebSocketDisconnect, RuntimeError):
        return
