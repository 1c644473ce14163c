"""The tour runner driven by simulated arrivals, group observations and a fake clock."""

from __future__ import annotations

import math

import pytest

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.planning import Route, RouteBook, plan_tour
from suwon_fleet.docent.ratings import CourseRating, RatingStore
from suwon_fleet.docent.runner import (
    AskRating,
    EndReason,
    FakeClock,
    Finished,
    NavigateTo,
    Phase,
    Progress,
    RunnerConfig,
    Say,
    Screen,
    Source,
    StopMoving,
    StopSpeaking,
    TourCommand,
    TourRunner,
)
from suwon_fleet.docent.simulate import Observation, TourHarness

SITE = load_fleet().sites["ilwol_arboretum"]
ROUTES = RouteBook(SITE)
PLAN = plan_tour(SITE, "highlights_30", "spring", "ko", ROUTES)
PLACES = [s.place for s in PLAN.stops]
WITH_US = Observation(3, 1.6)


def harness(plan=PLAN, config: RunnerConfig | None = None,
            group=lambda now, moving: WITH_US, rating_sink=None, **kwargs) -> TourHarness:
    clock = FakeClock()
    runner = TourRunner(plan, SITE, clock, ROUTES, config or RunnerConfig(), rating_sink)
    return TourHarness(runner, clock, ROUTES, group=group, **kwargs)


def at(phase: Phase, index: int):
    return lambda runner, now: runner.phase is phase and runner.index == index


def navigations(h: TourHarness) -> list[NavigateTo]:
    return h.outputs(NavigateTo)


def says(h: TourHarness, kind: str | None = None) -> list[Say]:
    return [s for s in h.outputs(Say) if kind is None or s.kind == kind]


def test_a_full_30_minute_course_in_order_with_every_stop_narrated() -> None:
    h = harness()
    result = h.run()
    assert result.reason is EndReason.COMPLETED
    assert result.narrations == PLACES
    assert [s.status for s in result.stops] == ["narrated"] * len(PLACES)
    assert [n.target for n in navigations(h)] == PLACES
    assert all(n.purpose == "stop" and not n.via for n in navigations(h))
    narrated = says(h, "narration")
    assert [s.text for s in narrated] == [s.narration for s in PLAN.stops]
    assert says(h)[0].text == PLAN.intro and PLAN.farewell in [s.text for s in says(h)]
    screens = [s for s in h.outputs(Screen) if s.image]
    assert {s.image for s in screens} >= {s.image for s in PLAN.stops if s.image}
    assert len(h.outputs(AskRating)) == 1 and result.rating == 5
    assert 25 * 60 < result.duration_s < 30 * 60
    assert result.waited_for_group_s == result.replanning_s == result.detour_s == 0.0


def test_progress_counts_stops_and_time_left() -> None:
    h = harness()
    h.run()
    progress = h.outputs(Progress)
    assert {p.stop for p in progress} == set(range(1, len(PLACES) + 1))
    assert all(p.of == len(PLACES) for p in progress)
    setting_off = [p for p in progress if p.phase is Phase.NAVIGATING]
    assert [p.stop for p in setting_off] == list(range(1, len(PLACES) + 1))
    left = [p.time_left_s for p in setting_off]
    assert left == sorted(left, reverse=True)
    assert left[0] == pytest.approx(PLAN.total_s - PLAN.intro_s, abs=2.0)
    assert "남은 시간" in setting_off[0].label.ko and "min left" in setting_off[0].label.en


def test_pause_and_resume_mid_narration() -> None:
    h = harness()
    h.at(at(Phase.NARRATING, 1), lambda r: r.on_command(TourCommand.PAUSE))
    h.after(lambda r, now: r.phase is Phase.PAUSED, 60.0,
            lambda r: r.on_command(TourCommand.RESUME))
    result = h.run()
    assert result.reason is EndReason.COMPLETED
    assert result.paused_s == pytest.approx(60.0, abs=1.0)
    assert result.narrations.count(PLACES[1]) == 2, "narrated again from the top"
    assert result.narrated_places == PLACES
    assert any(isinstance(o, StopSpeaking) for _, o in h.log)
    assert any("잠시 멈출게요" in s.text.ko for s in says(h))


