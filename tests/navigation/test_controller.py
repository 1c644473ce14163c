"""Controller + planner drive a simulated robot to its goal (ROS-free closed loop)."""

from __future__ import annotations

import math

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.navigation.controller import ControllerConfig, PathFollower, ProgressChecker
from suwon_fleet.navigation.planner import GridPlanner
from suwon_sim.world import SimRobot, SiteWorld
from tests.helpers import room_map


def test_robot_reaches_goal_round_a_wall() -> None:
    grid = room_map(walls=[(4.8, 0.0, 5.2, 4.5)])
    world = SiteWorld("test", grid)
    robot = SimRobot("r", "test", Pose2D(2.0, 1.0, 0.0))
    world.add_robot(robot)
    path = GridPlanner(grid, robot.radius).plan((2.0, 1.0), (8.0, 1.0))
    follower = PathFollower(path, math.pi, ControllerConfig())
    for _ in range(int(60 / 0.05)):
        command = follower.update(robot.pose)
        if command.done:
            break
        robot.command(command.linear, command.angular)
        for _ in range(5):
            world.step(0.01)
    assert command.done, "goal not reached in 60 s"
    assert math.hypot(robot.pose.x - 8.0, robot.pose.y - 1.0) <= 0.25
    assert abs(math.remainder(robot.pose.yaw - math.pi, 2 * math.pi)) <= 0.25
    assert not robot.bumped


def test_progress_checker_fails_after_ten_still_seconds() -> None:
    checker = ProgressChecker(0.5, 10.0)
    assert checker.check(Pose2D(0, 0), 0.0)
    assert checker.check(Pose2D(0.3, 0), 9.9)
    assert not checker.check(Pose2D(0.4, 0), 10.5)
    assert checker.check(Pose2D(0.6, 0), 10.6), "0.5 m of progress resets the clock"
