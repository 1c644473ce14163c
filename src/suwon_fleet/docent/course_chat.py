"""Choosing a course by voice with the docent robot, before a tour (the screen has its own
form for the same answers, web_bridge/routes/robot_screen.py).

ROS-free and deterministic (the clock is injected). The guest asks for a tour or a
recommendation; the robot asks only for what it still needs, then offers the best course from
docent/recommend.py with its reasons and starts it on a "네":

  guest  아이랑 같이 볼 만한 코스 추천해 주세요       (interests: kids)
  robot  시간이 얼마나 있으세요? 30분, 1시간처럼 말씀해 주세요.
  guest  한 시간 정도요                               (60 min)
  robot  휠체어나 유모차를 쓰시거나 계단이 힘드세요?
  guest  아니요                                       (step-free not needed)
  robot  가족 코스를 추천해요. 어린이와 함께하는 놀이가 있어요. 약 40분, 11:20쯤 끝나요.
         시작할까요?
  guest  네                                           -> StartCourse("family", "ko")

Everything said at once is taken at once (30분 휠체어 코스 추천해 주세요 skips both questions).
"아니요" to an offer offers the next course. Not understood: the question again; after two
misses in a row the robot points to its screen and starts afresh. Silence for IDLE_RESET_S: a
new guest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from suwon_fleet.concierge.dialogue import josa
from suwon_fleet.core.sites import Site
from suwon_fleet.core.tours import Interest, Language, Text
from suwon_fleet.docent.planning import RouteBook
from suwon_fleet.docent.recommend import GuestAnswers, Suggestion, recommend

IDLE_RESET_S = 90.0
FAILURES_BEFORE_SCREEN = 2

Expecting = Literal["minutes", "step_free", "confirm"] | None


@dataclass(frozen=True)
class StartCourse:
    """Start this course on this robot (the node submits it as a run_tour task)."""

    course_id: str
    language: Language


@dataclass(frozen=True)
class GuideTo:
    """Walk the guest to a place of the site (the node submits a guide_visitor task)."""

    place_id: str


@dataclass(frozen=True)
class GuestReply:
    """What the docent robot says (and does) in answer to a guest while no tour runs."""

    text: Text
    expecting: Expecting = None
    action: StartCourse | GuideTo | None = None


# -- reading the guest's words --------------------------------------------------------------

_ASK_TOUR = re.compile(r"추천|코스|투어|해설|안내.*(해|받)|구경|둘러|recommend|tour|course",
                       re.IGNORECASE)
_YES = re.compile(r"^\s*(네+|넵|예|응|그래|좋아|좋습니다|좋아요|그럼요|맞아요|시작|yes|ok|okay)",
                  re.IGNORECASE)
_NO = re.compile(r"^\s*(아니|아뇨|아녜요|싫어|괜찮아요|됐어요|없어요|다른|no\b|nope)",
                 re.IGNORECASE)
_NEEDS_STEP_FREE = re.compile(r"휠체어|유모차|계단.*(힘들|못|어려|싫)|다리.*(불편|아프)|"
                              r"걷기.*(힘들|불편|어려)|보행|지팡이|wheelchair|pram|stroller",
                              re.IGNORECASE)
_ENGLISH = re.compile(r"영어|english", re.IGNORECASE)
_BYE = re.compile(r"안녕히|그만|취소|bye|cancel", re.IGNORECASE)
_INTEREST_WORDS: dict[Interest, tuple[str, ...]] = {
    "kids": ("아이", "애들", "어린이", "아기", "손주", "손자", "손녀", "유치원", "가족",
             "children", "kids"),
    "flowers": ("꽃", "장미", "튤립", "벚꽃", "국화", "flower"),
    "trees": ("나무", "숲", "단풍", "tree", "forest"),
    "photography": ("사진", "photo"),
    "culture": ("전통", "문화", "한옥", "정자", "culture"),
    "water": ("연못", "호수", "습지", "물가", "water", "pond"),
    "herbs": ("허브", "약초", "향기", "herb"),
}
_KO_DIGITS = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6}
_KO_TENS = {"십": 10, "이십": 20, "삼십": 30, "사십": 40, "오십": 50, "육십": 60, "칠십": 70,
            "팔십": 80, "구십": 90}
_MINUTES = re.compile(r"(\d+)\s*(?:분|min)", re.IGNORECASE)
_HOURS = re.compile(r"(\d+(?:\.\d+)?|한|두|세|네|다섯|여섯)\s*(?:시간|hours?)(\s*반)?",
                    re.IGNORECASE)
_KO_MINUTES = re.compile(r"(구십|팔십|칠십|육십|오십|사십|삼십|이십|십)\s*분")
_HALF_HOUR = re.compile(r"반\s*시간|30\s*분|half an hour", re.IGNORECASE)


def parse_minutes(text: str) -> float | None:
    """Time the guest has, in minutes: 30분, 한 시간 반, 1.5시간, 삼십 분, 반 시간."""
    if m := _HOURS.search(text):
        raw = m.group(1)
        hours = float(_KO_DIGITS.get(raw, 0) or raw)
        return hours * 60 + (30 if m.group(2) else 0)
    if m := _MINUTES.search(text):
        return float(m.group(1))
    if m := _KO_MINUTES.search(text):
        return float(_KO_TENS[m.group(1)])
    if _HALF_HOUR.search(text):
        return 30.0
    return None


def parse_interests(text: str) -> frozenset[Interest]:
    lowered = text.lower()
    return frozenset(i for i, words in _INTEREST_WORDS.items()
                     if any(w in lowered for w in words))


# -- the conversation ---------------------------------------------------------------------

@dataclass
class _Answers:
    minutes: float | None = None
    step_free: bool | None = None
    interests: set[Interest] = field(default_factory=set)
    language: Language = "ko"


class CourseConversation:
    """One guest at a time choosing a course with the docent robot."""

    def __init__(self, site: Site, clock: Callable[[], datetime],
                 routes: RouteBook | None = None) -> None:
        self.site = site
        self.clock = clock
        self.routes = routes or RouteBook(site)
        self.reset()

    def reset(self) -> None:
        self.active = False  # a course conversation is under way
        self.expecting: Expecting = None
        self._answers = _Answers()
        self._offers: list[Suggestion] = []
        self._failures = 0
        self._last_turn: datetime | None = None

    def wants_course(self, text: str) -> bool:
        """Is this a request the conversation should take (it is under way, or the guest
        asks for a tour or a recommendation)?"""
        return self.active or bool(_ASK_TOUR.search(text))

    def hear(self, text: str) -> GuestReply | None:
        """One utterance; None when it is not about choosing a course."""
        now = self.clock()
        if self._last_turn and (now - self._last_turn).total_seconds() > IDLE_RESET_S:
            self.reset()
        if not self.wants_course(text):
            return None
        self._last_turn = now
        if self.active and _BYE.search(text):
            self.reset()
            return GuestReply(Text(ko="알겠습니다. 필요하시면 언제든 불러 주세요.",
                                    en="All right. Call me whenever you like."))
        self.active = True
        took = self._take(text)
        if self.expecting == "confirm":
            return self._on_offer_answer(text, took)
        if self.expecting and not took:
            return self._not_understood()
        self._failures = 0
        return self._next_question()

    def _take(self, text: str) -> bool:
        """Fill what the words say; True if they answered something."""
        a, took = self._answers, False
        minutes = parse_minutes(text)
        if minutes is not None and minutes > 0:
            a.minutes, took = minutes, True
        if _NEEDS_STEP_FREE.search(text):
            a.step_free, took = True, True
        elif self.expecting == "step_free" and (_YES.match(text) or _NO.match(text)):
            a.step_free, took = bool(_YES.match(text)), True
        interests = parse_interests(text)
        if interests:
            a.interests |= interests
            took = took or self.expecting is None
        if _ENGLISH.search(text):
            a.language, took = "en", True
        return took

    def _next_question(self) -> GuestReply:
        a = self._answers
        if a.minutes is None:
            self.expecting = "minutes"
            return GuestReply(Text(ko="시간이 얼마나 있으세요? 30분, 1시간처럼 말씀해 주세요.",
                                    en="How much time do you have? Say 30 minutes, or an "
                                       "hour, for example."), "minutes")
        if a.step_free is None:
            self.expecting = "step_free"
            return GuestReply(Text(ko="휠체어나 유모차를 쓰시거나 계단이 힘드세요?",
                                    en="Do you use a wheelchair or a pram, or find steps "
                                       "hard?"), "step_free")
        result = recommend(self.site, GuestAnswers(a.minutes, a.step_free,
                                                   frozenset(a.interests), a.language),
                           self.clock(), self.routes)
        self._offers = list(result.suggestions)
        if not self._offers:
            notice = result.notice or Text(ko="조건에 맞는 코스가 없어요.",
                                           en="No course fits.")
            self.reset()
            return GuestReply(Text(ko=f"{notice.ko} 화면에서 다른 조건으로 찾아보실 수 있어요.",
                                    en=f"{notice.en} You can try other answers on my "
                                       "screen."))
        return self._offer(first=True, notice=result.notice)

    def _offer(self, first: bool, notice: Text | None = None) -> GuestReply:
        s = self._offers[0]
        self.expecting = "confirm"
        reasons = s.reasons[-2:]  # the most specific reason and the time it takes
        lead_ko = "" if first else "그럼 "
        lead_en = "" if first else "Then how about this: "
        ko = (f"{lead_ko}{josa(s.name.ko, '을/를')} 추천해요. " + " ".join(r.ko for r in reasons)
              + " 시작할까요?")
        en = (f"{lead_en}I recommend the {s.name.en}. " + " ".join(r.en for r in reasons)
              + " Shall we start?")
        if notice is not None:
            ko, en = f"{notice.ko} {ko}", f"{notice.en} {en}"
        return GuestReply(Text(ko=ko, en=en), "confirm")

    def _on_offer_answer(self, text: str, took: bool) -> GuestReply:
        if _YES.match(text):
            course = self._offers[0]
            language = self._answers.language
            self.reset()
            return GuestReply(Text(ko=f"좋아요, {josa(course.name.ko, '을/를')} 시작할게요. "
                                       "저를 따라오세요.",
                                    en=f"Great, let us begin the {course.name.en}. Please "
                                       "follow me."), action=StartCourse(course.course_id,
                                                                        language))
        if took:  # new answers (more time, a wheelchair after all): recommend again
            self._failures = 0
            return self._next_question()
        if _NO.match(text):
            self._failures = 0
            self._offers.pop(0)
            if self._offers:
                return self._offer(first=False)
            self.reset()
            return GuestReply(Text(ko="더 추천할 코스가 없어요. 화면에서 전체 코스를 보실 수 "
                                       "있어요.",
                                    en="That was the last course I can suggest. My screen "
                                       "shows them all."))
        return self._not_understood()

    def _not_understood(self) -> GuestReply:
        self._failures += 1
        if self._failures >= FAILURES_BEFORE_SCREEN:
            self.reset()
            return GuestReply(Text(ko="제가 잘 알아듣지 못해 죄송해요. 화면에서 코스를 "
                                       "고르실 수 있어요.",
                                    en="Sorry, I could not understand. You can choose a "
                                       "course on my screen."))
        question = {
            "minutes": Text(ko="시간이 얼마나 있으세요? 30분, 1시간처럼 말씀해 주세요.",
                            en="How much time do you have? Say 30 minutes, or an hour."),
            "step_free": Text(ko="휠체어나 유모차를 쓰세요? 네 또는 아니요로 말씀해 주세요.",
                              en="Do you use a wheelchair or a pram? Please say yes or no."),
            "confirm": Text(ko="이 코스로 시작할까요? 네 또는 아니요로 말씀해 주세요.",
                            en="Shall we start this course? Please say yes or no."),
        }[self.expecting or "minutes"]
        return GuestReply(Text(ko=f"죄송해요, 잘 못 들었어요. {question.ko}",
                                en=f"Sorry, I did not catch that. {question.en}"),
                           self.expecting)
