"""The robots' grammar lines, built from the site data (what the speech node listens for)."""

from __future__ import annotations

from collections import Counter

from suwon_fleet.concierge.content import Content
from suwon_fleet.concierge.vocabulary import (
    COMMON_REQUESTS,
    COURSE_REQUESTS,
    LOBBY_REQUESTS,
    RATING_ANSWERS,
    TOUR_REQUESTS,
    concierge_phrases,
    docent_phrases,
)
from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.course_chat import CourseConversation
from suwon_fleet.docent.voice import parse_rating
from suwon_fleet.docent.wayfinding import Wayfinding
from tests.docent.test_recommend import TUESDAY_10AM


def test_lobby_lines_are_korean_and_cover_every_kind_of_name(content: Content) -> None:
    lines = concierge_phrases(content)
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in line) for line in lines)
    assert not any(ch.isascii() and ch.isalpha() for line in lines for ch in line)  # passport
    distinct = set(lines)
    assert not any("충전 스테이션" in line or "대기 위치" in line for line in distinct)
    for line in ("여권 어디서 해요", "주민등록등본 떼려면 뭐가 필요해요",  # services
                 "정문으로 안내해 주세요", "새빛민원실까지 데려다 주세요",  # places, 로/으로
                 "민원실로 안내해 주세요", "주차장 어디예요",  # an alias; a facility
                 "대기석까지 데려다 주세요",  # the waiting area (the robot's own spot is not)
                 "세정과 몇 층이에요", "김영숙 불러 주세요",  # departments; staff
                 "아니요", "천천히 말해 주세요"):
        assert line in distinct, line


def test_common_requests_weigh_as_much_as_all_the_name_questions(content: Content) -> None:
    counts = Counter(concierge_phrases(content))
    requests = set(COMMON_REQUESTS) | set(LOBBY_REQUESTS)
    assert counts["아니요"] == counts["네"] > 1
    asked = sum(n for line, n in counts.items() if line not in requests)
    listed = sum(n for line, n in counts.items() if line in requests)
    assert 0.8 < listed / asked < 1.25
    assert all(n == 1 for line, n in counts.items() if line not in requests)


def test_docent_lines_have_the_tour_commands_and_the_places() -> None:
    site = load_fleet().sites["ilwol_arboretum"]
    lines = set(docent_phrases(site))
    assert set(TOUR_REQUESTS) <= lines and "아니요" in lines
    assert any(line.endswith(" 어디예요") and line.split()[0] in {
        p.name_ko for p in site.places.values()} for line in lines)


def test_every_docent_line_is_understood_by_what_handles_it() -> None:
    """A line the recogniser can hear but nothing understands is a wasted (and confusing)
    grammar entry: course lines go to the course chat, ratings to the tour's voice parser,
    place questions to wayfinding."""
    site = load_fleet().sites["ilwol_arboretum"]
    lines = set(docent_phrases(site))
    assert set(COURSE_REQUESTS) | set(RATING_ANSWERS) <= lines
    for line in COURSE_REQUESTS:
        chat = CourseConversation(site, lambda: TUESDAY_10AM)
        if chat.hear(line) is None:  # an answer, not a request: ask for a course first
            chat.hear("코스 추천해 주세요")
            reply = chat.hear(line)
            assert reply is not None and not reply.text.ko.startswith("죄송"), line
    assert all(parse_rating(line) for line in RATING_ANSWERS)
    place_lines = lines - set(COMMON_REQUESTS) - set(TOUR_REQUESTS) - set(COURSE_REQUESTS) \
        - set(RATING_ANSWERS)
    assert len(place_lines) > 40
    for line in place_lines:
        way = Wayfinding(site, lambda: Pose2D(0.0, 0.0, 0.0), lambda: 0.0)
        assert way.hear(line) is not None, line
