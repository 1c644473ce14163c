"""People following the robot, from a 2-D laser scan (sensor_msgs/LaserScan's fields).

Each scan: the beams in the rear sector (default ±60° around straight behind) with a return
between just beyond the robot's body and ``max_distance`` become points; when a map and the
robot's pose are given, points within ``map_tolerance`` of a mapped obstacle are dropped (they
are walls, hedges, posts). Neighbouring points (a small angular gap, a short jump in space)
form clusters; a cluster narrower than a person is noise, one wider than ``max_width`` is a
wall the map did not explain. Two narrow clusters close together are one person's legs. A
wider cluster is several people shoulder to shoulder, one per ``person_width`` beyond the first
(with ``person_allowance``). With the sector all round the robot, a cluster across the sector's
ends (straight ahead) is joined up.

:class:`RearPeopleDetector` adds memory, so one scan never decides: the group becomes present
after ``present_after`` scans with someone in them and absent only after ``absent_after`` scans
with no one, and the count and the nearest distance are held over the last ``hold_scans``
scans. A single missed scan therefore never pauses a tour.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy.ndimage import distance_transform_edt

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.maps import OccupancyMap


@dataclass(frozen=True)
class Scan:
    """A laser scan as sensor_msgs/LaserScan carries it (robot frame, x forward)."""

    angle_min: float
    angle_increment: float
    ranges: np.ndarray
    range_min: float = 0.0
    range_max: float = math.inf

    @property
    def angles(self) -> np.ndarray:
        return self.angle_min + self.angle_increment * np.arange(len(self.ranges))


@dataclass(frozen=True)
class RearConfig:
    sector_centre: float = math.pi  # rad in the robot frame: pi is straight behind
    sector_half_width: float = math.radians(60.0)
    body_gap: float = 0.1  # m beyond the robot's edge: nearer returns are its own body
    max_distance: float = 5.0  # m from the robot's centre: farther is not following
    cluster_gap: float = 0.3  # m: a bigger jump between neighbouring points starts a cluster
    max_beam_skip: int = 2  # missing beams a cluster may bridge (dark clothes drop returns)
    min_points: int = 2
    min_width: float = 0.05  # m: narrower is noise
    max_width: float = 2.0  # m: wider is a wall or a hedge, not people
    person_width: float = 0.5  # m: a wider cluster is this many people side by side...
    person_allowance: float = 0.1  # m: ...beyond this allowance (one person up to 0.6 m)
    leg_width: float = 0.3  # m: clusters this narrow may be one leg...
    leg_merge: float = 0.5  # m: ...and two such this close together are one person
    map_tolerance: float = 0.25  # m: points this close to a mapped obstacle are the map's
    present_after: int = 2  # scans in a row with someone before the group is present
    absent_after: int = 5  # scans in a row with no one before it is gone
    hold_scans: int = 5  # count and nearest distance are held over this many scans


@dataclass(frozen=True)
class Person:
    x: float  # robot frame, metres
    y: float
    width: float  # the visible chord of the cluster
    points: int

    @property
    def distance(self) -> float:
        return math.hypot(self.x, self.y)

    @property
    def bearing(self) -> float:
        return math.atan2(self.y, self.x)


@dataclass(frozen=True)
class RearGroup:
    """The detector's answer: how many follow the robot and the nearest one's distance."""

    count: int  # held over the last scans; 0 while the group is not present
    nearest_m: float | None
    present: bool
    raw_count: int  # in this scan alone
    people: tuple[Person, ...]  # this scan's


class MapFilter:
    """Drops points the static map explains (walls, hedges, furniture)."""

    def __init__(self, grid: OccupancyMap, tolerance: float) -> None:
        self.grid = grid
        self.tolerance = tolerance

    @cached_property
    def wall_distance(self) -> np.ndarray:
        return distance_transform_edt(~self.grid.blocked) * self.grid.resolution

    def unexplained(self, points: np.ndarray) -> np.ndarray:
        """Mask of map-frame points farther than the tolerance from every mapped obstacle."""
        grid = self.grid
        col = np.floor((points[:, 0] - grid.origin[0]) / grid.resolution).astype(np.int64)
        row = np.floor((points[:, 1] - grid.origin[1]) / grid.resolution).astype(np.int64)
        inside = (row >= 0) & (col >= 0) & (row < grid.rows) & (col < grid.cols)
        keep = np.zeros(len(points), dtype=bool)
        keep[inside] = self.wall_distance[row[inside], col[inside]] > self.tolerance
        return keep


def find_people(scan: Scan, robot_radius: float, config: RearConfig = RearConfig(),
                pose: Pose2D | None = None, map_filter: MapFilter | None = None
                ) -> list[Person]:
    """People-sized clusters in the rear sector of one scan, nearest first."""
    ranges = np.asarray(scan.ranges, dtype=np.float64)
    rel = _wrap(scan.angles - config.sector_centre)
    near = robot_radius + config.body_gap
    valid = (np.abs(rel) <= config.sector_half_width) & np.isfinite(ranges) & (
        ranges >= max(near, scan.range_min)) & (ranges <= min(config.max_distance,
                                                                scan.range_max))
    idx = np.nonzero(np.abs(rel) <= config.sector_half_width)[0]
    idx = idx[np.argsort(rel[idx])]  # beams in angular order, across the ±pi seam
    angles = scan.angles
    finite = np.where(np.isfinite(ranges), ranges, 0.0)  # no returns: not valid anyway
    xs = finite * np.cos(angles)
    ys = finite * np.sin(angles)
    if map_filter is not None and pose is not None and valid.any():
        c, s = math.cos(pose.yaw), math.sin(pose.yaw)
        world = np.column_stack((pose.x + c * xs[valid] - s * ys[valid],
                                 pose.y + s * xs[valid] + c * ys[valid]))
        valid[np.nonzero(valid)[0][~map_filter.unexplained(world)]] = False

    clusters: list[list[int]] = []
    first_pos = last_pos = -10  # positions in idx of the first and the previous valid beam
    for pos, beam in enumerate(idx):
        if not valid[beam]:
            continue
        if clusters and pos - last_pos <= config.max_beam_skip + 1:
            prev = clusters[-1][-1]
            if math.hypot(xs[beam] - xs[prev], ys[beam] - ys[prev]) <= config.cluster_gap:
                clusters[-1].append(beam)
                last_pos = pos
                continue
        if not clusters:
            first_pos = pos
        clusters.append([beam])
        last_pos = pos
    if (len(clusters) > 1 and config.sector_half_width >= math.pi - 1e-9
            and len(idx) - last_pos + first_pos <= config.max_beam_skip + 1):
        # All round the robot the sector's two ends meet (straight ahead of a rear-centred
        # sector): someone standing there is one cluster, not two.
        a, b = clusters[-1][-1], clusters[0][0]
        if math.hypot(xs[b] - xs[a], ys[b] - ys[a]) <= config.cluster_gap:
            clusters[0] = clusters.pop() + clusters[0]

    blobs: list[tuple[float, float, float, int]] = []  # x, y, width, points
    for beams in clusters:
        if len(beams) < config.min_points:
            continue
        width = math.hypot(xs[beams[-1]] - xs[beams[0]], ys[beams[-1]] - ys[beams[0]])
        if width < config.min_width or width > config.max_width:
            continue
        blobs.append((float(np.mean(xs[beams])), float(np.mean(ys[beams])), width,
                      len(beams)))
    people: list[Person] = []
    used = [False] * len(blobs)
    for i, (x, y, w, n) in enumerate(blobs):
        if used[i]:
            continue
        used[i] = True
        if w <= config.leg_width:
            for j in range(i + 1, len(blobs)):
                xj, yj, wj, nj = blobs[j]
                if not used[j] and wj <= config.leg_width and math.hypot(
                        xj - x, yj - y) <= config.leg_merge:
                    used[j] = True  # the other leg
                    x, y, w, n = (x + xj) / 2, (y + yj) / 2, math.hypot(xj - x, yj - y) + w, n + nj
                    break
        # Shoulder to shoulder, or one half behind another: a cluster a person's width wider
        # than one person (with an allowance) is two, and so on.
        many = max(1, math.ceil((w - config.person_allowance) / config.person_width))
        people += [Person(x, y, w / many, n // many)] * many
    return sorted(people, key=lambda p: p.distance)


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + math.pi) % (2.0 * math.pi) - math.pi


class RearPeopleDetector:
    """find_people with memory: hysteresis on presence, count and distance held over scans."""

    def __init__(self, robot_radius: float, config: RearConfig = RearConfig(),
                 static_map: OccupancyMap | None = None) -> None:
        self.robot_radius = robot_radius
        self.config = config
        self.map_filter = MapFilter(static_map, config.map_tolerance) if static_map else None
        self.present = False
        self._seen = 0  # scans in a row with someone
        self._missed = 0  # scans in a row with no one
        self._recent: deque[tuple[int, float | None]] = deque(maxlen=config.hold_scans)

    def reset(self) -> None:
        self.present = False
        self._seen = self._missed = 0
        self._recent.clear()

    def update(self, scan: Scan, pose: Pose2D | None = None) -> RearGroup:
        """Take one scan (``pose``: the robot's in the map frame, to drop mapped obstacles)."""
        cfg = self.config
        people = find_people(scan, self.robot_radius, cfg, pose, self.map_filter)
        raw = len(people)
        if raw:
            self._seen += 1
            self._missed = 0
        else:
            self._missed += 1
            self._seen = 0
        if not self.present and self._seen >= cfg.present_after:
            self.present = True
        elif self.present and self._missed >= cfg.absent_after:
            self.present = False
        self._recent.append((raw, people[0].distance if people else None))
        if not self.present:
            return RearGroup(0, None, False, raw, tuple(people))
        distances = [d for _, d in self._recent if d is not None]
        return RearGroup(max(n for n, _ in self._recent), min(distances) if distances else None,
                         True, raw, tuple(people))


@dataclass(frozen=True)
class Followers:
    """Who is with a robot that leads people: how many and the nearest one's distance."""

    count: int
    nearest_m: float | None


class FollowerWatch:
    """The people with a robot that leads them (a visitor it escorts, a tour group).

    While it walks: those in its rear sector, and anyone within ``beside_m`` all round it (at a
    corner, or while it turns on the spot, a follower is beside it, not behind). While it
    stands: anyone all round it (a visitor catching up walks up to it from whichever side the
    way allows).
    """

    def __init__(self, robot_radius: float, config: RearConfig = RearConfig(),
                 static_map: OccupancyMap | None = None, beside_m: float = 2.0) -> None:
        self.beside_m = beside_m
        self.behind = RearPeopleDetector(robot_radius, config, static_map)
        self.around = RearPeopleDetector(
            robot_radius, replace(config, sector_half_width=math.pi), static_map)
        self._walking = False

    @property
    def map_filter(self) -> MapFilter | None:
        return self.behind.map_filter

    def reset(self) -> None:
        self.behind.reset()
        self.around.reset()
        self._walking = False

    def update(self, scan: Scan, pose: Pose2D | None, walking: bool) -> Followers:
        around = self.around.update(scan, pose)
        if not walking:
            self._walking = False
            return Followers(around.count, around.nearest_m)
        if not self._walking:
            self.behind.reset()  # what it saw on the last leg is gone
            self._walking = True
        behind = self.behind.update(scan, pose)
        near = around.nearest_m is not None and around.nearest_m <= self.beside_m
        distances = [d for d in (behind.nearest_m, around.nearest_m if near else None)
                     if d is not None]
        return Followers(max(behind.count, around.count if near else 0),
                         min(distances) if distances else None)
