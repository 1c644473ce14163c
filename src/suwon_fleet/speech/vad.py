"""Voice activity detection: webrtcvad per 30 ms frame, smoothed into utterances.

A frame counts as voiced only if webrtcvad says so *and* it is louder than the recent noise
floor: webrtcvad alone fires on fans, HVAC and loud white noise, while stationary noise never
rises above its own floor. Onset and end use the ring-buffer hangover of the py-webrtcvad
example: speech starts when most of the last ``padding_ms`` is voiced (those frames are kept
as pre-roll so the first syllable is not cut) and ends when most of it is unvoiced.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import webrtcvad

from suwon_fleet.speech.audio import FRAME_MS, FRAME_S, FRAME_SAMPLES, SAMPLE_RATE, split_frames

EventKind = Literal["speech_start", "speech_end"]


@dataclass(frozen=True)
class VadEvent:
    kind: EventKind
    time_s: float  # stream time: start of the utterance's first frame, or end of its last
    forced: bool = False  # push-to-talk start, or end by max length / explicit stop


@dataclass(frozen=True)
class SpeechSegment:
    start_s: float
    end_s: float
    pcm: np.ndarray

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def frame_dbfs(frame: np.ndarray) -> float:
    """Frame level in dB relative to int16 full scale (silence -> -120)."""
    rms = float(np.sqrt(np.mean(np.asarray(frame, np.float64) ** 2)))
    return 20.0 * np.log10(max(rms, 1e-6) / 32768.0)


_BAND = (np.fft.rfftfreq(FRAME_SAMPLES, 1.0 / SAMPLE_RATE) >= 300.0) & (
    np.fft.rfftfreq(FRAME_SAMPLES, 1.0 / SAMPLE_RATE) <= 3400.0)


def band_db(frame: np.ndarray) -> float:
    """Frame energy in the 300-3400 Hz speech band, in dB.

    Most speech energy is in this band while rumble, pink noise and hiss mostly are not, so
    the noise floor test below sees a better SNR than the broadband level would give it.
    """
    spectrum = np.fft.rfft(np.asarray(frame, np.float64))
    power = float(np.sum(np.abs(spectrum[_BAND]) ** 2)) / FRAME_SAMPLES**2
    return 10.0 * np.log10(max(power, 1e-12))


class VoiceActivityDetector:
    """Turns a stream of 30 ms frames into speech start/end events plus the utterance frames.

    ``aggressiveness`` is webrtcvad's 0-3 (3 rejects the most non-speech). ``padding_ms`` is
    the ring buffer: onset when ``start_ratio`` of it is voiced, end when ``end_ratio`` of it
    is unvoiced, so a short pause between words does not end the utterance.
    """

    def __init__(self, aggressiveness: int = 2, *, padding_ms: int = 300,
                 start_ratio: float = 0.6, end_ratio: float = 0.85,
                 max_speech_s: float = 15.0, min_level_dbfs: float = -55.0,
                 floor_margin_db: float = 3.0, floor_window_s: float = 3.0) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self.padding_frames = max(1, padding_ms // FRAME_MS)
        self.start_ratio = start_ratio
        self.end_ratio = end_ratio
        self.max_speech_frames = int(max_speech_s / FRAME_S)
        self.min_level_dbfs = min_level_dbfs
        self.floor_margin_db = floor_margin_db
        self._levels: collections.deque[float] = collections.deque(
            maxlen=max(1, int(floor_window_s / FRAME_S)))
        self._ring: collections.deque[tuple[np.ndarray, bool]] = collections.deque(
            maxlen=self.padding_frames)
        self.frames_seen = 0
        self.in_speech = False
        self.heard_speech = False  # a forced start may not have heard any voice yet
        self._speech_frames = 0

    @property
    def time_s(self) -> float:
        """Stream time at the end of the last processed frame."""
        return self.frames_seen * FRAME_S

    def is_voiced(self, frame: np.ndarray) -> bool:
        """webrtcvad's verdict, vetoed for frames near the noise floor or near silence."""
        level = band_db(frame)
        self._levels.append(level)
        if frame_dbfs(frame) < self.min_level_dbfs:
            return False
        # The quietest recent frame is the noise floor; stationary noise never clears it.
        if level < min(self._levels) + self.floor_margin_db:
            return False
        return self._vad.is_speech(np.asarray(frame, np.int16).tobytes(), SAMPLE_RATE)

    def process(self, frame: np.ndarray) -> tuple[VadEvent | None, list[np.ndarray]]:
        """Feed one frame; returns (event or None, frames belonging to the current utterance).

        On ``speech_start`` the frames are the pre-roll ring plus this frame; while speaking,
        just this frame; on ``speech_end``, this last frame. Outside speech: none.
        """
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"expected {FRAME_SAMPLES}-sample frames, got {len(frame)}")
        voiced = self.is_voiced(frame)
        self.frames_seen += 1
        self._ring.append((frame, voiced))
        if not self.in_speech:
            if sum(v for _, v in self._ring) >= self.start_ratio * self._ring.maxlen:
                frames = [f for f, _ in self._ring]
                self._start(len(frames))
                self.heard_speech = True
                start = self.time_s - len(frames) * FRAME_S
                return VadEvent("speech_start", start), frames
            return None, []
        self._speech_frames += 1
        if voiced and not self.heard_speech:
            # First word after push-to-talk: the silence before it is not a pause to end on.
            self.heard_speech = True
            self._ring.clear()
            self._ring.append((frame, voiced))
        unvoiced = sum(not v for _, v in self._ring)
        full = len(self._ring) == self._ring.maxlen
        if self.heard_speech and full and unvoiced >= self.end_ratio * self._ring.maxlen:
            self._end()
            return VadEvent("speech_end", self.time_s), [frame]
        if self._speech_frames >= self.max_speech_frames:
            self._end()
            return VadEvent("speech_end", self.time_s, forced=True), [frame]
        return None, [frame]

    def force_start(self) -> VadEvent:
        """Begin an utterance now without waiting for onset (push-to-talk)."""
        if not self.in_speech:
            self._start(0)
            self.heard_speech = False
            self._ring.clear()
        return VadEvent("speech_start", self.time_s, forced=True)

    def force_end(self) -> VadEvent:
        self._end()
        return VadEvent("speech_end", self.time_s, forced=True)

    def reset(self) -> None:
        self._ring.clear()
        self.in_speech = False
        self.heard_speech = False
        self._speech_frames = 0

    def _start(self, preroll: int) -> None:
        self.in_speech = True
        self._speech_frames = preroll

    def _end(self) -> None:
        self.in_speech = False
        self.heard_speech = False
        self._speech_frames = 0
        self._ring.clear()


def find_segments(frames: Iterable[np.ndarray] | np.ndarray,
                  detector: VoiceActivityDetector | None = None) -> list[SpeechSegment]:
    """Every utterance in a recording (offline helper for tests, benches and corpora)."""
    if isinstance(frames, np.ndarray):
        frames = split_frames(frames)
    detector = detector or VoiceActivityDetector()
    segments: list[SpeechSegment] = []
    current: list[np.ndarray] = []
    start = 0.0
    for frame in frames:
        event, voiced = detector.process(frame)
        if event and event.kind == "speech_start":
            start, current = event.time_s, []
        current.extend(voiced)
        if event and event.kind == "speech_end":
            segments.append(SpeechSegment(start, event.time_s, np.concatenate(current)))
            current = []
    if detector.in_speech and current:
        segments.append(SpeechSegment(start, detector.time_s, np.concatenate(current)))
    return segments
