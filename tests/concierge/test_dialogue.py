"""Dialogue manager scenarios, turn by turn on a manual clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from suwon_fleet.concierge.content import Content
from suwon_fleet.concierge.dialogue import (
    CONFIRM_TIMEOUT_S,
    DEFAULT_RATE,
    IDLE_RESET_S,
    CallOfficial,
    CallStaff,
    DialogueManager,
    EndConversation,
    Guide,
    ManualClock,
    ShowAnswer,
    ShowTouchMenu,
    TourCommand,
    josa,
)
from suwon_fleet.concierge.intents import Intent, IntentRecognizer
from suwon_fleet.concierge.search_service import EmbeddedSearch

MOVES_OR_CALLS = (Guide, CallOfficial, CallStaff)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def dm(content: Content, recognizer: IntentRecognizer, clock: ManualClock) -> DialogueManager:
    return DialogueManager(content, recognizer, clock=clock)


def test_clarify_then_answer_then_confirm_then_guide(dm: DialogueManager) -> None:
    ask = dm.hear("증명서 뗄래요")
    assert ask.text_ko.startswith("어떤 증명서가 필요하세요?")
    assert ask.action is None and ask.expecting == "service"

    answer = dm.hear("가족관계증명서요")
    assert "신분증" in answer.text_ko and "1,000원" in answer.text_ko
    assert "새빛민원실 3번 창구" in answer.text_ko
    assert "무인민원발급기" in answer.text_ko  # the kiosk issues it too
    assert isinstance(answer.action, ShowAnswer) and answer.action.id == "family_relation"
    assert any("처리 기간" in line for line in answer.action.lines_ko)
    assert answer.expecting == "confirm"

    go = dm.hear("네")
    assert go.action == Guide("saebit_counter_3")
    assert go.expecting is None
    assert dm.hear("네").action is None  # nothing pending any more


def test_required_passport_example_confirms_before_moving(dm: DialogueManager) -> None:
    reply = dm.hear("여권 민원실 어디예요?")
    assert "새빛민원실 1번 창구" in reply.text_ko and reply.text_ko.endswith("안내해 드릴까요?")
    assert not isinstance(reply.action, MOVES_OR_CALLS)
    assert dm.hear("예 좋아요").action == Guide("saebit_counter_1")


def test_deny_means_no_action(dm: DialogueManager) -> None:
    dm.hear("화장실 어디예요")
    reply = dm.hear("아니요 괜찮아요")
    assert reply.action is None and reply.intent == "deny"
    assert dm.expecting is None
    assert dm.hear("네").action is None


def test_call_official_needs_confirmation_and_carries_the_topic(dm: DialogueManager) -> None:
    dm.hear("여권 재발급 받으려면 뭘 가져와야 돼요")
    ask = dm.hear("베테랑 공무원 불러 주세요")
    assert ask.action is None and ask.expecting == "confirm"
    assert "여권" in ask.text_ko
    called = dm.hear("네 불러 주세요")
    assert isinstance(called.action, CallOfficial)
    assert called.action.service_id == "passport_issue"  # from the conversation so far
    assert called.action.staff_id == "kim_youngsook"  # the veteran for passports
    assert called.action.language == "ko" and called.action.department_id == "civil_passport"


def test_call_note_is_redacted(dm: DialogueManager) -> None:
    dm.hear("제 이름은 김철수입니다 담당자 불러 주세요 010-1234-5678")
    call = dm.hear("네").action
    assert isinstance(call, CallOfficial)
    assert "김철수" not in call.note and "5678" not in call.note
    assert "[이름]" in call.note and "[전화번호]" in call.note


def test_late_yes_does_not_move_the_robot(dm: DialogueManager, clock: ManualClock) -> None:
    dm.hear("엘리베이터까지 안내해 주세요")
    clock.advance(CONFIRM_TIMEOUT_S + 1)
    reply = dm.hear("네")
    assert reply.action is None


def test_two_failures_offer_touch_screen_then_staff(dm: DialogueManager) -> None:
    first = dm.hear("바나나 우유 주세요")
    assert first.action is None and "다시" in first.text_ko
    second = dm.hear("크크크")
    assert isinstance(second.action, ShowTouchMenu)
    assert "화면" in second.text_ko and "직원" in second.text_ko
    assert second.expecting == "confirm"
    staff = dm.hear("네")
    assert isinstance(staff.action, CallStaff)


def test_understood_turn_resets_the_failure_count(dm: DialogueManager) -> None:
    dm.hear("아아아")
    dm.hear("화장실 어디예요")
    dm.hear("아니요")
    again = dm.hear("크크크")
    assert again.action is None  # one failure since the last success, not two


def test_nonsense_never_moves_or_calls(dm: DialogueManager) -> None:
    for text in ["아아아", "크크크", "바나나", "where is it", "", "흠", "오늘 날씨 좋네요",
                 "음", "라면 맛있다", "아 진짜"]:
        reply = dm.hear(text)
        assert not isinstance(reply.action, MOVES_OR_CALLS), (text, reply)


def test_unclear_answer_to_a_question_asks_again(dm: DialogueManager) -> None:
    dm.hear("민원실까지 데려다 주세요")
    reply = dm.hear("크크크")
    assert reply.action is None and reply.expecting == "confirm"
    assert "네 또는 아니요" in reply.text_ko
    assert dm.hear("네").action == Guide("saebit_hall")


def test_repeat_says_the_last_reply_again_without_acting(dm: DialogueManager) -> None:
    asked = dm.hear("민원실까지 데려다 주세요")
    again = dm.hear("다시 한 번 말해 주세요")
    assert again.text_ko == asked.text_ko and again.text_en == asked.text_en
    assert again.expecting == "confirm"
    assert dm.hear("네").action == Guide("saebit_hall")  # still answerable
    repeated_go = dm.hear("뭐라고요")
    assert repeated_go.action is None  # repeating "follow me" must not drive again


def test_slower_lowers_the_rate_and_it_stays(dm: DialogueManager) -> None:
    dm.hear("등본 떼려면 뭐가 필요해요")
    slow = dm.hear("천천히 말해 주세요")
    assert slow.rate < DEFAULT_RATE
    assert "천천히" in slow.text_ko and "주민등록표 등본" in slow.text_ko
    slower = dm.hear("너무 빨라요")
    assert slower.rate < slow.rate
    later = dm.hear("화장실은 어디예요")
    assert later.rate == slower.rate
    for _ in range(10):
        dm.hear("천천히요")
    assert dm.rate >= 0.6  # bounded: still intelligible


def test_goodbye_ends_and_resets(dm: DialogueManager) -> None:
    dm.hear("천천히 말해 주세요")
    dm.hear("화장실 어디예요")
    bye = dm.hear("고마워요 안녕히 계세요")
    assert isinstance(bye.action, EndConversation)
    assert bye.rate < DEFAULT_RATE  # said at the visitor's pace
    assert dm.rate == DEFAULT_RATE and dm.expecting is None
    assert dm.hear("네").action is None


def test_new_visitor_after_silence(dm: DialogueManager, clock: ManualClock) -> None:
    dm.hear("천천히 말해 주세요")
    clock.advance(IDLE_RESET_S + 1)
    assert dm.hear("안녕하세요").rate == DEFAULT_RATE


def test_opening_hours_use_the_clock(content: Content, recognizer: IntentRecognizer) -> None:
    kst = timezone(timedelta(hours=9))
    open_dm = DialogueManager(content, recognizer, ManualClock(datetime(2025, 3, 6, 19, 0,
                                                                        tzinfo=kst)))
    thursday = open_dm.hear("여권 야간에도 돼요")
    assert "목요일" in thursday.text_ko and "지금 운영 중" in thursday.text_ko
    assert "오후 8시" in thursday.text_ko
    closed_dm = DialogueManager(content, recognizer, ManualClock(datetime(2025, 3, 8, 10, 0,
                                                                          tzinfo=kst)))
    saturday = closed_dm.hear("민원실 몇 시까지 해요")
    assert "운영 시간이 아닙니다" in saturday.text_ko
    assert isinstance(saturday.action, ShowAnswer) and saturday.action.kind == "hours"


def test_who_handles_offers_to_call(dm: DialogueManager) -> None:
    reply = dm.hear("기초연금은 어느 과에서 해요")
    assert "노인복지과" in reply.text_ko and "031-228-2330" in reply.text_ko
    assert reply.expecting == "confirm"
    call = dm.hear("네").action
    assert isinstance(call, CallOfficial) and call.staff_id == "lee_soonja"


def test_upstairs_department_offers_the_elevator(dm: DialogueManager) -> None:
    reply = dm.hear("세정과 사무실 어디에 있어요")
    assert "3층" in reply.text_ko
    assert dm.hear("네").action == Guide("elevator_lobby")


def test_service_done_elsewhere_is_explained_not_guided(dm: DialogueManager) -> None:
    reply = dm.hear("장애인 등록은 어떻게 해요")
    assert "행정복지센터" in reply.text_ko and "장애인복지과" in reply.text_ko
    assert reply.expecting is None
    assert dm.hear("네").action is None


def test_restroom_guides_to_the_facility(dm: DialogueManager) -> None:
    dm.hear("화장실 어디예요")
    assert dm.hear("네").action == Guide("restroom_accessible")
    dm.hear("여자 화장실 데려다 주세요")
    assert dm.hear("네").action == Guide("restroom_female")


def test_new_request_replaces_an_open_question(dm: DialogueManager) -> None:
    dm.hear("민원실까지 데려다 주세요")
    dm.hear("아 그 전에 화장실은 어디예요")
    assert dm.hear("네").action == Guide("restroom_accessible")


def test_tour_commands(content: Content, recognizer: IntentRecognizer) -> None:
    lobby = DialogueManager(content, recognizer, ManualClock())
    assert lobby.hear("투어 시작해 주세요").action is None
    docent = DialogueManager(content, recognizer, ManualClock(), tour_mode=True)
    assert docent.hear("잠깐 멈춰 주세요").action == TourCommand("pause")
    assert docent.hear("계속해 주세요").action == TourCommand("resume")


def test_low_confidence_is_not_understood(dm: DialogueManager) -> None:
    reply = dm.handle(Intent("take_me_to", 0.2, {"place": "entrance"}, "", "..."))
    assert reply.action is None and reply.intent == "unknown"


def test_josa() -> None:
    assert josa("여권", "은/는") == "여권은"
    assert josa("등본", "이/가") == "등본이"
    assert josa("창구", "으로/로") == "창구로"
    assert josa("민원실", "으로/로") == "민원실로"  # ㄹ takes 로
    assert josa("정문", "으로/로") == "정문으로"
    assert josa("1번 창구", "은/는") == "1번 창구는"


# -- questions no intent covers go to the civil-service search ------------------------------

def _not_understood(text: str) -> Intent:
    """What the recogniser returns for a question none of its intents covers."""
    return Intent("unknown", 0.0, {}, "", text)


@pytest.fixture(scope="module")
def embedded_search(content: Content) -> EmbeddedSearch:
    return EmbeddedSearch(content)


@pytest.fixture
def searching_dm(content: Content, recognizer: IntentRecognizer, clock: ManualClock,
                 embedded_search: EmbeddedSearch) -> DialogueManager:
    return DialogueManager(content, recognizer, clock=clock, search=embedded_search)


def test_uncovered_question_is_answered_from_the_search(searching_dm: DialogueManager) -> None:
    reply = searching_dm.handle(_not_understood("쓰레기 대형폐기물 버리려면"))
    assert reply.intent == "search"
    assert "자원순환과" in reply.text_ko and "7층" in reply.text_ko
    assert "Resource" in reply.text_en or "Recycling" in reply.text_en, reply.text_en
    assert reply.expecting == "confirm" and isinstance(reply.action, ShowAnswer)
    called = searching_dm.hear("네")
    assert isinstance(called.action, CallOfficial)
    assert called.action.department_id == "resource_recycling"


def test_search_answer_counts_as_understood(searching_dm: DialogueManager) -> None:
    searching_dm.hear("바나나 우주선 노래방")  # one miss
    # found by the search: the misses start again
    searching_dm.handle(_not_understood("어린이집 입소 문의하려고요"))
    searching_dm.hear("아니요")
    reply = searching_dm.hear("바나나 우주선 노래방")
    assert reply.intent == "unknown" and not isinstance(reply.action, ShowTouchMenu)


@pytest.mark.parametrize("text", [
    "오늘 날씨 정말 좋네요", "바나나 우주선 노래방 고양이", "지하철 타는 곳이 어디예요",
    "어머니가 요리를 잘하세요", "Thank you very much", "음", "그러니까 저기 그거",
])
def test_off_topic_talk_finds_nothing_in_the_search(searching_dm: DialogueManager,
                                                     text: str) -> None:
    reply = searching_dm.handle(_not_understood(text))
    assert reply.intent == "unknown" and reply.action is None, (text, reply)


class _BrokenSearch:
    def search(self, query: str, limit: int = 5):
        raise RuntimeError("index corrupted")


def test_broken_search_service_means_a_polite_re_ask(content: Content,
                                                      recognizer: IntentRecognizer) -> None:
    dm = DialogueManager(content, recognizer, clock=ManualClock(), search=_BrokenSearch())
    reply = dm.handle(_not_understood("쓰레기 대형폐기물 버리려면"))
    assert reply.intent == "unknown" and "다시" in reply.text_ko and reply.action is None
