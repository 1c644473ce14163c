"""Path following: a regulated pure-pursuit controller plus Nav2's goal and progress checks.

Pure pursuit steers for a point a lookahead ahead on the path, so it cuts the inside of every
corner. The planner keeps the path's clearance from walls, not the chord the robot drives: at a
vertex round a wall corner, or with the robot off its path (it stopped and turned for a person,
say), the chord can cross the corner and the robot drives into it, its bumper stopping it for
good. Given a ``clear(a, b)`` test (GoToPose gives the map's), the follower steers for a point
half as far along the path when the chord to the lookahead point is not clear, or, when that
one is not either, back onto the path, and turns to face such a point before it drives (an arc
setting off along its heading could still touch the wall).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from suwon_fleet.core.geometry import Pose2D, distance, normalize_angle, path_length

Point = tuple[float, float]


@dataclass(frozen=True)
class ControllerConfig:
    max_speed: float = 0.8  # m/s
    max_angular_speed: float = 1.5  # rad/s
    lookahead: float = 0.6  # m
    rotate_in_place_angle: float = 0.8  # rad: turn on the spot before driving if further off
    careful_turn_angle: float = 0.3  # rad: the same, steering round a wall's corner
    slowdown_distance: float = 1.0  # m before the goal where the robot starts slowing down
    min_speed: float = 0.08  # m/s, so the approach never stalls
    xy_goal_tolerance: float = 0.25  # Nav2 SimpleGoalChecker defaults
    yaw_goal_tolerance: float = 0.25
    heading_gain: float = 2.0


@dataclass
class Command:
    linear: float
    angular: float
    done: bool = False


class PathFollower:
    """Follows a planned path to its end, then turns to the goal heading."""

    def __init__(self, path: list[Point], goal_yaw: float, config: ControllerConfig,
                 clear: Callable[[Point, Point], bool] | None = None) -> None:
        """``clear(a, b)``: may the robot drive straight from a to b without coming closer to
        the map's walls than is safe (None: no check)."""
        if len(path) < 2:
            raise ValueError("a path needs at least a start and a goal")
        self.path = path
        self.goal_yaw = goal_yaw
        self.config = config
        self.clear = clear
        self._index = 0  # first segment not yet passed

    @property
    def goal(self) -> Point:
        return self.path[-1]

    def remaining_path(self, pose: Pose2D) -> list[Point]:
        return [(pose.x, pose.y), *self.path[self._index + 1:]]

    def distance_remaining(self, pose: Pose2D) -> float:
        return path_length(self.remaining_path(pose))

    def update(self, pose: Pose2D, speed_limit: float | None = None) -> Command:
        cfg = self.config
        here = (pose.x, pose.y)
        to_goal = distance(here, self.goal)
        if to_goal <= cfg.xy_goal_tolerance:
            yaw_error = normalize_angle(self.goal_yaw - pose.yaw)
            if abs(yaw_error) <= cfg.yaw_goal_tolerance:
                return Command(0.0, 0.0, done=True)
            turn = max(0.3, min(cfg.max_angular_speed, abs(yaw_error) * cfg.heading_gain))
            return Command(0.0, math.copysign(turn, yaw_error))

        self._advance(here)
        target, careful = self._steering_point(here)
        heading = math.atan2(target[1] - pose.y, target[0] - pose.x)
        error = normalize_angle(heading - pose.yaw)
        angular = max(-cfg.max_angular_speed, min(cfg.max_angular_speed, cfg.heading_gain * error))
        if abs(error) > (cfg.careful_turn_angle if careful else cfg.rotate_in_place_angle):
            return Command(0.0, angular)
        top = cfg.max_speed if speed_limit is None else min(cfg.max_speed, speed_limit)
        remaining = self.distance_remaining(pose)
        linear = top * min(1.0, remaining / cfg.slowdown_distance) * math.cos(error)
        return Command(max(cfg.min_speed, linear), angular)

    def _advance(self, here: Point) -> None:
        # Move past waypoints the robot has reached (within the lookahead of the next one).
        while self._index < len(self.path) - 2:
            if distance(here, self.path[self._index + 1]) < self.config.lookahead * 0.5:
                self._index += 1
            else:
                break

    def _steering_point(self, here: Point) -> tuple[Point, bool]:
        """The lookahead point; when the straight way there is not clear (it cuts a corner
        into a wall), a nearer one on the path, or the way back onto the path; and whether to
        turn to face it before driving (for those two)."""
        target = self._lookahead_point(here)
        if self.clear is None or self.clear(here, target):
            return target, False
        nearer = self._lookahead_point(here, self.config.lookahead / 2)
        if self.clear(here, nearer):
            return nearer, True
        return self._back_onto_path(here), True

    def _back_onto_path(self, here: Point, ahead: float = 0.1) -> Point:
        """The point of the path nearest the robot (on the segments still ahead), moved on a
        little along it."""
        best: tuple[float, int, float] | None = None
        for i in range(self._index, min(self._index + 3, len(self.path) - 1)):
            (x0, y0), (x1, y1) = self.path[i], self.path[i + 1]
            dx, dy = x1 - x0, y1 - y0
            seg = dx * dx + dy * dy
            t = 0.0 if seg == 0 else max(0.0, min(1.0, ((here[0] - x0) * dx
                                                        + (here[1] - y0) * dy) / seg))
            d = math.hypot(x0 + t * dx - here[0], y0 + t * dy - here[1])
            if best is None or d < best[0]:
                best = (d, i, t)
        assert best is not None
        _, i, t = best
        (x0, y0), (x1, y1) = self.path[i], self.path[i + 1]
        length = math.hypot(x1 - x0, y1 - y0)
        t = min(1.0, t + (ahead / length if length else 1.0))
        return (x0 + t * (x1 - x0), y0 + t * (y1 - y0))

    def _lookahead_point(self, here: Point, budget: float | None = None) -> Point:
        budget = self.config.lookahead if budget is None else budget
        prev = here
        for point in self.path[self._index + 1:]:
            seg = distance(prev, point)
            if seg >= budget:
                t = budget / seg
                return (prev[0] + t * (point[0] - prev[0]), prev[1] + t * (point[1] - prev[1]))
            budget -= seg
            prev = point
        return self.goal


class ProgressChecker:
    """Nav2's SimpleProgressChecker: fail if the robot moves < required_m in time_allowance_s."""

    def __init__(self, required_m: float = 0.5, time_allowance_s: float = 10.0) -> None:
        self.required_m = required_m
        self.time_allowance_s = time_allowance_s
        self._anchor: Point | None = None
        self._anchor_time = 0.0

    def reset(self) -> None:
        self._anchor = None

    def check(self, pose: Pose2D, now: float) -> bool:
        """True while progress is being made."""
        here = (pose.x, pose.y)
        if self._anchor is None or distance(here, self._anchor) >= self.required_m:
            self._anchor, self._anchor_time = here, now
            return True
        return now - self._anchor_time <= self.time_allowance_s
