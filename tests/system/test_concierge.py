"""The lobby concierge over ROS: what a visitor says (or taps) becomes answers, a guided walk
after confirmation, and an official call, through the real nodes. (Audio through vosk is
tested in tests/speech; this feeds the recognised words, as the speech node publishes them.)"""

from __future__ import annotations

import math
import threading
import time

import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from std_msgs.msg import String
from suwon_fleet_interfaces.msg import Heard, Say

from suwon_fleet.core.sites import load_fleet
from tests.conftest import TEST_REAL_TIME_FACTOR

pytestmark = pytest.mark.ros
HALL = load_fleet().sites["city_hall"]


class Visitor:
    """Talks to lobby_1 (publishes Heard) and listens to what it says (Say)."""

    def __init__(self) -> None:
        self.context = Context()
        rclpy.init(context=self.context)
        self.node = Node("test_visitor", context=self.context)
        self.said: list[Say] = []
        said = self.node.create_subscription(Say, "/lobby_1/speech/say", self.said.append, 10)
        self.heard = self.node.create_publisher(Heard, "/lobby_1/speech/heard", 10)
        # the simulator's people following lobby_1 (sim/guests.py)
        self.following = self.node.create_publisher(String, "/sim/lobby_1/tour_group", 10)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        threading.Thread(target=self.executor.spin, daemon=True).start()
        deadline = time.monotonic() + 60  # the concierge loads its content and analyser

        def ready() -> bool:  # both ways matched with the concierge and the robot agent
            return (self.heard.get_subscription_count() >= 2
                    and said.get_publisher_count() >= 2
                    and self.following.get_subscription_count() >= 1)

        while not ready() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready(), "no concierge listening on lobby_1"

    def say(self, text: str, timeout_s: float = 10.0) -> Say:
        """Speak, and return the robot's dialogue reply."""
        before = len(self.said)
        self.heard.publish(Heard(utterance_id=f"t-{time.monotonic_ns()}", robot_id="lobby_1",
                                 text=text, confidence=0.9, final=True, source="voice"))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            replies = [s for s in self.said[before:] if s.kind == Say.KIND_DIALOGUE]
            if replies:
                return replies[0]
            time.sleep(0.05)
        pytest.fail(f"no reply to {text!r}")

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1)
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture(scope="module")
def visitor(fleet):
    talker = Visitor()
    yield talker
    talker.close()


def tasks_of(fleet, robot_id: str) -> list[dict]:
    return fleet.get(f"/api/v1/tasks?robot_id={robot_id}&limit=500")["items"]


def test_passport_question_then_yes_guides_the_visitor_to_the_counter(fleet, visitor) -> None:
    before = {t["task_id"] for t in tasks_of(fleet, "lobby_1")}
    answer = visitor.say("여권 민원실 어디예요?")
    assert "1번 창구" in answer.text_ko and "?" in answer.text_ko  # where, and may I take you
    assert answer.text_en
    time.sleep(1.0)
    assert {t["task_id"] for t in tasks_of(fleet, "lobby_1")} == before, "moved unasked"

    visitor.say("네")
    deadline = time.monotonic() + 120
    guide = None
    while time.monotonic() < deadline:
        new = [t for t in tasks_of(fleet, "lobby_1") if t["task_id"] not in before]
        guide = next((t for t in new if t["type"] == "guide_visitor"), None)
        if guide and guide["status"] in ("completed", "failed", "canceled"):
            break
        time.sleep(0.5)
    assert guide and guide["status"] == "completed", guide
    assert guide["place"] == "saebit_counter_1"
    robot = fleet.get("/api/v1/robots/lobby_1")
    counter = HALL.places["saebit_counter_1"]
    assert math.hypot(robot["x"] - counter.x, robot["y"] - counter.y) <= 0.5


