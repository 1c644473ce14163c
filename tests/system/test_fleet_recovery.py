"""Fleet management with real processes: two lobby robots at City Hall, nodes killed for real.

A fleet of its own (lobby_1 and lobby_2 at City Hall) started by the project launcher with
respawn on, as `make demo` runs it: a SIGKILLed node comes back after RESPAWN_DELAY_S.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import rclpy
import yaml
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from std_msgs.msg import Float32
from suwon_fleet_interfaces.msg import RobotCommand
from suwon_fleet_interfaces.srv import SendCommand

from suwon_fleet.core import paths
from suwon_fleet.core.sites import load_fleet
from tests.conftest import (
    ADMIN_PASSWORD,
    READY_TIMEOUT_S,
    RunningFleet,
    _group_alive,
    free_port,
    node_pid,
)

pytestmark = [pytest.mark.ros, pytest.mark.own_fleet]

RESPAWN_DELAY_S = 6.0  # longer than offline detection, so the outage is seen
HALL = load_fleet().sites["city_hall"]


class TwoLobbyFleet:
    def __init__(self, root: Path) -> None:
        shutil.copytree(paths.maps_dir(), root / "maps")
        shutil.copytree(paths.config_dir() / "sites", root / "config" / "sites")
        fleet_file = root / "config" / "fleet.yaml"
        fleet_file.write_text(yaml.safe_dump({
            "fleet_name": "recovery_test", "sites": ["city_hall"],
            "robots": {
                "lobby_1": {"site": "city_hall", "home": "home_lobby_1", "dock": "dock_lobby_1"},
                "lobby_2": {"site": "city_hall", "home": "waiting_area", "dock": "dock_lobby_1"},
            },
            "simulation": {"visitors": {"city_hall": 0}},
        }))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = root / "launcher.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "suwon_fleet.launcher", "--fleet-file", str(fleet_file),
             "--port", str(port), "--respawn-delay", str(RESPAWN_DELAY_S),
             "--real-time-factor", "2", "--database", str(root / "fleet.db")],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "SUWON_BRIDGE_ADMIN_PASSWORD": ADMIN_PASSWORD})
        deadline = time.monotonic() + READY_TIMEOUT_S
        # Ready once both speech nodes have loaded their models (see tests/conftest.py).
        while ("Dashboard:" not in self.log_path.read_text()
               or self.log_path.read_text().count("]: speech for ") < 2):
            assert self.process.poll() is None and time.monotonic() < deadline, self.log()
            time.sleep(0.2)
        self.api = RunningFleet(self.url, self.process, self.log_path)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def get(self, path: str):
        return self.api.get(path)

    def post_task(self, **body) -> str:
        request = self.api.request("/api/v1/tasks", {"type": "go_to_place",
                                                     "site_id": "city_hall", **body})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["task_id"]

    def robot(self, robot_id: str) -> dict:
        return next(r for r in self.get("/api/v1/fleet")["robots"] if r["robot_id"] == robot_id)

    def task(self, task_id: str) -> dict:
        return self.get(f"/api/v1/tasks/{task_id}")

    def wait(self, condition, timeout_s: float, what: str, period: float = 0.1):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(period)
        pytest.fail(f"{what} not within {timeout_s} s\n{self.log()}")

    def pid_of(self, module: str, namespace: str = "") -> int:
        return node_pid(self.process.pid, module, namespace)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        deadline = time.monotonic() + 15
        while _group_alive(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()


class Operator:
    """A ROS node of the test's own: operator commands and simulator hooks."""

    def __init__(self) -> None:
        self.context = Context()
        rclpy.init(context=self.context)
        self.node = Node("test_operator", context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        threading.Thread(target=self.executor.spin, daemon=True).start()
        self.commands = self.node.create_client(SendCommand, "/fleet/send_command")

    def command(self, robot_id: str, command: str) -> SendCommand.Response:
        assert self.commands.wait_for_service(timeout_sec=10)
        request = SendCommand.Request(command=RobotCommand(
            robot_id=robot_id, command=command, issuer="test operator", reason="test"))
        future = self.commands.call_async(request)
        deadline = time.monotonic() + 5
        while not future.done() and time.monotonic() < deadline:
            time.sleep(0.02)
        return future.result()

    def set_battery(self, robot_id: str, percent: float) -> None:
        pub = self.node.create_publisher(Float32, f"/sim/{robot_id}/set_battery", 10)
        deadline = time.monotonic() + 5
        while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(3):
            pub.publish(Float32(data=percent))
            time.sleep(0.1)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1)
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    fleet = TwoLobbyFleet(tmp_path_factory.mktemp("two_lobby"))
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def operator(hall):
    op = Operator()
    yield op
    op.close()


def both_online(hall) -> bool:
    robots = hall.get("/api/v1/fleet")["robots"]
    return all(r["mode"] in ("idle", "charging") for r in robots)


