"""What the docent robot says and shows: every sentence Korean first, English alongside.

Korean particles follow the noun's last syllable (장미정원은 / 온실로 / 화장실로), so names can
be dropped into sentences without the awkward "은(는)".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from suwon_fleet.core.tours import Text

if TYPE_CHECKING:
    from suwon_fleet.core.sites import Site
    from suwon_fleet.core.tours import Course


def _final_consonant(word: str) -> int | None:
    """The final consonant index (jongseong) of the last Hangul syllable; 0 = none; None for
    a word not ending in Hangul."""
    if not word:
        return None
    code = ord(word.strip()[-1]) - 0xAC00
    return code % 28 if 0 <= code < 11172 else None


def josa(word: str, with_batchim: str, without: str) -> str:
    """``word`` + the particle form its last syllable takes (은/는, 이/가, 을/를, 과/와)."""
    final = _final_consonant(word)
    return word + (with_batchim if final else without)


def euro(word: str) -> str:
    """``word`` + 으로/로: 로 after a vowel or ㄹ (온실로, 화장실로), else 으로 (정원으로)."""
    final = _final_consonant(word)
    return word + ("으로" if final and final != 8 else "로")


def minutes(seconds: float) -> int:
    return max(1, round(seconds / 60.0))


def intro(site: Site, course: Course, stops: int, total_s: float) -> Text:
    m = minutes(total_s)
    return Text(
        ko=f"안녕하세요, 저는 {site.name_ko} 해설 로봇입니다. 오늘은 {course.name_ko} 코스로 "
           f"{stops}곳을 약 {m}분 동안 둘러볼게요. 제 뒤를 따라와 주세요. 언제든 잠깐, 다시, "
           "건너뛰기, 화장실이라고 말씀하시면 됩니다.",
        en=f"Hello, I am the docent robot of {site.name_en}. Today we will visit {stops} "
           f"places on the {course.name_en} course, in about {m} minutes. Please follow me. "
           "You can say pause, repeat, skip or restroom at any time.")


def farewell(site: Site) -> Text:
    return Text(ko=f"오늘 투어는 여기까지입니다. 함께해 주셔서 감사합니다. {site.name_ko}에서 "
                   "즐거운 시간 보내세요.",
                en=f"That is the end of our tour. Thank you for joining me, and enjoy the rest "
                   f"of your visit to {site.name_en}.")


_ORDINALS_KO = ("첫", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열")


def ordinal_ko(k: int) -> str:
    """첫 번째, 두 번째, ...: native numbers read naturally ("1번째" does not)."""
    return f"{_ORDINALS_KO[k - 1]} 번째" if 1 <= k <= len(_ORDINALS_KO) else f"{k}번째"


def heading_to(name: Text, k: int, n: int) -> Text:
    return Text(ko=f"{ordinal_ko(k)} 장소, {euro(name.ko)} 갑니다. 따라와 주세요.",
                en=f"Stop {k} of {n}: on to the {name.en}. Please follow me.")


def wait_for_group() -> Text:
    return Text(ko="일행분들이 따라오실 때까지 잠시 기다릴게요.",
                en="I will wait a moment for everyone to catch up.")


def group_caught_up() -> Text:
    return Text(ko="다 오셨네요. 다시 출발할게요.", en="Everyone is here. Let us go on.")


def gather_reminder() -> Text:
    return Text(ko="이쪽이에요! 모두 모이시면 설명을 시작할게요.",
                en="Over here! I will begin when everyone has gathered.")


def group_lost() -> Text:
    return Text(ko="일행분들이 보이지 않아 투어를 마칩니다. 도움이 필요하시면 방문자센터로 와 "
                   "주세요.",
                en="I cannot see the group any more, so the tour ends here. Please come to "
                   "the visitor centre if you need help.")


def paused(by_operator: bool) -> Text:
    if by_operator:
        return Text(ko="운영자가 투어를 잠시 멈췄어요. 잠시만 기다려 주세요.",
                    en="Staff have paused the tour for a moment. Please wait.")
    return Text(ko="투어를 잠시 멈출게요. 계속이라고 말씀하시면 다시 시작합니다.",
                en="The tour is paused. Say continue when you are ready.")


def resumed() -> Text:
    return Text(ko="투어를 다시 시작할게요.", en="Let us carry on with the tour.")


def skipped(name: Text) -> Text:
    return Text(ko=f"{josa(name.ko, '은', '는')} 건너뛰고 다음 장소로 갈게요.",
                en=f"We will skip the {name.en} and go on to the next stop.")


def previous(name: Text) -> Text:
    return Text(ko=f"앞 장소인 {euro(name.ko)} 돌아갈게요.",
                en=f"Let us go back to the {name.en}.")


def first_stop() -> Text:
    return Text(ko="지금이 첫 번째 장소예요.", en="This is the first stop.")


def nothing_to_repeat() -> Text:
    return Text(ko="아직 설명드린 장소가 없어요.", en="I have not described a place yet.")


def facility_detour(name: Text, metres: float) -> Text:
    d = round(metres / 10.0) * 10 or round(metres)
    return Text(ko=f"{euro(name.ko)} 안내할게요. 약 {d}미터 거리예요.",
                en=f"I will take you to the {name.en}, about {d} metres from here.")


def no_facility(kind_ko: str, kind_en: str) -> Text:
    return Text(ko=f"죄송해요, 가까운 {kind_ko} 길을 찾지 못했어요. 가까운 직원에게 문의해 "
                   "주세요.",
                en=f"Sorry, I cannot find a way to a {kind_en}. Please ask a member of staff.")


def at_facility(name: Text) -> Text:
    return Text(ko=f"{name.ko}입니다. 여기서 기다릴게요. 다녀오시면 계속이라고 말씀해 주세요.",
                en=f"Here is the {name.en}. I will wait here; say continue when you are "
                   "ready.")


def back_to_tour(name: Text) -> Text:
    return Text(ko=f"투어로 돌아갈게요. {euro(name.ko)} 갑니다.",
                en=f"Back to the tour: on to the {name.en}.")


def replanning() -> Text:
    return Text(ko="길이 막혀서 다른 길로 돌아갈게요.",
                en="The path is blocked, so we will take another way.")


def blocked_skip(name: Text) -> Text:
    return Text(ko=f"죄송합니다. 길이 막혀 {name.ko}에는 갈 수 없어요. 다음 장소로 안내할게요.",
                en=f"I am sorry: the way to the {name.en} is blocked. Let us go on to the next "
                   "stop.")


def low_battery(end: Text) -> Text:
    return Text(ko=f"죄송합니다. 배터리가 부족해서 {end.ko}에서 투어를 마쳐야 해요.",
                en=f"I am sorry: my battery is running low, so our tour will end at the "
                   f"{end.en}.")


def battery_critical() -> Text:
    return Text(ko="죄송합니다. 배터리가 거의 다 되어 여기서 투어를 마칩니다.",
                en="I am sorry: my battery is almost empty, so the tour has to end here.")


def handover() -> Text:
    return Text(ko="방문자센터 직원이 안내를 이어 드릴 거예요. 불편을 드려 죄송합니다.",
                en="Staff at the visitor centre will be glad to help you further. Sorry for "
                   "the trouble.")


def ended_by_guest() -> Text:
    return Text(ko="네, 투어를 여기서 마칠게요.", en="All right, we will end the tour here.")


def ended_by_operator() -> Text:
    return Text(ko="죄송합니다. 운영자 요청으로 투어를 마칩니다.",
                en="I am sorry: staff have asked me to end the tour.")


def ask_rating() -> Text:
    return Text(ko="오늘 투어는 어떠셨나요? 화면에서 1점부터 5점까지 골라 주세요.",
                en="How was the tour? Please choose from 1 to 5 stars on the screen.")


def thanks_for_rating() -> Text:
    return Text(ko="소중한 평가 감사합니다! 즐거운 관람 되세요.",
                en="Thank you for your rating! Enjoy your visit.")


def progress(k: int, n: int, name: Text, minutes_left: int) -> Text:
    return Text(ko=f"{k}/{n} {name.ko} · 남은 시간 약 {minutes_left}분",
                en=f"{k}/{n} {name.en} · about {minutes_left} min left")


FACILITY_NAMES: dict[str, tuple[str, str]] = {
    "restroom": ("화장실", "restroom"), "cafe": ("카페", "café"),
    "exit": ("출구", "exit"), "first_aid": ("응급처치실", "first aid room"),
}


def not_understood() -> Text:
    return Text(ko="죄송해요, 잘 알아듣지 못했어요. 잠깐, 계속, 다시, 다음, 이전, 화장실, "
                   "투어 끝 가운데 하나로 말씀해 주세요.",
                en="Sorry, I did not catch that. You can say pause, continue, repeat, next, "
                   "back, restroom or end the tour.")


def rating_not_understood() -> Text:
    return Text(ko="1점부터 5점까지 숫자로 말씀해 주시거나 화면에서 골라 주세요.",
                en="Please say a number from 1 to 5, or choose on the screen.")


def to_meeting_point(name: Text) -> Text:
    return Text(ko=f"투어 출발 장소인 {euro(name.ko)} 이동할게요.",
                en=f"I am going to the {name.en}, where the tour starts.")
