"""The robot's ears and voice on the real graph: Korean speech synthesised with espeak-ng goes
in on lobby_1's microphone topic, through VAD and vosk to speech/heard, and the concierge
answers; what the robot says is spoken (the microphone is muted meanwhile)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from std_msgs.msg import Bool, UInt8MultiArray
from suwon_fleet_interfaces.msg import Heard, Say

from suwon_fleet.ros import topics
from suwon_fleet.speech.synth import synthesize

pytestmark = pytest.mark.ros
CHUNK = 1600  # 100 ms of 16 kHz audio per message, as a microphone driver would send


class Microphone:
    def __init__(self) -> None:
        self.context = Context()
        rclpy.init(context=self.context)
        self.node = Node("test_microphone", context=self.context)
        self.audio = self.node.create_publisher(UInt8MultiArray, "/lobby_1/audio/in", 50)
        self.heard: list[Heard] = []
        self.said: list[Say] = []
        self.speaking: list[tuple[float, bool]] = []
        self.heard_sub = self.node.create_subscription(Heard, "/lobby_1/speech/heard",
                                                       self.heard.append, 10)
        self.node.create_subscription(Say, "/lobby_1/speech/say", self.said.append, 10)
        self.node.create_subscription(
            Bool, "/lobby_1/speech/speaking",
            lambda msg: self.speaking.append((time.monotonic(), msg.data)), topics.INDICATOR_QOS)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        threading.Thread(target=self.executor.spin, daemon=True).start()
        deadline = time.monotonic() + 60  # the recogniser and the concierge load their data

        def ready() -> bool:  # the speech node hears us and we it; the concierge listens
            return (self.audio.get_subscription_count() > 0
                    and self.heard_sub.get_publisher_count() > 0
                    and bool(self.speaking)  # its latest speaking state has reached us
                    and self.node.count_subscribers("/lobby_1/speech/heard") >= 3)

        while not ready() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready(), "no speech node or concierge on lobby_1"

    def speak(self, text: str) -> None:
        """The visitor's words, then a second of room silence, in real time.

        Like a visitor, it waits for the robot to finish what it is saying (an idle
        announcement, say): the microphone is muted meanwhile. Once it hears someone the
        robot keeps its announcements back.
        """
        wait_for(lambda: not self.speaking[-1][1], 30,
                 "the robot to stop speaking")
        pcm = np.concatenate([np.zeros(8000, np.int16), synthesize(text),
                              np.zeros(16000, np.int16)])
        for start in range(0, len(pcm), CHUNK):
            self.audio.publish(UInt8MultiArray(data=pcm[start:start + CHUNK].tobytes()))
            time.sleep(CHUNK / 16000)

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=1)
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture(scope="module")
def microphone(fleet):
    mic = Microphone()
    yield mic
    mic.close()


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    pytest.fail(f"{what} not within {timeout_s} s")


def test_spoken_question_is_recognised_and_answered(microphone, fleet) -> None:
    heard_before, said_before = len(microphone.heard), len(microphone.said)
    microphone.speak("화장실 어디예요")
    final = wait_for(lambda: next((h for h in microphone.heard[heard_before:] if h.final
                                   and h.text), None), 20, "a final recognition result")
    assert "화장실" in final.text and final.source == "voice"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            s.kind == Say.KIND_DIALOGUE for s in microphone.said[said_before:]):
        time.sleep(0.05)
    replies = [s for s in microphone.said[said_before:] if s.kind == Say.KIND_DIALOGUE]
    assert replies, ([h.text for h in microphone.heard], fleet.log()[-3000:])
    reply = replies[0]
    assert "화장실" in reply.text_ko


def test_what_the_robot_says_is_spoken_for_as_long_as_it_takes(microphone) -> None:
    """The reply above (or an announcement) is played: speaking goes true, then false after
    about the length of the synthesised speech."""
    def first_utterance_s() -> float | None:
        """Start to end of the first utterance we saw begin (we may join mid-utterance)."""
        events = list(microphone.speaking)
        for i, (started, on) in enumerate(events):
            if on:
                return next((t - started for t, on2 in events[i + 1:] if not on2), None)
        return None

    duration = wait_for(first_utterance_s, 30, "a whole utterance (speaking on, then off)")
    assert duration > 0.8, microphone.speaking  # real-time playback of a sentence
