"""Korean intent recognition with slots, for speech-recognised visitor utterances.

Approach (chosen by measured accuracy, see bench/intent_bench.py): slots first, then an ordered
list of cue rules. Slots (service, place, department, staff, facility) come from fuzzy,
spacing-insensitive term matching over the content with kiwipiepy lemmas (korean.TermIndex),
so 주민 등록 등븐을 still names the 주민등록등본 service. Cues are regular expressions over the
text without spaces, because a recogniser's spacing carries no information; their order
encodes which reading wins (담당자 불러 주세요 is a call, not a who-handles question).

The recogniser is context-free; the dialogue manager decides what 네 or 화장실 means in the
conversation so far.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from suwon_fleet.concierge.content import Content
from suwon_fleet.concierge.korean import Analysis, TermIndex, TermMatch, analyze, has_hangul

IntentName = Literal[
    "where_is", "take_me_to", "service_requirements", "who_handles", "call_official",
    "opening_hours", "facility", "repeat", "speak_slower", "goodbye", "greeting", "affirm",
    "deny", "tour_start", "tour_pause", "tour_resume", "tour_skip", "tour_repeat",
    "tour_previous", "tour_end", "unknown",
]
INTENTS: tuple[str, ...] = IntentName.__args__  # type: ignore[attr-defined]
SLOT_KEYS = ("service", "place", "department", "staff", "facility")


@dataclass(frozen=True)
class Intent:
    """One understood utterance."""

    name: str
    confidence: float  # 0..1; 0 for unknown
    slots: dict[str, str] = field(default_factory=dict)
    matched: str = ""  # the words that decided the intent
    text: str = ""  # the normalised input

    @property
    def understood(self) -> bool:
        return self.name != "unknown"


def _re(*alternatives: str) -> re.Pattern[str]:
    """One pattern matching any of the alternatives (each itself a regular expression)."""
    return re.compile("|".join(alternatives))


# Cues, over the normalised text without spaces. Kept as data so the bench and the tests see
# exactly what the rules are.
_SLOWER = _re("천천히", "천천이", "빨라", "빠르", "빠릅", "느리게", "느릿")
_TOUR_REPEAT = _re(r"(설명|해설|얘기|이야기)[^시]{0,6}(다시(?!시작)|한번(만)?더|또)",
                   r"(다시|한번(만)?더)[^시]{0,4}(설명|해설|들려)")
_REPEAT = _re("뭐라고", "뭐라구", "뭐라셨", "뭐라하", "못들었", "잘안들", "안들려", "못알아들",
              r"다시(한번)?(말|얘기|이야기)", r"한번(만)?더(말|얘기|이야기)", r"^다시요?$",
              r"^다시한번요?$")
_GOODBYE = _re("안녕히", r"^안녕$", r"안녕(?!하)", "잘있어", "잘계세요", "잘계십", "수고하세요",
               "수고하십", "수고많", "갈게", "갈께", "가볼게", "가볼께", "가보겠", "가겠습니다",
               "다음에올게", "다음에또")
_GOODBYE_WEAK = _re("고마워", "고맙", "감사합니다", "감사해요", "감사드", r"도움.{0,4}됐")
_TOUR_END = _re(r"(투어|해설|관람|구경)[을를은는]?.{0,4}(그만|끝|종료|마치|마칠|중단)",
                r"(그만|끝|종료|마치).{0,4}(투어|해설|관람)")
_TOUR_RESUME = _re("다시시작", "계속", "이어서", "재개", "다시출발")
_TOUR_START = _re(r"(투어|해설|관람|구경|안내|설명)[을를]?(시작|출발)")
_TOUR_PREVIOUS = _re(r"이전(으로|장소|단계|거|꺼|코스|설명)",
                     r"(^|[^이])(전|앞|아까)[에의]?(거|꺼|것|장소|단계|곳|코스)?(으로|로)?돌아가",
                     "되돌아", "뒤로가")
_TOUR_SKIP = _re("건너뛰", "건너띄", "넘어가", "스킵", "패스",
                 r"다음(으로|거|꺼|것|장소|코스|설명|단계)")
_TOUR_PAUSE = _re("멈춰", "멈춤", "멈추", "정지", "잠깐", "잠시만", "잠시기다", r"기다려(주|줘|봐)",
                  "쉬었다", "쉬어", "스톱", "스탑")
_NEGATED_ACTION = _re(r"안(불러|부르|부를|가|갈|해|할|데려)", r"(하|가|부르)지마", "필요없",
                      "안해도", "안가도")
_PERSON = _re("공무원", "담당자", "담당", "직원", "주무관", "사람", "상담원", "상담사", "선생님",
              "팀장", "과장", "베테랑", "책임자", "관계자")
_CALL = _re("불러", "부르", "부를", "호출", "연결", "오라고", "오시라", "와달라", "와주", "와줘",
            "모셔와", "데려와", "만나", "얘기하고", "이야기하고", "상담하고", "통화")
_WHO = _re("담당", "소관", "누가", "누구", "어느과", "무슨과", "어느부서", "무슨부서", "어떤부서",
           "어디부서", "부서가어디", "어느팀", "물어봐야", "물어보")
_HOURS = _re(r"몇시(?!간)", "언제까지", "언제부터", "언제열", "언제문", r"문[을은]?닫",
             r"문[을은]?열", "여나요", "열어요", "여는시간", "운영시간", "업무시간",
             "근무시간", "영업시간", "점심시간", "토요일", "일요일", "주말", "공휴일", "휴일",
             "야간", "밤에도", "저녁에도", "오늘언제")
_TAKE = _re("데려", "데리고", "델다", "모셔다", "모시고", "같이가", "함께가", "같이좀가", "앞장",
            "따라갈", "안내해", "안내좀", "안내부탁", "길안내", "가고싶", "갈래", "데다줘")
_WHERE = _re("어디", "어딨", "어딘", "어데", "어느쪽", "어느방향", "어느곳", "위치", "몇층", "찾아",
             "찾고", "찾는", "가려면", "어떻게가", "몇번창구", "창구가몇번", "몇번이", "어딜",
             r"(곳|데)[이가은는을]?(좀)?(알려|가르쳐)")
# Imperative 안내 is the request to be taken somewhere, not the information desk (안내).
_GUIDE_VERB = _re("길안내", r"안내(해|좀|부탁|받)")
_EXIT = _re("나가려면", "나가는", "나갈", "밖으로")
_NEED = _re("필요", "준비", "서류", "가져", "챙겨", "수수료", "얼마", "비용", "돈", "발급",
            "떼", "뗄", "뗐", "신청", "하려면", "하려고", "하러", "받으려", "받을라", "받을수",
            "어떻게해", "어떡", "걸려", "걸리", "며칠", "잃어버", "분실", "왔어", "왔는데",
            "왔습니다", "내러", "만들", "옮기", "되나요", "돼요")
# Without a named service only these mean "I want a document" (증명서 뗄래요 -> which one?).
_NEED_GENERIC = _re("서류", "증명서", "증명", "발급", "떼", "뗄", "신청", "민원", "수수료")
_DENY = _re(r"^(아니|아뇨|아냐|노$|놉)", "됐어", "됐습니다", "됐고", "괜찮아", "괜찮습니다", "싫어",
            "싫습니다", "필요없", "그만두", "취소")
_DENY_FIRST = _re(r"^(아니|아뇨|아냐)")
# 네요 and 예요 are sentence endings, not answers: a recogniser that hears only the tail of
# 아니예요 or 어디예요 must not turn it into a yes (the robot moves or calls on a yes).
_YES_WORD = r"^(네|예)(?!요)|^(응|넹|넵|yes)"
_AFFIRM = _re(_YES_WORD, "좋아", "좋습니다", "좋지", "그래", "그럼요", "그러자",
              "그럽시다", "맞아", "맞습니다", "부탁", "해주세요", "해줘요", "해줘", "오케이",
              "가요", "가자", "가죠", "가봅시다", "알겠", "당연")
_AFFIRM_FIRST = _re(_YES_WORD)
_GREETING = _re("안녕하세요", "안녕하십", "저기요", "여보세요", "실례합니다", "반가워")

# Last resort for a misheard cue word (천촌히, 좋습늬다): whole words matched at the jamo level
# with the same tolerance as names, tried only when no rule fired, so it can turn "not
# understood" into an intent but never overrule a rule.
_FUZZY_CUES: dict[str, tuple[str, ...]] = {
    "speak_slower": ("천천히", "천천히 말해", "느리게"),
    "repeat": ("뭐라고요", "못 들었어요", "다시 말씀해", "다시 말해", "한 번 더 말씀",
               "안 들려요", "못 알아들었"),
    "goodbye": ("안녕히 계세요", "안녕히 가세요", "수고하세요", "갈게요", "가 볼게요"),
    "call_official": ("불러 주세요", "공무원", "담당자", "이야기하고", "얘기하고", "연결해 주세요"),
    "opening_hours": ("몇 시까지", "몇 시부터", "운영 시간", "점심시간"),
    "tour_start": ("투어 시작", "해설 시작", "관람 시작"),
    "tour_end": ("투어 끝", "투어 종료", "해설 끝", "그만할래요"),
    "tour_pause": ("멈춰 주세요", "일시 정지", "잠깐만요"),
    "tour_resume": ("계속해 주세요", "다시 시작"),
    "tour_skip": ("넘어가 주세요", "건너뛰어", "다음으로"),
    "affirm": ("좋습니다", "좋아요", "그래요", "알겠습니다", "부탁합니다", "그렇게 해 주세요"),
    "deny": ("아니요", "괜찮아요", "괜찮습니다", "필요 없어요", "됐습니다"),
}
_FUZZY_CUE_MIN_JAMO = 6

# Slot matching: a named thing must be mostly present (a fragment covering 60 % of a name).
_SLOT_COVERAGE = 0.6
_SLOT_MIN_JAMO = 4  # two syllables without final consonants (폐차)
_CONTAINER_KINDS = ("office", "counter")  # places a service's own counter is more precise than


@dataclass
class _Slots:
    service: TermMatch | None = None
    place: str | None = None
    place_similarity: float = 1.0
    facility: str | None = None
    department: str | None = None  # by name
    department_topic: str | None = None  # by what it handles
    staff: str | None = None

    @property
    def content(self) -> bool:
        return any((self.service, self.place, self.facility, self.department, self.staff))


class IntentRecognizer:
    """Korean utterance -> Intent(name, confidence, slots, matched)."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self._services = TermIndex()
        for sid, s in content.services.items():
            self._services.add(sid, [s.name_ko, *s.aliases])
        self._departments = TermIndex()
        self._topics = TermIndex()
        for did, d in content.departments.items():
            self._departments.add(did, [d.name_ko, *d.aliases])
            self._topics.add(did, d.handles_ko)
        self._staff = TermIndex()
        for pid, p in content.staff.items():
            self._staff.add(pid, [p.name_ko, f"{p.name_ko} {p.role_ko}"])
        self._places = TermIndex()
        for pid, place in content.site.places.items():
            # Docks and robot home poses are not destinations for visitors; they have no
            # aliases, which is how the site file marks internal places.
            if place.kind == "dock" or not place.aliases:
                continue
            self._places.add(f"place:{pid}", [place.name_ko, *place.aliases])
        for fid, facility in content.facilities.items():
            self._places.add(f"facility:{fid}", [facility.name_ko, *facility.aliases])
        self._cues = TermIndex()
        for name, words in _FUZZY_CUES.items():
            self._cues.add(name, words)
        for index in (self._services, self._departments, self._topics, self._staff,
                      self._places, self._cues):
            index.freeze()

    # -- slots ------------------------------------------------------------------------------

    def _best(self, index: TermIndex | tuple[dict[str, float], dict[str, TermMatch]],
              query: Analysis, prefix: str = "") -> tuple[str, TermMatch] | None:
        """The single best entry, or None when nothing fits or two entries tie."""
        scores, best = (index.score(query, _SLOT_COVERAGE) if isinstance(index, TermIndex)
                        else index)
        ranked = sorted(((score, key) for key, score in scores.items()
                         if key.startswith(prefix) and best[key].matched >= _SLOT_MIN_JAMO),
                        reverse=True)
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[1][0] >= ranked[0][0] - 1e-9:
            return None  # 화장실: the men's or the women's? Let the facility speak for both.
        key = ranked[0][1]
        return key, best[key]

    def slots_of(self, query: Analysis) -> _Slots:
        if _GUIDE_VERB.search(query.raw):
            query = analyze(_GUIDE_VERB.sub(" ", query.text.replace(" ", "")))
        slots = _Slots()
        found = self._best(self._services, query)
        if found:
            slots.service = found[1]
        places = self._places.score(query, _SLOT_COVERAGE)  # places and facilities, once
        place = self._best(places, query, "place:")
        if place:
            slots.place = place[0].split(":", 1)[1]
            slots.place_similarity = place[1].similarity
        facility = self._best(places, query, "facility:")
        if facility:
            slots.facility = facility[0].split(":", 1)[1]
        elif slots.place:
            slots.facility = self.content.facility_of_place(slots.place)
        if _EXIT.search(query.raw) and not slots.facility:
            slots.facility = "exit"
        # 여권 민원실 / 인감 창구: the service's own counter is the precise destination.
        if slots.service:
            service = self.content.services[slots.service.key]
            kind = self.content.site.places[slots.place].kind if slots.place else None
            if service.counter and (slots.place is None or kind in _CONTAINER_KINDS):
                slots.place = service.counter
        dept = self._best(self._departments, query)
        if dept:
            slots.department = dept[0]
        topic = self._best(self._topics, query)
        if topic:
            slots.department_topic = topic[0]
        staff = self._best(self._staff, query)
        if staff:
            slots.staff = staff[0]
        return slots

    # -- intent -----------------------------------------------------------------------------

    def recognize(self, text: str) -> Intent:
        """Classify one utterance; never raises on odd input (empty, English, noise)."""
        query = analyze(text or "")
        raw = query.raw
        if not raw or not has_hangul(raw):
            return Intent("unknown", 0.0, {}, "", query.text)
        slots = self.slots_of(query)
        name, cue, confidence = self._decide(raw, slots)
        # 해 주세요 alone is a weak sign of yes: a misheard command word (천촌히 말해 주세요)
        # is the better reading when there is one.
        weak_affirm = name == "affirm" and not _AFFIRM_FIRST.match(raw)
        if name == "unknown" or weak_affirm:
            fuzzy = self._fuzzy_cue(query)
            if fuzzy[0] != "unknown":
                name, cue, confidence = fuzzy
        if name == "unknown":
            return Intent("unknown", 0.0, {}, "", query.text)
        out = self._slot_dict(name, slots)
        if slots.service and "service" in out:
            confidence *= slots.service.similarity  # a fuzzy name is less certain
        return Intent(name, round(confidence, 3), out, cue, query.text)

    def _decide(self, raw: str, slots: _Slots) -> tuple[str, str, float]:
        """(intent, the cue text that decided it, confidence). Order matters: see module doc."""
        content = slots.content

        def hit(pattern: re.Pattern[str]) -> str:
            m = pattern.search(raw)
            return m.group(0) if m else ""

        if cue := hit(_SLOWER):
            return "speak_slower", cue, 0.95
        if cue := hit(_TOUR_REPEAT):
            return "tour_repeat", cue, 0.85
        if cue := hit(_REPEAT):
            return "repeat", cue, 0.9
        if cue := hit(_GOODBYE):
            return "goodbye", cue, 0.9
        if not slots.service:
            for name, pattern in (("tour_end", _TOUR_END), ("tour_resume", _TOUR_RESUME),
                                  ("tour_start", _TOUR_START),
                                  ("tour_previous", _TOUR_PREVIOUS), ("tour_skip", _TOUR_SKIP)):
                if cue := hit(pattern):
                    return name, cue, 0.85
        if not content and (cue := hit(_NEGATED_ACTION)):
            return "deny", cue, 0.85
        if (person := hit(_PERSON)) and (call := hit(_CALL)):
            return "call_official", f"{person} {call}", 0.9
        if cue := hit(_WHO):
            return "who_handles", cue, 0.85
        if cue := hit(_HOURS):
            return "opening_hours", cue, 0.85
        if cue := hit(_TAKE):
            return "take_me_to", cue, 0.85 if content else 0.6
        if cue := hit(_WHERE):
            if slots.facility and not slots.service:
                return "facility", cue, 0.9
            if slots.service and not slots.place and hit(_NEED):
                return "service_requirements", cue, 0.7
            return "where_is", cue, 0.9 if content else 0.6
        if slots.service and (cue := hit(_NEED)):
            return "service_requirements", cue, 0.9
        if not content and (cue := hit(_NEED_GENERIC)):
            return "service_requirements", cue, 0.7
        if slots.service:
            return "service_requirements", slots.service.term, 0.75
        if slots.facility:
            return "facility", slots.facility, 0.75
        if slots.place:
            return "where_is", slots.place, 0.7
        if slots.department:
            return "where_is", slots.department, 0.6
        if slots.staff:
            return "who_handles", slots.staff, 0.6
        if slots.department_topic and (cue := hit(_NEED)):
            return "who_handles", cue, 0.5
        if cue := hit(_TOUR_PAUSE):
            return "tour_pause", cue, 0.8
        if (cue := hit(_GOODBYE_WEAK)) and not hit(_DENY_FIRST):
            return "goodbye", cue, 0.7
        if cue := hit(_DENY):
            return "deny", cue, 0.85
        if cue := hit(_AFFIRM):
            return "affirm", cue, 0.85
        if cue := hit(_GREETING):
            return "greeting", cue, 0.8
        return "unknown", "", 0.0

    def _fuzzy_cue(self, query: Analysis) -> tuple[str, str, float]:
        matches = [m for m in self._cues.match(query)
                   if m.view == "raw" and m.coverage == 1.0 and m.matched >= _FUZZY_CUE_MIN_JAMO]
        if not matches:
            return "unknown", "", 0.0
        best = matches[0]  # strongest first
        return best.key, best.term, round(0.6 * best.similarity, 3)

    def _slot_dict(self, name: str, slots: _Slots) -> dict[str, str]:
        out: dict[str, str] = {}
        if slots.service:
            out["service"] = slots.service.key
        if slots.staff:
            out["staff"] = slots.staff
        if name in ("where_is", "take_me_to", "facility", "opening_hours"):
            if slots.place:
                out["place"] = slots.place
            if slots.facility:
                out["facility"] = slots.facility
        department = slots.department
        if name in ("who_handles", "call_official") and not department:
            if slots.service:
                department = self.content.services[slots.service.key].department
            elif slots.staff:
                department = self.content.staff[slots.staff].department
            else:
                department = slots.department_topic
        if department:
            out["department"] = department
        return out
