"""Civil-service search: spacing, typos, aliases, ranking, kinds."""

from __future__ import annotations

import pytest

from suwon_fleet.concierge.search import CivilServiceSearch

# (query, kind, id expected first): plain names, colloquial aliases, spacing, typos,
# particles and conjugations, English.
RANKING = [
    ("주민등록등본", "service", "resident_copy"),
    ("주민 등록 등본", "service", "resident_copy"),
    ("주민등록등븐", "service", "resident_copy"),
    ("등본", "service", "resident_copy"),
    ("초본 떼려면 뭐 필요해요", "service", "resident_abstract"),
    ("주민 등록 초븐 떼러 왔어요", "service", "resident_abstract"),
    ("가족관게 증명서", "service", "family_relation"),
    ("가족관계", "service", "family_relation"),
    ("인감", "service", "seal_cert"),
    ("혼인 관계 증명서", "service", "marriage_cert"),
    ("여권", "service", "passport_issue"),
    ("여권 분실 신고", "service", "passport_lost"),
    ("여권을 잃어버렸어요", "service", "passport_lost"),
    ("기초 연굼", "service", "basic_pension"),
    ("자동차 명의 이전", "service", "car_transfer_registration"),
    ("폐차", "service", "car_deregistration"),
    ("토지 대장", "service", "land_register"),
    ("납세 증명", "service", "local_tax_certificate"),
    ("아동 수당", "service", "child_allowance"),
    ("청년 월세", "service", "youth_rent_support"),
    ("passport", "service", "passport_issue"),
    ("건축 허가", "department", "architecture"),
    ("쓰레기 수거 문제는 어느 부서 소관이에요", "department", "resource_recycling"),
    ("주차 위반 과태료", "department", "traffic_enforcement"),
    ("세무과", "department", "tax"),
    ("김영숙", "staff", "kim_youngsook"),
    ("박정호 팀장", "staff", "park_jeongho"),
]


@pytest.mark.parametrize(("query", "kind", "entry_id"), RANKING)
def test_right_entry_ranks_first(search: CivilServiceSearch, query: str, kind: str,
                                 entry_id: str) -> None:
    hits = search.search(query)
    assert hits, query
    assert (hits[0].kind, hits[0].id) == (kind, entry_id), [(h.kind, h.id) for h in hits]


def test_spacing_does_not_matter(search: CivilServiceSearch) -> None:
    for a, b in [("주민등록등본", "주민 등록 등본"), ("가족관계증명서", "가 족 관 계 증 명 서"),
                 ("본인서명사실확인서", "본인 서명 사실 확인서")]:
        first_a, first_b = search.search(a)[0], search.search(b)[0]
        assert first_a.id == first_b.id
        assert first_a.score == pytest.approx(first_b.score)


def test_typo_scores_below_exact_but_still_first(search: CivilServiceSearch) -> None:
    exact = search.search("가족관계증명서")[0]
    typo = search.search("가족관게증명서")[0]
    assert typo.id == exact.id == "family_relation"
    assert 0.5 < typo.score < exact.score


def test_generic_word_lists_several_services(search: CivilServiceSearch) -> None:
    hits = search.search("증명서", limit=10)
    ids = {h.id for h in hits}
    assert len(hits) >= 3 and all(h.kind == "service" for h in hits[:3])
    assert {"family_relation", "basic_cert"} <= ids


def test_nothing_for_noise_and_limits(search: CivilServiceSearch) -> None:
    assert search.search("") == []
    assert search.search("   ") == []
    assert search.search("오늘 날씨 좋네요") == []
    assert search.search("xyzzy") == []
    assert search.search("여권", limit=0) == []
    assert len(search.search("증명서", limit=2)) == 2


def test_kinds_filter_and_summaries(search: CivilServiceSearch) -> None:
    staff_only = search.search("여권", kinds=("staff",))
    assert [h.id for h in staff_only] == ["kim_youngsook"]
    copy = search.search("등본")[0]
    assert copy.title_ko == "주민등록표 등본"
    assert "새빛민원실 2번 창구" in copy.summary_ko and "400원" in copy.summary_ko
    assert "counter 2" in copy.summary_en
    tax = search.search("세정과")[0]
    assert tax.kind == "department" and "031-228-2210" in tax.summary_ko
    assert all(0.0 < h.score <= 1.0 for h in search.search("기초연금"))
