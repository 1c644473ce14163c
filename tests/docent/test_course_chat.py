"""Choosing a course by voice: the robot asks only for what it still needs, offers the best
course with its reasons, offers the next on a no, and starts on a yes."""

from __future__ import annotations

from datetime import datetime

import pytest

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.course_chat import (
    CourseConversation,
    StartCourse,
    parse_interests,
    parse_minutes,
)
from tests.docent.test_recommend import ROUTES, SITE, TUESDAY_10AM

MONDAY = datetime(2026, 6, 1, 11, 0)  # the arboretum is closed


def chat(when: datetime = TUESDAY_10AM) -> CourseConversation:
    return CourseConversation(SITE, clock=lambda: when, routes=ROUTES)


@pytest.mark.parametrize(("text", "minutes"), [
    ("30분", 30), ("한 시간 정도요", 60), ("한 시간 반", 90), ("1.5시간", 90),
    ("두 시간 있어요", 120), ("삼십 분이요", 30), ("반 시간", 30), ("45 minutes", 45),
    ("2 hours", 120), ("잘 모르겠어요", None), ("네", None),
])
def test_minutes(text: str, minutes: float | None) -> None:
    assert parse_minutes(text) == minutes


def test_interests() -> None:
    assert parse_interests("손주랑 꽃 보러 왔어요") == {"kids", "flowers"}
    assert parse_interests("그냥 산책이요") == frozenset()


def test_asks_for_time_then_steps_then_offers_and_starts_on_yes() -> None:
    c = chat()
    first = c.hear("아이랑 같이 볼 만한 코스 추천해 주세요")
    assert first.expecting == "minutes" and "시간" in first.text.ko and first.text.en
    second = c.hear("한 시간 정도요")
    assert second.expecting == "step_free" and "휠체어" in second.text.ko
    offer = c.hear("아니요")
    assert offer.expecting == "confirm" and offer.action is None
    assert "어린이 가족 코스를 추천해요" in offer.text.ko, offer.text.ko
    assert offer.text.ko.endswith("시작할까요?") and "Shall we start?" in offer.text.en
    start = c.hear("네")
    assert start.action == StartCourse("family_kids", "ko")
    assert not c.active  # the next guest starts afresh


def test_everything_at_once_skips_the_questions() -> None:
    offer = chat().hear("삼십 분 휠체어 코스 추천해 주세요")
    assert offer.expecting == "confirm"
    assert offer.text.ko.startswith("휠체어 무장애 코스를 추천해요"), offer.text.ko


def test_no_offers_the_next_course_then_gives_up_politely() -> None:
    c = chat()
    c.hear("두 시간 있는데 투어 추천해 주세요")
    offers = [c.hear("아니요")]  # the step-free question
    assert offers[0].expecting == "confirm"
    names = [offers[0].text.ko]
    while (reply := c.hear("아니요")).expecting == "confirm":
        names.append(reply.text.ko)
    assert len(set(names)) == len(names) >= 3, names  # each course offered once
    assert names[1].startswith("그럼 ")
    assert "화면" in reply.text.ko and reply.action is None and not c.active


def test_english_on_request() -> None:
    c = chat()
    c.hear("영어로 30분 투어 하고 싶어요")
    c.hear("아니요")
    assert c.hear("네").action == StartCourse("highlights_30", "en")


def test_not_understood_asks_again_then_points_to_the_screen() -> None:
    c = chat()
    c.hear("코스 추천해 주세요")
    again = c.hear("바나나 우주선")
    assert again.expecting == "minutes" and again.text.ko.startswith("죄송해요")
    gave_up = c.hear("음 그러니까")
    assert "화면" in gave_up.text.ko and gave_up.action is None and not c.active


def test_other_talk_is_not_taken() -> None:
    c = chat()
    assert c.hear("오늘 날씨 좋네요") is None
    assert c.hear("화장실 어디예요") is None
    assert not c.active


def test_closed_day_is_said_plainly() -> None:
    c = chat(MONDAY)
    reply = c.hear("한 시간 투어 추천해 주세요")
    reply = c.hear("아니요")
    assert "휴원일" in reply.text.ko and reply.action is None and not c.active


def test_silence_means_a_new_guest() -> None:
    now = [TUESDAY_10AM]
    c = CourseConversation(SITE, clock=lambda: now[0], routes=ROUTES)
    c.hear("투어 추천해 주세요")
    now[0] = TUESDAY_10AM.replace(minute=5)
    assert c.hear("네") is None  # the question is forgotten: "네" alone is no tour request


def test_the_site_has_the_courses_this_test_names() -> None:
    tours = load_fleet().sites["ilwol_arboretum"].tours
    assert {"family_kids", "wheelchair", "highlights_30"} <= set(tours)
