"""The whole chain: HTTP -> web bridge -> fleet manager -> robot agent -> NavigateToPose ->
navigation server -> simulator, and back. The robot must arrive at the named place."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request

import pytest

from suwon_fleet.core.sites import load_fleet

pytestmark = pytest.mark.ros

ARRIVAL_TOLERANCE_M = 0.5  # Nav2 system tests' tolerance


def post(fleet, path: str, body: dict) -> tuple[int, dict]:
    request = fleet.request(path, body)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def wait_for_task(fleet, task_id: str, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        task = fleet.get(f"/api/v1/tasks/{task_id}")
        if task["status"] in ("completed", "failed", "canceled", "killed", "error"):
            return task
        time.sleep(0.2)
    pytest.fail(f"task {task_id} not finished in {timeout_s} s: {task}")


def robot(fleet, robot_id: str) -> dict:
    return fleet.get(f"/api/v1/robots/{robot_id}")


def test_health_reports_both_robots_online(fleet) -> None:
    health = fleet.get("/health")
    assert health == {"status": "ok", "ros": True, "fleet_manager": True, "robots_online": 2}


def test_http_request_drives_robot_to_named_place(fleet) -> None:
    place = load_fleet().sites["city_hall"].places["saebit_counter_2"]
    status, body = post(fleet, "/api/v1/tasks",
                        {"type": "go_to_place", "site_id": "city_hall",
                         "place": "saebit_counter_2"})
    assert status == 202, body
    task = wait_for_task(fleet, body["task_id"], timeout_s=90)
    assert task["status"] == "completed", task
    assert task["robot_id"] == "lobby_1"
    deadline = time.monotonic() + 3.0  # the fleet state follows the result within ~0.2 s
    while (state := robot(fleet, "lobby_1"))["mode"] != "idle" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state["mode"] == "idle" and state["current_task_id"] == ""
    assert math.hypot(state["x"] - place.x, state["y"] - place.y) <= ARRIVAL_TOLERANCE_M


def test_unknown_place_is_404_with_nearest_matches(fleet) -> None:
    status, body = post(fleet, "/api/v1/tasks",
                        {"type": "go_to_place", "site_id": "city_hall", "place": "elevater"})
    assert status == 404
    assert body["title"] == "Unknown Place"
    assert "elevator_lobby" in body["suggestions"]


def test_fleet_state_streams_over_websocket(fleet) -> None:
    from websockets.sync.client import connect

    with connect(fleet.url.replace("http", "ws") + "/api/v1/fleet/ws",
                 subprotocols=["bearer", fleet.token]) as ws:
        assert ws.subprotocol == "bearer"
        first = json.loads(ws.recv(timeout=5))
        second = json.loads(ws.recv(timeout=5))
    assert first["type"] == "fleet_state"
    assert {r["robot_id"] for r in first["data"]["robots"]} == {"lobby_1", "docent_1"}
    assert second["data"]["stamp"] > first["data"]["stamp"]


def test_fleet_stream_refuses_a_missing_or_forged_token(fleet) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    url = fleet.url.replace("http", "ws") + "/api/v1/fleet/ws"
    for extra in ({}, {"subprotocols": ["bearer", fleet.token[:-4] + "AAAA"]}):
        with pytest.raises(InvalidStatus) as caught, connect(url, **extra):
            pass
        assert caught.value.response.status_code == 403
