"""Runner requests as the poses the navigation server drives through: detours, step-free."""

from __future__ import annotations

import itertools
import math

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.legs import leg_poses, near_polygon, route_touches, thin
from suwon_fleet.docent.planning import RouteBook

SITE = load_fleet().sites["ilwol_arboretum"]
ROUTES = RouteBook(SITE)
BARRIERS = SITE.step_free_barriers


def pose(place: str) -> Pose2D:
    p = SITE.places[place]
    return Pose2D(p.x, p.y, p.yaw)


def test_an_ordinary_leg_is_just_the_goal() -> None:
    rose, herb = pose("rose_garden"), pose("herb_garden")
    assert leg_poses(ROUTES, (rose.x, rose.y), herb) == [herb]


def test_a_step_free_leg_gets_waypoints_that_keep_the_servers_routes_off_the_slope() -> None:
    rose, herb = pose("rose_garden"), pose("herb_garden")
    direct = ROUTES.route((rose.x, rose.y), (herb.x, herb.y))
    assert route_touches(direct, BARRIERS, margin=0.0)  # the short way climbs the slope
    poses = leg_poses(ROUTES, (rose.x, rose.y), herb, step_free=True, barriers=BARRIERS)
    assert poses[-1] == herb and 2 <= len(poses) <= 4
    stops = [(rose.x, rose.y)] + [(p.x, p.y) for p in poses]
    for a, b in itertools.pairwise(stops):
        # Each stretch as the navigation server plans it (keep-out zones only).
        assert not route_touches(ROUTES.route(a, b), BARRIERS)
    for p, nxt in itertools.pairwise(poses):  # waypoints face the next one
        assert abs(math.atan2(nxt.y - p.y, nxt.x - p.x) - p.yaw) < 1e-6


def test_a_step_free_leg_already_clear_needs_no_waypoints() -> None:
    herb, greenhouse = pose("herb_garden"), pose("greenhouse")
    assert leg_poses(ROUTES, (herb.x, herb.y), greenhouse, step_free=True,
                     barriers=BARRIERS) == [greenhouse]


def test_a_detour_is_thinned_to_waypoints_metres_apart() -> None:
    dense = [(10.0 + 0.5 * k, 20.0) for k in range(21)]  # 10 m of path every 0.5 m
    kept = thin(dense, 3.0)
    assert kept[0] == dense[0] and kept[-1] == dense[-1]
    assert all(math.dist(a, b) >= 1.5 for a, b in itertools.pairwise(kept))
    assert len(kept) <= 5
    goal = Pose2D(40.0, 20.0, 0.0)
    poses = leg_poses(ROUTES, (5.0, 20.0), goal, via=tuple(dense))
    assert poses[-1] == goal and len(poses) == len(kept) + 1


def test_near_polygon() -> None:
    square = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
    assert near_polygon(1.0, 1.0, square, 0.0)
    assert near_polygon(2.3, 1.0, square, 0.5) and not near_polygon(2.6, 1.0, square, 0.5)
