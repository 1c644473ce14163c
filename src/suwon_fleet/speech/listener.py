"""SpeechListener: source -> mute gate -> noise suppression -> VAD -> recognizer -> UI events.

Two ways to begin an utterance: voice onset (``auto_listen=True``), or push-to-talk when the
visitor taps the screen (``start_listening()``), which starts capture at once without waiting
for the VAD. The listening indicator follows ``listening_started``/``listening_stopped``.
Audio lives only in the recognizer's decoders for the length of one utterance; nothing is
written anywhere. Time in events is stream time (seconds of audio received), so behaviour
is the same from a file, a test or a live microphone.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from suwon_fleet.speech.audio import FRAME_S, AudioSource, MuteGate
from suwon_fleet.speech.denoise import NoiseSuppressor
from suwon_fleet.speech.recognizer import RecognitionResult, RecognitionStream, SpeechRecognizer
from suwon_fleet.speech.vad import VadEvent, VoiceActivityDetector

log = logging.getLogger(__name__)

EventKind = Literal["listening_started", "listening_stopped", "partial", "final",
                    "no_speech_timeout"]
StopReason = Literal["end_of_speech", "timeout", "max_length", "muted", "cancelled"]


@dataclass(frozen=True)
class ListenerEvent:
    kind: EventKind
    time_s: float  # stream time
    text: str = ""
    result: RecognitionResult | None = None
    trigger: str = ""  # listening_started: "voice" or "push_to_talk"
    reason: str = ""  # listening_stopped: a StopReason
    latency_s: float | None = None  # final: wall time from end of speech to the result


class SpeechListener:
    """Turns a frame stream into listening/partial/final/timeout events.

    Drive it either with ``run()``/``start()`` over an ``AudioSource``, or frame by frame with
    ``process_frame()`` (deterministic; what tests and simulations use). Events go to
    ``on_event`` and are also returned by ``process_frame``.
    """

    def __init__(self, recognizer: SpeechRecognizer, source: AudioSource | None = None, *,
                 vad: VoiceActivityDetector | None = None, gate: MuteGate | None = None,
                 on_event: Callable[[ListenerEvent], None] | None = None,
                 auto_listen: bool = True, no_speech_timeout_s: float = 6.0,
                 partial_interval_s: float = 0.3, noise_suppression: bool = True) -> None:
        self.recognizer = recognizer
        self.source = source
        self.vad = vad or VoiceActivityDetector()
        self.gate = gate or MuteGate()
        self.on_event = on_event
        self.auto_listen = auto_listen
        self.no_speech_timeout_s = no_speech_timeout_s
        self.partial_interval_s = partial_interval_s
        # Runs on every frame (not only during speech): it needs the pauses to learn the noise.
        # Only the recognizer hears its output; the VAD keeps the raw audio, because the
        # suppressor's residue before its estimate settles looks like speech onsets.
        self.suppressor = NoiseSuppressor() if noise_suppression else None
        self._recent: collections.deque[np.ndarray] = collections.deque(
            maxlen=self.vad.padding_frames + 1)
        self._stream: RecognitionStream | None = None
        self._listen_started_s = 0.0
        self._last_partial_s = 0.0
        self._last_partial = ""
        self._frames = 0
        self._requests: list[str] = []  # from other threads: "start" / "stop" / "cancel"
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running = threading.Event()

    # -- control, callable from any thread --------------------------------------------------

    @property
    def listening(self) -> bool:
        """True while an utterance is being captured (drive the listening indicator)."""
        return self._stream is not None

    @property
    def time_s(self) -> float:
        return self._frames * FRAME_S

    def start_listening(self) -> None:
        """Push-to-talk: capture from the next frame on, without waiting for voice onset."""
        with self._lock:
            self._requests.append("start")

    def stop_listening(self) -> None:
        """End the current utterance now and recognize what was heard."""
        with self._lock:
            self._requests.append("stop")

    def cancel(self) -> None:
        """Drop the current utterance without a result."""
        with self._lock:
            self._requests.append("cancel")

    # -- the frame loop ---------------------------------------------------------------------

    def process_frame(self, frame: np.ndarray) -> list[ListenerEvent]:
        """Feed one 30 ms frame; returns the events it caused (also sent to ``on_event``)."""
        events: list[ListenerEvent] = []
        self._frames += 1
        with self._lock:
            requests, self._requests = self._requests, []
        for request in requests:
            events += self._handle_request(request)

        if not self.gate.is_open():
            self.gate.dropped_frames += 1
            if self._stream is not None:  # the robot started talking over the visitor
                events += self._stop("muted", finalize=False)
            self.vad.reset()
            return self._emit(events)

        self._recent.append(frame if self.suppressor is None else self.suppressor.process(frame))
        vad_event, raw_frames = self.vad.process(frame)
        frames = list(self._recent)[-len(raw_frames):] if raw_frames else []
        if self._stream is None and vad_event and vad_event.kind == "speech_start":
            if self.auto_listen:
                events += self._begin("voice", vad_event.time_s)
            else:
                self.vad.reset()
                frames = []
        if self._stream is not None:
            for piece in frames:
                self._stream.accept(piece)
            events += self._after_frame(vad_event)
        return self._emit(events)

    def _after_frame(self, vad_event: VadEvent | None) -> list[ListenerEvent]:
        events: list[ListenerEvent] = []
        now = self.time_s
        if vad_event is not None and vad_event.kind == "speech_end":
            reason = "max_length" if vad_event.forced else "end_of_speech"
            return self._stop(reason, finalize=True)
        if not self.vad.heard_speech and now - self._listen_started_s >= self.no_speech_timeout_s:
            events.append(ListenerEvent("no_speech_timeout", now))
            return events + self._stop("timeout", finalize=False)
        if self._stream is not None and now - self._last_partial_s >= self.partial_interval_s:
            self._last_partial_s = now
            text = self._stream.partial()
            if text and text != self._last_partial:
                self._last_partial = text
                events.append(ListenerEvent("partial", now, text=text))
        return events

    def _handle_request(self, request: str) -> list[ListenerEvent]:
        if request == "start" and self._stream is None:
            if not self.gate.is_open():
                return []  # cannot listen while the robot is talking; the UI stays idle
            self.vad.force_start()
            return self._begin("push_to_talk", self.time_s - FRAME_S)
        if request == "stop" and self._stream is not None:
            self.vad.force_end()
            return self._stop("end_of_speech", finalize=True)
        if request == "cancel" and self._stream is not None:
            self.vad.force_end()
            return self._stop("cancelled", finalize=False)
        return []

    def _begin(self, trigger: str, time_s: float) -> list[ListenerEvent]:
        self._stream = self.recognizer.stream()
        self._listen_started_s = time_s
        self._last_partial_s = self.time_s
        self._last_partial = ""
        return [ListenerEvent("listening_started", time_s, trigger=trigger)]

    def _stop(self, reason: str, *, finalize: bool) -> list[ListenerEvent]:
        stream, self._stream = self._stream, None
        if self.vad.in_speech:
            self.vad.force_end()
        events = [ListenerEvent("listening_stopped", self.time_s, reason=reason)]
        if finalize and stream is not None:
            started = time.perf_counter()
            result = stream.finish()
            events.append(ListenerEvent("final", self.time_s, text=result.text, result=result,
                                        latency_s=time.perf_counter() - started))
        return events

    def _emit(self, events: list[ListenerEvent]) -> list[ListenerEvent]:
        if self.on_event is not None:
            for event in events:
                try:
                    self.on_event(event)
                except Exception:  # a UI callback bug must not stop the microphone loop
                    log.exception("speech listener callback failed for %s", event.kind)
        return events

    def run(self) -> None:
        """Process the source until it ends or ``stop()`` is called (blocking)."""
        if self.source is None:
            raise ValueError("SpeechListener.run() needs an AudioSource")
        self._running.set()
        try:
            for frame in self.source:
                if not self._running.is_set():
                    break
                self.process_frame(frame)
        finally:
            if self._stream is not None:
                self._emit(self._stop("cancelled", finalize=False))
            self._running.clear()

    def start(self) -> None:
        """Run in a background thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self.run, name="speech-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the background thread and close the source."""
        self._running.clear()
        if self.source is not None:
            self.source.close()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
