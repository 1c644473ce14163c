"""Speech node: one per robot. The robot's ears and voice on the ROS graph.

  subscribes  speech/say (Say: speak text_ko aloud at its rate), speech/listen (Empty:
              push-to-talk), audio/in (UInt8MultiArray, 16 kHz mono int16 little-endian)
              when audio_input is "topic": the simulator's or a test's microphone
  publishes   speech/heard (Heard: partial and final results), speech/listening (Bool: the
              listening indicator), speech/speaking (Bool)

The microphone is muted while the robot speaks (plus an echo tail), so it never answers
itself. Audio is never written anywhere; only recognised text leaves this node.
"""

from __future__ import annotations

import queue
import threading
import uuid

from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from std_msgs.msg import Bool, Empty, UInt8MultiArray
from suwon_fleet_interfaces.msg import Heard, Say

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.ros import topics
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare
from suwon_fleet.speech.audio import MicrophoneSource, PcmStreamSource
from suwon_fleet.speech.listener import ListenerEvent, SpeechListener
from suwon_fleet.speech.recognizer import SpeechRecognizer
from suwon_fleet.speech.tts import EspeakTTS, NullSink, PyAudioSink, Speaker, WavFileSink


def robot_phrases(site_id: str) -> list[str]:
    """The grammar of a robot: the concierge's at City Hall, tour words at a docent's site."""
    from suwon_fleet.concierge.content import SITE_ID, load_content
    from suwon_fleet.concierge.vocabulary import concierge_phrases, docent_phrases

    if site_id == SITE_ID:
        return concierge_phrases(load_content())
    return docent_phrases(load_fleet().sites[site_id])


class SpeechNode(Node):
    def __init__(self) -> None:
        super().__init__("speech")
        self.robot_id = declare(self, "robot_id", "", "this robot's id in fleet.yaml")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml; empty = the default")
        audio_input = declare(self, "audio_input", "topic",
                              "microphone (pyaudio) | topic (audio/in, simulation) | none")
        audio_output = declare(self, "audio_output", "simulated",
                               "speaker (pyaudio) | simulated (real-time, silent) | "
                               "wav:<folder> (debugging only: writes what it says)")
        fleet = load_fleet(fleet_file or None)
        if self.robot_id not in fleet.robots:
            raise ValueError(f"robot_id {self.robot_id!r} is not in {fleet.source}")
        site_id = fleet.robots[self.robot_id].site

        self.recognizer = SpeechRecognizer(robot_phrases(site_id))
        self.listener = SpeechListener(self.recognizer, on_event=self._on_listener_event)
        if audio_output == "speaker":
            sink = PyAudioSink()
        elif audio_output.startswith("wav:"):
            sink = WavFileSink(audio_output[4:])
        else:
            sink = NullSink(realtime=True)  # takes as long as speaking would: mute timing
        self.speaker = Speaker(EspeakTTS(), sink, gate=self.listener.gate)

        self.heard_pub = self.create_publisher(Heard, "speech/heard", 10)
        self.listening_pub = self.create_publisher(Bool, "speech/listening",
                                                   topics.INDICATOR_QOS)
        self.speaking_pub = self.create_publisher(Bool, "speech/speaking", topics.INDICATOR_QOS)
        self.listening_pub.publish(Bool(data=False))
        self.speaking_pub.publish(Bool(data=False))
        group = ReentrantCallbackGroup()
        self.create_subscription(Say, "speech/say", self._on_say, 10, callback_group=group)
        self.create_subscription(Empty, "speech/listen",
                                 lambda _msg: self.listener.start_listening(), 10,
                                 callback_group=group)
        # Every input goes through one stream source, which re-cuts it into 30 ms frames for
        # the listen thread. Topic audio comes in chunks of any length (a driver's 100 ms is
        # 3.33 frames) and the source keeps the remainder for the next chunk: cutting each
        # chunk into whole frames alone dropped 10 ms of every 100 ms and garbled what the
        # robot heard.
        self._audio = PcmStreamSource()
        self._said: queue.Queue[Say | None] = queue.Queue()
        self._utterance = uuid.uuid4().hex[:10]
        self._threads = [threading.Thread(target=self._speak_loop, name="speak", daemon=True),
                         threading.Thread(target=self._listen_loop, name="listen",
                                          daemon=True)]
        if audio_input == "topic":
            self.create_subscription(UInt8MultiArray, "audio/in", self._on_audio, 50,
                                     callback_group=group)
        elif audio_input == "microphone":
            self._threads.append(threading.Thread(target=self._microphone_loop,
                                                  name="microphone", daemon=True))
        for thread in self._threads:
            thread.start()
        self.get_logger().info(f"speech for {self.robot_id}: input {audio_input}, output "
                               f"{audio_output}, {len(self.recognizer.grammar.phrases)} phrases")

    # ---------------------------------------------------------------- voice
    def _on_say(self, msg: Say) -> None:
        self._said.put(msg)

    def _speak_loop(self) -> None:
        while (msg := self._said.get()) is not None:
            if msg.kind == Say.KIND_ANNOUNCEMENT and self.listener.listening:
                # Idle announcements are the lowest priority: never start one over a visitor
                # who has begun to speak (the microphone is muted while the robot talks, so
                # their words would be lost). The screen still shows it.
                self.get_logger().info(f"announcement held back, someone is speaking: "
                                       f"{msg.text_ko!r}")
                continue
            self.speaking_pub.publish(Bool(data=True))
            try:
                lang = msg.language if msg.language in ("ko", "en") else "ko"
                text = msg.text_ko if lang == "ko" else msg.text_en
                self.speaker.say(text, lang, float(msg.rate) or 1.0)
            except Exception as exc:  # a TTS failure must not silence the robot for good
                self.get_logger().error(f"could not speak {msg.text_ko!r}: {exc}")
            finally:
                self.speaking_pub.publish(Bool(data=False))

    # ---------------------------------------------------------------- ears
    def _on_audio(self, msg: UInt8MultiArray) -> None:
        before = self._audio.dropped_frames
        self._audio.push(bytes(msg.data))
        if self._audio.dropped_frames > before:
            self.get_logger().warning("audio queue full: recognition is behind")

    def _microphone_loop(self) -> None:
        for frame in MicrophoneSource():
            self._audio.push(frame)

    def _listen_loop(self) -> None:
        for frame in self._audio:
            self.listener.process_frame(frame)

    def _on_listener_event(self, event: ListenerEvent) -> None:
        if event.kind == "listening_started":
            self._utterance = uuid.uuid4().hex[:10]
            self.listening_pub.publish(Bool(data=True))
        elif event.kind == "listening_stopped":
            self.listening_pub.publish(Bool(data=False))
        elif event.kind in ("partial", "final", "no_speech_timeout"):
            # Silence after push-to-talk is a final result with no words: the concierge
            # then asks again, politely.
            text = "" if event.kind == "no_speech_timeout" else event.text
            confidence = event.result.confidence if event.result is not None else 0.0
            msg = Heard(utterance_id=f"{self.robot_id}-{self._utterance}",
                        robot_id=self.robot_id, text=text, confidence=float(confidence),
                        final=event.kind != "partial", source="voice")
            msg.stamp = self.get_clock().now().to_msg()
            self.heard_pub.publish(msg)

    def destroy_node(self) -> None:
        self._said.put(None)
        self._audio.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    run_node(SpeechNode, args)  # short callbacks only: one thread


if __name__ == "__main__":
    main()
