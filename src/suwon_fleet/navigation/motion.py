"""What the navigation server does each control cycle, free of ROS.

``GoToPose`` drives to one goal: it plans, follows the path, slows down for obstacles seen by
the laser and stops for people, waits for them to pass, replans around what blocks the way,
backs up when something is too close, and fails the way Nav2 does when the robot makes less
than 0.5 m of progress in 10 s. ``Spin`` and ``BackUp`` are Nav2's behaviours of those names.
All of them are stepped with ``update(pose, now, obstacles)`` and return a command and status.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, auto

import numpy as np

from suwon_fleet.core.geometry import Pose2D, normalize_angle
from suwon_fleet.navigation.controller import ControllerConfig, PathFollower, ProgressChecker
from suwon_fleet.navigation.errors import NavError, NavigationFailure
from suwon_fleet.navigation.planner import GridPlanner

Point = tuple[float, float]

GOAL_APPROACH_M = 1.0  # this last stretch to a goal by a wall may come as near it as the goal


class Status(Enum):
    RUNNING = auto()
    SUCCEEDED = auto()
    FAILED = auto()


@dataclass
class Step:
    linear: float = 0.0
    angular: float = 0.0
    status: Status = Status.RUNNING
    error: NavError = NavError.NONE
    message: str = ""


@dataclass(frozen=True)
class SafetyConfig:
    robot_radius: float = 0.25
    stop_gap: float = 0.2  # stop when something is this close ahead of the footprint
    slow_gap: float = 1.2  # start slowing down at this gap
    backup_gap: float = 0.05  # back away when something is this close
    wait_before_replan_s: float = 2.0  # people usually step aside; then go round them
    obstacle_memory_m: float = 4.0  # only nearby obstacles are planned around
    progress_required_m: float = 0.5  # Nav2's SimpleProgressChecker defaults
    progress_time_s: float = 10.0


def gap_along_path(path: list[Point], obstacles: np.ndarray | None, radius: float,
                   horizon: float, margin: float = 0.05) -> float:
    """How far the robot can follow ``path`` before its footprint (plus a margin) would touch
    an obstacle point; inf if nothing is in the way within ``horizon`` metres.

    Checking along the path rather than straight ahead lets the robot turn round a person
    without mistaking them for something in its way.
    """
    if obstacles is None or len(obstacles) == 0 or len(path) < 2:
        return math.inf
    samples, arcs = _sample_path(path, horizon, step=0.05)
    reach = radius + margin
    d2 = ((samples[:, None, :] - obstacles[None, :, :]) ** 2).sum(axis=2)
    touching = np.nonzero((d2 < reach * reach).any(axis=1))[0]
    return float(arcs[touching[0]]) if touching.size else math.inf


def _sample_path(path: list[Point], horizon: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    points, arcs = [path[0]], [0.0]
    travelled = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(path):
        length = math.hypot(x1 - x0, y1 - y0)
        n = max(1, math.ceil(length / step))
        for k in range(1, n + 1):
            if travelled + length * k / n > horizon:
                return np.array(points), np.array(arcs)
            points.append((x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n))
            arcs.append(travelled + length * k / n)
        travelled += length
    return np.array(points), np.array(arcs)


def gap_ahead(pose: Pose2D, obstacles: np.ndarray | None, radius: float,
              direction: float = 1.0) -> float:
    """Free distance in front of (direction 1) or behind (-1) the footprint's edge."""
    if obstacles is None or len(obstacles) == 0:
        return math.inf
    c, s = math.cos(pose.yaw), math.sin(pose.yaw)
    dx = obstacles[:, 0] - pose.x
    dy = obstacles[:, 1] - pose.y
    forward = (dx * c + dy * s) * direction
    lateral = -dx * s + dy * c
    in_lane = (forward > 0) & (np.abs(lateral) < radius + 0.05)
    if not in_lane.any():
        return math.inf
    return float(forward[in_lane].min() - radius)


