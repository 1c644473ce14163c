"""Test-corpus tools: espeak-ng synthesis, padding, and noise at a measured SNR."""

from __future__ import annotations

import numpy as np
import pytest

from suwon_fleet.speech.audio import SAMPLE_RATE, decode_wav
from suwon_fleet.speech.synth import (
    active_level_dbfs,
    add_noise,
    espeak_wav,
    pad,
    snr_db,
    synthesize,
)


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return pad(synthesize("주민등록등본 떼려면 뭐가 필요해요"), 0.5, 0.5)


def test_synthesis_is_16k_speech_at_the_nominal_level() -> None:
    pcm = synthesize("화장실 어디예요")
    assert pcm.dtype == np.int16
    assert 0.5 < len(pcm) / SAMPLE_RATE < 3.0
    assert active_level_dbfs(pcm) == pytest.approx(-26.0, abs=0.1)
    # Leading and trailing silence are trimmed (espeak-ng pads both ends).
    raw, rate = decode_wav(espeak_wav("화장실 어디예요"))
    assert pcm[0] != 0 and pcm[-1] != 0
    assert len(pcm) < len(raw) * SAMPLE_RATE / rate - 800


def test_slower_and_higher_voices_change_the_audio() -> None:
    normal = synthesize("잠깐 멈춰 주세요", speed=175)
    slow = synthesize("잠깐 멈춰 주세요", speed=120)
    assert len(slow) > 1.25 * len(normal)
    low = synthesize("잠깐 멈춰 주세요", pitch=20)
    high = synthesize("잠깐 멈춰 주세요", "ko+f4", pitch=80)
    assert not np.array_equal(low[: len(high)], high[: len(low)])


def test_pad_adds_exact_silence(speech: np.ndarray) -> None:
    core = synthesize("네")
    padded = pad(core, 0.25, 1.0)
    assert len(padded) == len(core) + 4000 + 16000
    assert not padded[:4000].any() and not padded[-16000:].any()


@pytest.mark.parametrize("kind", ["white", "pink", "babble"])
@pytest.mark.parametrize("target", [10.0, 0.0])
def test_noise_is_added_at_the_requested_snr(speech: np.ndarray, kind: str,
                                             target: float) -> None:
    noisy = add_noise(speech, target, kind, seed=3)
    assert noisy.dtype == np.int16 and len(noisy) == len(speech)
    noise = noisy.astype(np.float64) - speech
    assert snr_db(speech, noise) == pytest.approx(target, abs=0.1)
    # Noise covers the padding too, as room noise would.
    assert np.abs(noisy[:4000]).max() > 0


def test_snr_ignores_padding(speech: np.ndarray) -> None:
    noise = np.random.default_rng(0).standard_normal(len(speech)) * 300
    longer = pad(speech, 2.0, 2.0)
    longer_noise = np.random.default_rng(0).standard_normal(len(longer)) * 300
    assert snr_db(speech, noise) == pytest.approx(snr_db(longer, longer_noise), abs=0.3)


def test_noise_is_reproducible_per_seed(speech: np.ndarray) -> None:
    assert np.array_equal(add_noise(speech, 10, "pink", seed=1),
                          add_noise(speech, 10, "pink", seed=1))
    assert not np.array_equal(add_noise(speech, 10, "pink", seed=1),
                              add_noise(speech, 10, "pink", seed=2))


def test_unknown_noise_kind_is_refused(speech: np.ndarray) -> None:
    with pytest.raises(ValueError, match="noise kind"):
        add_noise(speech, 10, "brown")
