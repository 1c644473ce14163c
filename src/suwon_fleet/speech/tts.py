"""Speech output: text-to-speech engines, audio sinks, and a speaker that mutes the microphone.

``EspeakTTS`` runs the ``espeak-ng`` binary (Korean voice ``ko``, English ``en``) and reads
its WAV from stdout; nothing is cached on disk. ``Speaker`` closes the shared ``MuteGate``
for the whole playback plus its tail, so the listener never transcribes the robot's own
voice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from suwon_fleet.speech.audio import AudioError, MuteGate, decode_wav, write_wav
from suwon_fleet.speech.synth import espeak_available, espeak_wav

# espeak-ng speaks at 175 words/min by default, brisk for Korean; 150 is an unhurried
# announcer pace and rate=0.8 (120) suits elderly visitors.
ESPEAK_BASE_SPEED = 150
MIN_RATE, MAX_RATE = 0.5, 2.0


@dataclass(frozen=True)
class Utterance:
    """Synthesized speech: mono int16 samples at ``sample_rate``."""

    pcm: np.ndarray
    sample_rate: int
    text: str = ""
    lang: str = "ko"

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / self.sample_rate


@runtime_checkable
class TextToSpeech(Protocol):
    def synthesize(self, text: str, lang: str = "ko", rate: float = 1.0) -> Utterance: ...


@runtime_checkable
class AudioSink(Protocol):
    def play(self, utterance: Utterance) -> None:
        """Play to the end (blocking) unless ``stop()`` is called from another thread."""

    def stop(self) -> None: ...


class EspeakTTS:
    """espeak-ng voices per language; ``rate`` scales the speaking speed (0.5-2.0)."""

    def __init__(self, voices: Mapping[str, str] | None = None, *,
                 base_speed: int = ESPEAK_BASE_SPEED, pitch: int = 50) -> None:
        if not espeak_available():
            raise AudioError("espeak-ng가 설치되어 있지 않습니다 / espeak-ng is not installed "
                             "(apt install espeak-ng)")
        self.voices = dict(voices or {"ko": "ko", "en": "en"})
        self.base_speed = base_speed
        self.pitch = pitch

    def synthesize(self, text: str, lang: str = "ko", rate: float = 1.0) -> Utterance:
        if lang not in self.voices:
            raise ValueError(f"no voice for language {lang!r}; have {sorted(self.voices)}")
        if not MIN_RATE <= rate <= MAX_RATE:
            raise ValueError(f"rate must be within {MIN_RATE}-{MAX_RATE}, got {rate}")
        if not text.strip():
            return Utterance(np.zeros(0, np.int16), 22050, text, lang)
        samples, sample_rate = decode_wav(espeak_wav(
            text, self.voices[lang], speed=round(self.base_speed * rate), pitch=self.pitch))
        return Utterance(np.ascontiguousarray(samples[:, 0]), sample_rate, text, lang)


class NullSink:
    """Plays nothing; with ``realtime=True`` it takes as long as playback would (simulation).

    Keeps only a log of (text, duration) for inspection, never the audio.
    """

    def __init__(self, realtime: bool = False) -> None:
        self.realtime = realtime
        self.played: list[tuple[str, float]] = []
        self._stop = threading.Event()

    def play(self, utterance: Utterance) -> None:
        self._stop.clear()
        self.played.append((utterance.text, utterance.duration_s))
        if self.realtime:
            self._stop.wait(utterance.duration_s)

    def stop(self) -> None:
        self._stop.set()


class WavFileSink:
    """Writes each utterance to ``directory/NNNN.wav`` (simulation recordings, debugging)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def play(self, utterance: Utterance) -> None:
        path = self.directory / f"{len(self.written):04d}.wav"
        self.written.append(write_wav(path, utterance.pcm, utterance.sample_rate))

    def stop(self) -> None:
        """Writing is instantaneous; nothing to interrupt."""


class PyAudioSink:
    """Plays through the default (or given) sound card with PyAudio, imported on first use."""

    def __init__(self, device_index: int | None = None) -> None:
        try:
            import pyaudio  # optional, only robots with a speaker need it
        except ImportError as exc:
            raise AudioError(
                "스피커 출력에는 PyAudio가 필요합니다 / speaker output needs PyAudio: "
                "pip install pyaudio (and apt install portaudio19-dev)") from exc
        self._pyaudio_module = pyaudio
        self._pyaudio = pyaudio.PyAudio()
        self.device_index = device_index
        self._stop = threading.Event()

    def play(self, utterance: Utterance) -> None:
        self._stop.clear()
        stream = self._pyaudio.open(format=self._pyaudio_module.paInt16, channels=1,
                                    rate=utterance.sample_rate, output=True,
                                    output_device_index=self.device_index)
        try:
            data = np.asarray(utterance.pcm, np.int16).tobytes()
            chunk = utterance.sample_rate // 20 * 2  # 50 ms, so stop() takes effect quickly
            for start in range(0, len(data), chunk):
                if self._stop.is_set():
                    break
                stream.write(data[start:start + chunk])
        finally:
            stream.stop_stream()
            stream.close()

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._pyaudio.terminate()


class Speaker:
    """Say text through a sink while the mute gate is closed (plus its tail)."""

    def __init__(self, tts: TextToSpeech, sink: AudioSink, gate: MuteGate | None = None) -> None:
        self.tts = tts
        self.sink = sink
        self.gate = gate or MuteGate()
        self._lock = threading.Lock()  # one utterance at a time; a second say() waits
        self.speaking = False
        self.last_play_s = 0.0

    def say(self, text: str, lang: str = "ko", rate: float = 1.0) -> Utterance:
        """Synthesize and play ``text``; returns once playback has finished or was stopped."""
        utterance = self.tts.synthesize(text, lang, rate)
        self.play(utterance)
        return utterance

    def play(self, utterance: Utterance) -> None:
        with self._lock, self.gate.muted():
            self.speaking = True
            started = time.monotonic()
            try:
                self.sink.play(utterance)
            finally:
                self.speaking = False
                self.last_play_s = time.monotonic() - started

    def stop(self) -> None:
        """Cut the current utterance short (e.g. the visitor tapped the screen)."""
        self.sink.stop()
