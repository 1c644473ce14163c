"""The lobby robot's dialogue manager: understood turns in, replies and actions out.

ROS-free and deterministic: the clock is injected (no sleeping, no timers), so every
conversation can be replayed turn by turn in a test. Rules that matter for elderly visitors:

- the robot never moves or calls anyone without a spoken "네" to a question that said exactly
  what it would do, and that "네" must come within CONFIRM_TIMEOUT_S;
- a missing piece is asked for (증명서 뗄래요 -> 어떤 증명서가 필요하세요?);
- not understood: ask again politely; after two misses in a row offer the touch screen and a
  staff call (and still do nothing until the visitor says yes);
- 다시 말해 주세요 repeats the last reply; 천천히 lowers the speech rate for the rest of the
  conversation;
- a long silence means a new visitor: the state (and rate) starts afresh;
- a question no intent covers goes to the civil-service search (the embedded one or the City's
  app, concierge/search_service.py); a hit that explains enough of it is answered like the
  matching intent would be, so "대형폐기물 버리려면" finds the department that handles it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from suwon_fleet.concierge.content import Content, Schedule
from suwon_fleet.concierge.intents import Intent, IntentRecognizer
from suwon_fleet.concierge.privacy import redact
from suwon_fleet.concierge.search_service import SearchService

log = logging.getLogger(__name__)

DEFAULT_RATE = 1.0
SLOWER_STEP = 0.15
MIN_RATE = 0.6
CONFIRM_TIMEOUT_S = 30.0  # a late "네" must not send the robot off
SLOT_TIMEOUT_S = 60.0
IDLE_RESET_S = 120.0  # silence this long: the next words come from a new visitor
MIN_CONFIDENCE = 0.5
FAILURES_BEFORE_OFFER = 2
# The share of a not-understood question a search hit must explain before the robot offers it:
# 어린이집 입소 -> 보육아동과 (0.47) and 대형폐기물 버리려면 -> 자원순환과 (0.31) pass, while
# off-topic talk finds nothing at all (bench/speech_bench.py's decoys, the labelled set's
# unknowns).
SEARCH_MIN_SCORE = 0.3


# -- actions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Guide:
    """Drive to a place at the robot's site, with the visitor following."""

    place_id: str


@dataclass(frozen=True)
class CallOfficial:
    """Ask the City's call system for an official to come to the lobby."""

    topic: str
    service_id: str | None
    language: str
    note: str  # for the official; redacted of personal data
    staff_id: str | None = None  # the suggested person, if the content names one
    department_id: str | None = None


@dataclass(frozen=True)
class ShowAnswer:
    """Put an answer card on the robot's screen (Korean and English)."""

    # "search": a hit from the City's search app with no entry in our content
    kind: Literal["service", "place", "department", "staff", "hours", "facility", "search"]
    id: str
    title_ko: str
    title_en: str
    lines_ko: tuple[str, ...]
    lines_en: tuple[str, ...]


@dataclass(frozen=True)
class ShowTouchMenu:
    """Switch the screen to the touch menu so the visitor can tap instead of talk."""

    reason: str = "not_understood"


@dataclass(frozen=True)
class CallStaff:
    """Call the information desk staff over."""

    reason: str = "not_understood"


@dataclass(frozen=True)
class TourCommand:
    """A docent tour command (pause, resume, ...) for the tour runner."""

    command: str


@dataclass(frozen=True)
class EndConversation:
    """The visitor said goodbye: go back to idle."""


Action = Guide | CallOfficial | ShowAnswer | ShowTouchMenu | CallStaff | TourCommand | \
    EndConversation
Expecting = Literal["confirm", "service", "place"] | None


@dataclass(frozen=True)
class Reply:
    text_ko: str
    text_en: str
    rate: float  # speech rate, 1.0 = normal
    action: Action | None = None
    expecting: Expecting = None  # what the robot is waiting to hear next
    intent: str = ""  # how the turn was understood


# -- Korean particles -----------------------------------------------------------------------

