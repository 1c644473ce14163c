"""Test-corpus tools: Korean speech from espeak-ng, silence padding, and noise at a set SNR.

Used by the tests, the speech bench and the intent-accuracy benchmark, so every figure is
made from audio synthesized at run time (nothing recorded is committed). SNR follows the
usual active-speech convention: speech power is measured only over frames within 40 dB of
the loudest frame, so padding a clip with silence does not change its SNR.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

import numpy as np

from suwon_fleet.speech.audio import FRAME_SAMPLES, SAMPLE_RATE, AudioError, decode_wav, to_pcm16k

ESPEAK = "espeak-ng"
ESPEAK_DEFAULT_SPEED = 175  # words per minute, espeak-ng's own default
ACTIVE_RANGE_DB = 40.0
NOMINAL_LEVEL_DBFS = -26.0

# Unrelated everyday sentences for babble, so babble never contains a concierge phrase.
BABBLE_SENTENCES: tuple[str, ...] = (
    "오늘 점심은 김치찌개를 먹었어요",
    "주말에 가족들과 바다에 다녀왔습니다",
    "이번 겨울은 작년보다 훨씬 춥다고 하네요",
    "아이들이 운동장에서 축구를 하고 있어요",
    "새로 생긴 카페 커피가 맛있더라고요",
    "버스가 늦게 와서 회의에 조금 늦었어요",
    "내일 아침에는 비가 온다고 했어요",
    "할머니 댁에 감을 보내 드렸습니다",
    "도서관에서 빌린 책을 반납해야 해요",
    "저녁에는 친구와 영화를 볼 거예요",
    "시장에서 사과랑 배를 샀어요",
    "강아지가 산책을 정말 좋아해요",
)


def espeak_available() -> bool:
    return shutil.which(ESPEAK) is not None


def espeak_wav(text: str, voice: str = "ko", *, speed: int = ESPEAK_DEFAULT_SPEED,
               pitch: int = 50, word_gap: int = 0, amplitude: int = 100) -> bytes:
    """Raw WAV bytes from ``espeak-ng --stdout`` (22,050 Hz mono).

    ``voice`` may carry a variant (``ko+f2``); ``word_gap`` is in units of 10 ms. Text goes in
    on stdin, so it is never parsed as an option.
    """
    if not espeak_available():
        raise AudioError("espeak-ng가 설치되어 있지 않습니다 / espeak-ng is not installed")
    command = [ESPEAK, "-v", voice, "-s", str(int(speed)), "-p", str(int(pitch)),
               "-a", str(int(amplitude)), "-g", str(int(word_gap)), "--stdout"]
    done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                          timeout=30, check=False)
    if done.returncode != 0 or len(done.stdout) <= 44:
        raise AudioError(f"espeak-ng failed / 음성 합성 실패: {done.stderr.decode().strip()}")
    return done.stdout


def synthesize(text: str, voice: str = "ko", *, speed: int = ESPEAK_DEFAULT_SPEED,
               pitch: int = 50, word_gap: int = 0,
               level_dbfs: float | None = NOMINAL_LEVEL_DBFS) -> np.ndarray:
    """``text`` spoken by espeak-ng as 16 kHz mono int16, end silences trimmed.

    The active level is normalized to ``level_dbfs`` (None keeps espeak-ng's own).
    """
    samples, rate = decode_wav(espeak_wav(text, voice, speed=speed, pitch=pitch,
                                          word_gap=word_gap))
    pcm = trim_silence(to_pcm16k(samples, rate))
    return normalize_level(pcm, level_dbfs) if level_dbfs is not None and len(pcm) else pcm


def trim_silence(pcm: np.ndarray, threshold: int = 64) -> np.ndarray:
    """Drop leading and trailing samples quieter than ``threshold`` (espeak pads both ends)."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > threshold)
    return pcm[loud[0]:loud[-1] + 1] if len(loud) else pcm[:0]


def pad(pcm: np.ndarray, before_s: float = 0.5, after_s: float = 0.5) -> np.ndarray:
    """Silence before and after ``pcm``."""
    before = np.zeros(round(before_s * SAMPLE_RATE), np.int16)
    after = np.zeros(round(after_s * SAMPLE_RATE), np.int16)
    return np.concatenate([before, np.asarray(pcm, np.int16), after])


def _frame_powers(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    usable = len(x) // FRAME_SAMPLES * FRAME_SAMPLES
    return (x[:usable].reshape(-1, FRAME_SAMPLES) ** 2).mean(axis=1)


def active_mask(clean: np.ndarray) -> np.ndarray:
    """Per 30 ms frame: does it hold speech (within 40 dB of the loudest frame)?"""
    powers = _frame_powers(clean)
    if not len(powers) or powers.max() <= 0:
        return np.zeros(len(powers), bool)
    return powers >= powers.max() * 10 ** (-ACTIVE_RANGE_DB / 10)


def snr_db(clean: np.ndarray, noise: np.ndarray) -> float:
    """SNR of ``clean`` against ``noise`` (same length), over the clean signal's active frames."""
    mask = active_mask(clean)
    if not mask.any():
        raise ValueError("clean signal is silent; SNR is undefined")
    speech = _frame_powers(clean)[mask].mean()
    noise_power = _frame_powers(noise)[mask].mean()
    return float(10 * np.log10(speech / max(noise_power, 1e-12)))


def active_level_dbfs(pcm: np.ndarray) -> float:
    """Active speech level in dBFS (power over the active frames, ITU P.56 in spirit)."""
    mask = active_mask(pcm)
    if not mask.any():
        return -120.0
    return float(10 * np.log10(_frame_powers(pcm)[mask].mean() / 32768.0**2))


def normalize_level(pcm: np.ndarray, dbfs: float = NOMINAL_LEVEL_DBFS) -> np.ndarray:
    """Scale speech to an active level of ``dbfs`` (-26 dBFS: nominal telephony level).

    espeak-ng's level depends on voice and text; a microphone with sane gain delivers
    roughly this, and the recognizer degrades below about -35 dBFS.
    """
    level = active_level_dbfs(pcm)
    if level <= -120.0:
        return np.asarray(pcm, np.int16)
    scaled = np.asarray(pcm, np.float64) * 10 ** ((dbfs - level) / 20)
    return np.clip(np.round(scaled), -32768, 32767).astype(np.int16)


def white_noise(samples: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(samples)


def pink_noise(samples: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise by shaping white noise's spectrum (power falls 3 dB per octave)."""
    spectrum = np.fft.rfft(rng.standard_normal(samples))
    freqs = np.fft.rfftfreq(samples)
    freqs[0] = freqs[1] if len(freqs) > 1 else 1.0
    shaped = np.fft.irfft(spectrum / np.sqrt(freqs), n=samples)
    return shaped / (shaped.std() or 1.0)


@functools.lru_cache(maxsize=4)
def _babble_talkers(talkers: int) -> tuple[np.ndarray, ...]:
    # One long track per talker, each a different voice variant and pitch, cached because
    # every noisy clip of a run reuses them.
    variants = ("ko", "ko+f2", "ko+m3", "ko+f4", "ko+m5", "ko+f1", "ko+m2", "ko+f5")
    tracks = []
    for t in range(talkers):
        # Four sentences (~8 s) per talker, a different four each: random offsets into a
        # loop of them keep talkers from lining up, and synthesis stays quick.
        text = ". ".join(BABBLE_SENTENCES[(4 * t + i) % len(BABBLE_SENTENCES)] for i in range(4))
        pcm = synthesize(text, variants[t % len(variants)], speed=150 + 10 * (t % 4),
                         pitch=30 + 9 * t % 50)
        tracks.append(pcm.astype(np.float64))
    return tuple(tracks)


def babble_noise(samples: int, rng: np.random.Generator, talkers: int = 6) -> np.ndarray:
    """Several espeak-ng talkers saying unrelated sentences at once, random offsets."""
    out = np.zeros(samples)
    for track in _babble_talkers(talkers):
        looped = np.tile(track, samples // len(track) + 2)
        start = int(rng.integers(0, len(track)))
        out += looped[start:start + samples]
    return out / (out.std() or 1.0)


NOISE_KINDS = {"white": white_noise, "pink": pink_noise, "babble": babble_noise}


def add_noise(clean: np.ndarray, snr: float, kind: str = "white", seed: int = 0) -> np.ndarray:
    """``clean`` plus ``kind`` noise (white, pink or babble) scaled to ``snr`` dB.

    The noise covers the whole clip, padding included, as room noise would. If the mix would
    clip, speech and noise are scaled down together, which keeps the SNR.
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise kind must be one of {sorted(NOISE_KINDS)}, got {kind!r}")
    rng = np.random.default_rng(seed)
    speech = np.asarray(clean, np.float64)
    noise = NOISE_KINDS[kind](len(speech), rng)
    mask = active_mask(speech)
    if not mask.any():
        raise ValueError("clean signal is silent; SNR is undefined")
    noise_mask = _frame_powers(noise)[mask].mean()
    scale = np.sqrt(_frame_powers(speech)[mask].mean() / (noise_mask * 10 ** (snr / 10)))
    mixed = speech + noise * scale
    peak = np.abs(mixed).max()
    if peak > 32767:
        mixed *= 32767 / peak
    return np.round(mixed).astype(np.int16)
