"""Guests' words as tour commands and ratings (the concierge's recogniser reads the Korean)."""

from __future__ import annotations

import pytest

from suwon_fleet.concierge.content import load_content
from suwon_fleet.concierge.intents import IntentRecognizer
from suwon_fleet.docent.runner import TourCommand
from suwon_fleet.docent.voice import parse_rating, understand


@pytest.fixture(scope="module")
def recognizer() -> IntentRecognizer:
    return IntentRecognizer(load_content())


@pytest.mark.parametrize(("text", "command"), [
    ("잠깐 멈춰 주세요", TourCommand.PAUSE),
    ("잠깐만요", TourCommand.PAUSE),
    ("계속해 주세요", TourCommand.RESUME),
    ("다음으로 넘어가 주세요", TourCommand.SKIP),
    ("다시 한 번 설명해 주세요", TourCommand.REPEAT),
    ("이전으로 돌아가 주세요", TourCommand.PREVIOUS),
    ("투어 끝", TourCommand.END),
    ("화장실 어디예요", TourCommand.RESTROOM),
    ("skip", TourCommand.SKIP),  # a screen button
    ("Repeat", TourCommand.REPEAT),
])
def test_commands_by_voice_and_by_screen(recognizer, text: str, command: TourCommand) -> None:
    assert understand(text, recognizer).command is command


@pytest.mark.parametrize("text", ["오늘 점심 메뉴가 뭐예요", "", "음...", "카페 가고 싶어요"])
def test_anything_else_is_not_a_command(recognizer, text: str) -> None:
    heard = understand(text, recognizer)
    assert not heard.understood


@pytest.mark.parametrize(("text", "stars"), [
    ("5", 5), ("5점", 5), ("4 점이요", 4), ("rating:3", 3), ("다섯 점이요", 5),
    ("별 네 개", 4), ("세 개 줄게요", 3), ("한 점", 1), ("★★", 2), ("다섯", 5),
    ("좋았어요", None), ("6점", None), ("10", None),
])
def test_ratings(text: str, stars: int | None) -> None:
    assert parse_rating(text) == stars


def test_a_rating_only_when_one_is_asked_for(recognizer) -> None:
    assert understand("다섯 점이요", recognizer, rating_wanted=True).rating == 5
    assert understand("다섯 점이요", recognizer).rating is None
    # Asked for a rating, a command still counts (end: no rating, thanks).
    assert understand("end", recognizer, rating_wanted=True).command is TourCommand.END