def _has_final(word: str) -> bool | None:
    for char in reversed(word):
        code = ord(char)
        if 0xAC00 <= code <= 0xD7A3:
            return (code - 0xAC00) % 28 != 0
        if char.isdigit():  # read as Sino-Korean: 일 이 삼 ...
            return char in "0136780"
        if char.isalpha():
            return False
    return None


def josa(word: str, pair: str) -> str:
    """Word with the right particle: josa('여권', '은/는') -> '여권은'."""
    with_final, without = pair.split("/")
    final = _has_final(word)
    if pair == "으로/로":
        code = ord(word[-1]) if word else 0
        rieul = 0xAC00 <= code <= 0xD7A3 and (code - 0xAC00) % 28 == 8
        return word + ("로" if final is False or rieul else "으로")
    return word + (with_final if final else without)


# -- state ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Pending:
    action: Action
    asked_at: datetime
    question_ko: str
    question_en: str


@dataclass(frozen=True)
class _SlotRequest:
    intent: Intent
    slot: Literal["service", "place"]
    asked_at: datetime
    question_ko: str
    question_en: str


class DialogueManager:
    """One conversation at a time with the visitor in front of the robot."""

    def __init__(self, content: Content, recognizer: IntentRecognizer | None = None,
                 clock: Callable[[], datetime] | None = None, language: str = "ko",
                 tour_mode: bool = False, search: SearchService | None = None) -> None:
        self.content = content
        self.search = search  # None: no fallback, unknown questions are asked again
        self.recognizer = recognizer or IntentRecognizer(content)
        if clock is None:
            zone = ZoneInfo(content.site.timezone)
            clock = lambda: datetime.now(zone)  # noqa: E731
        self.clock = clock
        self.language = language
        self.tour_mode = tour_mode  # the docent robot: tour commands become actions
        self.reset()

    # -- public ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the conversation (a new visitor)."""
        self.rate = DEFAULT_RATE
        self._pending: _Pending | None = None
        self._slot: _SlotRequest | None = None
        self._failures = 0
        self._last: Reply | None = None
        self._topic_service: str | None = None
        self._last_turn: datetime | None = None

    @property
    def expecting(self) -> Expecting:
        if self._pending:
            return "confirm"
        return self._slot.slot if self._slot else None

    def hear(self, text: str) -> Reply:
        """Recognise and handle one utterance."""
        return self.handle(self.recognizer.recognize(text))

    def handle(self, intent: Intent) -> Reply:
        """Handle one understood turn and return what the robot says and does."""
        now = self.clock()
        if self._last_turn and (now - self._last_turn).total_seconds() > IDLE_RESET_S:
            self.reset()
        self._last_turn = now
        if intent.name != "unknown" and intent.confidence < MIN_CONFIDENCE:
            intent = Intent("unknown", 0.0, {}, "", intent.text)
        self._expire(now)
        reply = self._turn(intent, now)
        if intent.name not in ("repeat", "speak_slower"):
            self._last = reply
        return reply

    # -- turn logic -------------------------------------------------------------------------

    def _expire(self, now: datetime) -> None:
        if self._pending and _age(now, self._pending.asked_at) > CONFIRM_TIMEOUT_S:
            self._pending = None
        if self._slot and _age(now, self._slot.asked_at) > SLOT_TIMEOUT_S:
            self._slot = None

    def _turn(self, intent: Intent, now: datetime) -> Reply:
        name = intent.name
        if name == "speak_slower":
            self.rate = max(MIN_RATE, round(self.rate - SLOWER_STEP, 2))
            self._refresh(now)
            if self._last:
                return self._say(f"네, 천천히 말씀드릴게요. {self._last.text_ko}",
                                 f"Of course, I will speak more slowly. {self._last.text_en}",
                                 _display_only(self._last.action), name)
            return self._say("네, 천천히 말씀드릴게요. 무엇을 도와드릴까요?",
                             "Of course, I will speak more slowly. How can I help?", None, name)
        if name == "repeat":
            self._refresh(now)
            if self._last:
                return self._say(self._last.text_ko, self._last.text_en,
                                 _display_only(self._last.action), name)
            return self._say("무엇을 도와드릴까요?", "How can I help you?", None, name)
        if name == "goodbye":
            rate = self.rate  # said at the visitor's pace; the next visitor starts afresh
            self.reset()
            return Reply("안녕히 가세요. 좋은 하루 보내세요.", "Goodbye, have a good day.",
                         rate, EndConversation(), None, name)

        if self._pending:
            pending, self._pending = self._pending, None
            if name == "affirm":
                self._failures = 0
                return self._execute(pending.action, name)
            if name == "deny":
                self._failures = 0
                return self._say("알겠습니다. 더 궁금하신 게 있으면 말씀해 주세요.",
                                 "All right. Tell me if there is anything else.", None, name)
            if name == "unknown":
                self._failures += 1
                if self._failures >= FAILURES_BEFORE_OFFER:
                    return self._offer_help(now)
                self._pending = replace(pending, asked_at=now)
                return self._say(f"죄송해요, 잘 못 들었어요. {pending.question_ko} "
                                 "네 또는 아니요로 말씀해 주세요.",
                                 f"Sorry, I did not catch that. {pending.question_en} "
                                 "Please say yes or no.", None, name)
            # Anything else is a new request: the question is dropped, nothing happens.

        if self._slot:
            request, self._slot = self._slot, None
            if name == "deny":
                self._failures = 0
                return self._say("알겠습니다. 더 궁금하신 게 있으면 말씀해 주세요.",
                                 "All right. Tell me if there is anything else.", None, name)
            if request.slot in intent.slots or (
                    request.slot == "place" and ({"service", "facility", "department"}
                                                 & intent.slots.keys())):
                if name in ("affirm", "unknown", "where_is", "take_me_to",
                            "service_requirements", "facility") or name == request.intent.name:
                    merged = {**request.intent.slots, **intent.slots}
                    intent = replace(request.intent, slots=merged, text=intent.text)
                    name = intent.name
            elif name in ("unknown", "affirm"):
                self._failures += 1
                if self._failures >= FAILURES_BEFORE_OFFER:
                    return self._offer_help(now)
                self._slot = replace(request, asked_at=now)
                return self._say(f"죄송해요, 잘 못 들었어요. {request.question_ko}",
                                 f"Sorry, I did not catch that. {request.question_en}",
                                 None, name, request.slot)

        if name == "unknown":
            found = self._search_fallback(intent, now)
            if found is not None:
                self._failures = 0
                return found
            self._failures += 1
            if self._failures >= FAILURES_BEFORE_OFFER:
                return self._offer_help(now)
            return self._say("죄송해요, 잘 못 알아들었어요. 다시 한 번 말씀해 주시겠어요?",
                             "Sorry, I did not understand. Could you say that again?",
                             None, name)
        self._failures = 0
        handler = getattr(self, f"_on_{name}", None)
        if handler is None:  # tour_* on the lobby robot
            return self._on_tour(intent, now)
        return handler(intent, now)

    def _refresh(self, now: datetime) -> None:
        """Repeating a question restarts its time to answer."""
        if self._pending:
            self._pending = replace(self._pending, asked_at=now)
        if self._slot:
            self._slot = replace(self._slot, asked_at=now)

    # -- intent handlers --------------------------------------------------------------------

    def _on_greeting(self, intent: Intent, now: datetime) -> Reply:
        return self._say("안녕하세요. 수원시청 안내 로봇입니다. 무엇을 도와드릴까요?",
                         "Hello, I am the Suwon City Hall guide robot. How can I help?",
                         None, intent.name)

    def _on_affirm(self, intent: Intent, now: datetime) -> Reply:
        return self._say("네, 무엇을 도와드릴까요?", "Yes, how can I help you?", None,
                         intent.name)

    def _on_deny(self, intent: Intent, now: datetime) -> Reply:
        return self._say("알겠습니다. 필요하시면 언제든 말씀해 주세요.",
                         "All right. I am here if you need me.", None, intent.name)

    def _on_service_requirements(self, intent: Intent, now: datetime) -> Reply:
        service_id = intent.slots.get("service")
        if not service_id:
            if any(word in intent.text.replace(" ", "") for word in ("증명서", "증명", "서류")):
                examples = "주민등록등본, 가족관계증명서, 인감증명서"
                return self._ask(intent, "service", now,
                                 f"어떤 증명서가 필요하세요? 예를 들면 {examples}가 있어요.",
                                 "Which certificate do you need? For example a resident "
                                 "registration copy, a family relations certificate or a "
                                 "seal certificate.")
            return self._ask(intent, "service", now, "어떤 민원 업무를 보러 오셨어요?",
                             "Which civil service do you need?")
        return self._answer_service(service_id, intent, now)

    def _answer_service(self, service_id: str, intent: Intent, now: datetime) -> Reply:
        c = self.content
        s = c.services[service_id]
        self._topic_service = service_id
        docs_ko = ", ".join(d.ko.split(" (")[0] for d in s.documents)
        docs_en = ", ".join(d.en.split(" (")[0] for d in s.documents)
        fee_ko = s.fee.text_ko().split(". ")[0]
        fee_en = s.fee.text_en().split(". ")[0]
        where_ko, where_en = (c.place_names(s.counter) if s.counter else (s.where_ko, s.where_en))
        ko = (f"{josa(s.name_ko, '은/는')} {josa(docs_ko, '이/가')} 필요합니다. "
              f"수수료는 {fee_ko}이고, {where_ko}에서 합니다.")
        en = f"{s.name_en}: bring {docs_en}. Fee: {fee_en}. Where: {where_en}."
        if s.kiosk and s.counter != "document_kiosk":
            ko += " 무인민원발급기에서도 뗄 수 있어요."
            en += " The self-service kiosk can issue it too."
        card = self._service_card(service_id)
        if s.counter:
            return self._confirm(Guide(s.counter), now, ko, en, "그곳까지 안내해 드릴까요?",
                                 "Shall I take you there?", card, intent.name)
        dept = c.departments[s.department]
        ko += f" 궁금한 점은 {dept.name_ko}({dept.floor}층, {dept.phone})에 물어보세요."
        en += f" For questions ask the {dept.name_en} (floor {dept.floor}, {dept.phone})."
        return self._say(ko, en, card, intent.name)

    def _service_card(self, service_id: str) -> ShowAnswer:
        c = self.content
        s = c.services[service_id]
        where_ko, where_en = (c.place_names(s.counter) if s.counter else (s.where_ko, s.where_en))
        hours = c.service_hours(service_id)
        lines_ko = [f"준비물: {d.ko}" for d in s.documents] + [
            f"수수료: {s.fee.text_ko()}", f"처리 기간: {s.processing_ko}", f"장소: {where_ko}",
            f"운영 시간: {hours.text_ko}",
            "무인민원발급기: " + ("가능" if s.kiosk else "불가"),
        ]
        lines_en = [f"Bring: {d.en}" for d in s.documents] + [
            f"Fee: {s.fee.text_en()}", f"Processing: {s.processing_en}", f"Where: {where_en}",
            f"Hours: {hours.text_en}",
            "Self-service kiosk: " + ("yes" if s.kiosk else "no"),
        ]
        if s.notes_ko:
            lines_ko.append(f"참고: {s.notes_ko}")
            lines_en.append(f"Note: {s.notes_en}")
        return ShowAnswer("service", service_id, s.name_ko, s.name_en, tuple(lines_ko),
                          tuple(lines_en))

    def _destination(self, intent: Intent) -> tuple[str | None, str, str]:
        """(place id to guide to or None, Korean name, English name) for a where/take turn."""
        c = self.content
        slots = intent.slots
        if place := slots.get("place"):
            return (place, *c.place_names(place))
        if facility := slots.get("facility"):
            f = c.facilities[facility]
            return f.guide_to, f.name_ko, f.name_en
        if service_id := slots.get("service"):
            s = c.services[service_id]
            if s.counter:
                return (s.counter, *c.place_names(s.counter))
            return None, s.where_ko, s.where_en
        return None, "", ""

    def _on_where_is(self, intent: Intent, now: datetime) -> Reply:
        return self._where(intent, now, take=False)

    def _on_take_me_to(self, intent: Intent, now: datetime) -> Reply:
        return self._where(intent, now, take=True)

    def _where(self, intent: Intent, now: datetime, take: bool) -> Reply:
        c = self.content
        if intent.slots.get("facility") and not intent.slots.get("service"):
            return self._on_facility(intent, now)
        if "service" in intent.slots:
            self._topic_service = intent.slots["service"]
        place, name_ko, name_en = self._destination(intent)
        if place:
            p = c.site.places[place]
            card = ShowAnswer("place", place, p.name_ko, p.name_en,
                              tuple(x for x in (p.service_ko and f"업무: {p.service_ko}",
                                                f"{p.floor or 1}층") if x),
                              tuple(x for x in (p.service_en and f"Services: {p.service_en}",
                                                f"Floor {p.floor or 1}") if x))
            service_id = intent.slots.get("service")
            if take:
                lead_ko = lead_en = ""
            elif service_id and c.services[service_id].counter == place:
                s = c.services[service_id]
                lead_ko = f"{josa(s.name_ko, '은/는')} {name_ko}에서 합니다."
                lead_en = f"{s.name_en} is done at {name_en}."
            else:
                lead_ko = f"{josa(name_ko, '은/는')} 이 층 로비에 있습니다."
                lead_en = f"{name_en} is here on this floor."
            if lead_ko:  # the place was just named; say it once
                q_ko, q_en = "그곳까지 안내해 드릴까요?", "Shall I take you there?"
            else:
                q_ko = f"{josa(name_ko, '으로/로')} 안내해 드릴까요?"
                q_en = f"Shall I take you to {name_en}?"
            return self._confirm(Guide(place), now, lead_ko, lead_en, q_ko, q_en, card,
                                 intent.name)
        if dept_id := intent.slots.get("department"):
            return self._department_where(dept_id, intent, now)
        if name_ko:  # a service done elsewhere
            return self._say(f"그 업무는 {name_ko}에서 합니다.",
                             f"That is done at {name_en}.", None, intent.name)
        return self._ask(intent, "place", now, "어디를 찾으세요?",
                         "Where would you like to go?")

    def _department_where(self, dept_id: str, intent: Intent, now: datetime) -> Reply:
        c = self.content
        d = c.departments[dept_id]
        card = ShowAnswer("department", dept_id, d.name_ko, d.name_en,
                          (f"{d.floor}층", f"전화 {d.phone}", *d.handles_ko),
                          (f"Floor {d.floor}", f"Phone {d.phone}", *d.handles_en))
        ko = f"{josa(d.name_ko, '은/는')} {d.floor}층에 있습니다. 전화번호는 {d.phone}입니다."
        en = f"The {d.name_en} is on floor {d.floor}; phone {d.phone}."
        elevator = c.facilities.get("elevator")
        if d.floor != 1 and elevator and elevator.guide_to:
            return self._confirm(Guide(elevator.guide_to), now, ko, en,
                                 "엘리베이터까지 안내해 드릴까요?",
                                 "Shall I take you to the elevators?", card, intent.name)
        if d.place:
            name_ko, name_en = c.place_names(d.place)
            return self._confirm(Guide(d.place), now, ko, en,
                                 f"{josa(name_ko, '으로/로')} 안내해 드릴까요?",
                                 f"Shall I take you to {name_en}?", card, intent.name)
        return self._say(ko, en, card, intent.name)

    def _on_facility(self, intent: Intent, now: datetime) -> Reply:
        c = self.content
        facility_id = intent.slots.get("facility")
        place = intent.slots.get("place")
        if not facility_id and place:
            facility_id = c.facility_of_place(place)
        if not facility_id:
            return self._where(replace(intent, name="where_is"), now, take=False)
        f = c.facilities[facility_id]
        target = place if place in f.places else f.guide_to
        card = ShowAnswer("facility", facility_id, f.name_ko, f.name_en, (f.answer_ko,),
                          (f.answer_en,))
        if target is None:
            return self._say(f.answer_ko, f.answer_en, card, intent.name)
        name_ko, name_en = c.place_names(target) if place == target else (f.name_ko, f.name_en)
        lead_ko = "" if intent.name == "take_me_to" else f.answer_ko + " "
        lead_en = "" if intent.name == "take_me_to" else f.answer_en + " "
        return self._confirm(Guide(target), now, lead_ko, lead_en,
                             f"{name_ko} 앞까지 안내해 드릴까요?",
                             f"Shall I take you to the {name_en.lower()}?", card, intent.name)

    def _on_who_handles(self, intent: Intent, now: datetime) -> Reply:
        c = self.content
        staff_id = intent.slots.get("staff")
        dept_id = intent.slots.get("department")
        service_id = intent.slots.get("service")
        if staff_id:
            p = c.staff[staff_id]
            d = c.departments[p.department]
            ko = (f"{p.name_ko} {p.role_ko}님은 {d.name_ko} 소속으로, {d.floor}층에 계십니다. "
                  f"전화번호는 {d.phone}입니다.")
            en = (f"{p.name_en} ({p.role_en}) works in the {d.name_en} on floor {d.floor}; "
                  f"phone {d.phone}.")
            call = self._call(service_id, p.department, staff_id, intent)
            return self._confirm(call, now, ko, en, "이 분을 불러 드릴까요?",
                                 "Shall I call them for you?", None, intent.name)
        if not dept_id and service_id:
            dept_id = c.services[service_id].department
        if not dept_id:
            return self._ask(intent, "service", now, "어떤 업무의 담당을 찾으세요?",
                             "Which service are you asking about?")
        d = c.departments[dept_id]
        subject_ko = josa(c.services[service_id].name_ko, "은/는") if service_id else "그 업무는"
        subject_en = c.services[service_id].name_en if service_id else "That"
        ko = f"{subject_ko} {d.name_ko} 담당입니다. {d.floor}층이고 전화번호는 {d.phone}입니다."
        en = f"{subject_en} is handled by the {d.name_en}, floor {d.floor}, phone {d.phone}."
        card = ShowAnswer("department", dept_id, d.name_ko, d.name_en,
                          (f"{d.floor}층", f"전화 {d.phone}", *d.handles_ko),
                          (f"Floor {d.floor}", f"Phone {d.phone}", *d.handles_en))
        if service_id:
            self._topic_service = service_id
        call = self._call(service_id, dept_id, None, intent)
        return self._confirm(call, now, ko, en, "담당 공무원을 불러 드릴까요?",
                             "Shall I call an official from there?", card, intent.name)

    def _on_call_official(self, intent: Intent, now: datetime) -> Reply:
        service_id = intent.slots.get("service") or self._topic_service
        staff_id = intent.slots.get("staff")
        dept_id = intent.slots.get("department")
        if service_id and not dept_id:
            dept_id = self.content.services[service_id].department
        call = self._call(service_id, dept_id, staff_id, intent)
        if staff_id:
            p = self.content.staff[staff_id]
            q_ko, q_en = f"{p.name_ko} {p.role_ko}님을 불러 드릴까요?", f"Shall I call {p.name_en}?"
        elif service_id:
            name = self.content.services[service_id]
            q_ko = f"{name.name_ko} 담당 공무원을 불러 드릴까요?"
            q_en = f"Shall I call an official for {name.name_en}?"
        else:
            q_ko, q_en = "담당 공무원을 불러 드릴까요?", "Shall I call an official for you?"
        return self._confirm(call, now, "", "", q_ko, q_en, None, intent.name)

    def _call(self, service_id: str | None, dept_id: str | None, staff_id: str | None,
              intent: Intent) -> CallOfficial:
        c = self.content
        if not staff_id and service_id:
            candidates = [sid for sid in c.staff_for(service_id) if c.staff[sid].veteran]
            staff_id = candidates[0] if candidates else None
        if not dept_id and staff_id:
            dept_id = c.staff[staff_id].department
        if service_id:
            topic = c.services[service_id].name_ko
        elif dept_id:
            topic = c.departments[dept_id].name_ko
        else:
            topic = "일반 민원 상담"
        note = f"로비 안내 로봇 요청: {topic}."
        if intent.text:
            note += f" 방문객 말씀: {redact(intent.text)}"
        return CallOfficial(topic, service_id, self.language, note, staff_id, dept_id)

    def _on_opening_hours(self, intent: Intent, now: datetime) -> Reply:
        c = self.content
        service_id = intent.slots.get("service")
        schedule = (c.service_hours(service_id) if service_id
                    else c.place_hours(intent.slots.get("place")))
        status_ko, status_en = _open_status(schedule, now)
        card = ShowAnswer("hours", next(k for k, v in c.hours.items() if v is schedule),
                          schedule.name_ko, schedule.name_en, (schedule.text_ko,),
                          (schedule.text_en,))
        return self._say(f"{schedule.text_ko} {status_ko}", f"{schedule.text_en} {status_en}",
                         card, intent.name)

    def _search_fallback(self, intent: Intent, now: datetime) -> Reply | None:
        """Answer from the search service what no intent covered; None = nothing fits."""
        if self.search is None or len(intent.text.replace(" ", "")) < 2:
            return None
        try:
            hits = self.search.search(intent.text, limit=1).hits
        except Exception as exc:  # a broken adapter must not cost the visitor their answer
            log.warning("search fallback failed: %s", exc)
            return None
        if not hits or hits[0].score < SEARCH_MIN_SCORE:
            return None
        hit, c = hits[0], self.content
        found = replace(intent, name="search", confidence=hit.score)
        if hit.kind == "service" and hit.id in c.services:
            return self._answer_service(hit.id, found, now)
        if hit.kind == "department" and hit.id in c.departments:
            return self._on_who_handles(replace(found, slots={"department": hit.id}), now)
        if hit.kind == "staff" and hit.id in c.staff:
            return self._on_who_handles(replace(found, slots={"staff": hit.id}), now)
        card = ShowAnswer("search", hit.id, hit.title_ko, hit.title_en, (hit.summary_ko,),
                          (hit.summary_en,))
        return self._say(f"찾아보니 {hit.title_ko} 정보가 있어요. {hit.summary_ko}",
                         f"Here is what I found: {hit.title_en or hit.title_ko}. "
                         f"{hit.summary_en}", card, found.name)

    def _on_tour(self, intent: Intent, now: datetime) -> Reply:
        if not self.tour_mode:
            return self._say("저는 시청 안내 로봇이라 해설 투어는 하지 않아요. "
                             "무엇을 도와드릴까요?",
                             "I am the City Hall guide robot and do not give tours. "
                             "How can I help?", None, intent.name)
        words = {
            "tour_start": ("해설을 시작하겠습니다.", "Starting the tour."),
            "tour_pause": ("잠시 멈추겠습니다.", "Pausing."),
            "tour_resume": ("이어서 설명하겠습니다.", "Continuing."),
            "tour_skip": ("다음으로 넘어가겠습니다.", "Moving on to the next stop."),
            "tour_repeat": ("다시 설명해 드릴게요.", "Here it is again."),
            "tour_previous": ("이전 장소로 돌아가겠습니다.", "Going back to the previous stop."),
            "tour_end": ("해설을 마치겠습니다. 감사합니다.", "Ending the tour. Thank you."),
        }
        ko, en = words[intent.name]
        return self._say(ko, en, TourCommand(intent.name.removeprefix("tour_")), intent.name)

    # -- building replies -------------------------------------------------------------------

    def _say(self, ko: str, en: str, action: Action | None, intent: str,
             expecting: Expecting = None) -> Reply:
        return Reply(ko.strip(), en.strip(), self.rate, action,
                     expecting if expecting else self.expecting, intent)

    def _confirm(self, action: Action, now: datetime, lead_ko: str, lead_en: str,
                 question_ko: str, question_en: str, card: ShowAnswer | None,
                 intent: str) -> Reply:
        """Say something, then ask before doing ``action``; a card may be shown meanwhile."""
        self._pending = _Pending(action, now, question_ko, question_en)
        self._slot = None
        return self._say(f"{lead_ko.strip()} {question_ko}", f"{lead_en.strip()} {question_en}",
                         card, intent, "confirm")

    def _ask(self, intent: Intent, slot: Literal["service", "place"], now: datetime,
             question_ko: str, question_en: str) -> Reply:
        self._slot = _SlotRequest(intent, slot, now, question_ko, question_en)
        self._pending = None
        return self._say(question_ko, question_en, None, intent.name, slot)

    def _offer_help(self, now: datetime) -> Reply:
        self._slot = None
        self._pending = _Pending(CallStaff(), now, "직원을 불러 드릴까요?",
                                 "Shall I call a member of staff?")
        return self._say("제가 잘 알아듣지 못해 죄송해요. 화면을 눌러서 찾으시거나, "
                         "직원을 불러 드릴 수 있어요. 직원을 불러 드릴까요?",
                         "I am sorry I could not understand. You can use the touch screen, "
                         "or I can call a member of staff. Shall I call someone?",
                         ShowTouchMenu(), "unknown", "confirm")

    def _execute(self, action: Action, intent: str) -> Reply:
        c = self.content
        if isinstance(action, Guide):
            name_ko, name_en = c.place_names(action.place_id)
            return self._say(f"네, 저를 따라오세요. {josa(name_ko, '으로/로')} "
                             "천천히 모시겠습니다.",
                             f"Please follow me to {name_en}; I will go slowly.", action, intent)
        if isinstance(action, CallOfficial):
            return self._say("담당 공무원을 불렀습니다. 오실 때까지 대기석에 앉아 계셔도 됩니다.",
                             "I have called an official. You are welcome to wait in the "
                             "seating area.", action, intent)
        if isinstance(action, CallStaff):
            return self._say("직원을 불렀습니다. 잠시만 기다려 주세요.",
                             "I have called a member of staff. Please wait a moment.", action,
                             intent)
        return self._say("네.", "OK.", action, intent)


def _display_only(action: Action | None) -> Action | None:
    """What a repeat may do again: show, never move or call."""
    return action if isinstance(action, ShowAnswer | ShowTouchMenu) else None


def _age(now: datetime, then: datetime) -> float:
    return (now - then).total_seconds()


def _open_status(schedule: Schedule, now: datetime) -> tuple[str, str]:
    closes = schedule.closes_at(now)
    if closes is None:
        return "지금은 운영 시간이 아닙니다.", "It is closed right now."
    hour = closes.hour
    ko_hour = f"오후 {hour - 12}시" if hour > 12 else f"오전 {hour}시" if hour < 12 else "낮 12시"
    ko_min = f" {closes.minute}분" if closes.minute else ""
    return (f"지금 운영 중이고, 오늘은 {ko_hour}{ko_min}까지 합니다.",
            f"It is open now, until {closes.strftime('%H:%M')} today.")


class ManualClock:
    """A clock for tests and replays that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        # A Tuesday morning in Seoul: the civil-service hall is open.
        self.now = start or datetime(2025, 3, 4, 10, 0, tzinfo=timezone(timedelta(hours=9)))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