def test_pause_on_the_way_stops_and_sends_the_goal_again() -> None:
    h = harness()
    h.after(at(Phase.NAVIGATING, 2), 20.0, lambda r: r.on_command("pause"))
    h.after(lambda r, now: r.phase is Phase.PAUSED, 30.0, lambda r: r.on_command("resume"))
    result = h.run()
    assert [o.reason for o in h.outputs(StopMoving)] == ["paused"]
    to_stop_2 = [n for n in navigations(h) if n.target == PLACES[2]]
    assert [n.purpose for n in to_stop_2] == ["stop", "resume"]
    assert result.narrated_places == PLACES


def test_skip_on_the_way_goes_on_to_the_next_stop() -> None:
    h = harness()
    h.at(at(Phase.NAVIGATING, 1), lambda r: r.on_command(TourCommand.SKIP))
    result = h.run()
    assert result.stops[1].status == "skipped" and result.stops[1].reason == "guest"
    assert result.narrations == PLACES[:1] + PLACES[2:]
    targets = [n.target for n in navigations(h)]
    assert targets == PLACES, "set off for stop 2, then straight on to stop 3"
    assert any(PLAN.stops[1].name.ko in s.text.ko and "건너뛰고" in s.text.ko for s in says(h))


def test_repeat_at_a_stop_says_it_again() -> None:
    h = harness()
    h.at(at(Phase.DWELLING, 0), lambda r: r.on_command(TourCommand.REPEAT))
    result = h.run()
    assert result.narrations == PLACES[:1] * 2 + PLACES[1:]
    assert result.narrated_places == PLACES


def test_previous_goes_back_one_stop_then_carries_on() -> None:
    h = harness()
    h.at(at(Phase.GATHERING, 2), lambda r: r.on_command(TourCommand.PREVIOUS))
    result = h.run()
    assert result.narrations == [PLACES[0], PLACES[1], PLACES[1], *PLACES[2:]]
    back = [n for n in navigations(h) if n.purpose == "return"]
    assert [n.target for n in back] == [PLACES[1]]
    assert result.reason is EndReason.COMPLETED


def test_previous_at_the_first_stop_says_so() -> None:
    h = harness()
    h.at(at(Phase.DWELLING, 0), lambda r: r.on_command(TourCommand.PREVIOUS))
    result = h.run()
    assert any(s.text.en == "This is the first stop." for s in says(h))
    assert result.narrations == PLACES


def test_guest_ends_the_tour_with_a_farewell_and_rating() -> None:
    h = harness()
    h.at(at(Phase.DWELLING, 1), lambda r: r.on_command(TourCommand.END))
    result = h.run()
    assert result.reason is EndReason.ENDED_BY_GUEST
    assert result.narrated_places == PLACES[:2]
    assert [s.reason for s in result.stops[2:]] == ["ended"] * (len(PLACES) - 2)
    assert result.rating == 5 and len(h.outputs(AskRating)) == 1


def test_operator_pause_outranks_the_guests_and_operator_end() -> None:
    h = harness()
    h.at(at(Phase.NAVIGATING, 1), lambda r: r.on_command("pause", "operator"))
    h.after(lambda r, now: r.phase is Phase.PAUSED, 5.0,
            lambda r: r.on_command("resume", "guest"))
    h.after(lambda r, now: r.phase is Phase.PAUSED, 20.0,
            lambda r: r.on_command(TourCommand.RESUME, Source.OPERATOR))
    h.at(at(Phase.DWELLING, 2), lambda r: r.on_command(TourCommand.END, Source.OPERATOR))
    result = h.run()
    assert result.paused_s == pytest.approx(20.0, abs=1.0), "the guest could not resume"
    assert any("운영자" in s.text.ko for s in says(h))
    assert result.reason is EndReason.ENDED_BY_OPERATOR
    assert result.rating is None and not h.outputs(AskRating)
    assert result.narrated_places == PLACES[:3]


