"""Planar geometry helpers (REP-103: metres, radians, x forward, counter-clockwise yaw)."""

from __future__ import annotations

import math
from typing import NamedTuple

from transforms3d.euler import euler2quat, quat2euler


class Pose2D(NamedTuple):
    x: float
    y: float
    yaw: float = 0.0


def normalize_angle(angle: float) -> float:
    """Wrap an angle to [-pi, pi)."""
    return (angle + math.pi) % (2.0 * math.pi) - math.pi


def yaw_to_quaternion(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion (x, y, z, w) as ROS messages order it, for a rotation about z."""
    w, x, y, z = euler2quat(0.0, 0.0, yaw, "sxyz")
    return float(x), float(y), float(z), float(w)


def quaternion_to_yaw(x: float, y: float, z: float, w: float) -> float:
    return float(quat2euler((w, x, y, z), "sxyz")[2])


def distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


def path_length(points: list[tuple[float, float]]) -> float:
    return sum(distance(points[i], points[i + 1]) for i in range(len(points) - 1))


def compose(a: Pose2D, b: Pose2D) -> Pose2D:
    """The pose b, given in frame a, expressed in a's parent frame (a * b)."""
    c, s = math.cos(a.yaw), math.sin(a.yaw)
    return Pose2D(a.x + c * b.x - s * b.y, a.y + s * b.x + c * b.y,
                  normalize_angle(a.yaw + b.yaw))


def invert(a: Pose2D) -> Pose2D:
    c, s = math.cos(a.yaw), math.sin(a.yaw)
    return Pose2D(-c * a.x - s * a.y, s * a.x - c * a.y, normalize_angle(-a.yaw))
