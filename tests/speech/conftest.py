"""Shared fixtures: one loaded Korean model and one phrase grammar for the whole session.

Loading the vosk model takes ~1 s and ~500 MB, so every test shares it. All audio is made
at test time with espeak-ng (nothing recorded is committed).
"""

from __future__ import annotations

import pytest

from suwon_fleet.speech.recognizer import SharedModel, SpeechRecognizer, load_model

# A small concierge + docent vocabulary, the kind the robots' nodes pass in.
PHRASES = [
    "여권 민원실 어디예요",
    "화장실 어디예요",
    "엘리베이터 어디 있어요",
    "인감증명서 발급 어디서 해요",
    "전입신고 하려고요",
    "지방세 내려고 왔어요",
    "다시 말해 주세요",
    "천천히 말해 주세요",
    "안녕히 계세요",
    "장미정원 가고 싶어요",
    "투어 시작해 주세요",
    "잠깐 멈춰 주세요",
    "다음으로 넘어가 주세요",
]

# The voice the recognizer handles best (see bench/speech_bench.py); tests use it so they
# check our code, not espeak-ng's weakest voice.
VOICE = "ko+f4"


@pytest.fixture(scope="session")
def model() -> SharedModel:
    return load_model()


@pytest.fixture(scope="session")
def recognizer(model: SharedModel) -> SpeechRecognizer:
    return SpeechRecognizer(PHRASES, model=model)


@pytest.fixture(scope="session")
def site_recognizers(model: SharedModel) -> dict[str, SpeechRecognizer]:
    """Each site's recognizer with the grammar exactly as its robots' speech nodes build it
    (the lobby's is ~3,000 phrases; building both takes ~2 s)."""
    from suwon_fleet.speech.speech_node import robot_phrases

    return {site: SpeechRecognizer(robot_phrases(site), model=model)
            for site in ("city_hall", "ilwol_arboretum")}