def test_group_falling_behind_holds_the_robot_until_they_catch_up() -> None:
    lag: list[float] = []

    def group(now: float, moving: bool) -> Observation:
        if lag and lag[0] + 15 <= now < lag[0] + 45:
            return Observation(3, 9.0)  # stopped for photos, 9 m back
        if lag and lag[0] + 50 <= now < lag[0] + 51:
            return Observation(3, 7.5)  # a moment behind: shorter than the grace
        return WITH_US

    h = harness(group=group)
    h.at(at(Phase.NAVIGATING, 1), lambda r: lag.append(h.clock.now))
    result = h.run()
    held = [(t, o) for t, o in h.log if isinstance(o, StopMoving)]
    assert [o.reason for _, o in held] == ["group behind"]
    assert held[0][0] == pytest.approx(lag[0] + 15 + 2.0, abs=0.6), "after the grace"
    assert any("기다릴게요" in s.text.ko for s in says(h))
    assert any(s.text.en.startswith("Everyone is here") for s in says(h))
    assert [n.purpose for n in navigations(h) if n.target == PLACES[1]] == ["stop", "resume"]
    assert result.waited_for_group_s == pytest.approx(45 + 1.0 - 17.0, abs=1.0)
    assert result.reason is EndReason.COMPLETED and result.narrated_places == PLACES


def test_narration_waits_for_the_group_to_gather() -> None:
    arrived: list[float] = []
    h = harness(group=lambda now, moving: Observation(2, 8.0) if arrived and now < arrived[
        0] + 40 else WITH_US)
    h.at(at(Phase.GATHERING, 0), lambda r: arrived.append(h.clock.now))
    h.run()
    starts = [t for t, o in h.log if isinstance(o, Say) and o.kind == "narration"]
    assert starts[0] == pytest.approx(arrived[0] + 40.0, abs=1.1)
    assert sum("Over here" in s.text.en for s in says(h)) == 1, "called them once"


def test_a_passer_by_is_not_taken_for_the_group_that_fell_behind() -> None:
    """tour_sim_bench seeds 19, 24, 34, 40, 41: held for a group taking photos out of the
    laser's reach, the robot took one visitor walking up to it for the group ("Everyone is
    here"), went on, and narrated at the stop to that visitor. One person is not a group of
    three: it waits for the group."""
    lag: list[float] = []

    def group(now: float, moving: bool) -> Observation:
        if lag and lag[0] + 15 <= now < lag[0] + 30:
            return Observation(0, None)  # photos, out of sight
        if lag and lag[0] + 30 <= now < lag[0] + 40:
            return Observation(1, 1.2)  # a visitor walks past the waiting robot
        if lag and lag[0] + 40 <= now < lag[0] + 60:
            return Observation(0, None)
        return WITH_US

    h = harness(group=group)
    h.at(at(Phase.NAVIGATING, 1), lambda r: lag.append(h.clock.now))
    result = h.run()
    caught_up = [t for t, o in h.log if isinstance(o, Say) and o.text.en.startswith(
        "Everyone is here")]
    assert len(caught_up) == 1 and caught_up[0] == pytest.approx(lag[0] + 61.0, abs=0.6)
    assert result.waited_for_group_s == pytest.approx(61.0 - 17.0, abs=1.0)
    assert result.reason is EndReason.COMPLETED and result.narrated_places == PLACES


@pytest.mark.parametrize("seen", [Observation(1, 0.7), Observation(3, 4.9)],
                         ids=["a visitor beside it", "the group five metres off"])
def test_narration_waits_for_the_group_not_for_a_visitor_standing_by(seen) -> None:
    """Arrived with a visitor beside it (the group stopped for photos, out of sight; seeds 34
    and 41), or with the group in sight but still five metres off, taking photos (seed 42:
    'not behind' was within 6 m), it waits until they gather round."""
    arrived: list[float] = []
    h = harness(group=lambda now, moving: seen if arrived and now < arrived[0] + 30
                else WITH_US)
    h.at(at(Phase.GATHERING, 1), lambda r: arrived.append(h.clock.now))
    h.run()
    starts = [t for t, o in h.log if isinstance(o, Say) and o.kind == "narration"]
    assert starts[1] == pytest.approx(arrived[0] + 30.0, abs=0.6)


