"""Speech output: espeak-ng synthesis, sinks, and the speaker holding the mute gate."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from suwon_fleet.speech.audio import MuteGate, read_wav
from suwon_fleet.speech.tts import EspeakTTS, NullSink, Speaker, Utterance, WavFileSink


@pytest.fixture(scope="module")
def tts() -> EspeakTTS:
    return EspeakTTS()


def test_korean_utterance_has_a_plausible_duration(tts: EspeakTTS) -> None:
    utterance = tts.synthesize("안녕하세요. 수원시청 종합안내입니다.")
    assert isinstance(utterance, Utterance)
    assert utterance.pcm.dtype == np.int16 and utterance.sample_rate == 22050
    # 17 syllables: a person takes ~2.5-4 s; espeak-ng at 150 wpm is in that range.
    assert 1.5 < utterance.duration_s < 6.0
    assert np.abs(utterance.pcm).max() > 3000  # audible, not silence


def test_slower_rate_for_elderly_visitors_gives_longer_audio(tts: EspeakTTS) -> None:
    text = "민원실은 일 층 왼쪽에 있습니다"
    normal = tts.synthesize(text, rate=1.0)
    slow = tts.synthesize(text, rate=0.8)
    fast = tts.synthesize(text, rate=1.3)
    assert slow.duration_s > 1.12 * normal.duration_s
    assert fast.duration_s < normal.duration_s


def test_english_voice_and_argument_checks(tts: EspeakTTS) -> None:
    english = tts.synthesize("The passport office is on the first floor.", lang="en")
    assert 1.0 < english.duration_s < 6.0 and english.lang == "en"
    assert tts.synthesize("   ").duration_s == 0.0
    with pytest.raises(ValueError, match="language"):
        tts.synthesize("bonjour", lang="fr")
    with pytest.raises(ValueError, match="rate"):
        tts.synthesize("안녕하세요", rate=3.0)


def test_wav_file_sink_writes_what_was_said(tts: EspeakTTS, tmp_path) -> None:
    sink = WavFileSink(tmp_path)
    utterance = tts.synthesize("투어를 시작하겠습니다")
    sink.play(utterance)
    assert len(sink.written) == 1
    pcm = read_wav(sink.written[0])  # read back at 16 kHz
    assert len(pcm) / 16000 == pytest.approx(utterance.duration_s, abs=0.01)


def test_speaker_keeps_the_gate_closed_while_playing_and_for_the_tail(tts: EspeakTTS) -> None:
    now = [0.0]
    gate = MuteGate(tail_s=0.5, clock=lambda: now[0])
    sink = NullSink(realtime=True)  # takes as long as the audio would
    speaker = Speaker(tts, sink, gate)
    seen_open: list[bool] = []
    thread = threading.Thread(target=speaker.say, args=("잠시만 기다려 주세요",))
    thread.start()
    deadline = time.monotonic() + 10
    while not speaker.speaking and time.monotonic() < deadline:
        time.sleep(0.005)
    while speaker.speaking:
        seen_open.append(gate.is_open())
        time.sleep(0.02)
    thread.join()
    assert seen_open and not any(seen_open)
    assert sink.played and sink.played[0][0] == "잠시만 기다려 주세요"
    assert speaker.last_play_s == pytest.approx(sink.played[0][1], abs=0.3)
    assert not gate.is_open()  # still within the tail
    now[0] += 0.6
    assert gate.is_open()


def test_speaker_stop_cuts_playback_short(tts: EspeakTTS) -> None:
    sink = NullSink(realtime=True)
    speaker = Speaker(tts, sink, MuteGate(tail_s=0.0))
    utterance = tts.synthesize("수원시청에 오신 것을 환영합니다. 무엇을 도와드릴까요?")
    thread = threading.Thread(target=speaker.play, args=(utterance,))
    thread.start()
    deadline = time.monotonic() + 10
    while not speaker.speaking and time.monotonic() < deadline:
        time.sleep(0.005)
    speaker.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert speaker.last_play_s < utterance.duration_s - 0.5