def test_killed_agent_is_offline_in_3_s_its_task_moves_in_5_s_and_it_rejoins(hall) -> None:
    hall.wait(lambda: both_online(hall), 20, "both robots idle")
    far = HALL.places["restroom_accessible"]
    task_id = hall.post_task(place="restroom_accessible")
    victim = hall.wait(lambda: hall.task(task_id)["status"] == "underway"
                       and hall.task(task_id)["robot_id"], 10, "task underway")
    other = "lobby_2" if victim == "lobby_1" else "lobby_1"
    killed_at = time.monotonic()
    os.kill(hall.pid_of("suwon_fleet.fleet.agent_node", victim), signal.SIGKILL)

    hall.wait(lambda: hall.robot(victim)["mode"] == "offline", 5, "offline")
    offline_after = time.monotonic() - killed_at
    hall.wait(lambda: hall.task(task_id)["robot_id"] == other, 8, "re-dispatch")
    moved_after = time.monotonic() - killed_at
    assert offline_after <= 3.0 + 0.5, f"offline detected after {offline_after:.1f} s"
    assert moved_after <= 5.0, f"task re-dispatched after {moved_after:.1f} s"

    # The agent is respawned and rejoins; the task is done once, by the other robot.
    hall.wait(lambda: hall.robot(victim)["mode"] in ("idle", "charging"), 30, "rejoin")
    done = hall.wait(lambda: hall.task(task_id)["status"] in ("completed", "failed")
                     and hall.task(task_id), 90, "task finished")
    assert done["status"] == "completed" and done["robot_id"] == other
    robot = hall.robot(other)
    assert math.hypot(robot["x"] - far.x, robot["y"] - far.y) <= 0.5
    assert hall.robot(victim)["current_task_id"] == ""


def test_fleet_manager_killed_and_restarted_loses_no_task(hall) -> None:
    hall.wait(lambda: both_online(hall), 30, "both robots idle")
    running = hall.post_task(place="entrance", robot_id="lobby_1")
    waiting = hall.post_task(place="information_desk", robot_id="lobby_1")  # queued behind
    hall.wait(lambda: hall.task(running)["status"] == "underway", 10, "first task underway")
    assert hall.task(waiting)["status"] == "queued"
    os.kill(hall.pid_of("suwon_fleet.fleet.manager_node"), signal.SIGKILL)
    # Nothing answers for a while; then the manager is back from its database and both
    # tasks are carried out, in order, exactly once.
    for task_id in (running, waiting):
        done = hall.wait(lambda t=task_id: hall.task(t)["status"] in ("completed", "failed",
                                                                        "canceled"),
                         120, f"task {task_id} finished", period=0.5)
        assert done and hall.task(task_id)["status"] == "completed", (hall.task(task_id),
                                                                      hall.log())
    desk = HALL.places["information_desk"]
    robot = hall.robot("lobby_1")
    assert math.hypot(robot["x"] - desk.x, robot["y"] - desk.y) <= 0.5


def test_estop_during_navigation_stops_and_holds_until_release(hall, operator) -> None:
    hall.wait(lambda: both_online(hall), 30, "both robots idle")
    task_id = hall.post_task(place="saebit_counter_6", robot_id="lobby_2")
    hall.wait(lambda: hall.task(task_id)["status"] == "underway", 10, "underway")
    start = hall.robot("lobby_2")
    hall.wait(lambda: math.hypot(hall.robot("lobby_2")["x"] - start["x"],
                                 hall.robot("lobby_2")["y"] - start["y"]) > 0.5, 20, "moving")
    assert operator.command("lobby_2", "estop").accepted
    time.sleep(0.6)  # braking from at most 0.8 m/s at 2.5 m/s^2 takes 0.32 s
    stopped = hall.robot("lobby_2")
    assert stopped["mode"] == "estopped"
    time.sleep(2.0)
    held = hall.robot("lobby_2")
    assert math.hypot(held["x"] - stopped["x"], held["y"] - stopped["y"]) < 0.05
    assert operator.command("lobby_2", "resume").accepted  # ignored while e-stopped
    time.sleep(1.0)
    assert hall.robot("lobby_2")["mode"] == "estopped"
    assert operator.command("lobby_2", "release").accepted
    hall.wait(lambda: hall.robot("lobby_2")["mode"] == "paused", 5, "paused after release")
    assert operator.command("lobby_2", "resume").accepted
    done = hall.wait(lambda: hall.task(task_id)["status"] in ("completed", "failed")
                     and hall.task(task_id), 90, "task finished")
    assert done["status"] == "completed", "nothing lost: the task carried on"


def test_low_battery_robot_docks_and_charges(hall, operator) -> None:
    hall.wait(lambda: both_online(hall), 30, "both robots idle")
    operator.set_battery("lobby_1", 10.0)
    dock = HALL.places["dock_lobby_1"]
    hall.wait(lambda: hall.robot("lobby_1")["mode"] == "charging", 90, "docked and charging",
              period=0.5)
    robot = hall.robot("lobby_1")
    assert math.hypot(robot["x"] - dock.x, robot["y"] - dock.y) <= 0.5
    assert robot["charging"]
    # The dock task's outcome travels on its own topic; it may land a moment after the state.
    hall.wait(lambda: any(t["type"] == "dock" and t["status"] == "completed"
                          for t in hall.get("/api/v1/tasks?robot_id=lobby_1")["items"]),
              10, "the dock task reported completed")