def test_fewer_than_usual_round_it_for_long_it_goes_on_with_them() -> None:
    """Someone left the group for good: one guest is all there is. After gather_patience_s
    of that the robot takes them for the group, held on the way and at the stop."""
    left: list[float] = []
    h = harness(group=lambda now, moving: Observation(1, 1.6) if left else WITH_US)
    h.at(at(Phase.NAVIGATING, 2), lambda r: left.append(h.clock.now))
    arrivals = {i: [] for i in range(len(PLACES))}
    for i in arrivals:
        h.at(at(Phase.GATHERING, i), lambda r, i=i: arrivals[i].append(h.clock.now))
    result = h.run()
    assert result.reason is EndReason.COMPLETED and result.narrated_places == PLACES
    starts = [t for t, o in h.log if isinstance(o, Say) and o.kind == "narration"]
    patience = RunnerConfig().gather_patience_s
    assert starts[2] - arrivals[2][0] == pytest.approx(patience, abs=0.6), (
        "it waited for the others at the stop...")
    assert starts[3] - arrivals[3][0] < 5.0, "...and not at the next, having counted them"


def test_a_single_guest_is_a_group_from_the_start() -> None:
    h = harness(group=lambda now, moving: Observation(1, 1.6))
    result = h.run()
    assert result.reason is EndReason.COMPLETED and result.waited_for_group_s == 0.0
    assert not any("Over here" in s.text.en for s in says(h))


def test_a_group_that_never_catches_up_ends_the_tour() -> None:
    gone: list[float] = []
    h = harness(group=lambda now, moving: Observation(0, None) if gone else WITH_US)
    h.at(at(Phase.NAVIGATING, 2), lambda r: gone.append(h.clock.now))
    result = h.run()
    assert result.reason is EndReason.GROUP_LOST
    assert result.ended_at == pytest.approx(gone[0] + 180.0, abs=1.0)
    assert result.narrated_places == PLACES[:2] and result.rating is None
    assert any("보이지 않아" in s.text.ko for s in says(h))


def test_a_runner_that_never_waits_keeps_walking() -> None:
    h = harness(config=RunnerConfig(wait_for_group=False),
                group=lambda now, moving: Observation(0, None))
    result = h.run()
    assert not h.outputs(StopMoving) and result.reason is EndReason.COMPLETED


def test_restroom_detour_on_the_way_and_back_to_the_same_stop() -> None:
    h = harness()
    h.after(at(Phase.NAVIGATING, 2), 10.0, lambda r: r.on_command(TourCommand.RESTROOM))
    h.after(lambda r, now: r.phase is Phase.AT_FACILITY, 120.0,
            lambda r: r.on_command(TourCommand.RESUME))
    result = h.run()
    trip = [n for n in navigations(h) if n.purpose in ("facility", "return")]
    assert [(n.target, n.purpose) for n in trip] == [("restroom", "facility"),
                                                     (PLACES[2], "return")]
    assert any("화장실로 안내할게요" in s.text.ko for s in says(h))
    assert any("Here is the Restrooms" in s.text.en for s in says(h))
    assert result.narrations == PLACES, "back where it left off; nothing missed or repeated"
    assert result.detour_s > 120


def test_restroom_after_a_narration_comes_back_to_the_next_stop() -> None:
    h = harness()
    h.at(at(Phase.DWELLING, 1), lambda r: r.on_command(TourCommand.RESTROOM))
    # Nobody says "continue": the robot goes back after its facility wait (10 minutes).
    result = h.run()
    back = [n for n in navigations(h) if n.purpose == "return"]
    assert [n.target for n in back] == [PLACES[2]]
    assert result.narrations == PLACES
    assert result.detour_s > RunnerConfig().facility_wait_s