class GoToPose:
    def __init__(self, goal: Pose2D, planner: GridPlanner, control: ControllerConfig,
                 safety: SafetyConfig,
                 speed_limit_at: Callable[[float, float], float | None] | None = None) -> None:
        self.goal = goal
        self.planner = planner
        self.control = control
        self.safety = safety
        self.speed_limit_at = speed_limit_at or (lambda _x, _y: None)
        self.follower: PathFollower | None = None
        self.progress = ProgressChecker(safety.progress_required_m, safety.progress_time_s)
        self.recoveries = 0
        self.started: float | None = None
        self._blocked_since: float | None = None
        self._last_replan_failed = False
        self._backing_until: float | None = None
        self.plan_version = 0  # bumps on every (re)plan, so the node republishes the path
        self._goal_clearance: float | None = None

    @property
    def path(self) -> list[Point]:
        return self.follower.path if self.follower else []

    def distance_remaining(self, pose: Pose2D) -> float:
        if self.follower is None:
            return math.hypot(self.goal.x - pose.x, self.goal.y - pose.y)
        return self.follower.distance_remaining(pose)

    def _plan(self, pose: Pose2D, obstacles: np.ndarray | None) -> None:
        path = self.planner.plan((pose.x, pose.y), (self.goal.x, self.goal.y), obstacles)
        self.follower = PathFollower(path, self.goal.yaw, self.control, self._drivable)
        self.plan_version += 1

    def _drivable(self, a: Point, b: Point) -> bool:
        """The follower's check against cutting into walls; the last metre to a goal that is
        itself near a wall (a dock) may come as near as the goal is."""
        goal = self.goal
        near_goal = math.hypot(b[0] - goal.x, b[1] - goal.y) <= GOAL_APPROACH_M
        if near_goal and self._goal_clearance is None:
            self._goal_clearance = float(self.planner.wall_clearance(
                np.array([[goal.x, goal.y]]))[0])
        return self.planner.drivable(a, b, self._goal_clearance if near_goal else math.inf)

    def update(self, pose: Pose2D, now: float, obstacles: np.ndarray | None = None) -> Step:
        """One control cycle. ``obstacles`` are sensed points (N, 2) in the map frame."""
        if obstacles is not None:
            obstacles = self.planner.unmapped(obstacles)
        try:
            return self._update(pose, now, obstacles)
        except NavigationFailure as failure:
            return Step(status=Status.FAILED, error=failure.code, message=failure.message)

    def _update(self, pose: Pose2D, now: float, obstacles: np.ndarray | None) -> Step:
        safety = self.safety
        if self.follower is None:
            self.started = now
            self._plan(pose, None)
            self.progress.check(pose, now)
        if self._backing_until is not None:
            if now < self._backing_until and gap_ahead(
                    pose, obstacles, safety.robot_radius, -1.0) > safety.stop_gap:
                return Step(-0.1, 0.0)
            self._backing_until = None

        command = self.follower.update(pose, self.speed_limit_at(pose.x, pose.y))
        if command.done:
            return Step(status=Status.SUCCEEDED)

        if not self.progress.check(pose, now):
            code = NavError.NO_VALID_PATH if self._last_replan_failed else (
                NavError.FAILED_TO_MAKE_PROGRESS)
            return Step(status=Status.FAILED, error=code,
                        message=f"moved less than {safety.progress_required_m} m in "
                                f"{safety.progress_time_s:.0f} s; the way is blocked"
                                f" ({self.recoveries} recoveries tried)")

        linear = command.linear
        if linear > 0:
            gap = gap_along_path(self.follower.remaining_path(pose), obstacles,
                                 safety.robot_radius, safety.slow_gap + 0.5)
            if gap <= safety.backup_gap:
                self.recoveries += 1
                self._backing_until = now + 1.5
                return Step(-0.1, 0.0)
            if gap <= safety.stop_gap:
                return self._blocked(pose, now, obstacles)
            if gap < safety.slow_gap:
                scale = (gap - safety.stop_gap) / (safety.slow_gap - safety.stop_gap)
                linear = max(self.control.min_speed, linear * scale)
        self._blocked_since = None
        return Step(linear, command.angular)

    def _blocked(self, pose: Pose2D, now: float, obstacles: np.ndarray | None) -> Step:
        """Something stands in the way: wait a moment, then try to go round it."""
        if self._blocked_since is None:
            self._blocked_since = now
        elif now - self._blocked_since >= self.safety.wait_before_replan_s:
            self._blocked_since = now
            self.recoveries += 1
            near = _nearby(pose, obstacles, self.safety.obstacle_memory_m)
            # Keep right, as people in Korea do: two robots meeting head-on then pass each
            # other instead of both stepping to the same side. If the right is shut, any side.
            for attempt in (_keep_right(pose, near), near):
                try:
                    self._plan(pose, attempt)
                    self._last_replan_failed = False
                    break
                except NavigationFailure:
                    self._last_replan_failed = True  # keep waiting: people may still move
        return Step(0.0, 0.0)


