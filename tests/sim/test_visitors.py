"""Simulated visitors: walk between places, deterministic under a seed, yield to robots."""

from __future__ import annotations

import math

from suwon_fleet.core.sites import load_fleet
from suwon_sim.visitors import VisitorCrowd

SITE = load_fleet().sites["city_hall"]
PLACES = [(p.x, p.y) for p in SITE.places.values() if p.kind != "dock"]


def walk(seed: int, seconds: float, robots=()) -> list[tuple[float, float]]:
    crowd = VisitorCrowd(SITE.map, PLACES, count=5, seed=seed)
    for _ in range(int(seconds / 0.05)):
        crowd.step(0.05, list(robots))
    return [(round(v.x, 6), round(v.y, 6)) for v in crowd.visitors]


def test_same_seed_same_walk_other_seed_other_walk() -> None:
    assert walk(7, 60.0) == walk(7, 60.0)
    assert walk(7, 60.0) != walk(8, 60.0)


def test_visitors_move_and_stay_on_free_ground() -> None:
    crowd = VisitorCrowd(SITE.map, PLACES, count=5, seed=3)
    start = [(v.x, v.y) for v in crowd.visitors]
    for _ in range(int(60 / 0.05)):
        crowd.step(0.05, [])
        for v in crowd.visitors:
            assert SITE.map.is_free(v.x, v.y), f"{v.visitor_id} walked into a wall"
    moved = [math.hypot(v.x - x, v.y - y) for v, (x, y) in zip(crowd.visitors, start,
                                                                strict=True)]
    assert max(moved) > 3.0


def test_visitors_never_walk_into_a_robot() -> None:
    crowd = VisitorCrowd(SITE.map, PLACES, count=8, seed=5)
    robots = [(p[0], p[1], 0.25) for p in PLACES[::4]]  # robots parked at some places
    apart: set[tuple[str, int]] = set()  # pairs that have been clear of each other
    close_calls = 0
    for _ in range(int(120 / 0.05)):
        crowd.step(0.05, robots)
        for v in crowd.visitors:
            for k, (rx, ry, rr) in enumerate(robots):
                touching = math.hypot(v.x - rx, v.y - ry) < v.radius + rr
                if not touching:
                    apart.add((v.visitor_id, k))
                elif (v.visitor_id, k) in apart:
                    close_calls += 1
    assert close_calls == 0
    assert len(apart) == 8 * len(robots), "visitors that started on a robot walked off it"