def test_blocked_stop_is_tried_another_way_then_skipped_with_an_apology() -> None:
    h = harness(blocked=lambda request: request.target == PLACES[2])
    result = h.run()
    to_stop = [n for n in navigations(h) if n.target == PLACES[2]]
    assert [n.purpose for n in to_stop] == ["stop", "replan"]
    replan = to_stop[1]
    assert replan.via, "the other way is given as waypoints"
    planned = PLAN.stops[2].route
    assert any("다른 길로" in s.text.ko for s in says(h))
    assert not _same_way(planned, replan), "round by another path, not the blocked one"
    assert any(s.text.ko.startswith("죄송합니다. 길이 막혀") for s in says(h))
    assert result.stops[2].status == "skipped" and result.stops[2].reason == "blocked"
    assert result.narrations == PLACES[:2] + PLACES[3:]
    assert result.replanning_s > 10.0


def _same_way(planned: Route, replan: NavigateTo) -> bool:
    """Does the re-planned way keep to the planned route (every waypoint within 2 m)?"""
    samples = planned.samples(0.5)
    return all(min(math.dist(p, q) for q in samples) < 2.0 for p in replan.via)


def test_without_a_route_book_the_retry_asks_the_navigation_to_plan_again() -> None:
    clock = FakeClock()
    runner = TourRunner(PLAN, SITE, clock)  # no routes: the navigation finds its own way
    runner.start()
    clock.advance(PLAN.intro_s + 0.1)
    runner.tick()
    first = next(o for o in runner.drain() if isinstance(o, NavigateTo))
    runner.on_navigation_failed(first.request_id, "no progress", pose=(30.0, 24.0))
    retry = next(o for o in runner.drain() if isinstance(o, NavigateTo))
    assert (retry.target, retry.purpose, retry.via) == (first.target, "replan", ())
    runner.on_navigation_failed(retry.request_id, "no progress")
    out = runner.drain()
    assert any(isinstance(o, Say) and "죄송합니다" in o.text.ko for o in out)
    assert [o.target for o in out if isinstance(o, NavigateTo)] == [PLACES[1]]


def test_blocked_once_the_other_way_gets_there() -> None:
    h = harness(blocked=lambda request: request.target == PLACES[2]
                and request.purpose == "stop")
    result = h.run()
    assert [n.purpose for n in navigations(h) if n.target == PLACES[2]] == ["stop", "replan"]
    assert result.narrations == PLACES
    assert result.replanning_s > 10.0


def test_low_battery_ends_at_the_nearest_stop_and_hands_over() -> None:
    where: list[tuple[float, float]] = []

    def low(r: TourRunner) -> None:
        pose = h.robot_pose()
        where.append((pose.x, pose.y))
        r.on_battery(22.0)

    # Just past the greenhouse on the way to the pond: the herb garden, a later stop, is
    # nearer than the pond, so the tour ends there.
    h = harness()
    h.after(at(Phase.NAVIGATING, 3), 5.0, low)
    result = h.run()
    nearest = min(PLAN.stops[3:], key=lambda s: ROUTES.route(where[0], (s.pose.x, s.pose.y))
                  .length_m)
    assert nearest.place == "herb_garden" != PLACES[3]
    assert result.reason is EndReason.LOW_BATTERY and result.handed_over
    assert result.narrated_places == [*PLACES[:3], nearest.place]
    assert [n.target for n in navigations(h)][-2:] == [PLACES[3], "herb_garden"]
    assert all(s.reason == "low_battery" for s in result.stops if s.status == "skipped")
    texts = [s.text.ko for s in says(h)]
    apology = next(t for t in texts if "배터리가 부족해서" in t)
    assert nearest.name.ko in apology
    assert any("직원이 안내를 이어" in t for t in texts), "handed over to staff"
    assert result.rating == 5


def test_low_battery_while_paused_resumes_towards_the_final_stop() -> None:
    h = harness()
    h.after(at(Phase.NAVIGATING, 3), 5.0, lambda r: r.on_command(TourCommand.PAUSE))
    h.after(lambda r, now: r.phase is Phase.PAUSED, 10.0, lambda r: r.on_battery(20.0))
    h.after(lambda r, now: r.phase is Phase.PAUSED, 30.0,
            lambda r: r.on_command(TourCommand.RESUME))
    result = h.run()
    assert result.reason is EndReason.LOW_BATTERY
    after_pause = navigations(h)[-1]
    assert (after_pause.target, after_pause.purpose) == ("herb_garden", "return")
    assert result.narrated_places == [*PLACES[:3], "herb_garden"]


