"""Official calls over ROS, end to end: a robot asks through /web_bridge/create_official_call,
the call is stored and shows on the embedded call board, an official accepts it there, and
the robot hears who is coming and when on /<robot>/official_call."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid

import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from suwon_fleet_interfaces.msg import OfficialCallUpdate
from suwon_fleet_interfaces.srv import CreateOfficialCall

from tests.conftest import BOARD_TOKENS

pytestmark = pytest.mark.ros
UPDATES_QOS = QoSProfile(depth=20, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)


@pytest.fixture(scope="module")
def robot(fleet):
    """Plays lobby_1's concierge: the service client and the updates it hears."""
    context = Context()
    rclpy.init(context=context)
    node = Node("test_concierge", context=context)
    updates: list[OfficialCallUpdate] = []
    node.create_subscription(OfficialCallUpdate, "/lobby_1/official_call", updates.append,
                             UPDATES_QOS)
    client = node.create_client(CreateOfficialCall, "/web_bridge/create_official_call")
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    assert client.wait_for_service(timeout_sec=20)

    def call(**fields) -> CreateOfficialCall.Response:
        request = CreateOfficialCall.Request(
            robot_id="lobby_1", site_id="city_hall", place_id="information_desk",
            topic="전입신고 문의 · moving-in report", service_id="", visitor_language="ko",
            note="", priority="normal")
        for key, value in fields.items():
            setattr(request, key, value)
        return client.call(request, timeout_sec=10)

    yield call, updates
    executor.shutdown(timeout_sec=1)
    node.destroy_node()
    rclpy.shutdown(context=context)


def board(fleet, path: str, body: dict | None = None) -> dict | list:
    request = urllib.request.Request(
        fleet.url + path, data=json.dumps(body).encode() if body is not None else None,
        headers={"X-Board-Token": BOARD_TOKENS["city_hall"], "Content-Type": "application/json"},
        method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} not within {timeout_s} s")


def test_robot_call_reaches_the_board_and_the_answer_reaches_the_robot(fleet, robot) -> None:
    call, updates = robot
    request_id = uuid.uuid4().hex
    first = call(request_id=request_id)
    assert first.accepted, first.message
    again = call(request_id=request_id)  # a retry after a lost answer: no second call
    assert again.accepted and again.call_id == first.call_id

    stored = fleet.get(f"/api/v1/calls/{first.call_id}")
    assert stored["robot_id"] == "lobby_1" and stored["place_id"] == "information_desk"
    wait_for(lambda: any(c["call_id"] == first.call_id
                         for c in board(fleet, "/api/v1/calls/board")["calls"]),
             10, "the call on the call board")
    board(fleet, f"/api/v1/calls/board/{first.call_id}/accept",
          {"official_name": "김민원 주무관", "eta_minutes": 3})

    accepted = wait_for(lambda: next((u for u in updates if u.call_id == first.call_id
                                      and u.status == "accepted"), None),
                        10, "the robot hearing the acceptance")
    assert accepted.official_name == "김민원 주무관" and accepted.eta_minutes == 3
    statuses = [u.status for u in updates if u.call_id == first.call_id]
    assert statuses[0] == "pending" and statuses[-1] == "accepted"


@pytest.mark.parametrize(("fields", "problem"), [
    ({"place_id": "rooftop"}, "unknown place"),
    ({"robot_id": "docent_1"}, "unknown robot"),
    ({"request_id": ""}, "request_id"),
    ({"priority": "whenever"}, "whenever"),
])
def test_bad_call_requests_are_refused_with_a_reason(robot, fields, problem) -> None:
    call, _ = robot
    answer = call(**{"request_id": uuid.uuid4().hex, **fields})
    assert not answer.accepted and problem in answer.message
