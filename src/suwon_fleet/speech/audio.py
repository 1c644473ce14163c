"""Audio input: 16 kHz mono int16 PCM in 30 ms frames, from a microphone, a WAV file or a stream.

Every source yields numpy int16 arrays of exactly ``FRAME_SAMPLES`` samples (the last frame of
a file is zero-padded), the frame size webrtcvad accepts and small enough for low latency.
``MuteGate`` keeps the robot from hearing itself: the speaker closes it while playing and it
stays closed for a short tail, because the room echo outlasts the last sample played.
"""

from __future__ import annotations

import io
import math
import queue
import struct
import threading
import time
import wave
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from scipy.signal import firwin, resample_poly

SAMPLE_RATE = 16000
FRAME_MS = 30
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # 480
FRAME_BYTES = FRAME_SAMPLES * 2
FRAME_S = FRAME_MS / 1000.0


class AudioError(RuntimeError):
    """Audio input or output is unavailable or malformed."""


@runtime_checkable
class AudioSource(Protocol):
    """An iterator of 30 ms int16 frames at 16 kHz that can be closed from another thread."""

    def __iter__(self) -> Iterator[np.ndarray]: ...

    def close(self) -> None: ...


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Decode RIFF/WAVE bytes to (samples [n, channels], sample rate).

    Reads the chunks itself instead of using ``wave`` because ``espeak-ng --stdout`` writes a
    placeholder data size (it cannot seek a pipe); the data chunk runs to the end of input.
    Integer PCM (8/16/24/32 bit) and IEEE float are supported.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("not a RIFF/WAVE stream / WAV 형식이 아닙니다")
    pos, fmt, payload = 12, None, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8:pos + 8 + size]
        if chunk == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", body)
        elif chunk == b"data":
            payload = body
            break
        pos += 8 + size + (size & 1)
    if fmt is None or payload is None:
        raise AudioError("WAV stream without fmt/data chunk / WAV 청크가 없습니다")
    tag, channels, rate, _, _, bits = fmt
    width = bits // 8
    payload = payload[: len(payload) // (width * channels) * width * channels]
    if tag == 3 and bits == 32:
        samples = np.frombuffer(payload, "<f4").astype(np.float32)
    elif tag in (1, 0xFFFE) and bits == 8:
        samples = (np.frombuffer(payload, np.uint8).astype(np.int16) - 128) << 8
    elif tag in (1, 0xFFFE) and bits == 16:
        samples = np.frombuffer(payload, "<i2")
    elif tag in (1, 0xFFFE) and bits == 24:
        raw = np.frombuffer(payload, np.uint8).reshape(-1, 3).astype(np.int32)
        samples = ((raw[:, 0] << 8 | raw[:, 1] << 16 | raw[:, 2] << 24) >> 16).astype(np.int16)
    elif tag in (1, 0xFFFE) and bits == 32:
        samples = (np.frombuffer(payload, "<i4") >> 16).astype(np.int16)
    else:
        raise AudioError(f"unsupported WAV format tag={tag} bits={bits} / 지원하지 않는 형식")
    return samples.reshape(-1, channels), rate


def encode_wav(pcm: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Mono int16 samples as WAV bytes."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(np.asarray(pcm, dtype=np.int16).tobytes())
    return buffer.getvalue()


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def to_pcm16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Any mono/multi-channel int or float samples -> mono int16 at 16 kHz."""
    x = np.asarray(samples)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64) * 32767.0  # float audio is full scale +-1.0
    else:
        x = x.astype(np.float64)
    if sample_rate != SAMPLE_RATE:
        g = math.gcd(SAMPLE_RATE, int(sample_rate))
        x = resample_poly(x, SAMPLE_RATE // g, int(sample_rate) // g)
    return _to_int16(x)


class StreamResampler:
    """Chunk-by-chunk resampling to 16 kHz with no seams between chunks.

    Same polyphase low-pass as ``scipy.signal.resample_poly`` (Kaiser window, beta 5), but the
    filter history carries over between ``process`` calls, so a stream cut into arbitrary
    chunks resamples exactly like the whole signal would. ``flush`` emits the filter tail.
    """

    def __init__(self, rate_in: int, rate_out: int = SAMPLE_RATE) -> None:
        g = math.gcd(int(rate_in), int(rate_out))
        self.up, self.down = int(rate_out) // g, int(rate_in) // g
        longest = max(self.up, self.down)
        taps = firwin(2 * 10 * longest + 1, 1.0 / longest, window=("kaiser", 5.0)) * self.up
        self.delay = (len(taps) - 1) // 2  # centre tap: zero phase, as resample_poly
        self.phases = -(-len(taps) // self.up)
        padded = np.zeros(self.phases * self.up)
        padded[: len(taps)] = taps
        self._taps = padded.reshape(self.phases, self.up).T  # [phase, tap]
        self._x = np.zeros(0)
        self._x_start = 0  # global index of self._x[0]
        self._received = 0
        self._next = 0  # next output index

    def _emit(self, limit: int) -> np.ndarray:
        outputs = np.arange(self._next, limit)
        if not len(outputs):
            return np.zeros(0)
        n = outputs * self.down + self.delay
        phase, newest = n % self.up, n // self.up
        index = newest[:, None] - np.arange(self.phases)[None, :] - self._x_start
        valid = (index >= 0) & (index < len(self._x))
        samples = np.where(valid, self._x[np.clip(index, 0, max(0, len(self._x) - 1))]
                           if len(self._x) else 0.0, 0.0)
        self._next = int(limit)
        keep_from = (self._next * self.down + self.delay) // self.up - self.phases
        if keep_from > self._x_start:
            self._x = self._x[keep_from - self._x_start:]
            self._x_start = keep_from
        return np.sum(samples * self._taps[phase], axis=1)

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Resample the next chunk (float output; emits what the filter can already compute)."""
        self._x = np.concatenate([self._x, np.asarray(samples, np.float64)])
        self._received += len(samples)
        # Output m needs input up to (m*down + delay) // up.
        limit = (self._received * self.up - self.delay + self.down - 1) // self.down
        return self._emit(max(self._next, limit))

    def flush(self) -> np.ndarray:
        """The remaining outputs, treating the input as ended (zeros after it)."""
        total = -(-self._received * self.up // self.down)
        return self._emit(max(self._next, total))


def read_wav(path: str | Path) -> np.ndarray:
    """A WAV file as mono int16 at 16 kHz."""
    samples, rate = decode_wav(Path(path).read_bytes())
    return to_pcm16k(samples, rate)


def write_wav(path: str | Path, pcm: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    path = Path(path)
    path.write_bytes(encode_wav(pcm, sample_rate))
    return path


def split_frames(pcm: np.ndarray) -> Iterator[np.ndarray]:
    """30 ms frames of ``pcm``; the last one is zero-padded to full length."""
    pcm = np.asarray(pcm, dtype=np.int16)
    for start in range(0, len(pcm), FRAME_SAMPLES):
        frame = pcm[start:start + FRAME_SAMPLES]
        if len(frame) < FRAME_SAMPLES:
            frame = np.concatenate([frame, np.zeros(FRAME_SAMPLES - len(frame), np.int16)])
        yield frame


class WavFileSource:
    """Frames from a WAV file or an in-memory PCM array (converted to 16 kHz mono).

    ``realtime=True`` paces frames at the rate a microphone would deliver them, for
    simulations that must behave like live input.
    """

    def __init__(self, source: str | Path | np.ndarray, *, realtime: bool = False) -> None:
        self.pcm = source if isinstance(source, np.ndarray) else read_wav(source)
        self.pcm = np.asarray(self.pcm, dtype=np.int16)
        self.realtime = realtime
        self._closed = threading.Event()

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / SAMPLE_RATE

    def __iter__(self) -> Iterator[np.ndarray]:
        start = time.monotonic()
        for index, frame in enumerate(split_frames(self.pcm)):
            if self._closed.is_set():
                return
            if self.realtime:
                # Sleep until the frame would have finished arriving from a microphone.
                delay = start + (index + 1) * FRAME_S - time.monotonic()
                if delay > 0 and self._closed.wait(delay):
                    return
            yield frame

    def close(self) -> None:
        self._closed.set()


class PcmStreamSource:
    """Frames from PCM pushed by another thread (a ROS audio topic, a socket, a test).

    ``push`` accepts int16 bytes or arrays of any length at ``sample_rate``; they are resampled
    and re-cut into 30 ms frames. ``end()`` lets iteration finish after the queued audio;
    ``close()`` stops it at once.
    """

    _END = object()

    def __init__(self, sample_rate: int = SAMPLE_RATE, max_queued_frames: int = 1000) -> None:
        self.sample_rate = sample_rate
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queued_frames)
        self._pending = np.zeros(0, np.int16)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._resampler = StreamResampler(sample_rate) if sample_rate != SAMPLE_RATE else None
        self.dropped_frames = 0

    def push(self, chunk: bytes | np.ndarray) -> None:
        samples = np.frombuffer(chunk, "<i2") if isinstance(chunk, bytes | bytearray) else chunk
        with self._lock:
            self._append(samples)

    def _append(self, samples: np.ndarray) -> None:
        if self._resampler is not None:
            samples = _to_int16(self._resampler.process(samples))
        self._pending = np.concatenate([self._pending, np.asarray(samples, np.int16)])
        while len(self._pending) >= FRAME_SAMPLES:
            frame, self._pending = (self._pending[:FRAME_SAMPLES].copy(),
                                    self._pending[FRAME_SAMPLES:])
            try:
                self._queue.put_nowait(frame)
            except queue.Full:
                self.dropped_frames += 1  # a stalled consumer must not stall the producer

    def end(self) -> None:
        """No more audio: flush the partial frame (zero-padded) and finish iteration."""
        with self._lock:
            if self._resampler is not None:
                tail, self._resampler = self._resampler.flush(), None
                self._append(tail)
            if len(self._pending):
                frame = np.zeros(FRAME_SAMPLES, np.int16)
                frame[: len(self._pending)] = self._pending
                self._pending = np.zeros(0, np.int16)
                self._queue.put(frame)
        self._queue.put(self._END)

    def __iter__(self) -> Iterator[np.ndarray]:
        while not self._closed.is_set():
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is self._END:
                return
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._closed.set()


class MicrophoneSource:
    """Frames from a sound card through PyAudio (optional dependency, imported on first use)."""

    def __init__(self, device_index: int | None = None, sample_rate: int = SAMPLE_RATE) -> None:
        try:
            import pyaudio  # optional, only robots with a microphone need it
        except ImportError as exc:
            raise AudioError(
                "마이크 입력에는 PyAudio가 필요합니다 / microphone input needs PyAudio: "
                "pip install pyaudio (and apt install portaudio19-dev)") from exc
        self.sample_rate = sample_rate
        self._pyaudio = pyaudio.PyAudio()
        # A card that cannot open 16 kHz is opened at its own rate and resampled seamlessly.
        self._resampler = StreamResampler(sample_rate) if sample_rate != SAMPLE_RATE else None
        self._pending = np.zeros(0, np.int16)
        self._chunk = sample_rate * FRAME_MS // 1000
        try:
            self._stream = self._pyaudio.open(
                format=pyaudio.paInt16, channels=1, rate=sample_rate, input=True,
                input_device_index=device_index, frames_per_buffer=self._chunk)
        except OSError as exc:
            self._pyaudio.terminate()
            raise AudioError(f"마이크를 열 수 없습니다 / cannot open microphone: {exc}") from exc
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[np.ndarray]:
        while not self._closed.is_set():
            data = self._stream.read(self._chunk, exception_on_overflow=False)
            samples = np.frombuffer(data, "<i2")
            if self._resampler is not None:
                samples = _to_int16(self._resampler.process(samples))
            self._pending = np.concatenate([self._pending, samples])
            while len(self._pending) >= FRAME_SAMPLES:
                yield self._pending[:FRAME_SAMPLES].copy()
                self._pending = self._pending[FRAME_SAMPLES:]

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._stream.stop_stream()
        self._stream.close()
        self._pyaudio.terminate()


class MuteGate:
    """Closed while the robot speaks and for ``tail_s`` after, so it does not hear itself.

    Thread-safe: the speaker thread closes and reopens it, the listening thread asks
    ``is_open()`` per frame. Nesting is counted, so overlapping prompts keep it closed.
    ``clock`` is injectable for simulations that run faster than real time.
    """

    def __init__(self, tail_s: float = 0.3, clock: Callable[[], float] = time.monotonic) -> None:
        self.tail_s = tail_s
        self._clock = clock
        self._lock = threading.Lock()
        self._holders = 0
        self._closed_until = -math.inf
        self.dropped_frames = 0

    def close(self) -> None:
        with self._lock:
            self._holders += 1

    def open(self, tail_s: float | None = None) -> None:
        """Release one hold; input resumes after the tail (the echo of the last word)."""
        with self._lock:
            self._holders = max(0, self._holders - 1)
            tail = self.tail_s if tail_s is None else tail_s
            self._closed_until = max(self._closed_until, self._clock() + tail)

    @contextmanager
    def muted(self, tail_s: float | None = None) -> Iterator[None]:
        self.close()
        try:
            yield
        finally:
            self.open(tail_s)

    def is_open(self) -> bool:
        with self._lock:
            return self._holders == 0 and self._clock() >= self._closed_until

    def filter(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Pass frames through only while open; dropped frames are counted, never stored."""
        for frame in frames:
            if self.is_open():
                yield frame
            else:
                self.dropped_frames += 1
