"""Small builders shared by the unit tests."""

from __future__ import annotations

import numpy as np

from suwon_fleet.core.maps import OccupancyMap


def room_map(width_m: float = 10.0, height_m: float = 6.0, resolution: float = 0.05,
             walls: list[tuple[float, float, float, float]] | None = None) -> OccupancyMap:
    """A walled room; ``walls`` adds (x0, y0, x1, y1) blocks in metres."""
    rows, cols = round(height_m / resolution), round(width_m / resolution)
    occupied = np.zeros((rows, cols), dtype=bool)
    occupied[:2, :] = occupied[-2:, :] = occupied[:, :2] = occupied[:, -2:] = True
    for x0, y0, x1, y1 in walls or []:
        occupied[round(y0 / resolution):round(y1 / resolution),
                 round(x0 / resolution):round(x1 / resolution)] = True
    return OccupancyMap(resolution, (0.0, 0.0, 0.0), occupied, np.zeros_like(occupied))


def look(world, robot):
    """The robot's laser scan now, as the perception modules take it, and its returns within
    5 m as map-frame obstacle points, as the navigation server feeds them to the motion."""
    from suwon_fleet.perception.rear_people import Scan

    spec = world.lidar_spec
    ranges = world.scans([robot.robot_id])[robot.robot_id].astype(float)
    ok = np.isfinite(ranges) & (ranges <= 5.0)
    a = spec.angle_min + spec.angle_increment * np.flatnonzero(ok) + robot.pose.yaw
    obstacles = np.column_stack((robot.pose.x + ranges[ok] * np.cos(a),
                                 robot.pose.y + ranges[ok] * np.sin(a)))
    return Scan(spec.angle_min, spec.angle_increment, ranges, spec.range_min,
                spec.range_max), obstacles


def drive(world, robot, motion, timeout_s: float = 60.0, dt: float = 0.01,
          control_period: float = 0.05, scan_period: float = 0.1, log=None):
    """Closed loop without ROS: the motion controls ``robot`` in ``world`` (sim time).

    Returns (final step, sim seconds). Scans feed the motion as map-frame obstacle points,
    as the navigation server does.
    """
    import math

    from suwon_fleet.navigation.motion import Status, Step

    t, next_control, next_scan = 0.0, 0.0, 0.0
    obstacles = None
    step = Step()
    while t < timeout_s:
        if t >= next_scan:
            obstacles = look(world, robot)[1]
            next_scan += scan_period
        if t >= next_control:
            step = motion.update(robot.pose, t, obstacles)
            if log is not None:
                log.append((round(t, 2), robot.pose, step))
            if step.status is not Status.RUNNING:
                robot.command(0.0, 0.0)
                return step, t
            robot.command(step.linear, step.angular)
            next_control += control_period
        world.step(dt)
        t += dt
    assert math.isfinite(t)
    return step, t
