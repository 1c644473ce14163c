"""Tour routes on the site map and the parts of the time estimate."""

from __future__ import annotations

import itertools
import math

import pytest

from suwon_fleet.core.geometry import path_length
from suwon_fleet.core.sites import load_fleet, point_in_polygon
from suwon_fleet.core.tours import Text
from suwon_fleet.docent.planning import Route, RouteBook, TimeModel, plan_tour

SITE = load_fleet().sites["ilwol_arboretum"]
ROUTES = RouteBook(SITE)


def place_xy(place_id: str) -> tuple[float, float]:
    place = SITE.places[place_id]
    return place.x, place.y


def test_accessible_course_never_enters_stairs_or_steep_zones() -> None:
    plan = plan_tour(SITE, "wheelchair", "summer", routes=ROUTES)
    assert plan.step_free
    barriers = SITE.step_free_barriers
    for stop in plan.stops:
        samples = stop.route.samples(0.05)
        assert not any(point_in_polygon(x, y, poly) for x, y in samples for poly in barriers)
    # The same stops by the shortest way do cross a steep zone: the constraint does work.
    points = [(plan.start_pose.x, plan.start_pose.y)] + [(s.pose.x, s.pose.y)
                                                         for s in plan.stops]
    crossing = [(a, b) for a, b in itertools.pairwise(points)
                if ROUTES.route(a, b, step_free=False).enters(barriers)]
    assert crossing, "some leg's shortest route crosses a steep zone"
    for a, b in crossing:
        assert ROUTES.route(a, b, True).length_m > ROUTES.route(a, b, False).length_m


def test_step_free_route_round_the_forest_trail() -> None:
    slope = SITE.zones["forest_trail_slope"].polygon
    a, b = place_xy("greenhouse"), place_xy("rest_area_north")
    shortest, step_free = ROUTES.route(a, b, False), ROUTES.route(a, b, True)
    assert shortest.enters([slope])
    assert not step_free.enters([slope])
    assert step_free.length_m > shortest.length_m + 5.0


def test_no_route_uses_the_stairs() -> None:
    stairs = [SITE.zones["north_stairs"].polygon]
    for course_id, course in SITE.tours.items():
        for season in ("spring", "summer", "autumn", "winter") if course.seasons else (None,):
            plan = plan_tour(SITE, course_id, season, routes=ROUTES)
            assert not any(s.route.enters(stairs) for s in plan.stops), course_id


def test_season_picks_the_seasonal_narration() -> None:
    autumn = plan_tour(SITE, "highlights_30", "autumn", routes=ROUTES)
    by_place = {s.place: s for s in autumn.stops}
    garden = SITE.docent.narrations["traditional_garden"]
    assert by_place["traditional_garden"].narration == garden.seasons["autumn"]
    assert "단풍" in by_place["traditional_garden"].narration.ko
    herb = SITE.docent.narrations["herb_garden"]
    assert by_place["herb_garden"].narration == Text(ko=herb.ko, en=herb.en), "no autumn one"
    summer = plan_tour(SITE, "highlights_30", "summer", routes=ROUTES)
    assert {s.place: s for s in summer.stops}["herb_garden"].narration == herb.seasons["summer"]


def test_seasonal_course_visits_each_seasons_gardens() -> None:
    course = SITE.tours["seasonal"]
    for season in ("spring", "summer", "autumn", "winter"):
        plan = plan_tour(SITE, "seasonal", season, routes=ROUTES)
        assert [s.place for s in plan.stops] == [s.place for s in course.seasons[season]]
    winter = plan_tour(SITE, "seasonal", "winter", routes=ROUTES)
    assert "conifer_garden" in [s.place for s in winter.stops]


def test_estimate_adds_up_and_counts_down() -> None:
    plan = plan_tour(SITE, "highlights_30", "spring", "ko", routes=ROUTES)
    parts = plan.intro_s + plan.farewell_s + sum(
        s.walk_s + s.settle_s + s.narration_s + s.dwell_s for s in plan.stops)
    assert plan.total_s == pytest.approx(parts)
    assert 25 * 60 < plan.total_s <= 30 * 60, "the 30-minute course fits its 30 minutes"
    left = [plan.remaining_s(i) for i in range(len(plan.stops) + 1)]
    assert left == sorted(left, reverse=True)
    assert plan.remaining_s(0) == pytest.approx(plan.total_s - plan.intro_s)
    for stop in plan.stops:
        # At the guests' pace, no faster: a leg takes at least its length / pace.
        assert stop.walk_s >= stop.route.length_m / plan.model.pace
        assert stop.walk_s < stop.route.length_m / plan.model.pace + 30.0


def test_speech_time_follows_text_length_and_language() -> None:
    model = TimeModel()
    text = Text(ko="가나다라마 바사아자차. 카타파하.", en="One two three. Four five six seven.")
    ko, en, both = (model.speech_s(text, lang) for lang in ("ko", "en", "both"))
    assert both == pytest.approx(ko + en)
    assert ko == pytest.approx(len(text.ko) / 7.0 + 2 * 0.3)
    assert en == pytest.approx(len(text.en) / 15.0 + 2 * 0.3)
    longer = Text(ko=text.ko * 3, en=text.en)
    assert model.speech_s(longer, "ko") > 2.5 * ko


def test_speed_limit_zone_slows_the_estimate() -> None:
    # Visitor centre to the gate is all on the plaza, where robots keep to 0.5 m/s.
    route = ROUTES.route(place_xy("visitor_centre"), place_xy("main_gate"))
    fast = TimeModel(pace=0.7).drive_s(route, None, None)
    slow = TimeModel(pace=0.7).drive_s(route, None, None, SITE.speed_limit_at)
    assert slow > fast * 1.3
    assert slow >= route.length_m / 0.5


def test_detour_goes_another_way_round_a_cut() -> None:
    # The main axis between the south cross path and the rose garden's link is cut: the way
    # from the gate to the greenhouse must go round by another path.
    start, goal = place_xy("path_junction_1"), place_xy("greenhouse")
    direct = ROUTES.route(start, goal)
    blocked, heading = direct.point_ahead(start, 6.0)
    other = ROUTES.detour(start, goal, blocked, heading)
    assert other is not None
    assert other.length_m > direct.length_m + 10.0
    assert min(math.dist(p, blocked) for p in other.samples(0.1)) > 2.0
    assert ROUTES.planner(False).blocked is ROUTES.planner(False).static_blocked, (
        "the cut does not stay on the shared planner")


def test_route_helpers() -> None:
    route = Route([(0.0, 0.0), (10.0, 0.0), (10.0, 5.0)])
    assert route.length_m == pytest.approx(15.0)
    assert path_length(route.samples(0.5).tolist()) == pytest.approx(15.0)
    point, heading = route.point_ahead((2.0, 1.0), 10.0)
    assert point == pytest.approx((10.0, 2.0)) and heading == pytest.approx(math.pi / 2)
    assert route.enters([[(4.0, -1.0), (5.0, -1.0), (5.0, 1.0), (4.0, 1.0)]])
    assert not route.enters([[(4.0, 1.0), (5.0, 1.0), (5.0, 2.0), (4.0, 2.0)]])