def test_the_robot_leads_at_walking_pace_and_waits_for_a_visitor_who_stops(fleet,
                                                                          visitor) -> None:
    """The simulator's visitor follows the escort; told to stop for 20 s half way, they fall
    behind: the robot sees it in the rear of its scan, stops, says it will wait, and goes on
    when they have caught up."""
    before = {t["task_id"] for t in tasks_of(fleet, "lobby_1")}
    start = fleet.get("/api/v1/robots/lobby_1")
    # Somewhere a long walk away, wherever the tests before left the robot (it starts at the
    # information desk).
    asks = {"information_desk": "종합안내데스크로 데려다 주세요",
            "saebit_counter_1": "새빛민원실 1번 창구로 데려다 주세요"}
    place_id = max(asks, key=lambda p: math.hypot(HALL.places[p].x - start["x"],
                                                   HALL.places[p].y - start["y"]))
    desk = HALL.places[place_id]
    visitor.say(asks[place_id])
    heard_from = len(visitor.said)
    visitor.say("네")

    def notices() -> list[str]:
        return [s.text_ko for s in visitor.said[heard_from:] if s.kind == Say.KIND_NOTICE]

    # Under way (and past the start grace) at walking pace, then the visitor stops.
    samples = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        robot = fleet.get("/api/v1/robots/lobby_1")
        samples.append((time.monotonic(), robot["x"], robot["y"]))
        if math.hypot(robot["x"] - start["x"], robot["y"] - start["y"]) > 6.0:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the escort did not get going: {robot}")
    visitor.following.publish(String(data='{"hold_s": 20}'))  # sim seconds
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any("기다릴게요" in n for n in notices()):
        time.sleep(0.2)
    assert any("기다릴게요" in n for n in notices()), notices()
    # It brakes from walking pace, then stands still: 1.5 s without moving 10 cm, found
    # within 10 s (a loaded machine's control loop may take a while to brake).
    track: list[tuple[float, float, float]] = []
    deadline = time.monotonic() + 10
    stood_still = False
    while time.monotonic() < deadline and not stood_still:
        now = fleet.get("/api/v1/robots/lobby_1")
        track.append((time.monotonic(), now["x"], now["y"]))
        window = [p for p in track if p[0] >= track[-1][0] - 1.5]
        stood_still = (track[-1][0] - track[0][0] >= 1.5 and all(
            math.hypot(x - now["x"], y - now["y"]) < 0.1 for _, x, y in window))
        time.sleep(0.25)
    assert stood_still, ("did not wait", [(round(x, 2), round(y, 2)) for _, x, y in track])
    assert now["mode"] == "guiding"

    deadline = time.monotonic() + 120
    guide = None
    while time.monotonic() < deadline:
        new = [t for t in tasks_of(fleet, "lobby_1") if t["task_id"] not in before]
        guide = next((t for t in new if t["type"] == "guide_visitor"), None)
        if guide and guide["status"] in ("completed", "failed", "canceled"):
            break
        time.sleep(0.5)
    assert guide and guide["status"] == "completed", guide
    said = notices()
    assert any("다시 출발" in n for n in said), said
    assert any("도착했습니다" in n and desk.name_ko in n for n in said), said
    robot = fleet.get("/api/v1/robots/lobby_1")
    assert math.hypot(robot["x"] - desk.x, robot["y"] - desk.y) <= 0.5
    # Walking pace: 0.7 m/s of sim time at most (the API's poses sampled on the wall clock,
    # 2 s apart so that the sampling jitter stays small; lobby robots can do 1.0 m/s).
    speeds = [math.hypot(x1 - x0, y1 - y0) / ((t1 - t0) * TEST_REAL_TIME_FACTOR)
              for (t0, x0, y0), (t1, x1, y1) in zip(samples, samples[4:], strict=False)]
    assert speeds and max(speeds) < 0.78, speeds


def test_asking_for_a_veteran_official_creates_a_call(fleet, visitor) -> None:
    visitor.say("베테랑 공무원 불러 주세요")
    visitor.say("네")
    deadline = time.monotonic() + 15
    calls: list[dict] = []
    while time.monotonic() < deadline and not calls:
        calls = fleet.get("/api/v1/calls?robot_id=lobby_1")["items"]
        time.sleep(0.3)
    assert calls, "no official call stored"
    assert calls[0]["site_id"] == "city_hall" and calls[0]["status"] in ("pending", "delivered")


def test_nonsense_gets_a_polite_re_ask_and_no_action(fleet, visitor) -> None:
    before = len(tasks_of(fleet, "lobby_1"))
    reply = visitor.say("asdf qwer zxcv")
    assert "다시" in reply.text_ko
    time.sleep(1.0)
    assert len(tasks_of(fleet, "lobby_1")) == before


def test_a_tap_on_the_screen_is_heard_like_speech(fleet, visitor) -> None:
    before = len(visitor.said)
    request = fleet.request("/api/v1/robots/lobby_1/screen/input", {"text": "화장실 어디예요"})
    import urllib.request

    urllib.request.urlopen(request, timeout=10).close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        replies = [s for s in visitor.said[before:] if s.kind == Say.KIND_DIALOGUE]
        if replies:
            assert "화장실" in replies[0].text_ko
            return
        time.sleep(0.05)
    pytest.fail("no reply to the tap")
