"""SpeechListener end to end: real audio frames -> mute gate -> VAD -> vosk -> events."""

from __future__ import annotations

import numpy as np

from suwon_fleet.speech.audio import MuteGate, WavFileSource, split_frames
from suwon_fleet.speech.listener import ListenerEvent, SpeechListener
from suwon_fleet.speech.recognizer import SpeechRecognizer
from suwon_fleet.speech.synth import add_noise, pad, synthesize

from .conftest import VOICE


def feed(listener: SpeechListener, pcm: np.ndarray) -> list[ListenerEvent]:
    events: list[ListenerEvent] = []
    for frame in split_frames(pcm):
        events += listener.process_frame(frame)
    return events


def kinds(events: list[ListenerEvent]) -> list[str]:
    return [e.kind for e in events if e.kind != "partial"]


def test_voice_onset_starts_listening_and_ends_with_the_phrase(
        recognizer: SpeechRecognizer) -> None:
    seen: list[ListenerEvent] = []
    listener = SpeechListener(recognizer, on_event=seen.append)
    events = feed(listener, pad(synthesize("인감증명서 발급 어디서 해요", VOICE), 1.0, 1.0))
    assert events == seen
    assert kinds(events) == ["listening_started", "listening_stopped", "final"]
    started, stopped, final = (e for e in events if e.kind != "partial")
    assert started.trigger == "voice" and 0.6 < started.time_s < 1.1
    assert stopped.reason == "end_of_speech" and stopped.time_s > started.time_s + 1.0
    assert final.text == "인감증명서 발급 어디서 해요" and final.result.source == "grammar"
    assert final.latency_s is not None and final.latency_s >= 0
    assert any(e.kind == "partial" and e.text for e in events)
    assert not listener.listening


def test_noisy_lobby_at_10_db(recognizer: SpeechRecognizer) -> None:
    noisy = add_noise(pad(synthesize("장미정원 가고 싶어요", VOICE), 1.0, 1.0), 10.0, "white")
    events = feed(SpeechListener(recognizer), noisy)
    finals = [e for e in events if e.kind == "final"]
    assert [f.text for f in finals] == ["장미정원 가고 싶어요"]


def test_push_to_talk_listens_before_the_visitor_speaks(recognizer: SpeechRecognizer) -> None:
    listener = SpeechListener(recognizer, auto_listen=False)
    assert feed(listener, np.zeros(8000, np.int16)) == []
    listener.start_listening()  # the screen tap
    events = feed(listener, pad(synthesize("투어 시작해 주세요", VOICE), 0.8, 1.0))
    assert kinds(events) == ["listening_started", "listening_stopped", "final"]
    assert events[0].trigger == "push_to_talk" and events[0].time_s < 0.6  # before any voice
    assert events[-1].text == "투어 시작해 주세요"


def test_auto_listen_off_ignores_speech_without_a_tap(recognizer: SpeechRecognizer) -> None:
    listener = SpeechListener(recognizer, auto_listen=False)
    assert feed(listener, pad(synthesize("잠깐 멈춰 주세요", VOICE), 0.5, 0.5)) == []


def test_push_to_talk_times_out_when_nobody_speaks(recognizer: SpeechRecognizer) -> None:
    listener = SpeechListener(recognizer, no_speech_timeout_s=1.5)
    listener.start_listening()
    events = feed(listener, np.zeros(16000 * 3, np.int16))
    assert kinds(events) == ["listening_started", "no_speech_timeout", "listening_stopped"]
    assert events[-1].reason == "timeout"
    assert 1.4 < events[1].time_s < 1.7


def test_mute_gate_keeps_the_robot_from_hearing_itself(recognizer: SpeechRecognizer) -> None:
    listener = SpeechListener(recognizer)
    # Stream time as the gate's clock: the tail is measured in audio, like the rest.
    gate = MuteGate(tail_s=0.5, clock=lambda: listener.time_s)
    listener.gate = gate
    own_voice = pad(synthesize("잠깐 멈춰 주세요", VOICE), 0.3, 0.0)
    with gate.muted():  # what Speaker does while playing
        assert feed(listener, own_voice) == []
        listener.start_listening()  # a tap while the robot talks is not honoured
        assert feed(listener, np.zeros(480, np.int16)) == []
    assert gate.dropped_frames > 40
    assert feed(listener, own_voice[-16000 // 4:]) == []  # the echo tail is still muted
    # Once the tail has passed, a visitor is heard again.
    events = feed(listener, pad(synthesize("투어 시작해 주세요", VOICE), 0.5, 1.0))
    assert [e.text for e in events if e.kind == "final"] == ["투어 시작해 주세요"]


def test_speaking_over_a_visitor_cancels_the_utterance(recognizer: SpeechRecognizer) -> None:
    listener = SpeechListener(recognizer)
    phrase = synthesize("여권 민원실 어디예요", VOICE)
    events = feed(listener, pad(phrase[: len(phrase) // 2], 0.5, 0.0))
    assert kinds(events) == ["listening_started"] and listener.listening
    listener.gate.close()
    events = listener.process_frame(np.zeros(480, np.int16))
    assert [(e.kind, e.reason) for e in events] == [("listening_stopped", "muted")]
    assert not listener.listening


def test_runs_in_a_thread_over_a_paced_source(recognizer: SpeechRecognizer) -> None:
    finals: list[ListenerEvent] = []
    source = WavFileSource(pad(synthesize("잠깐 멈춰 주세요", VOICE), 0.5, 0.8), realtime=True)
    listener = SpeechListener(recognizer, source,
                              on_event=lambda e: finals.append(e) if e.kind == "final" else None)
    listener.start()
    listener._thread.join(10)
    assert [f.text for f in finals] == ["잠깐 멈춰 주세요"]
    listener.stop()
