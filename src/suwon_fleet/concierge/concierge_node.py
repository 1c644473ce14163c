"""Lobby concierge: one per lobby robot. Turns what the visitor said (or tapped) into answers
and actions through the ROS-free DialogueManager.

  subscribes  speech/heard (Heard, final results: voice or the screen's buttons),
              official_call (OfficialCallUpdate from the web bridge)
  publishes   speech/say (Say: every reply, spoken and shown on the robot's screen),
              screen/card (std_msgs/String, JSON, latched: the answer card the screen shows,
              e.g. a service's documents and fee; "{}" clears it)
  uses        /fleet/submit_task (SubmitTask: guide_visitor to a place, after the visitor
              confirmed), /web_bridge/create_official_call (CreateOfficialCall)

An official call is retried with the same request_id until the bridge has stored it, so a
bridge restart loses no call and never makes two. Transcripts are stored redacted only
(concierge/privacy.py), with a retention limit; every turn's intent is counted for the
City's statistics. No audio is stored anywhere.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String
from suwon_fleet_interfaces.msg import Heard, OfficialCallUpdate, Say, TaskRequest
from suwon_fleet_interfaces.srv import CreateOfficialCall, SubmitTask

from suwon_fleet.concierge.content import load_content
from suwon_fleet.concierge.dialogue import (
    CallOfficial,
    CallStaff,
    DialogueManager,
    EndConversation,
    Guide,
    Reply,
    ShowAnswer,
)
from suwon_fleet.concierge.privacy import TranscriptLog
from suwon_fleet.concierge.search_service import EmbeddedSearch, search_service_from_env
from suwon_fleet.core import paths
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.ros import topics
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare

CREATE_CALL_SERVICE = "/web_bridge/create_official_call"
CALL_RETRY_S = 2.0
CALL_UPDATES_QOS = QoSProfile(depth=20, reliability=ReliabilityPolicy.RELIABLE,
                              durability=DurabilityPolicy.TRANSIENT_LOCAL)
INTERACTIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS concierge_interactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    robot_id TEXT NOT NULL,
    intent TEXT NOT NULL,
    source TEXT NOT NULL,
    action TEXT NOT NULL DEFAULT ''
);
"""


def call_update_words(update: OfficialCallUpdate) -> tuple[str, str] | None:
    """What the robot tells the waiting visitor when their call changes."""
    if update.status == "accepted":
        who = update.official_name or "담당 공무원"
        when_ko = f" {update.eta_minutes}분 뒤에" if update.eta_minutes >= 0 else " 곧"
        when_en = f" in {update.eta_minutes} minutes" if update.eta_minutes >= 0 else " soon"
        return (f"{who}님이{when_ko} 이곳으로 오십니다. 잠시만 기다려 주세요.",
                f"{update.official_name or 'An official'} is coming here{when_en}. "
                "Please wait a moment.")
    if update.status == "arrived":
        return ("담당 공무원이 도착했습니다. 좋은 하루 되세요.",
                "The official is here. Have a good day.")
    if update.status in ("declined", "failed"):
        return ("죄송합니다. 지금은 담당 공무원이 오기 어렵습니다. "
                "종합안내데스크에서 도와드리겠습니다.",
                "Sorry, no official can come right now. The information desk will help you.")
    return None


def card_json(card: ShowAnswer) -> dict:
    return {"kind": card.kind, "id": card.id, "title_ko": card.title_ko,
            "title_en": card.title_en, "lines_ko": list(card.lines_ko),
            "lines_en": list(card.lines_en), "stamp": time.time()}


