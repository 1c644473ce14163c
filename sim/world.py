"""A kinematic world of differential-drive robots on occupancy maps. No ROS here.

Each site is its own world (its own map frame); robots of different sites never meet.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from suwon_fleet.core.geometry import Pose2D, normalize_angle
from suwon_fleet.core.maps import OccupancyMap
from suwon_sim.lidar import Lidar, LidarSpec
from suwon_sim.visitors import VisitorCrowd

CMD_TIMEOUT_S = 0.5  # a robot whose driver stops talking stops too (as real bases do)


@dataclass
class BatteryModel:
    """Simple linear battery: drains while powered, more while moving; charges at the dock."""

    idle_drain_per_s: float = 0.002  # % per second (about 14 %/h standing)
    motion_drain_per_m: float = 0.02  # % per metre driven
    charge_per_s: float = 0.05  # % per second at the dock (about 33 min empty to full)
    dock_radius_m: float = 0.4


@dataclass(frozen=True)
class OdomNoise:
    """Odometry error: standard deviation per metre driven and per radian turned."""

    linear: float = 0.01
    angular: float = 0.02


@dataclass
class SimRobot:
    robot_id: str
    site_id: str
    pose: Pose2D
    radius: float = 0.25
    max_speed: float = 0.8
    max_angular_speed: float = 1.5
    max_accel: float = 1.0  # m/s^2
    max_decel: float = 2.5  # m/s^2: bases brake harder than they accelerate
    max_angular_accel: float = 3.0  # rad/s^2
    battery_percent: float = 100.0
    dock: tuple[float, float] | None = None
    linear: float = 0.0  # actual velocities after limits and collisions
    angular: float = 0.0
    cmd_linear: float = 0.0
    cmd_angular: float = 0.0
    cmd_age_s: float = math.inf
    charging: bool = False
    bumped: bool = False
    odometer_m: float = 0.0
    odom: Pose2D = field(default_factory=lambda: Pose2D(0.0, 0.0, 0.0))  # dead-reckoned, noisy
    odom_noise: OdomNoise = field(default_factory=OdomNoise)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def command(self, linear: float, angular: float) -> None:
        self.cmd_linear = linear
        self.cmd_angular = angular
        self.cmd_age_s = 0.0


@dataclass
class SiteWorld:
    site_id: str
    grid: OccupancyMap
    robots: dict[str, SimRobot] = field(default_factory=dict)
    battery: BatteryModel = field(default_factory=BatteryModel)
    crowd: VisitorCrowd | None = None
    lidar_spec: LidarSpec = field(default_factory=LidarSpec)

    @cached_property
    def lidar(self) -> Lidar:
        return Lidar(self.grid, self.lidar_spec)

    def add_robot(self, robot: SimRobot) -> None:
        if robot.site_id != self.site_id:
            raise ValueError(f"{robot.robot_id} belongs to {robot.site_id}, not {self.site_id}")
        if self.collides(robot, robot.pose):
            raise ValueError(f"{robot.robot_id} would start inside an obstacle at {robot.pose}")
        self.robots[robot.robot_id] = robot

    def step(self, dt: float) -> None:
        for robot in self.robots.values():
            self._step_robot(robot, dt)
        if self.crowd is not None:
            self.crowd.step(dt, [(r.pose.x, r.pose.y, r.radius) for r in self.robots.values()])

    def scans(self, robot_ids: list[str]) -> dict[str, np.ndarray]:
        """Laser scans of the given robots, seeing the map, each other and the visitors."""
        if not robot_ids:
            return {}
        people = self.crowd.circles() if self.crowd else []
        poses, circles = [], []
        for robot_id in robot_ids:
            robot = self.robots[robot_id]
            poses.append(robot.pose)
            others = [(o.pose.x, o.pose.y, o.radius) for o in self.robots.values()
                      if o is not robot]
            circles.append(np.array(others + people).reshape(-1, 3))
        ranges = self.lidar.scan_many(np.array(poses), circles)
        return dict(zip(robot_ids, ranges, strict=True))

    def _step_robot(self, robot: SimRobot, dt: float) -> None:
        robot.cmd_age_s += dt
        want_v, want_w = (robot.cmd_linear, robot.cmd_angular)
        if robot.cmd_age_s > CMD_TIMEOUT_S:
            want_v, want_w = 0.0, 0.0
        want_v = _clamp(want_v, -robot.max_speed, robot.max_speed)
        want_w = _clamp(want_w, -robot.max_angular_speed, robot.max_angular_speed)
        slowing = abs(want_v) < abs(robot.linear) or want_v * robot.linear < 0
        robot.linear = _approach(robot.linear, want_v,
                                 (robot.max_decel if slowing else robot.max_accel) * dt)
        robot.angular = _approach(robot.angular, want_w, robot.max_angular_accel * dt)

        x, y, yaw = robot.pose
        # Exact arc integration, so heading and position stay consistent at any time step.
        if abs(robot.angular) > 1e-9:
            r = robot.linear / robot.angular
            new_yaw = yaw + robot.angular * dt
            nx = x + r * (math.sin(new_yaw) - math.sin(yaw))
            ny = y - r * (math.cos(new_yaw) - math.cos(yaw))
        else:
            new_yaw = yaw
            nx = x + robot.linear * math.cos(yaw) * dt
            ny = y + robot.linear * math.sin(yaw) * dt
        candidate = Pose2D(nx, ny, normalize_angle(new_yaw))
        moved = math.hypot(nx - x, ny - y)
        if moved > 0 and self.collides(robot, candidate):
            # A bumper stop: keep the rotation, drop the translation.
            robot.bumped = True
            robot.linear = 0.0
            candidate = Pose2D(x, y, candidate.yaw)
            moved = 0.0
        else:
            robot.bumped = False
        turned = normalize_angle(candidate.yaw - yaw)
        robot.pose = candidate
        robot.odometer_m += moved
        if moved or turned:
            self._update_odometry(robot, moved, turned)
        self._update_battery(robot, moved, dt)

    @staticmethod
    def _update_odometry(robot: SimRobot, moved: float, turned: float) -> None:
        noise = robot.odom_noise
        forward = moved * (1.0 + robot.rng.gauss(0.0, noise.linear)) * math.copysign(
            1.0, robot.linear or 1.0)
        rotation = turned + robot.rng.gauss(0.0, noise.angular) * abs(turned)
        ox, oy, oyaw = robot.odom
        mid = oyaw + rotation / 2.0
        robot.odom = Pose2D(ox + forward * math.cos(mid), oy + forward * math.sin(mid),
                            normalize_angle(oyaw + rotation))

    def _update_battery(self, robot: SimRobot, moved: float, dt: float) -> None:
        model = self.battery
        at_dock = robot.dock is not None and math.hypot(
            robot.pose.x - robot.dock[0], robot.pose.y - robot.dock[1]) <= model.dock_radius_m
        robot.charging = at_dock and abs(robot.linear) < 1e-3
        if robot.charging:
            robot.battery_percent = min(100.0, robot.battery_percent + model.charge_per_s * dt)
        else:
            drain = model.idle_drain_per_s * dt + model.motion_drain_per_m * moved
            robot.battery_percent = max(0.0, robot.battery_percent - drain)

    def collides(self, robot: SimRobot, pose: Pose2D) -> bool:
        if self._hits_map(pose.x, pose.y, robot.radius):
            return True
        others = [(o.pose.x, o.pose.y, o.radius) for o in self.robots.values() if o is not robot]
        if self.crowd is not None:
            others += self.crowd.circles()
        for ox, oy, radius in others:
            gap = math.hypot(ox - pose.x, oy - pose.y)
            # Moving apart is allowed when already overlapping (never trap anyone).
            if gap < radius + robot.radius and gap <= math.hypot(ox - robot.pose.x,
                                                                 oy - robot.pose.y):
                return True
        return False

    def _hits_map(self, x: float, y: float, radius: float) -> bool:
        grid = self.grid
        res = grid.resolution
        r0, c0 = grid.world_to_cell(x - radius, y - radius)
        r1, c1 = grid.world_to_cell(x + radius, y + radius)
        if r0 < 0 or c0 < 0 or r1 >= grid.rows or c1 >= grid.cols:
            return True  # leaving the map counts as a collision
        window = grid.blocked[r0:r1 + 1, c0:c1 + 1]
        if not window.any():
            return False
        rows = np.arange(r0, r1 + 1)[:, None]
        cols = np.arange(c0, c1 + 1)[None, :]
        cy = grid.origin[1] + (rows + 0.5) * res
        cx = grid.origin[0] + (cols + 0.5) * res
        # A cell touches the disc if its centre is within radius + half a cell diagonal.
        inside = (cx - x) ** 2 + (cy - y) ** 2 <= (radius + res * 0.5) ** 2
        return bool((window & inside).any())


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _approach(current: float, target: float, max_step: float) -> float:
    if target > current:
        return min(target, current + max_step)
    return max(target, current - max_step)
