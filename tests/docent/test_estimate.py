"""The time estimate against a kinematic simulation of the tour at walking pace.

The walking legs are driven by the navigation's own path follower on a differential-drive
base with the simulator's acceleration limits (suwon_fleet.docent.simulate.drive), re-planned
from wherever the robot actually stopped; the runner times the stops by the clock. The
estimate must be within 15% of the simulated time (the real simulator check comes later).
"""

from __future__ import annotations

import math

import pytest

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.planning import RouteBook, TimeModel, plan_tour
from suwon_fleet.docent.runner import FakeClock, TourRunner
from suwon_fleet.docent.simulate import Observation, TourHarness, drive

SITE = load_fleet().sites["ilwol_arboretum"]
ROUTES = RouteBook(SITE)


@pytest.mark.parametrize(("course_id", "season", "language"), [
    ("highlights_30", "spring", "ko"),
    ("wheelchair", "autumn", "both"),
    ("family_kids", "summer", "en"),
])
def test_estimate_within_15_percent_of_a_simulated_tour(course_id: str, season: str,
                                                        language: str) -> None:
    plan = plan_tour(SITE, course_id, season, language, ROUTES)
    clock = FakeClock()
    harness = TourHarness(TourRunner(plan, SITE, clock, ROUTES), clock, ROUTES,
                          group=lambda now, moving: Observation(3, 1.6))
    result = harness.run()
    assert result.narrated_places == [s.place for s in plan.stops]
    walked = sum(seconds for _, seconds in harness.leg_times)
    assert walked == pytest.approx(plan.walk_s, rel=0.15)
    assert result.duration_s == pytest.approx(plan.total_s, rel=0.15)
    # Honest to well within that: the model is the controller's behaviour, not a guess.
    assert abs(walked - plan.walk_s) / walked < 0.03


def test_each_leg_model_matches_the_path_follower() -> None:
    plan = plan_tour(SITE, "full_60", None, "ko", ROUTES)
    here = plan.start_pose
    for stop in plan.stops:
        seconds, end = drive(stop.route.path, here.yaw, stop.pose.yaw, plan.model.pace,
                             SITE.speed_limit_at)
        assert math.hypot(end.x - stop.pose.x, end.y - stop.pose.y) <= 0.25
        assert stop.walk_s == pytest.approx(seconds, rel=0.15, abs=2.0), stop.place
        here = stop.pose


def test_turning_on_the_spot_and_slow_zones_are_modelled() -> None:
    # A leg that starts facing away: the follower turns on the spot first.
    route = ROUTES.route((60.0, 30.0), (60.0, 45.0))
    model = TimeModel(pace=0.7)
    facing = model.drive_s(route, math.pi / 2, math.pi / 2)
    away = model.drive_s(route, -math.pi / 2, math.pi / 2)
    sim_facing, _ = drive(route.path, math.pi / 2, math.pi / 2, 0.7)
    sim_away, _ = drive(route.path, -math.pi / 2, math.pi / 2, 0.7)
    assert away - facing == pytest.approx(sim_away - sim_facing, abs=0.6)
    assert facing == pytest.approx(sim_facing, rel=0.05)
    # Across the plaza's 0.5 m/s zone.
    plaza = ROUTES.route((46.0, 7.5), (76.0, 5.75))
    modelled = model.drive_s(plaza, 0.0, 0.0, SITE.speed_limit_at)
    simulated, _ = drive(plaza.path, 0.0, 0.0, 0.7, SITE.speed_limit_at)
    assert modelled == pytest.approx(simulated, rel=0.05)
