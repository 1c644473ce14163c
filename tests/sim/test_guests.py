"""Simulated tour guests following a robot driven by the navigation's own motion controller."""

from __future__ import annotations

import math

import numpy as np

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.navigation.controller import ControllerConfig
from suwon_fleet.navigation.motion import GoToPose, SafetyConfig, Status
from suwon_fleet.navigation.planner import GridPlanner
from suwon_fleet.perception.rear_people import RearPeopleDetector
from suwon_sim.guests import CROWD_PEOPLE, TourGroups
from suwon_sim.world import SimRobot, SiteWorld
from tests.helpers import drive, look

SITE = load_fleet().sites["ilwol_arboretum"]
PLANNER = GridPlanner(SITE.map, 0.25, keep_out=SITE.keep_out)


def place(name: str) -> Pose2D:
    p = SITE.places[name]
    return Pose2D(p.x, p.y, p.yaw)


def world_at(name: str, guests: int = 4) -> tuple[SiteWorld, SimRobot, TourGroups]:
    world = SiteWorld(SITE.site_id, SITE.map)
    groups = world.crowd = TourGroups(SITE.map, world.robots, None, seed=1)
    robot = SimRobot("docent_1", SITE.site_id, place(name), max_speed=1.0)
    world.add_robot(robot)
    if guests:
        groups.command("docent_1", {"size": guests})
    return world, robot, groups


def go(world, robot, goal: str, log=None, pace: float = 0.7):
    motion = GoToPose(place(goal), PLANNER, ControllerConfig(max_speed=1.0), SafetyConfig(),
                      lambda _x, _y: pace)
    return drive(world, robot, motion, timeout_s=240.0, log=log)


def gaps(groups: TourGroups, robot: SimRobot) -> list[float]:
    return [math.hypot(g.x - robot.pose.x, g.y - robot.pose.y)
            for g in groups.groups["docent_1"].guests]


def test_guests_follow_behind_and_the_rear_detector_sees_them() -> None:
    world, robot, groups = world_at("visitor_centre")
    detector = RearPeopleDetector(0.25, static_map=SITE.map)
    motion = GoToPose(place("rose_garden"), PLANNER, ControllerConfig(max_speed=1.0),
                      SafetyConfig(), lambda _x, _y: 0.7)
    seen, closest, t = [], math.inf, 0.0
    step = motion.update(robot.pose, t)
    while step.status is Status.RUNNING and t < 120.0:
        scan, obstacles = look(world, robot)
        seen.append(detector.update(scan, robot.pose).count)
        for _ in range(2):  # control at 20 Hz, scans at 10 Hz
            step = motion.update(robot.pose, t, obstacles)
            robot.command(step.linear, step.angular)
            for _ in range(5):
                world.step(0.01)
            t += 0.05
            closest = min(closest, *gaps(groups, robot))
    assert step.status is Status.SUCCEEDED  # 26 m, four people in tow
    assert np.mean([c > 0 for c in seen[20:]]) > 0.9  # the detector sees someone behind
    assert max(gaps(groups, robot)) < 5.0
    assert closest > 0.25 + 0.25 + 0.3  # they never crowd the robot


def test_guests_stop_for_a_photo_fall_behind_and_catch_up() -> None:
    world, robot, groups = world_at("visitor_centre")
    groups.command("docent_1", {"hold_s": 20})
    go(world, robot, "first_aid")  # about 12 m away
    assert min(gaps(groups, robot)) > 5.0  # left behind
    for _ in range(300):
        world.step(0.05)
    assert max(gaps(groups, robot)) < 3.5  # caught up with the robot standing


def test_one_straggler_while_the_others_keep_up() -> None:
    world, robot, groups = world_at("visitor_centre")
    groups.command("docent_1", {"straggler_s": 30})
    go(world, robot, "first_aid")
    distances = sorted(gaps(groups, robot))
    assert distances[-1] > 5.0 and distances[0] < 3.0


def test_guests_make_way_when_the_robot_turns_back_through_them() -> None:
    world, robot, _groups = world_at("visitor_centre")
    assert go(world, robot, "first_aid")[0].status is Status.SUCCEEDED
    step, seconds = go(world, robot, "visitor_centre")  # straight back through them
    assert step.status is Status.SUCCEEDED and seconds < 40
    assert not robot.bumped


def test_a_crowd_stands_on_a_spot_until_sent_away() -> None:
    world, _robot, groups = world_at("visitor_centre", guests=0)
    herb = place("herb_garden")
    groups.command("docent_1", {"crowd_at": [herb.x, herb.y]})
    assert len(groups.circles()) == CROWD_PEOPLE
    for _ in range(50):
        world.step(0.1)
    assert all(math.hypot(x - herb.x, y - herb.y) <= 0.8 for x, y, _ in groups.circles())
    groups.command("docent_1", {"crowd_at": None})
    assert groups.circles() == []


def test_guests_gather_in_front_of_a_robot_that_stopped_facing_the_way_it_came() -> None:
    """A stop's heading may face back along the way the robot came (the main gate). Guests
    left behind by a photo stop used to stand where they were when it turned, 5-6 m off,
    waiting for it to pass them (tour_sim_bench seed 14); they come and gather round."""
    world, robot, groups = world_at("visitor_centre")
    groups.command("docent_1", {"hold_s": 20})
    start, goal = place("visitor_centre"), place("first_aid")
    back = math.atan2(start.y - goal.y, start.x - goal.x)
    motion = GoToPose(Pose2D(goal.x, goal.y, back), PLANNER, ControllerConfig(max_speed=1.0),
                      SafetyConfig(), lambda _x, _y: 0.7)
    assert drive(world, robot, motion, timeout_s=240.0)[0].status is Status.SUCCEEDED
    assert min(gaps(groups, robot)) > 5.0  # left behind, the robot facing them
    for _ in range(400):
        world.step(0.05)
    assert max(gaps(groups, robot)) < 3.5, "gathered round the standing robot"
    assert not robot.bumped