def test_critical_battery_ends_the_tour_at_once() -> None:
    h = harness()
    h.at(at(Phase.NARRATING, 1), lambda r: r.on_battery(10.0))
    result = h.run()
    assert result.reason is EndReason.BATTERY_CRITICAL and result.handed_over
    assert result.narrated_places == PLACES[:1]
    assert not h.outputs(AskRating)
    finished_at = next(t for t, o in h.log if isinstance(o, Finished))
    started = next(t for t, o in h.log if isinstance(o, Say) and o.kind == "narration"
                   and o.text == PLAN.stops[1].narration)
    assert finished_at - started <= 0.5, "at once"


def test_rating_is_stored_and_checked() -> None:
    store = RatingStore(":memory:", SITE.site_id, "docent_1", wall_clock=lambda: 1.0)
    harness(rating_sink=store.record, rating=4).run()
    unrated = harness(rating_sink=store.record, rating=None).run()
    assert unrated.rating is None and unrated.reason is EndReason.COMPLETED
    assert store.by_course() == [CourseRating("highlights_30", 1, 4.0)]
    row = store.db.execute("SELECT robot_id, rating, reason, stops_narrated FROM "
                           "tour_ratings").fetchall()
    assert row == [("docent_1", 4, "completed", len(PLACES))]
    runner = TourRunner(PLAN, SITE, FakeClock(), ROUTES)
    with pytest.raises(ValueError, match="1 to 5"):
        runner.on_rating(6)


def test_late_results_of_abandoned_goals_are_ignored() -> None:
    clock = FakeClock()
    runner = TourRunner(PLAN, SITE, clock, ROUTES)
    runner.start()
    clock.advance(PLAN.intro_s + 0.1)
    runner.tick()
    first = next(o for o in runner.drain() if isinstance(o, NavigateTo))
    runner.on_command(TourCommand.PAUSE)
    runner.on_arrived(first.request_id)  # the cancelled goal reports in late
    assert runner.phase is Phase.PAUSED
    runner.on_command(TourCommand.RESUME)
    second = next(o for o in runner.drain() if isinstance(o, NavigateTo))
    assert second.request_id != first.request_id and second.target == first.target
    runner.on_navigation_failed(first.request_id, "canceled")
    assert runner.phase is Phase.NAVIGATING
    runner.on_arrived(second.request_id)
    assert runner.phase is Phase.GATHERING


def test_accessible_tour_asks_for_step_free_navigation() -> None:
    plan = plan_tour(SITE, "wheelchair", "summer", "ko", ROUTES)
    h = harness(plan=plan)
    h.at(at(Phase.DWELLING, 1), lambda r: r.on_command(TourCommand.RESTROOM))
    h.at(lambda r, now: r.phase is Phase.AT_FACILITY,
         lambda r: r.on_command(TourCommand.RESUME))
    result = h.run()
    assert all(n.step_free for n in navigations(h))
    assert result.narrated_places == [s.place for s in plan.stops]


def test_speech_done_ends_the_narration_when_reported() -> None:
    clock = FakeClock()
    runner = TourRunner(PLAN, SITE, clock, ROUTES, RunnerConfig(speech_done_events=True))
    runner.start()
    clock.advance(2.0)
    runner.on_speech_done()  # a short intro
    nav = next(o for o in runner.drain() if isinstance(o, NavigateTo))
    runner.on_arrived(nav.request_id)
    runner.on_group_observation(WITH_US)
    clock.advance(PLAN.stops[0].settle_s)
    runner.tick()
    assert runner.phase is Phase.NARRATING
    clock.advance(PLAN.stops[0].narration_s * 1.5)  # a slower voice than estimated
    runner.tick()
    assert runner.phase is Phase.NARRATING, "still speaking"
    runner.on_speech_done()
    assert runner.phase is Phase.DWELLING
