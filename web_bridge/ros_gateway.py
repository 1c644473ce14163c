"""The web bridge's one rclpy node, spun on its own thread.

Created and destroyed by the FastAPI lifespan. ROS callbacks only convert messages to plain
dicts and store them under a lock; asyncio code reads those snapshots, and service results
reach asyncio through ``loop.call_soon_threadsafe`` (never touching asyncio from the spin
thread otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

import rclpy
from geometry_msgs.msg import PoseArray
from rclpy.context import Context
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool, Empty, String
from suwon_fleet_interfaces.msg import (
    FleetState,
    Heard,
    OfficialCallUpdate,
    RobotCommand,
    RobotState,
    Say,
    TaskRequest,
    TaskState,
)
from suwon_fleet_interfaces.srv import CreateOfficialCall, SendCommand, SubmitTask

from suwon_fleet.concierge.privacy import redact
from suwon_fleet.core.geometry import quaternion_to_yaw
from suwon_fleet.ros import topics
from suwon_fleet.ros.conversions import time_to_seconds
from suwon_fleet.ros.lean_node import LeanNode

SERVICE_TIMEOUT_S = 5.0
SCREEN_HISTORY = 20  # utterances kept per robot for its screen page
# What a visitor said (or tapped) stays on the robot's public screen this long, redacted: the
# screen confirms what the robot understood, and then forgets it.
HEARD_SHOW_S = 20.0
CARD_SHOW_S = 120.0  # an answer card (documents to bring...) stays up this long at most
CREATE_CALL_SERVICE = "/web_bridge/create_official_call"
# A robot that restarts learns the state of its calls from the last few updates.
CALL_UPDATES_QOS = QoSProfile(depth=20, reliability=ReliabilityPolicy.RELIABLE,
                              durability=DurabilityPolicy.TRANSIENT_LOCAL)

CallHandler = Callable[[CreateOfficialCall.Request], tuple[bool, str, str]]


class GatewayUnavailable(RuntimeError):
    """The fleet manager did not answer."""


class RosGateway:
    def __init__(self, node_name: str = "web_bridge", robot_ids: Iterable[str] = (),
                 site_ids: Iterable[str] = ()) -> None:
        self.context = Context()
        rclpy.init(context=self.context)
        # Per-robot entities by the dozen: none with a logging-only QoS-event handler.
        self.node = LeanNode(node_name, context=self.context)
        self._executor = SingleThreadedExecutor(context=self.context)
        self._executor.add_node(self.node)
        self._lock = threading.Lock()
        self._fleet: dict | None = None
        self._fleet_received = 0.0
        self._tasks: dict[str, dict] = {}
        self.version = 0  # bumps on every fleet state, so streams send only news
        self._fleet_text = ""  # the stream message, encoded once for every client
        self._loop: asyncio.AbstractEventLoop | None = None
        self._news: asyncio.Event | None = None  # set (and replaced) on each fleet state
        self._call_handler: CallHandler | None = None
        self._said: dict[str, deque[dict]] = {r: deque(maxlen=SCREEN_HISTORY) for r in robot_ids}

        self.node.create_subscription(FleetState, topics.FLEET_STATE, self._on_fleet, 10)
        self.node.create_subscription(TaskState, topics.TASK_UPDATES, self._on_task,
                                      topics.TASK_UPDATES_QOS)
        self._call_pubs = {}
        self._heard_pubs, self._listen_pubs = {}, {}
        self._listening: dict[str, bool] = {}
        self._heard: dict[str, dict] = {}  # robot -> the visitor's latest words (redacted)
        self._cards: dict[str, dict] = {}  # robot -> the concierge's answer card on screen
        self._tours: dict[str, dict] = {}  # robot -> its tour guide's latest tour/state
        # People the simulator walks about (/sim/visitors/<site>): shown on the dashboard's
        # maps in simulation; nothing is published there on a real site.
        self._visitors: dict[str, list[list[float]]] = {}
        for site_id in site_ids:
            self.node.create_subscription(
                PoseArray, f"/sim/visitors/{site_id}",
                lambda msg, s=site_id: self._on_visitors(s, msg), 1)
        for robot_id in self._said:
            self.node.create_subscription(Say, f"/{robot_id}/speech/say", self._on_say, 10)
            self._call_pubs[robot_id] = self.node.create_publisher(
                OfficialCallUpdate, f"/{robot_id}/official_call", CALL_UPDATES_QOS)
            self._heard_pubs[robot_id] = self.node.create_publisher(
                Heard, f"/{robot_id}/speech/heard", 10)
            self._listen_pubs[robot_id] = self.node.create_publisher(
                Empty, f"/{robot_id}/speech/listen", 10)
            self.node.create_subscription(
                Heard, f"/{robot_id}/speech/heard",
                lambda msg, r=robot_id: self._on_heard(r, msg), 10)
            self.node.create_subscription(
                String, f"/{robot_id}/screen/card",
                lambda msg, r=robot_id: self._on_card(r, msg), topics.INDICATOR_QOS)
            self.node.create_subscription(
                Bool, f"/{robot_id}/speech/listening",
                lambda msg, r=robot_id: self._listening.__setitem__(r, bool(msg.data)),
                topics.INDICATOR_QOS)
            self.node.create_subscription(
                String, f"/{robot_id}/tour/state",
                lambda msg, r=robot_id: self._on_tour_state(r, msg), topics.INDICATOR_QOS)
        self.node.create_service(CreateOfficialCall, CREATE_CALL_SERVICE, self._on_create_call)
        self._submit = self.node.create_client(SubmitTask, topics.SUBMIT_TASK)
        self._command = self.node.create_client(SendCommand, topics.SEND_COMMAND)
        self._thread = threading.Thread(target=self._spin, name="ros-spin", daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        with contextlib.suppress(ExternalShutdownException):
            self._executor.spin()

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop that streams wait on (called from the app's lifespan)."""
        self._loop = loop
        self._news = asyncio.Event()

    def close(self) -> None:
        self._executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        if self.context.ok():
            rclpy.shutdown(context=self.context)
        self._thread.join(timeout=2.0)

    # ---------------------------------------------------------------- subscriptions
    def _on_fleet(self, msg: FleetState) -> None:
        now = time.time()
        data = {
            "stamp": time_to_seconds(msg.header.stamp),
            "fleet_name": msg.fleet_name,
            "robots": [_robot_dict(r, now) for r in msg.robots],
            "active_tasks": [_task_dict(t) for t in msg.active_tasks],
            "visitors": self._visitors,  # replaced, never changed in place: safe to share
        }
        text = json.dumps({"type": "fleet_state", "data": data}, ensure_ascii=False)
        with self._lock:
            self._fleet = data
            self._fleet_text = text
            self._fleet_received = time.monotonic()
            self.version += 1
            for task in data["active_tasks"]:
                self._tasks.setdefault(task["task_id"], task)
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing
                self._loop.call_soon_threadsafe(self._pulse)

    def _pulse(self) -> None:
        """On the event loop: wake every stream waiting for news."""
        news, self._news = self._news, asyncio.Event()
        news.set()

    def _on_task(self, msg: TaskState) -> None:
        task = _task_dict(msg)
        with self._lock:
            self._tasks[task["task_id"]] = task

    def _on_say(self, msg: Say) -> None:
        said = {"utterance_id": msg.utterance_id, "kind": msg.kind, "text_ko": msg.text_ko,
                "text_en": msg.text_en, "language": msg.language, "rate": msg.rate,
                "image": msg.image, "stamp": time_to_seconds(msg.stamp)}
        with self._lock:
            history = self._said.get(msg.robot_id)
            if history is not None:
                history.append(said)

    # ---------------------------------------------------------------- official calls
    def set_call_handler(self, handler: CallHandler) -> None:
        self._call_handler = handler

    def _on_create_call(self, request: CreateOfficialCall.Request,
                        response: CreateOfficialCall.Response) -> CreateOfficialCall.Response:
        if self._call_handler is None:
            response.accepted, response.message = False, "the call system is not running"
            return response
        response.accepted, response.call_id, response.message = self._call_handler(request)
        return response

    def publish_call_update(self, update: OfficialCallUpdate) -> None:
        publisher = self._call_pubs.get(update.robot_id)
        if publisher is not None:
            publisher.publish(update)

    # ---------------------------------------------------------------- robot screen input
    def touch(self, robot_id: str, text: str) -> None:
        """A button on the robot's screen: heard exactly as if the visitor had said it."""
        msg = Heard(utterance_id=f"touch-{time.monotonic_ns()}", robot_id=robot_id, text=text,
                    confidence=1.0, final=True, source="touch")
        msg.stamp = self.node.get_clock().now().to_msg()
        self._heard_pubs[robot_id].publish(msg)

    def push_to_talk(self, robot_id: str) -> None:
        self._listen_pubs[robot_id].publish(Empty())

    def listening(self, robot_id: str) -> bool:
        return self._listening.get(robot_id, False)

    def _on_heard(self, robot_id: str, msg: Heard) -> None:
        if msg.final and msg.text.strip():
            self._heard[robot_id] = {"text": redact(msg.text.strip()),
                                     "source": msg.source or "voice", "stamp": time.time()}

    def _on_card(self, robot_id: str, msg: String) -> None:
        try:
            card = json.loads(msg.data)
        except ValueError:
            return
        if isinstance(card, dict):
            self._cards[robot_id] = {**card, "received": time.time()} if card else {}

    def card(self, robot_id: str) -> dict | None:
        """The answer card the robot's screen shows, for CARD_SHOW_S at most."""
        card = self._cards.get(robot_id)
        if not card or time.time() - card["received"] > CARD_SHOW_S:
            return None
        return card

    def heard(self, robot_id: str) -> dict | None:
        """The visitor's latest words at this robot, redacted, for HEARD_SHOW_S only."""
        heard = self._heard.get(robot_id)
        if heard is None or time.time() - heard["stamp"] > HEARD_SHOW_S:
            return None
        return heard

    def _on_visitors(self, site_id: str, msg: PoseArray) -> None:
        visitors = dict(self._visitors)
        visitors[site_id] = [[round(p.position.x, 2), round(p.position.y, 2)] for p in msg.poses]
        self._visitors = visitors

    def _on_tour_state(self, robot_id: str, msg: String) -> None:
        try:
            state = json.loads(msg.data)
        except ValueError:
            return
        if isinstance(state, dict):
            with self._lock:
                self._tours[robot_id] = state

    def tour(self, robot_id: str) -> dict | None:
        """The robot's tour as its tour guide last reported it (None: never on a tour)."""
        with self._lock:
            return self._tours.get(robot_id)

    # ---------------------------------------------------------------- reads
    async def wait_for_news(self, seen_version: int, timeout_s: float) -> bool:
        """Wait until a fleet state newer than ``seen_version`` exists; False on timeout."""
        if self.version != seen_version:
            return True
        news = self._news
        if news is None:
            await asyncio.sleep(timeout_s)
            return self.version != seen_version
        try:
            await asyncio.wait_for(news.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    def fleet_text(self) -> tuple[str, int]:
        with self._lock:
            return self._fleet_text, self.version

    def said(self, robot_id: str) -> list[dict]:
        """What the robot said lately, newest last."""
        with self._lock:
            return list(self._said.get(robot_id, ()))

    def fleet(self) -> dict | None:
        with self._lock:
            return self._fleet

    def fleet_manager_alive(self, within_s: float = 2.0) -> bool:
        with self._lock:
            return self._fleet is not None and time.monotonic() - self._fleet_received < within_s

    def task(self, task_id: str) -> dict | None:
        with self._lock:
            return self._tasks.get(task_id)

    def tasks(self) -> list[dict]:
        with self._lock:
            return list(self._tasks.values())

    # ---------------------------------------------------------------- calls
    async def submit_task(self, request: TaskRequest) -> SubmitTask.Response:
        return await self._call(self._submit, SubmitTask.Request(request=request))

    async def send_command(self, command: RobotCommand) -> SendCommand.Response:
        return await self._call(self._command, SendCommand.Request(command=command))

    async def _call(self, client, request):
        if not client.service_is_ready():
            raise GatewayUnavailable(f"{client.srv_name} is not available")
        loop = asyncio.get_running_loop()
        answer: asyncio.Future = loop.create_future()

        def done(ros_future) -> None:  # runs on the spin thread
            def deliver() -> None:
                if answer.done():
                    return
                exc = ros_future.exception()
                if exc is not None:
                    answer.set_exception(exc)
                else:
                    answer.set_result(ros_future.result())
            loop.call_soon_threadsafe(deliver)

        client.call_async(request).add_done_callback(done)
        try:
            return await asyncio.wait_for(answer, SERVICE_TIMEOUT_S)
        except TimeoutError as exc:
            raise GatewayUnavailable(f"{client.srv_name} did not answer in "
                                     f"{SERVICE_TIMEOUT_S:.0f} s") from exc


def _robot_dict(msg: RobotState, now: float) -> dict:
    q = msg.pose.orientation
    stamp = time_to_seconds(msg.header.stamp)
    return {
        "robot_id": msg.robot_id,
        "site_id": msg.site_id,
        "mode": msg.mode,
        "x": msg.pose.position.x,
        "y": msg.pose.position.y,
        "yaw": quaternion_to_yaw(q.x, q.y, q.z, q.w) if (q.w or q.z) else 0.0,
        "battery_percent": msg.battery_percent,
        "charging": msg.charging,
        "current_task_id": msg.current_task_id,
        "current_place": msg.current_place,
        "path": [(p.x, p.y) for p in msg.path],
        "errors": list(msg.errors),
        "last_seen_s": round(max(0.0, now - stamp), 2) if stamp > 0 else None,
    }


def _task_dict(msg: TaskState) -> dict:
    return {
        "task_id": msg.task_id,
        "type": msg.request.type,
        "site_id": msg.request.site_id,
        "place": msg.request.place,
        "robot_id": msg.robot_id,
        "status": msg.status,
        "message": msg.message,
        "progress": min(1.0, max(0.0, msg.progress)),
        "priority": msg.request.priority,
        "submitted_at": time_to_seconds(msg.submitted_at) or None,
        "updated_at": time_to_seconds(msg.updated_at) or None,
    }
