"""The escort's rules, tick by tick: lead, wait for a visitor who falls behind, go on, give up;
and closed loop with the simulator's follower, the laser and the navigation's controller."""

from __future__ import annotations

import math

import pytest

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.fleet.escort import EscortConfig, EscortEvent, EscortMonitor
from suwon_fleet.navigation.controller import ControllerConfig
from suwon_fleet.navigation.motion import GoToPose, SafetyConfig, Status
from suwon_fleet.navigation.planner import GridPlanner
from suwon_fleet.perception.rear_people import FollowerWatch
from suwon_sim.guests import TourGroups
from suwon_sim.visitors import VisitorCrowd
from suwon_sim.world import SimRobot, SiteWorld
from tests.helpers import look

CONFIG = EscortConfig()


def run(monitor: EscortMonitor, start: float, end: float, nearest: float | None,
        step: float = 0.1) -> list[tuple[float, EscortEvent]]:
    """Feed one observation per step (None = nobody behind) and collect the events."""
    events = []
    for i in range(round((end - start) / step)):
        t = round(start + i * step, 6)
        monitor.observe(t, 0 if nearest is None else 1, nearest)
        event = monitor.update(t)
        if event is not None:
            events.append((round(t, 1), event))
    return events


def test_a_follower_is_led_without_stopping() -> None:
    m = EscortMonitor(0.0)
    assert run(m, 0.0, 120.0, 1.5) == []
    assert not m.waiting and m.waited_s == 0.0


def test_nobody_behind_during_the_start_grace_is_not_judged() -> None:
    m = EscortMonitor(0.0)
    assert run(m, 0.0, CONFIG.start_grace_s - 0.1, None) == []
    # Falls in behind just in time: never waits.
    assert run(m, CONFIG.start_grace_s - 0.1, 60.0, 1.8) == []


def test_falls_behind_then_catches_up() -> None:
    m = EscortMonitor(0.0)
    run(m, 0.0, 20.0, 1.5)
    events = run(m, 20.0, 30.0, 6.0)  # stopped to read a sign, 6 m back
    assert events == [(20.0 + CONFIG.lag_grace_s, EscortEvent.WAIT)]
    assert m.waiting
    # 3 m is nearer than behind_m but not caught up yet (hysteresis): still waiting
    assert run(m, 30.0, 35.0, 3.0) == []
    events = run(m, 35.0, 40.0, 2.0)
    assert events == [(35.0 + CONFIG.rejoin_s, EscortEvent.GO_ON)]
    assert not m.waiting and abs(m.waited_s - (35.0 + CONFIG.rejoin_s - 22.0)) < 0.2


def test_one_bad_scan_does_not_stop_the_robot() -> None:
    m = EscortMonitor(0.0)
    run(m, 0.0, 20.0, 1.5)
    assert run(m, 20.0, 21.0, None) == []  # under lag_grace_s
    assert run(m, 21.0, 40.0, 1.5) == []


def test_waiting_reminds_then_gives_up() -> None:
    m = EscortMonitor(0.0)
    events = run(m, 0.0, 200.0, None)
    kinds = [e for _, e in events]
    wait_at = CONFIG.start_grace_s + CONFIG.lag_grace_s
    assert events[0] == (wait_at, EscortEvent.WAIT)
    assert kinds.count(EscortEvent.REMIND) == int(CONFIG.give_up_s // CONFIG.remind_s) - (
        1 if CONFIG.give_up_s % CONFIG.remind_s == 0 else 0)
    assert events[-1] == (wait_at + CONFIG.give_up_s, EscortEvent.GIVE_UP)
    assert m.ended and run(m, 200.0, 210.0, 1.0) == []


def test_a_silent_laser_keeps_the_current_state() -> None:
    m = EscortMonitor(0.0)
    run(m, 0.0, 20.0, 1.5)
    assert all(m.update(t / 10) is None for t in range(200, 600))  # no scans for 40 s
    assert not m.waiting


HALL = load_fleet().sites["city_hall"]
HALL_PLANNER = GridPlanner(HALL.map, 0.25, keep_out=HALL.keep_out)


def escort(start: str, goal: str, seed: int, timeout_s: float = 200.0):
    """The robot agent's escort without ROS: it leads at the escort's pace, the simulator's
    visitor falls in once it is under way (as the simulator node does), the follower watch
    reads the lidar and the monitor stops and restarts the drive. Returns (the drive's
    status, the monitor's events)."""
    world = SiteWorld(HALL.site_id, HALL.map)
    spots = [(p.x, p.y) for p in HALL.places.values() if p.kind != "dock"]
    groups = world.crowd = TourGroups(HALL.map, world.robots, VisitorCrowd(HALL.map, spots, 6,
                                                                            seed), seed)
    here = HALL.places[start]
    robot = SimRobot("lobby_1", HALL.site_id, Pose2D(here.x, here.y, here.yaw))
    world.add_robot(robot)
    there = HALL.places[goal]

    def drive() -> GoToPose:
        return GoToPose(Pose2D(there.x, there.y, there.yaw), HALL_PLANNER, ControllerConfig(),
                        SafetyConfig(), lambda _x, _y: CONFIG.pace_mps)

    motion, monitor, watch = drive(), EscortMonitor(0.0), FollowerWatch(robot.radius,
                                                                        static_map=HALL.map)
    events: list[EscortEvent] = []
    status, obstacles, following = Status.RUNNING, None, False
    for tick in range(round(timeout_s / 0.01)):
        t = tick * 0.01
        if tick % 10 == 0:  # the laser at 10 Hz
            scan, obstacles = look(world, robot)
            seen = watch.update(scan, robot.pose, walking=not monitor.waiting)
            monitor.observe(t, seen.count, seen.nearest_m)
            event = monitor.update(t)
            if event is not None:
                events.append(event)
                if event is EscortEvent.GIVE_UP:
                    break
                if event is EscortEvent.GO_ON:
                    motion = drive()
        if tick % 5 == 0:  # control at 20 Hz
            if monitor.waiting:
                robot.command(0.0, 0.0)
            else:
                step = motion.update(robot.pose, t, obstacles)
                status = step.status
                if status is not Status.RUNNING:
                    break
                robot.command(step.linear, step.angular)
        if not following and math.hypot(robot.pose.x - here.x, robot.pose.y - here.y) > 1.5:
            groups.command("lobby_1", {"size": 1})
            following = True
        world.step(0.01)
    return status, events


@pytest.mark.parametrize("start, goal, seed", [
    # The robot turns on the spot at the goal, its visitor beside it: it once waited for
    # someone its rear sector could not see until it gave up.
    ("saebit_counter_2", "restroom_accessible", 1),
    # A kiosk right behind the robot when the visitor falls in: the simulator once put them
    # on top of the robot, and neither could move.
    ("document_kiosk", "saebit_counter_1", 0),
    ("home_lobby_1", "saebit_counter_1", 1),  # the spoken-passport walk of the system tests
])
def test_an_escorted_visitor_who_keeps_up_arrives_without_the_robot_giving_up(
        start: str, goal: str, seed: int) -> None:
    status, events = escort(start, goal, seed)
    assert status is Status.SUCCEEDED, events
    assert EscortEvent.GIVE_UP not in events
    assert events.count(EscortEvent.WAIT) <= 1, events  # at most a moment's doubt at a turn
