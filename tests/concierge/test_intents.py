"""Intent recognition: measured accuracy on the labelled utterances, slots, robustness."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from suwon_fleet.concierge.intents import INTENTS, SLOT_KEYS, IntentRecognizer

UTTERANCES = Path(__file__).with_name("utterances_ko.yaml")


def labelled(split: str) -> list[dict]:
    return yaml.safe_load(UTTERANCES.read_text(encoding="utf-8"))[split]


def slots_ok(expected: dict | None, got: dict[str, str]) -> bool:
    return all(got.get(key) == value for key, value in (expected or {}).items())


def test_labelled_set_is_well_formed() -> None:
    tuning, held_out = labelled("tuning"), labelled("held_out")
    assert len(tuning) + len(held_out) >= 130
    assert len(held_out) >= 60
    texts = [u["text"] for u in tuning + held_out]
    assert len(texts) == len(set(texts)), "an utterance appears twice (or in both splits)"
    counts = Counter(u["intent"] for u in tuning + held_out)
    required = set(INTENTS) - {"greeting"}
    assert required <= set(counts), required - set(counts)
    for u in tuning + held_out:
        assert u["intent"] in INTENTS
        assert set(u.get("slots") or {}) <= set(SLOT_KEYS), u
        assert not any(ch in u["text"] for ch in "!~*#@"), "keep them speakable"


@pytest.mark.parametrize("split", ["tuning", "held_out"])
def test_intent_accuracy_at_least_90_percent(recognizer: IntentRecognizer, split: str) -> None:
    items = labelled(split)
    wrong = []
    for u in items:
        got = recognizer.recognize(u["text"])
        if got.name != u["intent"]:
            wrong.append((u["text"], u["intent"], got.name))
    accuracy = 1 - len(wrong) / len(items)
    assert accuracy >= 0.90, wrong


@pytest.mark.parametrize("split", ["tuning", "held_out"])
def test_slot_accuracy_at_least_90_percent(recognizer: IntentRecognizer, split: str) -> None:
    items = [u for u in labelled(split) if u.get("slots")]
    wrong = [(u["text"], u["slots"], got.slots) for u in items
             if not slots_ok(u["slots"], (got := recognizer.recognize(u["text"])).slots)]
    assert 1 - len(wrong) / len(items) >= 0.90, wrong


def test_required_examples(recognizer: IntentRecognizer) -> None:
    passport = recognizer.recognize("여권 민원실 어디예요?")
    assert passport.name in ("where_is", "take_me_to")
    assert passport.slots["place"] == "saebit_counter_1"
    assert passport.slots["service"] == "passport_issue"
    assert recognizer.recognize("베테랑 공무원 불러 주세요").name == "call_official"
    vague = recognizer.recognize("증명서 뗄래요")
    assert vague.name == "service_requirements" and "service" not in vague.slots


def test_spacing_from_the_recogniser_does_not_change_the_intent(
        recognizer: IntentRecognizer) -> None:
    """Speech recognisers space Korean unreliably: the held-out set with every space removed
    is understood (almost) as well."""
    items = labelled("held_out")
    same = sum(recognizer.recognize(u["text"].replace(" ", "")).name == u["intent"]
               for u in items)
    assert same / len(items) >= 0.90


@pytest.mark.parametrize(("text", "intent", "slot"), [
    ("주민 등록 등븐 떼러 왔어요", "service_requirements", ("service", "resident_copy")),
    ("가족관게 증명서 창구 어디예요", "where_is", ("place", "saebit_counter_3")),
    ("화장싫 어디 있어요", "facility", ("facility", "restroom")),
    ("기초 연굼 신청", "service_requirements", ("service", "basic_pension")),
    ("삼 번 창구 어디예요", "where_is", ("place", "saebit_counter_3")),
    ("천촌히 말해 주세요", "speak_slower", None),  # a misheard cue word
    ("좋습늬다", "affirm", None),
    ("사람하고 이야기허고 싶어요", "call_official", None),
])
def test_recognition_errors_and_spoken_numbers(recognizer: IntentRecognizer, text: str,
                                               intent: str,
                                               slot: tuple[str, str] | None) -> None:
    got = recognizer.recognize(text)
    assert got.name == intent
    if slot:
        assert got.slots.get(slot[0]) == slot[1]
    assert 0 < got.confidence <= 1


@pytest.mark.parametrize("text", ["", "   ", "where is the restroom", "1234", "아아아",
                                  "바나나 우유 주세요", "어제 드라마 봤어요",
                                  "예요", "네요"])  # bare endings (of 어디예요...) are no yes
def test_noise_is_unknown_with_no_slots(recognizer: IntentRecognizer, text: str) -> None:
    got = recognizer.recognize(text)
    assert (got.name, got.confidence, got.slots) == ("unknown", 0.0, {})
    assert not got.understood


def test_result_carries_the_deciding_words(recognizer: IntentRecognizer) -> None:
    got = recognizer.recognize("여권 창구로 데려다 주세요")
    assert got.name == "take_me_to" and got.matched == "데려"
    assert got.text == "여권 창구로 데려다 주세요"
