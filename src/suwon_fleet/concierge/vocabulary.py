"""The phrases a robot's recognizer listens for: built from the site's own data (places,
facilities, civil services, departments, staff, tour words) plus the common requests visitors
make, so a new site or a new service is heard without touching code. The speech node passes
them to the grammar recognizer; anything else falls back to free-form recognition.

The recognizer turns these lines into a bigram language model (grammar.py), so they are a
prior as much as a phrase list: a request form learnt with one name is heard with every other
(``{x}까지 데려다 주세요``), and how often a line is listed is how likely it is. Each kind of
name gets the forms visitors use for that kind (a place is walked to, a service is applied
for, a department is asked about), and the common requests (yes, no, say it again, ...) are
listed as often as it takes for them, together, to weigh as much as all the name questions.
Listed once each, a short answer such as 아니요 lost to a fragment of the thousands of
questions (어디예요 is the tokens 어디 예요; 예요 alone is nearer the phrase 예 than
anything else), so a "no" came out as 예요/예 or as free-form noise; weighted, the nine
test clips of 아니요 in tests/speech/test_intent_audio.py go from none to five heard as no.
"""

from __future__ import annotations

from suwon_fleet.concierge.content import Content
from suwon_fleet.core.sites import Site

# How visitors ask about a named thing; {x} is the name, {ro} its 로/으로 particle.
PLACE_FORMS = ("{x} 어디예요", "{x} 어디 있어요", "{x} 어느 쪽이에요", "{x} 몇 층이에요",
               "{x} 가고 싶어요", "{x}까지 데려다 주세요", "{x}{ro} 안내해 주세요",
               "{x} 몇 시까지 해요", "{x} 찾고 있어요")
SERVICE_FORMS = ("{x} 어디서 해요", "{x} 어디예요", "{x} 민원실 어디예요", "{x} 창구 어디예요",
                 "{x} 뭐가 필요해요", "{x} 떼려면 뭐가 필요해요",
                 "{x} 하려고요", "{x} 하러 왔어요", "{x} 신청하려고요", "{x} 수수료 얼마예요",
                 "{x} 담당 부서가 어디예요", "{x} 누가 담당해요", "{x} 창구로 데려다 주세요",
                 "{x} 담당자 불러 주세요")
DEPARTMENT_FORMS = ("{x} 어디예요", "{x} 어디 있어요", "{x} 몇 층이에요", "{x} 가고 싶어요",
                    "{x} 직원 불러 주세요")
STAFF_FORMS = ("{x} 불러 주세요", "{x} 어느 부서예요", "{x} 어디 계세요")
COMMON_REQUESTS = (
    # answers to the robot's questions
    "네", "예", "응", "네 좋아요", "좋아요", "좋습니다", "그래요", "네 그렇게 해 주세요",
    "네 부탁합니다", "맞아요", "알겠습니다",
    "아니요", "아니에요", "아뇨", "아니요 괜찮아요", "괜찮아요", "괜찮습니다", "됐어요",
    "필요 없어요", "싫어요",
    # the conversation itself
    "다시 말해 주세요", "한 번 더 말해 주세요", "다시 말씀해 주세요", "뭐라고요",
    "못 들었어요", "안 들려요", "천천히 말해 주세요", "천천히 말씀해 주세요", "너무 빨라요",
    "안녕하세요", "저기요", "안녕히 계세요", "고마워요", "감사합니다", "고맙습니다",
    "수고하세요", "이제 갈게요",
    # people, hours and generic errands
    "베테랑 공무원 불러 주세요", "담당자 불러 주세요", "직원 불러 주세요", "공무원 불러 주세요",
    "사람이랑 얘기하고 싶어요", "상담 직원 연결해 주세요",
    "몇 시까지 해요", "몇 시에 열어요", "몇 시에 문 닫아요", "운영 시간 알려 주세요",
    "점심시간에도 해요", "주말에도 해요", "토요일에도 해요",
)
# The lobby's errands without a name (which document? the robot asks next).
LOBBY_REQUESTS = ("담당 부서가 어디예요", "누가 담당해요", "증명서 떼려고요", "서류 떼러 왔어요",
                  "나가는 곳 어디예요")
