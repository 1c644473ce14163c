"""Real espeak-ng speech through the real Korean vosk model: grammar path and free-form fallback."""

from __future__ import annotations

import numpy as np
import pytest

from suwon_fleet.speech.audio import split_frames
from suwon_fleet.speech.recognizer import SharedModel, SpeechRecognizer, load_model
from suwon_fleet.speech.synth import pad, synthesize

from .conftest import PHRASES, VOICE

# Phrases whose place, document or tour command must come through (one per kind of request).
KEY_WORDS = {
    "여권 민원실 어디예요": ("여권", "민원실"),
    "인감증명서 발급 어디서 해요": ("인감증명서", "발급"),
    "전입신고 하려고요": ("전입신고",),
    "지방세 내려고 왔어요": ("지방세",),
    "장미정원 가고 싶어요": ("장미정원",),
    "투어 시작해 주세요": ("투어", "시작해"),
    "잠깐 멈춰 주세요": ("잠깐", "멈춰"),
}


def speech(text: str, voice: str = VOICE) -> np.ndarray:
    return pad(synthesize(text, voice), 0.3, 0.3)


def test_model_overlay_tunes_decoding_without_touching_the_install(model: SharedModel) -> None:
    conf = (model.path / "conf" / "model.conf").read_text()
    assert "--acoustic-scale=0.5" in conf and "--lattice-beam=4" in conf
    original = (model.path / "am").resolve().parent / "conf" / "model.conf"
    assert "--acoustic-scale=1.0" in original.read_text()
    assert load_model() is model  # loaded once per process


def test_grammar_recognizes_the_key_words(model: SharedModel) -> None:
    recognizer = SpeechRecognizer(PHRASES, model=model, free_form="off")
    for phrase, words in KEY_WORDS.items():
        result = recognizer.recognize(speech(phrase))
        assert result.source == "grammar", (phrase, result)
        assert result.phrase == result.text == phrase
        assert all(word in result.grammar_text.split() for word in words)
        assert 0.5 <= result.confidence <= 1.0
        assert result.words and result.words[0].start_s < result.words[-1].end_s
        assert result.audio_s == pytest.approx(len(speech(phrase)) / 16000)


def test_partial_results_while_streaming(recognizer: SpeechRecognizer) -> None:
    stream = recognizer.stream()
    partials = []
    for frame in split_frames(speech("인감증명서 발급 어디서 해요")):
        stream.accept(frame)
        partials.append(stream.partial())
    heard = [p for p in partials if p]
    assert heard, "no partial text before the end of the utterance"
    assert "인감증명서" in heard[-1]
    assert stream.finish().phrase == "인감증명서 발급 어디서 해요"


def test_out_of_grammar_speech_falls_back_to_free_form(recognizer: SpeechRecognizer) -> None:
    result = recognizer.recognize(speech("바나나 우주선"))
    assert result.source == "free_form"
    assert result.phrase is None
    assert result.text and result.text == result.free_text
    assert result.confidence < recognizer.min_confidence
    assert result.grammar_text  # what the grammar path heard is kept for diagnosis


def test_silence_gives_no_text(recognizer: SpeechRecognizer) -> None:
    result = recognizer.recognize(np.zeros(16000 * 2, np.int16))
    assert result.is_empty and result.source == "none" and result.confidence == 0.0


def test_phrases_can_be_replaced_at_run_time(model: SharedModel) -> None:
    recognizer = SpeechRecognizer(["화장실 어디예요"], model=model, free_form="off")
    grammar = recognizer.set_phrases(["종합안내데스크로 데려다 주세요", "ありがとう"])
    assert grammar is not None and grammar.missing == {"ありがとう": ("ありがとう",)}
    result = recognizer.recognize(speech("종합안내데스크로 데려다 주세요"))
    assert result.phrase == "종합안내데스크로 데려다 주세요"
