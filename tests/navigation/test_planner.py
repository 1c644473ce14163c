"""Global planner: clear paths around obstacles, Nav2 error codes for bad goals."""

from __future__ import annotations

import itertools

import pytest

from suwon_fleet.core.geometry import distance, path_length
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.navigation.errors import NavError, NavigationFailure
from suwon_fleet.navigation.planner import GridPlanner
from tests.helpers import room_map

# A wall across the room with a gap at the top: the path must go round it.
WALLED = room_map(walls=[(4.8, 0.0, 5.2, 4.5)])


def assert_clear(planner: GridPlanner, path: list[tuple[float, float]], clearance: float):
    grid = planner.grid
    for a, b in itertools.pairwise(path):
        steps = max(2, int(distance(a, b) / 0.02))
        for i in range(steps + 1):
            x = a[0] + (b[0] - a[0]) * i / steps
            y = a[1] + (b[1] - a[1]) * i / steps
            for dx, dy in ((clearance, 0), (-clearance, 0), (0, clearance), (0, -clearance)):
                assert grid.is_free(x + dx, y + dy), f"path touches an obstacle at ({x}, {y})"


def test_path_goes_round_the_wall_with_clearance() -> None:
    planner = GridPlanner(WALLED, robot_radius=0.25)
    path = planner.plan((2.0, 1.0), (8.0, 1.0))
    assert path[0] == (2.0, 1.0) and path[-1] == (8.0, 1.0)
    assert max(y for _, y in path) > 4.5, "must pass through the gap above the wall"
    assert_clear(planner, path, 0.25)
    # Any-angle smoothing: close to the true shortest length (two straight legs via the gap).
    best = distance((2.0, 1.0), (5.0, 4.85)) + distance((5.0, 4.85), (8.0, 1.0))
    assert path_length(path) < best * 1.1
    assert len(path) <= 6


def test_straight_line_when_nothing_is_in_the_way() -> None:
    path = GridPlanner(room_map(), 0.25).plan((1.0, 3.0), (9.0, 3.0))
    assert path == [(1.0, 3.0), (9.0, 3.0)] or len(path) <= 3


@pytest.mark.parametrize(("goal", "code"), [((50.0, 1.0), NavError.GOAL_OUTSIDE_MAP),
                                             ((5.0, 2.0), NavError.GOAL_OCCUPIED)])
def test_bad_goals_fail_with_nav2_codes(goal, code) -> None:
    with pytest.raises(NavigationFailure) as err:
        GridPlanner(WALLED, 0.25).plan((2.0, 1.0), goal)
    assert err.value.code is code
    assert "goal" in err.value.message


def test_unreachable_goal_reports_no_valid_path() -> None:
    closed = room_map(walls=[(4.8, 0.0, 5.2, 6.0)])
    with pytest.raises(NavigationFailure) as err:
        GridPlanner(closed, 0.25).plan((2.0, 1.0), (8.0, 1.0))
    assert err.value.code is NavError.NO_VALID_PATH


def test_every_place_reachable_from_home_on_both_sites() -> None:
    fleet = load_fleet()
    for robot_id, robot in fleet.robots.items():
        site = fleet.sites[robot.site]
        planner = GridPlanner(site.map, robot.radius, keep_out=site.keep_out)
        home = site.places[robot.home]
        for place_id, place in site.places.items():
            path = planner.plan((home.x, home.y), (place.x, place.y))
            assert path[-1] == (place.x, place.y), f"{robot_id} -> {place_id}"
