"""Rear-group detection: synthetic scans, and the simulator's lidar with people behind."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.planning import RouteBook, plan_tour
from suwon_fleet.docent.runner import FakeClock, NavigateTo, Phase, StopMoving, TourRunner
from suwon_fleet.navigation.planner import GridPlanner
from suwon_fleet.perception.rear_people import (
    FollowerWatch,
    MapFilter,
    RearConfig,
    RearPeopleDetector,
    Scan,
    find_people,
)
from suwon_sim.lidar import Lidar

BEAMS = 360
SITE = load_fleet().sites["ilwol_arboretum"]
LIDAR = Lidar(SITE.map)


def synthetic(circles: list[tuple[float, float, float]] = (),
              walls: list[tuple[tuple[float, float], tuple[float, float]]] = (),
              angle_min: float = -math.pi) -> Scan:
    """A scan in the robot frame of circles (x, y, r) and wall segments, cast by hand."""
    inc = 2 * math.pi / BEAMS
    ranges = np.full(BEAMS, np.inf)
    for i in range(BEAMS):
        a = angle_min + i * inc
        dx, dy = math.cos(a), math.sin(a)
        for cx, cy, r in circles:
            b = dx * cx + dy * cy
            disc = b * b - (cx * cx + cy * cy - r * r)
            if disc >= 0 and b - math.sqrt(disc) > 0:
                ranges[i] = min(ranges[i], b - math.sqrt(disc))
        for (x0, y0), (x1, y1) in walls:
            ex, ey = x1 - x0, y1 - y0
            den = dx * ey - dy * ex
            if abs(den) < 1e-12:
                continue
            t = (x0 * ey - y0 * ex) / den
            u = (x0 * dy - y0 * dx) / den
            if t > 0 and 0 <= u <= 1:
                ranges[i] = min(ranges[i], t)
    return Scan(angle_min, inc, ranges, 0.05, 30.0)


def sim_scan(pose: Pose2D, people: list[tuple[float, float]] = ()) -> Scan:
    circles = np.array([(x, y, 0.25) for x, y in people]).reshape(-1, 3)
    spec = LIDAR.spec
    return Scan(spec.angle_min, spec.angle_increment,
                LIDAR.scan(pose.x, pose.y, pose.yaw, circles), spec.range_min, spec.range_max)


def behind(pose: Pose2D, distance: float, side: float = 0.0) -> tuple[float, float]:
    """A point ``distance`` behind the robot and ``side`` to its left (map frame)."""
    c, s = math.cos(pose.yaw), math.sin(pose.yaw)
    return pose.x - distance * c - side * s, pose.y - distance * s + side * c


def test_two_people_behind_are_counted_with_the_nearest_distance() -> None:
    people = find_people(synthetic([(-1.5, 0.3, 0.25), (-2.6, -0.6, 0.25)]), 0.25)
    assert len(people) == 2
    assert people[0].distance == pytest.approx(math.hypot(1.5, 0.3) - 0.22, abs=0.06)
    assert people[1].distance > people[0].distance
    assert all(abs(p.bearing) > math.radians(120) for p in people)


@pytest.mark.parametrize("where", [(2.0, 0.0), (0.0, 2.0), (-0.4, 2.5), (-6.0, 0.0),
                                   (-0.35, 0.0)])
def test_ahead_beside_far_or_touching_is_not_the_group(where: tuple[float, float]) -> None:
    # Ahead, beside (90°), outside the ±60° sector, beyond 5 m, inside the robot's own body.
    assert find_people(synthetic([(*where, 0.25)]), 0.25) == []


def test_a_wall_behind_is_not_people() -> None:
    scan = synthetic(walls=[((-2.0, -4.0), (-2.0, 4.0))])
    assert find_people(scan, 0.25) == []
    with_person = synthetic([(-1.2, 0.0, 0.25)], walls=[((-2.0, -4.0), (-2.0, 4.0))])
    assert len(find_people(with_person, 0.25)) == 1


def test_two_legs_are_one_person_and_shoulder_to_shoulder_counts_each() -> None:
    legs = synthetic([(-1.5, 0.15, 0.06), (-1.5, -0.15, 0.06)])
    assert len(find_people(legs, 0.25)) == 1
    row = synthetic([(-2.0, -0.5, 0.25), (-2.0, 0.0, 0.25), (-2.0, 0.5, 0.25)])
    assert len(find_people(row, 0.25)) == 3
    pair = synthetic([(-1.0, -0.26, 0.25), (-1.0, 0.26, 0.25)])
    assert len(find_people(pair, 0.25)) == 2


def test_straight_behind_across_the_scan_seam_is_one_person() -> None:
    # angle_min = -pi: the beams just either side of straight behind are at both array ends.
    scan = synthetic([(-2.0, 0.0, 0.25)])
    assert np.isfinite(scan.ranges[0]) and np.isfinite(scan.ranges[-1])
    assert len(find_people(scan, 0.25)) == 1
    turned = synthetic([(-2.0, 0.0, 0.25)], angle_min=0.0)  # another driver's convention
    assert len(find_people(turned, 0.25)) == 1


def test_all_round_someone_straight_ahead_is_one_person() -> None:
    """All round the robot (held for its group, at a stop) the sector's two ends meet straight
    ahead: a visitor standing there was two clusters, two people (tour_sim_bench seed 14:
    taken for a group of two)."""
    allround = RearConfig(sector_half_width=math.pi)
    for where in ((2.0, 0.1), (2.0, 0.0), (1.2, -0.05)):
        assert len(find_people(synthetic([(*where, 0.25)]), 0.25, allround)) == 1, where


def test_people_half_behind_one_another_count_as_more_than_one() -> None:
    """Three guests standing by the robot at the herb garden (tour_sim_bench seed 16): the
    laser sees one cluster 0.74 m wide, wider than anyone, which counted as one person."""
    pose = Pose2D(66.27, 32.35, 0.19)
    guests = [(66.63, 30.83), (66.31, 30.65), (66.75, 30.10)]
    people = find_people(sim_scan(pose, guests), 0.25, RearConfig(sector_half_width=math.pi),
                         pose, MapFilter(SITE.map, 0.25))
    assert len(people) == 2
    one = find_people(sim_scan(pose, guests[:1]), 0.25, RearConfig(sector_half_width=math.pi),
                      pose, MapFilter(SITE.map, 0.25))
    assert len(one) == 1


def test_one_missed_scan_changes_nothing() -> None:
    detector = RearPeopleDetector(0.25)
    seen = synthetic([(-1.5, 0.0, 0.25), (-2.5, 0.4, 0.25)])
    empty = synthetic()
    sequence = [seen, seen, seen, empty, seen, seen] + [empty] * 5
    out = [detector.update(scan) for scan in sequence]
    assert [o.present for o in out] == [False, True, True, True, True, True,
                                        True, True, True, True, False]
    assert out[3].raw_count == 0 and out[3].count == 2, "held through the miss"
    assert out[3].nearest_m == pytest.approx(out[2].nearest_m)
    assert out[-1].count == 0 and out[-1].nearest_m is None


def test_simulator_scan_people_behind_on_the_arboretum() -> None:
    pose = Pose2D(60.0, 40.0, math.pi / 2)  # main axis, facing the greenhouse
    detector = RearPeopleDetector(0.25, static_map=SITE.map)
    people = [behind(pose, 2.0), behind(pose, 3.2, 0.8)]
    group = [detector.update(sim_scan(pose, people), pose) for _ in range(3)][-1]
    assert group.present and group.count == 2
    assert group.nearest_m == pytest.approx(2.0 - 0.25, abs=0.1)
    ahead = (pose.x, pose.y + 3.0)
    assert find_people(sim_scan(pose, [ahead]), 0.25, pose=pose,
                       map_filter=MapFilter(SITE.map, 0.25)) == []


def test_the_map_removes_corners_and_posts_but_keeps_people() -> None:
    planner = GridPlanner(SITE.map, 0.25)
    free = np.argwhere(~planner.static_blocked)
    rng = random.Random(3)
    walls = MapFilter(SITE.map, 0.25)
    phantom_without_map = phantom_with_map = found = tried = 0
    for _ in range(150):
        x, y = planner.to_world(*free[rng.randrange(len(free))])
        pose = Pose2D(x, y, rng.uniform(-math.pi, math.pi))
        empty = sim_scan(pose)
        phantom_without_map += bool(find_people(empty, 0.25))
        phantom_with_map += bool(find_people(empty, 0.25, pose=pose, map_filter=walls))
        person = behind(pose, rng.uniform(1.0, 4.0), rng.uniform(-1.0, 1.0))
        row, col = SITE.map.world_to_cell(*person)
        if not SITE.map.in_bounds(row, col) or walls.wall_distance[row, col] < 0.35:
            continue  # people stand on the paths, not in the hedges
        tried += 1
        found += len(find_people(sim_scan(pose, [person]), 0.25, pose=pose,
                                 map_filter=walls)) == 1
    assert phantom_without_map > 30, "corners and planters look like people to a bare scan"
    assert phantom_with_map == 0
    assert tried > 40 and found / tried >= 0.9


def test_a_follower_who_stops_is_lost_only_after_several_scans_and_pauses_the_tour() -> None:
    """Drive up the main axis with a guest 1.5 m behind (one scan in ten dropped), then the
    guest stops for a photo: the detector keeps them through the drops, and the tour runner
    fed with its answers holds the robot only once they have really fallen behind."""
    rng = random.Random(5)
    detector = RearPeopleDetector(0.25, static_map=SITE.map)
    routes = RouteBook(SITE)
    plan = plan_tour(SITE, "highlights_30", "spring", "ko", routes)
    clock = FakeClock()
    runner = TourRunner(plan, SITE, clock, routes)
    runner.start()
    clock.advance(plan.intro_s + 0.1)
    runner.tick()
    assert any(isinstance(o, NavigateTo) for o in runner.drain())
    y, guest_y, dt = 26.0, 24.5, 0.1
    presence, held_at = [], None
    for step in range(400):
        now = clock.advance(dt)
        y += 0.7 * dt
        if now < 15.0 + plan.intro_s:
            guest_y += 0.7 * dt  # following
        pose = Pose2D(60.0, y, math.pi / 2)
        scan = sim_scan(pose, [(60.0, guest_y)])
        if rng.random() < 0.1:
            scan = Scan(scan.angle_min, scan.angle_increment, np.full(len(scan.ranges), np.inf))
        group = detector.update(scan, pose)
        presence.append(group.present)
        runner.on_group_observation(group)
        runner.tick()
        if any(isinstance(o, StopMoving) for o in runner.drain()):
            held_at = y - guest_y
            break
        if step == 120:
            assert all(presence[2:]), "present through every dropped scan while following"
    assert runner.phase is Phase.HELD
    assert held_at is not None and held_at > 5.0, "held only once the guest fell behind"
    assert not detector.present


def test_config_changes_the_sector() -> None:
    beside = synthetic([(0.0, 2.0, 0.25)])
    assert find_people(beside, 0.25) == []
    left = RearConfig(sector_centre=math.pi / 2, sector_half_width=math.radians(30))
    assert len(find_people(beside, 0.25, left)) == 1


@pytest.mark.parametrize("where, walking, seen", [
    ((-3.5, 0.0), True, 3.5),  # straight behind, a way back: following
    ((0.0, 1.4), True, 1.4),  # right beside (a corner, a turn on the spot): with it
    ((0.0, 3.0), True, None),  # beside but farther: a passer-by, not the follower
    ((0.0, 3.0), False, 3.0),  # the robot waits: whoever walks up from any side
    ((1.4, 0.0), False, 1.4),  # ...even in front of it
])
def test_the_follower_watch_looks_behind_while_walking_and_all_round_while_waiting(
        where: tuple[float, float], walking: bool, seen: float | None) -> None:
    watch = FollowerWatch(0.25)
    scan = synthetic([(*where, 0.25)])
    for _ in range(3):  # the detectors' memory: present after two scans
        followers = watch.update(scan, None, walking)
    if seen is None:
        assert followers.count == 0 and followers.nearest_m is None
    else:
        assert followers.count == 1 and followers.nearest_m == pytest.approx(seen - 0.25,
                                                                             abs=0.1)
