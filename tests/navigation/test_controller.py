"""Controller + planner drive a simulated robot to its goal (ROS-free closed loop)."""

from __future__ import annotations

import math

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.navigation.controller import ControllerConfig, PathFollower, ProgressChecker
from suwon_fleet.navigation.planner import GridPlanner
from suwon_sim.world import SimRobot, SiteWorld
from tests.helpers import room_map


def drive(world: SiteWorld, robot: SimRobot, follower: PathFollower,
          seconds: float) -> tuple[bool, int]:
    """Closed loop at 20 Hz control, 100 Hz physics: (goal reached, physics steps bumped)."""
    bumped = 0
    for _ in range(int(seconds / 0.05)):
        command = follower.update(robot.pose)
        if command.done:
            return True, bumped
        robot.command(command.linear, command.angular)
        for _ in range(5):
            world.step(0.01)
            bumped += robot.bumped
    return False, bumped


def test_robot_reaches_goal_round_a_wall() -> None:
    grid = room_map(walls=[(4.8, 0.0, 5.2, 4.5)])
    world = SiteWorld("test", grid)
    robot = SimRobot("r", "test", Pose2D(2.0, 1.0, 0.0))
    world.add_robot(robot)
    path = GridPlanner(grid, robot.radius).plan((2.0, 1.0), (8.0, 1.0))
    done, _ = drive(world, robot, PathFollower(path, math.pi, ControllerConfig()), 60)
    assert done, "goal not reached in 60 s"
    assert math.hypot(robot.pose.x - 8.0, robot.pose.y - 1.0) <= 0.25
    assert abs(math.remainder(robot.pose.yaw - math.pi, 2 * math.pi)) <= 0.25
    assert not robot.bumped


def test_progress_checker_fails_after_ten_still_seconds() -> None:
    checker = ProgressChecker(0.5, 10.0)
    assert checker.check(Pose2D(0, 0), 0.0)
    assert checker.check(Pose2D(0.3, 0), 9.9)
    assert not checker.check(Pose2D(0.4, 0), 10.5)
    assert checker.check(Pose2D(0.6, 0), 10.6), "0.5 m of progress resets the clock"


def test_off_its_path_by_a_wall_corner_it_turns_away_instead_of_pushing_into_it() -> None:
    """Pure pursuit steers for a point 0.6 m on along the path, cutting the corner the path
    goes round. A robot that stopped and turned for a person beside a wall's corner (its
    path's first waypoint leads away from the wall) used to drive into the corner and push
    there for good, its bumper holding it (tour_sim_bench seed 2: stuck 2.5 m from a stop,
    which was skipped as blocked). With the map's check it turns away first."""
    grid = room_map(10.0, 6.0, walls=[(5.0, 3.0, 10.0, 6.0)])
    planner = GridPlanner(grid, 0.25)
    for start in (Pose2D(4.68, 3.02, -0.3), Pose2D(4.70, 3.2, -0.6)):
        path = planner.plan((start.x, start.y), (8.0, 1.5))
        outcomes = []
        for clear in (None, planner.drivable):
            world = SiteWorld("test", grid)
            robot = SimRobot("r", "test", start)
            world.add_robot(robot)
            follower = PathFollower(path, 0.0, ControllerConfig(), clear)
            outcomes.append(drive(world, robot, follower, 30))
        done, bumped = outcomes[0]
        assert not done and bumped > 1000, "without the check it pushes into the corner"
        assert outcomes[1] == (True, 0), "with it, it reaches the goal untouched"


def test_drivable_keeps_most_of_the_margin_but_lets_a_robot_near_a_wall_back_out() -> None:
    grid = room_map(10.0, 6.0, walls=[(5.0, 0.0, 5.2, 6.0)])
    planner = GridPlanner(grid, 0.25)  # clearance 0.35 m
    assert planner.drivable((3.0, 3.0), (4.5, 3.0))  # 0.5 m from the wall at the end
    assert not planner.drivable((3.0, 3.0), (4.75, 3.0))  # 0.25 m: touching
    assert not planner.drivable((4.68, 3.0), (4.72, 3.0)), "already near: no nearer"
    assert planner.drivable((4.68, 3.0), (4.68, 4.0)), "along the wall, no nearer"
    assert planner.drivable((4.68, 3.0), (4.3, 3.0)), "away from it"
    assert planner.drivable((4.5, 3.0), (4.75, 3.0), allowed=0.25), "a goal by the wall"