TOUR_REQUESTS = (
    "투어 시작해 주세요", "해설 시작해 주세요", "잠깐 멈춰 주세요", "잠깐만요",
    "계속해 주세요", "계속 가 주세요", "다시 시작해 주세요", "다음으로 넘어가 주세요",
    "건너뛰어 주세요", "다시 한 번 설명해 주세요", "설명 다시 해 주세요",
    "이전으로 돌아가 주세요", "투어 그만할게요", "투어 끝내 주세요",
)

# Choosing a course with the docent (docent/course_chat.py): asking for one, the time the
# guest has (numbers as they are read: the grammar has no digits), step-free needs, interests.
COURSE_REQUESTS = (
    "코스 추천해 주세요", "투어 하고 싶어요", "해설 듣고 싶어요", "어떤 코스가 있어요",
    "아이랑 볼 만한 코스 추천해 주세요", "꽃 구경하고 싶어요", "나무 보는 코스 있어요",
    "사진 찍기 좋은 코스 있어요", "휠체어 코스 있어요", "유모차 끌고 가도 돼요",
    "계단이 힘들어요", "다리가 불편해요", "영어로 해 주세요",
    "삼십 분", "삼십 분 정도요", "사십 분", "오십 분", "이십 분", "한 시간", "한 시간 정도요",
    "한 시간 반", "두 시간",
)
# The rating asked for at a tour's end (docent/voice.py reads 1-5 these ways).
RATING_ANSWERS = ("일 점", "이 점", "삼 점", "사 점", "오 점", "별 다섯 개", "별 네 개",
                  "다섯 개", "네 개", "세 개")
# How a guest asks the docent for a garden or facility (docent/wayfinding.py).
DOCENT_PLACE_FORMS = ("{x} 어디예요", "{x} 어디 있어요", "{x} 가고 싶어요",
                      "{x}까지 데려다 주세요")


def concierge_phrases(content: Content) -> list[str]:
    """The City Hall lobby robot's grammar lines (repeated lines weigh more; see above)."""
    services = [n for s in content.services.values() for n in (s.name_ko, *s.aliases)]
    # Docks and robot home poses have no aliases: that is how the site file marks places
    # visitors are not sent to (the intent recogniser skips them the same way).
    places = [n for p in content.site.places.values() if p.kind != "dock" and p.aliases
              for n in (p.name_ko, *p.aliases)]
    places += [n for f in content.facilities.values() for n in (f.name_ko, *f.aliases)]
    departments = [n for d in content.departments.values() for n in (d.name_ko, *d.aliases)]
    staff = [f"{p.name_ko} {p.role_ko}" for p in content.staff.values()]
    staff += [p.name_ko for p in content.staff.values()]
    questions = _unique([form.format(x=name, ro=_ro(name))
                         for names, forms in ((places, PLACE_FORMS), (services, SERVICE_FORMS),
                                              (departments, DEPARTMENT_FORMS),
                                              (staff, STAFF_FORMS))
                         for name in _unique([n for n in names if _korean(n)])
                         for form in forms])
    return [*_weighted((*COMMON_REQUESTS, *LOBBY_REQUESTS), len(questions)), *questions]


def docent_phrases(site: Site) -> list[str]:
    """A docent robot's grammar lines: tour commands, common requests, its site's places."""
    names = _unique([n for p in site.places.values()
                     if p.kind not in ("dock", "waiting", "path")
                     for n in (p.name_ko, *p.aliases) if _korean(n)])
    questions = [form.format(x=name) for name in names for form in DOCENT_PLACE_FORMS]
    requests = (*COMMON_REQUESTS, *TOUR_REQUESTS, *COURSE_REQUESTS, *RATING_ANSWERS)
    return [*_weighted(requests, len(questions)), *questions]


def _weighted(requests: tuple[str, ...], questions: int) -> list[str]:
    """``requests`` repeated so that, together, they weigh as much as ``questions`` lines."""
    times = max(1, round(questions / len(requests)))
    return [request for request in _unique(list(requests)) for _ in range(times)]


def _ro(name: str) -> str:
    """The particle 로 or 으로 after ``name``: 으로 after a final consonant other than ㄹ."""
    last = name[-1] if name else ""
    if not "\uac00" <= last <= "\ud7a3":
        return "로"
    final = (ord(last) - 0xAC00) % 28
    return "으로" if final not in (0, 8) else "로"  # 8: ㄹ


def _korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))