class Concierge(Node):
    def __init__(self) -> None:
        super().__init__("concierge")
        self.robot_id = declare(self, "robot_id", "", "this robot's id in fleet.yaml")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml; empty = the default")
        database = declare(self, "database", "", "SQLite file for redacted transcripts and "
                           "interaction counts; empty = policies.database")
        retention = declare(self, "transcript_retention_days", 30.0,
                            "redacted transcripts older than this are deleted")
        keep_transcripts = declare(self, "transcripts", True,
                                   "store redacted transcripts (never audio)")
        fleet = load_fleet(fleet_file or None)
        if self.robot_id not in fleet.robots:
            raise ValueError(f"robot_id {self.robot_id!r} is not in {fleet.source}")
        self.site_id = fleet.robots[self.robot_id].site
        content = load_content()
        # The City's search app when SUWON_SEARCH_URL is set, else the embedded search: the
        # same service the web bridge's search route uses.
        self.dialogue = DialogueManager(
            content, search=search_service_from_env(embedded=EmbeddedSearch(content)))
        db_path = database or fleet.policies.database
        if db_path != ":memory:" and not Path(db_path).is_absolute():
            db_path = str(paths.data_root() / db_path)
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None,
                                   timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(INTERACTIONS_SCHEMA)
        self.transcripts = TranscriptLog(self._db, retention_days=retention) \
            if keep_transcripts else None
        self._lock = threading.Lock()
        self._session = uuid.uuid4().hex[:12]
        self._last_heard = 0.0
        self._pending_calls: dict[str, CreateOfficialCall.Request] = {}
        self._my_calls: set[str] = set()

        group = ReentrantCallbackGroup()
        self.say_pub = self.create_publisher(Say, "speech/say", 10)
        # The answer card on the robot's screen (documents, fees, floor...): JSON, latched;
        # "{}" clears it.
        self.card_pub = self.create_publisher(String, "screen/card", topics.INDICATOR_QOS)
        self.card_pub.publish(String(data="{}"))
        self.create_subscription(Heard, "speech/heard", self._on_heard, 10,
                                 callback_group=group)
        self.create_subscription(OfficialCallUpdate, "official_call", self._on_call_update,
                                 CALL_UPDATES_QOS, callback_group=group)
        self.submit = self.create_client(SubmitTask, topics.SUBMIT_TASK, callback_group=group)
        self.create_call = self.create_client(CreateOfficialCall, CREATE_CALL_SERVICE,
                                              callback_group=group)
        self.create_timer(CALL_RETRY_S, self._retry_calls, callback_group=group)
        self.get_logger().info(f"concierge for {self.robot_id} at {self.site_id} ready")

    # ---------------------------------------------------------------- conversation
    def _on_heard(self, msg: Heard) -> None:
        if not msg.final:
            return
        with self._lock:
            now = time.time()
            if now - self._last_heard > 120.0:  # a new visitor: a new transcript session
                self._session = uuid.uuid4().hex[:12]
            self._last_heard = now
            reply = self.dialogue.hear(msg.text)
            if self.transcripts is not None:
                self.transcripts.add(self._session, "visitor", msg.text)
                self.transcripts.add(self._session, "robot", reply.text_ko)
            self._db.execute(
                "INSERT INTO concierge_interactions (at, robot_id, intent, source, action) "
                "VALUES (?, ?, ?, ?, ?)",
                (now, self.robot_id, reply.intent or "unknown", msg.source or "voice",
                 type(reply.action).__name__ if reply.action else ""))
        self.get_logger().info(f"heard {msg.text!r} -> {reply.intent}: {reply.text_ko}")
        self._say(reply.text_ko, reply.text_en, reply.rate)
        self._act(reply)

    def _act(self, reply: Reply) -> None:
        action = reply.action
        if isinstance(action, ShowAnswer):
            self.card_pub.publish(String(data=json.dumps(card_json(action), ensure_ascii=False)))
        elif isinstance(action, EndConversation):
            self.card_pub.publish(String(data="{}"))
        if isinstance(action, Guide):
            self._guide(action.place_id)
        elif isinstance(action, CallOfficial):
            self._request_call(action.topic, action.service_id or "", action.language,
                               action.note)
        elif isinstance(action, CallStaff):
            self._request_call("안내 직원 요청 · help at the robot", "", "ko",
                               f"robot could not help ({action.reason})")
        elif isinstance(action, EndConversation):
            with self._lock:
                self.dialogue.reset()

    def _say(self, ko: str, en: str, rate: float = 1.0, kind: str = Say.KIND_DIALOGUE) -> None:
        msg = Say(utterance_id=f"{self.robot_id}-{uuid.uuid4().hex[:10]}",
                  robot_id=self.robot_id, kind=kind, text_ko=ko, text_en=en, language="ko",
                  rate=float(rate))
        msg.stamp = self.get_clock().now().to_msg()
        self.say_pub.publish(msg)

    # ---------------------------------------------------------------- guiding
    def _guide(self, place_id: str) -> None:
        request = TaskRequest(type="guide_visitor", site_id=self.site_id, place=place_id,
                              robot_id=self.robot_id, priority=7, requester="concierge",
                              parameters_json="{}")
        if not self.submit.service_is_ready():
            self._say("죄송합니다. 지금은 안내해 드릴 수 없습니다. 화면의 지도를 봐 주세요.",
                      "Sorry, I cannot take you there right now. Please see the map on screen.")
            return
        self.submit.call_async(SubmitTask.Request(request=request)).add_done_callback(
            lambda future: self._guide_answer(future, place_id))

    def _guide_answer(self, future, place_id: str) -> None:
        response = future.result()
        if response is None or not response.accepted:
            reason = response.message if response else "no answer"
            self.get_logger().warning(f"guide to {place_id} refused: {reason}")
            self._say("죄송합니다. 지금은 안내해 드릴 수 없습니다.",
                      "Sorry, I cannot take you there right now.")

    # ---------------------------------------------------------------- official calls
    def _request_call(self, topic: str, service_id: str, language: str, note: str) -> None:
        request = CreateOfficialCall.Request(
            request_id=uuid.uuid4().hex, robot_id=self.robot_id, site_id=self.site_id,
            place_id=self._waiting_place(), topic=topic, service_id=service_id,
            visitor_language=language or "ko", note=note, priority="normal")
        with self._lock:
            self._pending_calls[request.request_id] = request
        self._send_call(request)

    def _waiting_place(self) -> str:
        """Where the visitor waits: the robot's home in the lobby (the robot stays there)."""
        return load_fleet().robots[self.robot_id].home

    def _send_call(self, request: CreateOfficialCall.Request) -> None:
        if not self.create_call.service_is_ready():
            return  # the retry timer tries again: the call waits here, not lost
        self.create_call.call_async(request).add_done_callback(
            lambda future: self._call_answer(future, request))

    def _call_answer(self, future, request: CreateOfficialCall.Request) -> None:
        response = future.result()
        if response is None:
            return
        with self._lock:
            if response.accepted:
                self._pending_calls.pop(request.request_id, None)
                self._my_calls.add(response.call_id)
            else:  # refused for good (bad request): tell the visitor, do not retry
                self._pending_calls.pop(request.request_id, None)
        if not response.accepted:
            self.get_logger().error(f"official call refused: {response.message}")
            self._say("죄송합니다. 호출하지 못했습니다. 종합안내데스크로 가 주세요.",
                      "Sorry, the call failed. Please go to the information desk.")

    def _retry_calls(self) -> None:
        with self._lock:
            pending = list(self._pending_calls.values())
        for request in pending:
            self._send_call(request)

    def _on_call_update(self, msg: OfficialCallUpdate) -> None:
        words = call_update_words(msg)
        with self._lock:
            mine = msg.call_id in self._my_calls
        if words and mine:
            self._say(*words, kind=Say.KIND_NOTICE)

    def destroy_node(self) -> None:
        self._db.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    run_node(Concierge, args)  # short callbacks only: one thread


if __name__ == "__main__":
    main()
