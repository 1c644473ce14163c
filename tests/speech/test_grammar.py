"""Grammar building against the real model vocabulary (503k tokens inside graph/Gr.fst)."""

from __future__ import annotations

import json

from suwon_fleet.speech.grammar import (
    UNK,
    build_grammar,
    normalize_text,
    segment_eojeol,
    segment_word,
    sino_korean,
    to_jamo,
)
from suwon_fleet.speech.recognizer import SharedModel


def test_vocabulary_mixes_whole_eojeol_and_pieces(model: SharedModel) -> None:
    # Whole words people write are often entries...
    for word in ("여권", "민원실", "화장실", "엘리베이터", "있어요", "주세요", "주민등록등본"):
        assert word in model
    # ...but many inflected forms exist only as pieces, and vosk's "[unk]" is not a token.
    for word in ("어디예요", "등록은", "다음으로", "가고", "[unk]"):
        assert word not in model
    assert UNK in model


def test_segments_missing_eojeol_into_fewest_known_tokens(model: SharedModel) -> None:
    assert segment_word("화장실", model) == ["화장실"]
    assert segment_word("어디예요", model) == ["어디", "예요"]
    assert segment_word("등록은", model) == ["등록", "은"]
    assert segment_word("다음으로", model) == ["다음", "으로"]
    assert segment_word("떼려면", model) == ["떼", "려면"]
    assert segment_word("☃☃", model) is None


def test_grammar_lines_use_only_model_tokens(model: SharedModel) -> None:
    grammar = build_grammar(["여권 민원실 어디예요?", "자동차 등록은 어디서 해요", "ktx 타는 곳",
                             "ありがとう 어디예요", "여권 민원실 어디예요"], model,
                            background=["커피", "날씨"])
    assert [p.surface for p in grammar.phrases] == [  # deduplicated, as written
        "여권 민원실 어디예요?", "자동차 등록은 어디서 해요", "ktx 타는 곳", "ありがとう 어디예요"]
    assert grammar.phrases[0].units == ("여권", "민원실", "어디", "예요")
    assert grammar.phrases[1].units == ("자동차", "등록", "은", "어디서", "해요")
    assert grammar.phrases[2].units == ("KTX", "타", "는", "곳")  # acronyms are upper-case
    assert grammar.missing == {"ありがとう 어디예요": ("ありがとう",)}
    lines = json.loads(grammar.to_json())
    assert "여권 민원실 어디 예요" in lines and "커피" in lines and "날씨" in lines
    assert all(token in model for line in lines for token in line.split())
    assert grammar.background_tokens == {"커피", "날씨"}


def test_numbers_are_spelled_as_read(model: SharedModel) -> None:
    # The model has no bare digits: "1번" used to drop its number, so all six counters'
    # phrases decoded alike and the grammar answered with whichever came last.
    assert "1" not in model
    assert segment_eojeol("1번", model) == ["일", "번"]
    assert segment_eojeol("12번", model) == ["십이", "번"]
    assert segment_eojeol("창구", model) == segment_word("창구", model)
    grammar = build_grammar([f"{n}번 창구 어디예요" for n in range(1, 7)], model, background=[])
    assert not grammar.missing
    assert len({p.jamo for p in grammar.phrases}) == 6
    assert [sino_korean(n) for n in (0, 1, 10, 12, 20, 305, 1994)] == [
        "영", "일", "십", "십이", "이십", "삼백오", "천구백구십사"]


def test_a_phrase_listed_twice_weighs_twice(model: SharedModel) -> None:
    grammar = build_grammar(["아니요", "화장실 어디예요", "아니요", "아니요"], model, background=[])
    assert [(p.surface, p.weight) for p in grammar.phrases] == [("아니요", 3),
                                                              ("화장실 어디예요", 1)]
    assert sorted(grammar.lines()) == ["아니요", "아니요", "아니요", "화장실 어디 예요"]


def test_phrase_matching_is_on_jamo_and_ignores_spacing(model: SharedModel) -> None:
    grammar = build_grammar(["화장실 어디예요", "정수기 어디 있어요", "투어 시작해 주세요"], model)
    match = grammar.match("화장실 어디 예요")
    assert match is not None and match.phrase.surface == "화장실 어디예요" and match.score == 1.0
    near = grammar.match("화장실 어디에요")  # a common misspelling, one jamo off
    assert near is not None and near.phrase.surface == "화장실 어디예요" and near.score > 0.9
    assert grammar.match("") is None


def test_text_helpers() -> None:
    assert normalize_text("  여권,  민원실은?? 어디예요! ") == "여권 민원실은 어디예요"
    assert normalize_text("atm 어디") == "ATM 어디"
    assert to_jamo("한 글") == "\u1112\u1161\u11ab\u1100\u1173\u11af"  # ㅎㅏㄴㄱㅡㄹ, no space