def _keep_right(pose: Pose2D, obstacles: np.ndarray | None, offset: float = 0.6
                ) -> np.ndarray | None:
    """The obstacles plus a copy of each shifted to its left (seen from the robot), which
    closes the gap on the left of whatever is in the way."""
    if obstacles is None or len(obstacles) == 0:
        return obstacles
    left = np.array([-math.sin(pose.yaw), math.cos(pose.yaw)]) * offset
    return np.vstack((obstacles, obstacles + left))


def _nearby(pose: Pose2D, obstacles: np.ndarray | None, radius: float) -> np.ndarray | None:
    if obstacles is None or len(obstacles) == 0:
        return None
    d = np.hypot(obstacles[:, 0] - pose.x, obstacles[:, 1] - pose.y)
    return obstacles[d < radius]


class Spin:
    """Turn in place by ``target_yaw`` radians (sign = direction), Nav2's Spin behaviour."""

    def __init__(self, target_yaw: float, time_allowance_s: float, speed: float = 1.0) -> None:
        self.target = target_yaw
        self.time_allowance_s = time_allowance_s or math.inf
        self.speed = speed
        self.turned = 0.0
        self._last_yaw: float | None = None
        self.started: float | None = None

    def update(self, pose: Pose2D, now: float, obstacles: np.ndarray | None = None) -> Step:
        if self.started is None:
            self.started = now
        if self._last_yaw is not None:
            self.turned += normalize_angle(pose.yaw - self._last_yaw)
        self._last_yaw = pose.yaw
        remaining = self.target - self.turned
        if abs(remaining) < 0.03:
            return Step(status=Status.SUCCEEDED)
        if now - self.started > self.time_allowance_s:
            return Step(status=Status.FAILED, error=NavError.SPIN_TIMEOUT,
                        message="spin timed out")
        speed = max(0.2, min(self.speed, abs(remaining) * 2.0))
        return Step(0.0, math.copysign(speed, remaining))


class BackUp:
    """Drive straight backwards ``distance`` metres, Nav2's BackUp behaviour."""

    def __init__(self, distance: float, speed: float, time_allowance_s: float,
                 robot_radius: float) -> None:
        self.distance = abs(distance)
        self.speed = abs(speed) or 0.1
        self.time_allowance_s = time_allowance_s or math.inf
        self.robot_radius = robot_radius
        self.start: Pose2D | None = None
        self.started: float | None = None
        self.travelled = 0.0

    def update(self, pose: Pose2D, now: float, obstacles: np.ndarray | None = None) -> Step:
        if self.start is None:
            self.start, self.started = pose, now
        self.travelled = math.hypot(pose.x - self.start.x, pose.y - self.start.y)
        if self.travelled >= self.distance:
            return Step(status=Status.SUCCEEDED)
        if gap_ahead(pose, obstacles, self.robot_radius, -1.0) < 0.1:
            return Step(status=Status.FAILED, error=NavError.BACKUP_COLLISION_AHEAD,
                        message="something is right behind the robot")
        if now - self.started > self.time_allowance_s:
            return Step(status=Status.FAILED, error=NavError.BACKUP_TIMEOUT,
                        message="backup timed out")
        return Step(-self.speed, 0.0)
