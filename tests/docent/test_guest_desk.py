"""Between tours: where-is questions with an offer to walk there, course choice, and a hint
for anything else (at most once a minute, never for chatter it is unsure of)."""

from __future__ import annotations

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.docent.course_chat import GuideTo, StartCourse
from suwon_fleet.docent.guest_desk import GuestDesk
from suwon_fleet.docent.wayfinding import CONFIRM_WITHIN_S
from tests.docent.test_recommend import ROUTES, SITE, TUESDAY_10AM

HOME = SITE.places["home_docent_1"]
AT_HOME = Pose2D(HOME.x, HOME.y, 0.0)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def desk(clock: Clock | None = None, pose: Pose2D | None = AT_HOME) -> GuestDesk:
    return GuestDesk(SITE, now=lambda: TUESDAY_10AM, seconds=clock or Clock(),
                     pose=lambda: pose, routes=ROUTES)


def test_restroom_question_offers_the_way_and_goes_on_yes() -> None:
    d = desk()
    offer = d.hear("화장실 어디예요")
    assert offer.expecting == "confirm" and offer.text.ko.startswith("화장실은 여기서 약")
    assert "미터" in offer.text.ko and offer.text.ko.endswith("안내해 드릴까요?")
    assert "Restrooms" in offer.text.en
    going = d.hear("네")
    assert going.action == GuideTo("restroom")


def test_no_means_nothing_happens() -> None:
    d = desk()
    d.hear("카페 어디 있어요")
    reply = d.hear("아니요")
    assert reply.action is None and "알겠습니다" in reply.text.ko


def test_a_late_yes_does_not_move_the_robot() -> None:
    clock = Clock()
    d = desk(clock)
    d.hear("화장실 어디예요")
    clock.t += CONFIRM_WITHIN_S + 1
    reply = d.hear("네")
    assert reply is None or reply.action is None


def test_a_garden_by_name_or_alias() -> None:
    d = desk()
    offer = d.hear("장미정원은 어떻게 가요 어디로 가면 돼요")
    assert offer is not None and offer.text.ko.startswith("장미정원은"), offer
    assert d.hear("네").action == GuideTo("rose_garden")


def test_the_nearest_of_several_exits() -> None:
    exits = SITE.facilities["exit"]
    d = desk()
    d.hear("출구가 어디예요")
    assert d.hear("네").action.place_id in exits


def test_course_requests_still_reach_the_course_chat() -> None:
    d = desk()
    assert d.hear("코스 안내해 주세요").expecting == "minutes"
    d.hear("30분이요")
    d.hear("아니요")  # no step-free need
    assert isinstance(d.hear("네").action, StartCourse)


def test_anything_else_gets_a_hint_once_a_minute_and_chatter_nothing() -> None:
    clock = Clock()
    d = desk(clock)
    assert d.hear("음 그게", confidence=0.2) is None  # not sure it heard anything
    hint = d.hear("오늘 날씨 좋네요", confidence=0.9)
    assert "코스 추천해 주세요" in hint.text.ko and "recommend a course" in hint.text.en
    assert d.hear("점심 뭐 먹지", confidence=0.9) is None  # not again so soon
    clock.t += 61
    assert d.hear("점심 뭐 먹지", confidence=0.9) is not None
    assert d.hear("pause", source="touch") is not None  # a tap always gets an answer


def test_without_a_pose_it_still_answers() -> None:
    d = desk(pose=None)
    assert "정원 안에" in d.hear("화장실 어디예요").text.ko
