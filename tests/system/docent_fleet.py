"""A docent-only fleet for the tour tests and the tour benchmark, started by the launcher.

The arboretum's site file is copied with test courses added: short legs near the robot's home,
short narrations, a fast speech rate and short dwells, so a three-stop tour takes under two
simulated minutes. The map, zones and real courses are the site's own.
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
from collections.abc import Callable
from pathlib import Path

import rclpy
import yaml
from geometry_msgs.msg import PoseWithCovarianceStamped
from rclpy.action import ActionClient
from rclpy.context import Context
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String
from suwon_fleet_interfaces.action import ExecuteTask, RunTour
from suwon_fleet_interfaces.msg import Heard, RobotCommand, RobotState, Say, TaskRequest, TaskState
from suwon_fleet_interfaces.srv import SubmitTask

from suwon_fleet.core import paths
from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.ros import topics
from suwon_fleet.ros.conversions import pose_to_msg, time_to_seconds
from tests.conftest import ADMIN_PASSWORD, _group_alive, free_port, node_pid

ROBOT = "docent_1"
SITE = "ilwol_arboretum"
# People filling the visitor centre's door (3 m wide, on its east wall).
BLOCKING_CROWD = {"crowd_at": [43.2, 7.5], "people": 11, "radius_m": 1.3}


def _narration(ko: str, en: str) -> dict:
    return {"ko": ko, "en": en}


TEST_COURSES = {
    # Three stops from the robot's home: the main axis junction, the herb garden, the
    # greenhouse approach (a stop pose of its own on the main axis). About 50 m of walking.
    "test_short": {
        "name_ko": "시험 코스", "name_en": "Test course", "minutes": 5,
        "start": "home_docent_1",
        "stops": [
            {"place": "path_junction_1", "dwell_s": 3,
             "narration": _narration("여기는 중앙길 갈림길입니다.", "This is the main junction.")},
            {"place": "herb_garden", "dwell_s": 3,
             "narration": _narration("여기는 허브정원입니다.", "This is the herb garden.")},
            {"place": "greenhouse", "dwell_s": 3, "pose": {"x": 60.0, "y": 40.0, "yaw": 1.5708},
             "narration": _narration("저 앞이 전시온실입니다.", "Ahead is the greenhouse.")},
        ],
    },
    # The first aid room is inside the visitor centre, whose one door a test fills with a
    # crowd (BLOCKING_CROWD): the robot cannot get to it.
    "test_blocked": {
        "name_ko": "시험 막힌 코스", "name_en": "Test blocked course", "minutes": 5,
        "start": "home_docent_1",
        "stops": [
            {"place": "visitor_centre", "dwell_s": 3,
             "narration": _narration("여기는 방문자센터입니다.", "This is the visitor centre.")},
            {"place": "first_aid", "dwell_s": 3,
             "narration": _narration("여기는 응급처치실입니다.", "This is the first aid room.")},
            {"place": "main_gate", "dwell_s": 3,
             "narration": _narration("여기는 정문입니다.", "This is the main gate.")},
        ],
    },
    # Step-free from the rose garden: the direct way to the herb garden climbs the rose
    # garden's east slope (steeper than a ramp); the step-free way goes round by the south.
    "test_step_free": {
        "name_ko": "시험 무장애 코스", "name_en": "Test step-free course", "minutes": 5,
        "start": "rose_garden", "accessible": True,
        "stops": [
            {"place": "herb_garden", "dwell_s": 3,
             "narration": _narration("허브정원에 왔습니다.", "Here is the herb garden.")},
        ],
    },
}


def write_fleet(root: Path, visitors: int = 0, extra_courses: dict | None = None,
                tts_ko: float = 20.0, settle_s: float = 2.0) -> Path:
    """Config and maps under ``root`` for a fleet of docent_1 alone; returns fleet.yaml."""
    shutil.copytree(paths.maps_dir(), root / "maps", dirs_exist_ok=True)
    sites = root / "config" / "sites"
    sites.mkdir(parents=True, exist_ok=True)
    site = yaml.safe_load((paths.config_dir() / "sites" / f"{SITE}.yaml").read_text())
    site["docent"]["tts"] = {"ko": tts_ko, "en": tts_ko * 2, "sentence_pause_s": 0.3}
    # Tests run at any hour: course suggestions (by voice) must not find the grounds closed.
    site.pop("opening_hours", None)
    site["docent"]["settle_s"] = settle_s
    site["tours"].update(TEST_COURSES)
    site["tours"].update(extra_courses or {})
    (sites / f"{SITE}.yaml").write_text(yaml.safe_dump(site, allow_unicode=True))
    fleet_file = root / "config" / "fleet.yaml"
    fleet_file.write_text(yaml.safe_dump({
        "fleet_name": "docent_test", "sites": [SITE],
        "robots": {ROBOT: {"site": SITE, "home": "home_docent_1", "dock": "dock_docent_1",
                           "max_speed": 1.0}},
        "simulation": {"seed": 3, "visitors": {SITE: visitors}},
        # Tours started straight through the action leave the agent idle: no trip home.
        "policies": {"idle_return_s": 3600},
    }))
    return fleet_file


class DocentFleet:
    """The launcher running the docent fleet (respawning dead nodes after ``respawn_delay``,
    as `make demo` does; None: no respawn)."""

    def __init__(self, root: Path, real_time_factor: float, visitors: int = 0,
                 respawn_delay: float | None = None, extra_courses: dict | None = None,
                 **site) -> None:
        self.root = root
        fleet_file = write_fleet(root, visitors, extra_courses, **site)
        self.database = root / "fleet.db"
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = root / "launcher.log"
        self._log = self.log_path.open("w")
        args = [sys.executable, "-m", "suwon_fleet.launcher", "--fleet-file", str(fleet_file),
                "--port", str(port), "--real-time-factor", str(real_time_factor),
                "--database", str(self.database)]
        if respawn_delay is None:
            args.append("--no-respawn")
        else:
            args += ["--respawn-delay", str(respawn_delay)]
        self.process = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "SUWON_BRIDGE_ADMIN_PASSWORD": ADMIN_PASSWORD})
        deadline = time.monotonic() + 60
        while "Dashboard:" not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("docent fleet did not start:\n" + self.log())
            time.sleep(0.2)

    def pid_of(self, module: str) -> int:
        """The process id of one of the fleet's nodes, by its module."""
        return node_pid(self.process.pid, module)

    def log(self, tail: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def stop(self) -> bool:
        """Ctrl-C to the group; True if every node stopped cleanly within 15 s."""
        os.killpg(self.process.pid, signal.SIGINT)
        deadline = time.monotonic() + 15
        while _group_alive(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftover = _group_alive(self.process.pid)
        if leftover:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()
        return not leftover


LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)


class Visitor:
    """The test's own ROS node: a guest speaking and tapping, an operator, the sim's hooks,
    and a recorder of what the robot says, where it is and how its tour goes."""

    def __init__(self, robot: str = ROBOT) -> None:
        self.robot = robot
        self.context = Context()
        rclpy.init(context=self.context)
        self.node = Node("docent_test", context=self.context)
        self.executor = MultiThreadedExecutor(num_threads=2, context=self.context)
        self.executor.add_node(self.node)
        self.lock = threading.Lock()
        self.said: list[tuple[float, Say]] = []  # (sim time, message)
        self.states: list[dict] = []
        self.poses: list[tuple[float, Pose2D, str]] = []  # (sim time, pose, mode)
        self.tasks: dict[str, TaskState] = {}  # the fleet's task updates, latest per task
        self.task_feedback: list[ExecuteTask.Feedback] = []  # the agent's, as the manager sees
        self.sim_time = 0.0
        node = self.node
        node.create_subscription(Say, f"/{robot}/speech/say", self._on_say, 50)
        node.create_subscription(String, f"/{robot}/tour/state", self._on_state, LATCHED)
        node.create_subscription(RobotState, f"/{robot}/robot_state", self._on_robot, 10)
        node.create_subscription(TaskState, topics.TASK_UPDATES, self._on_task,
                                 topics.TASK_UPDATES_QOS)
        # The agent's ExecuteTask feedback travels on the action's feedback topic.
        node.create_subscription(ExecuteTask.Impl.FeedbackMessage,
                                 f"/{robot}/execute_task/_action/feedback",
                                 lambda m: self.task_feedback.append(m.feedback), 50)
        self.heard_pub = node.create_publisher(Heard, f"/{robot}/speech/heard", 10)
        self.command_pub = node.create_publisher(RobotCommand, f"/{robot}/command", 10)
        self.group_pub = node.create_publisher(String, f"/sim/{robot}/tour_group", 10)
        self.pose_pub = node.create_publisher(PoseWithCovarianceStamped,
                                              f"/{robot}/initialpose", 10)
        self.tours = ActionClient(node, RunTour, f"/{robot}/run_tour")
        self.submit = node.create_client(SubmitTask, "/fleet/submit_task")
        threading.Thread(target=self.executor.spin, daemon=True).start()

    # ------------------------------------------------------------------ recording
    def _on_say(self, msg: Say) -> None:
        with self.lock:
            self.said.append((self.sim_time, msg))

    def _on_state(self, msg: String) -> None:
        state = json.loads(msg.data)
        state["_sim_time"] = self.sim_time
        with self.lock:
            self.states.append(state)

    def _on_robot(self, msg: RobotState) -> None:
        # Sim time from the robot's 10 Hz state: a /clock subscription (100 Hz x the real-time
        # factor) would cost this process more than the robot's nodes spend on the tour.
        self.sim_time = max(self.sim_time, time_to_seconds(msg.header.stamp))
        q = msg.pose.orientation
        yaw = 2.0 * math.atan2(q.z, q.w)
        with self.lock:
            self.poses.append((self.sim_time, Pose2D(msg.pose.position.x, msg.pose.position.y,
                                                     yaw), msg.mode))

    def _on_task(self, msg: TaskState) -> None:
        with self.lock:
            self.tasks[msg.task_id] = msg

    def clear(self) -> None:
        with self.lock:
            self.said.clear()
            self.states.clear()
            self.poses.clear()
            self.task_feedback.clear()

    def narrations(self) -> list[str]:
        with self.lock:
            return [m.text_en for _, m in self.said if m.kind == "narration"]

    def sayings(self) -> list[str]:
        with self.lock:
            return [m.text_en for _, m in self.said]

    def state(self) -> dict:
        with self.lock:
            return dict(self.states[-1]) if self.states else {}

    def pose(self) -> Pose2D | None:
        with self.lock:
            return self.poses[-1][1] if self.poses else None

    def wait(self, condition: Callable[[], object], timeout_s: float, what: str):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"{what}: not within {timeout_s} s; said {self.sayings()[-8:]}, "
                             f"state {self.state()}")

    def wait_said(self, fragment: str, timeout_s: float, after: int = 0) -> int:
        """Index (in sayings()) of the first saying at or after ``after`` containing it."""
        def found():
            for i, text in enumerate(self.sayings()[after:], start=after):
                if fragment in text:
                    return i + 1  # 0 would read as "not yet"
            return 0
        return self.wait(found, timeout_s, f"the robot saying {fragment!r}") - 1

    # ------------------------------------------------------------------ acting
    def _publish(self, pub, msg, times: int = 1) -> None:
        deadline = time.monotonic() + 5
        while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(times):
            pub.publish(msg)

    def say(self, text: str, source: str = "voice") -> None:
        self._publish(self.heard_pub, Heard(robot_id=self.robot, text=text, confidence=0.9,
                                            final=True, source=source))

    def operator(self, command: str) -> None:
        self._publish(self.command_pub, RobotCommand(robot_id=self.robot, command=command,
                                                     issuer="test operator", reason="test"))

    def guests(self, **command) -> None:
        self._publish(self.group_pub, String(data=json.dumps(command)))

    def teleport(self, pose: Pose2D) -> None:
        msg = PoseWithCovarianceStamped()
        msg.header.frame_id = "map"
        msg.pose.pose = pose_to_msg(pose)
        self._publish(self.pose_pub, msg)
        self.wait(lambda: (p := self.pose()) is not None and abs(p.x - pose.x) < 0.2
                  and abs(p.y - pose.y) < 0.2, 10, "the robot placed")

    def run_tour(self, tour_id: str, language: str = "ko"):
        """Send a RunTour goal; returns (goal handle, result future, feedback list)."""
        assert self.tours.wait_for_server(timeout_sec=20), "no run_tour server"
        feedback: list = []
        future = self.tours.send_goal_async(RunTour.Goal(tour_id=tour_id, language=language),
                                            feedback_callback=lambda m: feedback.append(
                                                m.feedback))
        handle = self.wait(lambda: future.done() and future.result(), 10, "goal answered")
        assert handle.accepted
        return handle, handle.get_result_async(), feedback

    def submit_tour(self, tour_id: str, language: str = "ko") -> str:
        """A run_tour task for this robot through the fleet manager; returns its id."""
        assert self.submit.wait_for_service(timeout_sec=20), "no fleet manager"
        future = self.submit.call_async(SubmitTask.Request(request=TaskRequest(
            type="run_tour", site_id=SITE, robot_id=self.robot, tour_id=tour_id,
            requester="docent test", parameters_json=json.dumps({"language": language}))))
        response = self.wait(lambda: future.done() and future.result(), 10, "task submitted")
        assert response.accepted, response.message
        return response.task_id

    def task(self, task_id: str) -> TaskState | None:
        with self.lock:
            return self.tasks.get(task_id)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1)
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
