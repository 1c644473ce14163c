"""Which tour to offer a guest: ranked course suggestions with their reasons.

From the guest's answers (time available, a step-free need, interests, language) and the
date and time, in the site's timezone:

1. The season follows the date (the seasonal course and the seasonal narrations use it).
2. Nothing is offered on a closed day or after closing; before opening, tours start at opening.
3. Each course is planned for that season and language (routes, estimate). A course is not
   offered when it would end after closing, takes longer than the guest has (a minute's grace:
   guests hear estimates in whole minutes), or, for a step-free need, has stairs or steep
   slopes on its route. Every refusal is kept with its reason.
4. The rest are ranked: matching interests (+2 each), a course made for children when the
   guest has children (+3), a course designed step-free for a step-free need (+3; +1 when its
   route merely happens to be step-free), in season (+1), and the share of the available time
   it uses (+2 at most), so a guest with an hour is offered the long tour first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from suwon_fleet.core.sites import Site
from suwon_fleet.core.tours import (
    INTEREST_LABELS,
    SEASON_LABELS,
    Interest,
    Language,
    Season,
    Text,
    season_of,
)
from suwon_fleet.docent.planning import RouteBook, TourPlan, plan_tour

GRACE_S = 60.0  # estimates are told in whole minutes


@dataclass(frozen=True)
class GuestAnswers:
    minutes_available: float
    step_free: bool = False  # wheelchair, pram, or walking difficulty: no stairs or steep slopes
    interests: frozenset[Interest] = field(default_factory=frozenset)
    language: Language = "ko"


@dataclass(frozen=True)
class Suggestion:
    course_id: str
    name: Text
    score: float
    estimate_s: float
    starts_at: datetime
    ends_at: datetime
    season: Season
    reasons: tuple[Text, ...]
    plan: TourPlan  # ready for the runner


@dataclass(frozen=True)
class Recommendation:
    season: Season
    suggestions: tuple[Suggestion, ...]  # best first
    excluded: dict[str, Text]  # course id -> why it is not offered
    notice: Text | None = None  # closed today, opens later, ...

    @property
    def best(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions else None


def local_time(site: Site, now: datetime) -> datetime:
    """``now`` in the site's timezone (a naive time is taken to be local already)."""
    tz = ZoneInfo(site.timezone)
    return now.astimezone(tz) if now.tzinfo else now.replace(tzinfo=tz)


def recommend(site: Site, answers: GuestAnswers, now: datetime,
              routes: RouteBook | None = None) -> Recommendation:
    """Ranked course suggestions for a guest at ``now`` (see the module docstring)."""
    local = local_time(site, now)
    season = season_of(local.date())
    routes = routes or RouteBook(site)
    hours = site.opening_hours
    start = local
    notice = None
    if hours is not None:
        if not hours.is_open_on(local.date()):
            return Recommendation(season, (), {}, Text(
                ko="오늘은 휴원일이라 투어가 없어요.", en="The arboretum is closed today."))
        opens = hours.opening_time(local.date(), local.tzinfo)
        closes = hours.closing_time(local.date(), local.tzinfo)
        if local >= closes:
            return Recommendation(season, (), {}, Text(
                ko=f"오늘 관람 시간({hours.close})이 끝났어요.",
                en=f"The arboretum closed at {hours.close} today."))
        if local < opens:
            start = opens
            notice = Text(ko=f"투어는 {hours.open}부터 시작해요.",
                          en=f"Tours start at {hours.open}.")

    suggestions: list[Suggestion] = []
    excluded: dict[str, Text] = {}
    available_s = answers.minutes_available * 60.0
    for course_id, course in site.tours.items():
        plan = plan_tour(site, course_id, season, answers.language, routes)
        reasons: list[Text] = []
        score = 0.0
        if answers.step_free:
            barriers = site.step_free_barriers
            if course.accessible:
                score += 3.0
                reasons.append(Text(ko="계단과 급경사 없이 다니도록 만든 코스예요.",
                                    en="Designed step-free, with accessibility notes."))
            elif not any(s.route.enters(barriers) for s in plan.stops):
                score += 1.0
                reasons.append(Text(ko="이 계절 길에는 계단과 급경사가 없어요.",
                                    en="Its route this season has no steps or steep slopes."))
            else:
                excluded[course_id] = Text(ko="길에 계단이나 급경사가 있어요.",
                                           en="Its route has steps or steep slopes.")
                continue
        estimate = plan.total_s
        ends = start + timedelta(seconds=estimate)
        minutes = round(estimate / 60.0)
        if hours is not None and ends > hours.closing_time(start.date(), start.tzinfo):
            excluded[course_id] = Text(
                ko=f"약 {minutes}분 걸려 폐장 시간({hours.close}) 전에 끝나지 않아요.",
                en=f"It takes about {minutes} min and would not finish before closing "
                   f"at {hours.close}.")
            continue
        if estimate > available_s + GRACE_S:
            excluded[course_id] = Text(
                ko=f"약 {minutes}분 걸려요 (가능한 시간 {answers.minutes_available:.0f}분).",
                en=f"It takes about {minutes} min; you have "
                   f"{answers.minutes_available:.0f}.")
            continue
        matched = [i for i in course.interests if i in answers.interests]
        if matched:
            score += 2.0 * len(matched)
            reasons.append(Text(
                ko="관심사와 맞아요: " + ", ".join(INTEREST_LABELS[i][0] for i in matched),
                en="Matches your interests: " + ", ".join(INTEREST_LABELS[i][1]
                                                          for i in matched)))
        if "kids" in answers.interests and "kids" in course.interests:
            score += 3.0
            reasons.append(Text(ko="어린이와 함께하는 놀이가 있어요.",
                                en="Made for children, with games along the way."))
        if course.seasons:
            score += 1.0
            ko_season, en_season = SEASON_LABELS[season]
            reasons.append(Text(ko=f"지금({ko_season}) 가장 아름다운 곳을 골랐어요.",
                                en=f"The gardens at their best in {en_season}."))
        share = min(1.0, estimate / available_s) if available_s > 0 else 0.0
        score += 2.0 * share
        reasons.append(Text(
            ko=f"약 {minutes}분, {ends:%H:%M}쯤 끝나요.",
            en=f"About {minutes} min, ending around {ends:%H:%M}."))
        suggestions.append(Suggestion(
            course_id=course_id, name=Text(ko=course.name_ko, en=course.name_en),
            score=round(score, 3), estimate_s=estimate, starts_at=start, ends_at=ends,
            season=season, reasons=tuple(reasons), plan=plan))
    order = list(site.tours)
    suggestions.sort(key=lambda s: (-s.score, order.index(s.course_id)))
    if not suggestions and notice is None:
        notice = Text(ko="지금 조건에 맞는 코스가 없어요. 안내 데스크에 문의해 주세요.",
                      en="No tour fits right now; please ask at the information desk.")
    return Recommendation(season, tuple(suggestions), excluded, notice)
