"""Streaming noise suppression: transparent on clean speech, strong on stationary noise."""

from __future__ import annotations

import numpy as np

from suwon_fleet.speech.audio import split_frames
from suwon_fleet.speech.denoise import HOP, NoiseSuppressor
from suwon_fleet.speech.synth import add_noise, pad, synthesize, white_noise

from .conftest import VOICE


def power_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-12))


def test_unit_gain_reconstructs_the_input_exactly_15_ms_later() -> None:
    pcm = synthesize("화장실 어디예요", VOICE)
    suppressor = NoiseSuppressor(over_subtraction=0.0, gain_floor=1.0)
    out = np.concatenate([suppressor.process(f) for f in split_frames(pcm)])
    assert np.abs(out[HOP:len(pcm)].astype(int) - pcm[: len(pcm) - HOP]).max() <= 1


def test_clean_speech_passes_through() -> None:
    pcm = pad(synthesize("인감증명서 발급 어디서 해요", VOICE), 0.5, 0.5)
    suppressor = NoiseSuppressor()
    out = suppressor.process_all(pcm)
    assert np.corrcoef(out.astype(float), pcm.astype(float))[0, 1] > 0.99
    assert not suppressor.high_cut and suppressor.noise_dbfs() < -80


def test_stationary_noise_is_suppressed_and_speech_survives() -> None:
    speech = pad(synthesize("장미정원 가고 싶어요", VOICE), 1.5, 0.5)
    noisy = add_noise(speech, 10.0, "white", seed=2)
    suppressor = NoiseSuppressor()
    out = suppressor.process_all(noisy)
    lead = slice(16000 // 2, 16000 + 16000 // 4)  # noise only, after the estimate settles
    assert power_db(out[lead]) < power_db(noisy[lead]) - 8
    assert suppressor.high_cut  # loud hiss above 5.5 kHz: the top band is cut
    assert abs(suppressor.noise_dbfs() - (-26.0 - 10.0)) < 4  # speech is at -26 dBFS
    words = slice(int(1.6 * 16000), len(speech) - 16000 // 2)
    assert power_db(out[words]) > power_db(noisy[words]) - 3  # speech keeps its energy


def test_quiet_room_noise_keeps_the_full_band() -> None:
    hiss = (white_noise(16000 * 2, np.random.default_rng(0)) * 10).astype(np.int16)  # -70 dBFS
    suppressor = NoiseSuppressor()
    suppressor.process_all(hiss)
    assert not suppressor.high_cut
