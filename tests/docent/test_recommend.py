"""Course recommendation: time, step-free needs, children, closing time, season."""

from __future__ import annotations

from datetime import UTC, datetime

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.planning import RouteBook
from suwon_fleet.docent.recommend import GuestAnswers, recommend

SITE = load_fleet().sites["ilwol_arboretum"]
ROUTES = RouteBook(SITE)
TUESDAY_10AM = datetime(2026, 6, 2, 10, 0)  # naive: the site's local time (Asia/Seoul)


def ask(minutes: float, when: datetime = TUESDAY_10AM, **answers):
    return recommend(SITE, GuestAnswers(minutes, **answers), when, ROUTES)


def test_thirty_minutes_in_a_wheelchair_gets_the_step_free_course() -> None:
    rec = ask(30, step_free=True)
    assert rec.best.course_id == "wheelchair"
    assert any("계단과 급경사" in r.ko for r in rec.best.reasons)
    assert rec.best.estimate_s <= 30 * 60 + 60
    barriers = SITE.step_free_barriers
    for suggestion in rec.suggestions:  # whatever else is offered is step-free too
        assert not any(s.route.enters(barriers) for s in suggestion.plan.stops)
    assert "highlights_30" in rec.excluded
    assert "steep" in rec.excluded["highlights_30"].en


def test_children_get_the_family_course() -> None:
    rec = ask(40, interests=frozenset({"kids"}))
    assert rec.best.course_id == "family_kids"
    assert any("어린이" in r.ko for r in rec.best.reasons)
    assert "full_60" in rec.excluded, "an hour's tour does not fit 40 minutes"


def test_an_hour_and_interests_get_the_grand_tour() -> None:
    rec = ask(70, interests=frozenset({"trees", "culture"}))
    assert rec.best.course_id == "full_60"
    assert any("trees" in r.en and "Korean culture" in r.en for r in rec.best.reasons)
    ids = [s.course_id for s in rec.suggestions]
    assert set(ids) == set(SITE.tours) and len(ids) == len(set(ids))
    assert [s.score for s in rec.suggestions] == sorted((s.score for s in rec.suggestions),
                                                        reverse=True)


def test_closing_time_excludes_the_long_course() -> None:
    rec = ask(120, when=datetime(2026, 6, 2, 17, 20))
    assert "full_60" in rec.excluded
    assert "18:00" in rec.excluded["full_60"].ko and "closing" in rec.excluded["full_60"].en
    offered = {s.course_id for s in rec.suggestions}
    assert "highlights_30" in offered
    assert all(s.ends_at.hour < 18 for s in rec.suggestions)
    late = ask(120, when=datetime(2026, 6, 2, 17, 45))
    assert late.suggestions == () and late.notice is not None
    assert set(late.excluded) == set(SITE.tours)


def test_closed_on_mondays_and_after_hours() -> None:
    monday = ask(60, when=datetime(2026, 6, 1, 11, 0))
    assert monday.suggestions == () and "closed" in monday.notice.en
    evening = ask(60, when=datetime(2026, 6, 2, 19, 0))
    assert evening.suggestions == () and "18:00" in evening.notice.en


def test_before_opening_tours_start_at_nine() -> None:
    rec = ask(30, when=datetime(2026, 6, 2, 8, 15))
    assert rec.notice is not None and "09:00" in rec.notice.en
    assert all(s.starts_at.hour == 9 and s.starts_at.minute == 0 for s in rec.suggestions)


def test_season_from_the_date_picks_the_seasonal_narration() -> None:
    # 01:30 UTC on 13 October is 10:30 in Suwon: autumn.
    rec = ask(40, when=datetime(2026, 10, 13, 1, 30, tzinfo=UTC),
              interests=frozenset({"photography"}))
    assert rec.season == "autumn"
    seasonal = next(s for s in rec.suggestions if s.course_id == "seasonal")
    assert seasonal.starts_at.hour == 10
    assert [s.place for s in seasonal.plan.stops] == [
        s.place for s in SITE.tours["seasonal"].seasons["autumn"]]
    garden = next(s for s in seasonal.plan.stops if s.place == "traditional_garden")
    assert garden.narration == SITE.docent.narrations["traditional_garden"].seasons["autumn"]
    assert any("autumn" in r.en for r in seasonal.reasons)


def test_language_changes_the_estimate() -> None:
    ko = {s.course_id: s.estimate_s for s in ask(90, language="ko").suggestions}
    both = {s.course_id: s.estimate_s for s in ask(90, language="both").suggestions}
    assert all(both[c] > ko[c] + 60 for c in ko), "speaking both languages takes longer"
