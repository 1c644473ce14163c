"""The phrases a robot's recognizer listens for: built from the site's own data (places,
civil services, departments, tour words) plus the common requests visitors make, so a new
site or a new service is heard without touching code. The speech node passes them to the
grammar recognizer; anything else falls back to free-form recognition."""

from __future__ import annotations

from suwon_fleet.concierge.content import Content
from suwon_fleet.core.sites import Site

# How visitors ask; {x} is a place, service or department name.
QUESTION_FORMS = ("{x} 어디예요", "{x} 어디 있어요", "{x} 가고 싶어요", "{x} 데려다 주세요",
                  "{x} 뭐가 필요해요", "{x} 하려고요", "{x} 어디서 해요")
COMMON_REQUESTS = (
    "네", "예", "아니요", "아니에요", "좋아요", "괜찮아요", "됐어요",
    "다시 말해 주세요", "천천히 말해 주세요", "한 번 더 말해 주세요",
    "베테랑 공무원 불러 주세요", "담당자 불러 주세요", "직원 불러 주세요",
    "몇 시까지 해요", "몇 시에 열어요", "운영 시간 알려 주세요",
    "화장실 어디예요", "엘리베이터 어디 있어요", "나가는 곳 어디예요", "출구 어디예요",
    "안녕하세요", "안녕히 계세요", "고마워요", "감사합니다",
)
TOUR_REQUESTS = (
    "투어 시작해 주세요", "잠깐 멈춰 주세요", "계속 가 주세요", "다음으로 넘어가 주세요",
    "다시 한 번 설명해 주세요", "이전으로 돌아가 주세요", "투어 그만할게요",
)


def concierge_phrases(content: Content) -> list[str]:
    names: list[str] = []
    for service in content.services.values():
        names += [service.name_ko, *service.aliases]
    for department in content.departments.values():
        names.append(department.name_ko)
    for place in content.site.places.values():
        if place.kind not in ("dock", "waiting"):
            names += [place.name_ko, *[a for a in place.aliases if _korean(a)]]
    return _unique([*COMMON_REQUESTS, *(form.format(x=name) for name in _unique(names)
                                         for form in QUESTION_FORMS)])


def docent_phrases(site: Site) -> list[str]:
    names = [p.name_ko for p in site.places.values() if p.kind not in ("dock", "waiting", "path")]
    return _unique([*COMMON_REQUESTS, *TOUR_REQUESTS,
                    *(f"{name} 어디예요" for name in names)])


def _korean(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))
