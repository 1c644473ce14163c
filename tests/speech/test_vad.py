"""Voice activity detection on espeak-ng speech, silence and noise."""

from __future__ import annotations

import numpy as np
import pytest

from suwon_fleet.speech.audio import split_frames
from suwon_fleet.speech.synth import add_noise, pad, pink_noise, synthesize, white_noise
from suwon_fleet.speech.vad import VoiceActivityDetector, find_segments


@pytest.fixture(scope="module")
def phrase() -> np.ndarray:
    return synthesize("인감증명서 발급 어디서 해요", "ko+f4")


def test_finds_the_utterance_in_padded_audio(phrase: np.ndarray) -> None:
    audio = pad(phrase, 1.0, 1.5)
    segments = find_segments(audio)
    assert len(segments) == 1
    seg = segments[0]
    speech_end = 1.0 + len(phrase) / 16000
    # Onset keeps up to 300 ms of pre-roll; the end waits out ~250 ms of hangover.
    assert 0.65 <= seg.start_s <= 1.05
    assert speech_end - 0.1 <= seg.end_s <= speech_end + 0.45
    assert len(seg.pcm) == pytest.approx(seg.duration_s * 16000, abs=480)


def test_finds_two_utterances_separated_by_a_pause(phrase: np.ndarray) -> None:
    audio = np.concatenate([pad(phrase, 0.5, 1.0), pad(synthesize("네", "ko+f4"), 0, 1.0)])
    assert len(find_segments(audio)) == 2


@pytest.mark.parametrize("kind", ["white", "pink"])
def test_still_finds_speech_at_0_db(phrase: np.ndarray, kind: str) -> None:
    noisy = add_noise(pad(phrase, 1.0, 1.0), 0.0, kind, seed=1)
    segments = find_segments(noisy)
    assert len(segments) == 1
    assert segments[0].start_s < 1.2 and segments[0].end_s > 1.0 + len(phrase) / 16000 - 0.3


def test_nothing_in_silence() -> None:
    assert find_segments(np.zeros(16000 * 5, np.int16)) == []


@pytest.mark.parametrize("make", [white_noise, pink_noise])
@pytest.mark.parametrize("level", [300.0, 3000.0, 10000.0])
def test_nothing_in_stationary_noise(make, level: float) -> None:
    noise = make(16000 * 4, np.random.default_rng(int(level)))
    audio = np.clip(noise * level, -32768, 32767).astype(np.int16)
    assert find_segments(audio) == []


def test_events_and_push_to_talk(phrase: np.ndarray) -> None:
    vad = VoiceActivityDetector()
    silence = list(split_frames(np.zeros(16000, np.int16)))
    for frame in silence[:10]:
        assert vad.process(frame) == (None, [])
    start = vad.force_start()
    assert start.kind == "speech_start" and start.forced and vad.in_speech
    # After push-to-talk, silence before the first word does not end the utterance...
    for frame in silence:
        event, frames = vad.process(frame)
        assert event is None and len(frames) == 1
    # ...but the end of the speech that follows does.
    kinds = [vad.process(f)[0] for f in split_frames(pad(phrase, 0, 1.0))]
    ends = [e for e in kinds if e is not None]
    assert [e.kind for e in ends] == ["speech_end"] and not ends[0].forced


def test_rejects_wrong_frame_size() -> None:
    with pytest.raises(ValueError, match="480"):
        VoiceActivityDetector().process(np.zeros(160, np.int16))
