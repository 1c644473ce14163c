"""Laser scans: agree with brute-force ray marching, see moving obstacles, respect the limits."""

from __future__ import annotations

import math

import numpy as np

from suwon_fleet.core.sites import load_fleet
from suwon_sim.lidar import Lidar, LidarSpec
from tests.helpers import room_map


def brute_force(grid, x: float, y: float, angle: float, step: float = 0.005) -> float:
    for k in range(1, int(30.0 / step)):
        d = k * step
        row, col = grid.world_to_cell(x + d * math.cos(angle), y + d * math.sin(angle))
        if not grid.in_bounds(row, col) or grid.blocked[row, col]:
            return d
    return math.inf


def test_ranges_match_brute_force_on_a_site_map() -> None:
    site = load_fleet().sites["city_hall"]
    lidar = Lidar(site.map)
    spec = lidar.spec
    errors = []
    for place_id in ("information_desk", "waiting_area", "saebit_counter_2"):
        place = site.places[place_id]
        ranges = lidar.scan(place.x, place.y, 0.4)
        for i in range(0, spec.beams, 3):
            truth = brute_force(site.map, place.x, place.y, 0.4 + spec.angle_min
                                + i * spec.angle_increment)
            if math.isfinite(truth) and truth <= spec.range_max:
                errors.append(abs(float(ranges[i]) - truth))
    errors = np.array(errors)
    assert np.median(errors) < 0.05, "within a map cell"
    assert np.percentile(errors, 95) < 0.15


def test_walls_of_a_room_at_known_distances() -> None:
    lidar = Lidar(room_map(10.0, 6.0))  # walls 0.1 m thick on every side
    ranges = lidar.scan(5.0, 3.0, 0.0)
    spec = lidar.spec
    ahead = ranges[spec.beams // 2]  # beam at angle 0 (angle_min is -pi)
    left = ranges[3 * spec.beams // 4]
    assert abs(ahead - 4.9) < 0.06 and abs(left - 2.9) < 0.06


def test_moving_obstacles_are_seen() -> None:
    lidar = Lidar(room_map())
    clear = lidar.scan(2.0, 3.0, 0.0)
    with_person = lidar.scan(2.0, 3.0, 0.0, circles=np.array([[4.0, 3.0, 0.25]]))
    beam = lidar.spec.beams // 2
    assert abs(with_person[beam] - 1.75) < 1e-3
    assert clear[beam] > 7.0


def test_range_limits() -> None:
    lidar = Lidar(room_map(80.0, 6.0), LidarSpec(range_max=30.0))
    ranges = lidar.scan(5.0, 3.0, 0.0)
    assert np.isinf(ranges[lidar.spec.beams // 2]), "the far wall is beyond 30 m"
    assert ranges.dtype == np.float32 and ranges.size == 360


def test_batch_equals_single_scans() -> None:
    lidar = Lidar(room_map())
    poses = np.array([[2.0, 3.0, 0.1], [7.0, 2.0, 2.0]])
    batch = lidar.scan_many(poses, [None, None])
    for k, (x, y, yaw) in enumerate(poses):
        assert np.array_equal(batch[k], lidar.scan(x, y, yaw))
