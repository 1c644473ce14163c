"""Simulator kinematics: diff drive, limits, collisions, command timeout, battery."""

from __future__ import annotations

import math

from suwon_fleet.core.geometry import Pose2D
from suwon_sim.world import CMD_TIMEOUT_S, SimRobot, SiteWorld
from tests.helpers import room_map


def world_with(*robots: SimRobot) -> SiteWorld:
    world = SiteWorld("test", room_map())
    for robot in robots:
        world.add_robot(robot)
    return world


def run(world: SiteWorld, seconds: float, dt: float = 0.02, command=None) -> None:
    for _ in range(round(seconds / dt)):
        if command:
            command()
        world.step(dt)


def test_drives_straight_and_respects_acceleration() -> None:
    robot = SimRobot("r", "test", Pose2D(2.0, 3.0, 0.0), max_speed=0.5, max_accel=0.5)
    world = world_with(robot)
    robot.command(1.0, 0.0)  # above the speed limit
    world.step(0.1)
    assert math.isclose(robot.linear, 0.05, abs_tol=1e-9), "0.5 m/s^2 for 0.1 s"
    run(world, 2.0, command=lambda: robot.command(1.0, 0.0))
    assert robot.linear == 0.5
    assert robot.pose.x > 2.5 and math.isclose(robot.pose.y, 3.0, abs_tol=1e-9)


def test_turns_on_the_spot() -> None:
    robot = SimRobot("r", "test", Pose2D(5.0, 3.0, 0.0), max_angular_speed=2.0,
                     max_angular_accel=100.0)
    world = world_with(robot)
    run(world, 1.0, command=lambda: robot.command(0.0, math.pi / 2))
    assert math.isclose(robot.pose.yaw, math.pi / 2, abs_tol=0.05)
    assert math.isclose(robot.pose.x, 5.0) and math.isclose(robot.pose.y, 3.0)


def test_stops_at_walls() -> None:
    robot = SimRobot("r", "test", Pose2D(8.0, 3.0, 0.0))
    world = world_with(robot)
    run(world, 10.0, command=lambda: robot.command(0.8, 0.0))
    assert robot.bumped
    assert robot.pose.x < 10.0 - 0.1 - robot.radius + 0.05, "never enters the east wall"


def test_robots_collide_with_each_other() -> None:
    a = SimRobot("a", "test", Pose2D(3.0, 3.0, 0.0))
    b = SimRobot("b", "test", Pose2D(4.0, 3.0, math.pi))
    world = world_with(a, b)

    def both() -> None:
        a.command(0.5, 0.0)
        b.command(0.5, 0.0)

    run(world, 4.0, command=both)
    assert math.hypot(a.pose.x - b.pose.x, a.pose.y - b.pose.y) >= a.radius + b.radius - 1e-6


def test_stale_command_stops_the_robot() -> None:
    robot = SimRobot("r", "test", Pose2D(2.0, 3.0, 0.0))
    world = world_with(robot)
    robot.command(0.5, 0.0)
    run(world, CMD_TIMEOUT_S + 2.0)
    assert robot.linear == 0.0


def test_battery_drains_when_driving_and_charges_at_dock() -> None:
    robot = SimRobot("r", "test", Pose2D(2.0, 3.0, 0.0), dock=(8.0, 1.0))
    world = world_with(robot)
    run(world, 5.0, command=lambda: robot.command(0.8, 0.0))
    assert robot.battery_percent < 100.0 and not robot.charging
    docked = SimRobot("d", "test", Pose2D(8.0, 1.0, 0.0), battery_percent=50.0, dock=(8.0, 1.0))
    world.add_robot(docked)
    run(world, 10.0)
    assert docked.charging and docked.battery_percent > 50.0
