"""Audio plumbing: WAV decoding, resampling, framing, stream sources and the mute gate."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from suwon_fleet.speech.audio import (
    FRAME_SAMPLES,
    AudioError,
    MuteGate,
    PcmStreamSource,
    WavFileSource,
    decode_wav,
    encode_wav,
    read_wav,
    to_pcm16k,
    write_wav,
)
from suwon_fleet.speech.synth import espeak_wav


def test_decodes_espeak_stdout_despite_its_placeholder_size() -> None:
    raw = espeak_wav("안녕하세요", "ko")
    samples, rate = decode_wav(raw)
    assert rate == 22050
    assert samples.shape[1] == 1
    # The header claims ~2 GB; the decoder must use the bytes actually present.
    assert len(samples) == (len(raw) - 44) // 2
    assert 0.4 < len(samples) / rate < 3.0


def test_rejects_non_wav_bytes() -> None:
    with pytest.raises(AudioError):
        decode_wav(b"ID3 this is an mp3")


def test_resampling_keeps_duration_and_pitch() -> None:
    t = np.arange(44100) / 44100.0
    stereo = np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1) * 0.5  # float, 1 s
    pcm = to_pcm16k(stereo, 44100)
    assert pcm.dtype == np.int16 and len(pcm) == 16000
    spectrum = np.abs(np.fft.rfft(pcm.astype(float)))
    assert abs(np.argmax(spectrum) * 16000 / len(pcm) - 440) < 2  # still A4
    assert abs(np.abs(pcm).max() - 16383) < 200  # +-0.5 full scale


def test_wav_file_source_frames_and_round_trip(tmp_path) -> None:
    pcm = (np.sin(np.arange(16000 + 100) / 5) * 8000).astype(np.int16)
    path = write_wav(tmp_path / "tone.wav", pcm)
    assert np.array_equal(read_wav(path), pcm)
    frames = list(WavFileSource(path))
    assert len(frames) == -(-len(pcm) // FRAME_SAMPLES)
    assert all(len(f) == FRAME_SAMPLES for f in frames)
    assert np.array_equal(np.concatenate(frames)[: len(pcm)], pcm)
    assert not frames[-1][len(pcm) % FRAME_SAMPLES:].any()  # zero-padded tail


def test_wav_file_source_converts_other_rates(tmp_path) -> None:
    path = tmp_path / "8k.wav"
    path.write_bytes(encode_wav(np.zeros(8000, np.int16), 8000))
    assert WavFileSource(path).duration_s == pytest.approx(1.0)


def test_pcm_stream_source_reframes_pushed_chunks_from_another_thread() -> None:
    source = PcmStreamSource(sample_rate=48000)
    pcm48 = (np.random.default_rng(0).standard_normal(48000) * 1000).astype(np.int16)

    def producer() -> None:
        for start in range(0, len(pcm48), 1234):  # odd chunk sizes, as a socket delivers
            source.push(pcm48[start:start + 1234].tobytes())
        source.end()

    thread = threading.Thread(target=producer)
    thread.start()
    frames = list(source)
    thread.join()
    assert all(len(f) == FRAME_SAMPLES for f in frames)
    # Resampled in odd chunks, yet sample-for-sample what resampling it whole gives.
    assert len(frames) == -(-16000 // FRAME_SAMPLES)
    whole = to_pcm16k(pcm48, 48000).astype(int)
    assert np.abs(np.concatenate(frames)[:16000].astype(int) - whole).max() <= 1  # rounding


def test_mute_gate_drops_frames_while_speaking_and_for_the_tail() -> None:
    now = [0.0]
    gate = MuteGate(tail_s=0.3, clock=lambda: now[0])
    frames = [np.full(FRAME_SAMPLES, i, np.int16) for i in range(10)]
    assert len(list(gate.filter(frames))) == 10
    with gate.muted():
        assert not gate.is_open()
        assert list(gate.filter(frames)) == []
        with gate.muted():  # nested prompts keep it closed
            pass
        assert not gate.is_open()
    assert gate.dropped_frames == 10
    assert not gate.is_open()  # the tail: the room still echoes the last word
    now[0] = 0.29
    assert not gate.is_open()
    now[0] = 0.31
    assert gate.is_open()
    assert len(list(gate.filter(frames))) == 10
