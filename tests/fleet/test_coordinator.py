"""The fleet manager's decisions, step by step with a hand-turned clock (no ROS)."""

from __future__ import annotations

import math

import pytest

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.states import TaskStatus, TaskType
from suwon_fleet.fleet.coordinator import Assign, CancelOnRobot, Coordinator, RaiseAlert
from suwon_fleet.fleet.store import FleetStore

BASE = load_fleet()
HALL = BASE.sites["city_hall"]


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def two_lobby_fleet():
    """City Hall with two lobby robots (the shipped fleet has one per site)."""
    robots = dict(BASE.robots)
    robots["lobby_2"] = robots["lobby_1"].model_copy()
    return BASE.__class__(BASE.fleet_name, BASE.sites, robots, BASE.web_bridge,
                          BASE.simulation, BASE.policies, BASE.source)


@pytest.fixture
def coordinator(two_lobby_fleet, tmp_path):
    clock = Clock()
    c = Coordinator(two_lobby_fleet, FleetStore(tmp_path / "fleet.db"), now=clock)
    c.clock = clock
    return c


def report(c: Coordinator, robot_id: str, place: str = "home_lobby_1", mode: str = "idle",
           battery: float = 90.0, task: str = "", charging: bool = False):
    p = HALL.places[place]
    return c.robot_state(robot_id, mode, p.x, p.y, battery, charging, task)


def assigns(actions) -> list[tuple[str, str]]:
    return [(a.task.task_id, a.robot_id) for a in actions if isinstance(a, Assign)]


def online(c: Coordinator, *robots: str, **kwargs) -> None:
    for robot_id in robots:
        report(c, robot_id, **kwargs)


def test_task_goes_to_the_nearest_idle_robot_at_once(coordinator) -> None:
    report(coordinator, "lobby_1", place="elevator_lobby")
    report(coordinator, "lobby_2", place="saebit_counter_1")
    task, actions = coordinator.submit("go_to_place", "city_hall", "saebit_counter_2")
    assert assigns(actions) == [(task.task_id, "lobby_2")]
    assert task.status is TaskStatus.STANDBY


def test_busy_site_queues_by_priority_then_age(coordinator) -> None:
    online(coordinator, "lobby_1", "lobby_2")
    for _ in range(2):
        coordinator.submit("go_to_place", "city_hall", "entrance")
    low, actions = coordinator.submit("go_to_place", "city_hall", "entrance")
    assert not assigns(actions) and low.status is TaskStatus.QUEUED
    urgent, _ = coordinator.submit("go_to_place", "city_hall", "entrance", priority=5)
    assert urgent.status is TaskStatus.QUEUED
    busy = next(t for t in coordinator.tasks.values() if t.robot_id == "lobby_1")
    coordinator.goal_answer(busy.task_id, "lobby_1", True)
    actions = coordinator.task_report("lobby_1", busy.task_id, "completed", "", 1.0)
    assert assigns(actions) == [(urgent.task_id, "lobby_1")], "priority first"


def test_silent_robot_goes_offline_and_its_task_moves_on(coordinator) -> None:
    online(coordinator, "lobby_1", "lobby_2")
    coordinator.submit("go_to_place", "city_hall", "entrance")
    task, _ = coordinator.submit("go_to_place", "city_hall", "waiting_area")
    victim = task.robot_id
    other = "lobby_2" if victim == "lobby_1" else "lobby_1"
    coordinator.goal_answer(task.task_id, victim, True)
    first = next(t for t in coordinator.tasks.values() if t.robot_id == other)
    coordinator.goal_answer(first.task_id, other, True)
    coordinator.clock.t += 2.0
    report(coordinator, other, task=first.task_id, mode="navigating")
    assert not coordinator.tick()
    coordinator.clock.t += 1.5  # victim silent 3.5 s
    report(coordinator, other, task=first.task_id, mode="navigating")
    actions = coordinator.tick()
    alerts = [a.alert for a in actions if isinstance(a, RaiseAlert)]
    assert alerts[0].code == "robot_offline" and alerts[0].robot_id == victim
    assert task.status is TaskStatus.QUEUED and task.robot_id == ""
    # The other robot finishes its task and takes the orphaned one with its next report.
    coordinator.task_report(other, first.task_id, "completed", "", 1.0)
    actions = report(coordinator, other)
    assert assigns(actions) == [(task.task_id, other)]
    assert [e["status"] for e in coordinator.store.history(task.task_id)] == [
        "queued", "standby", "underway", "queued", "standby"]


def test_rejoining_robot_resumes_its_task_if_nobody_took_it(coordinator) -> None:
    online(coordinator, "lobby_1")
    task, _ = coordinator.submit("go_to_place", "city_hall", "entrance", robot_id="lobby_1")
    coordinator.goal_answer(task.task_id, "lobby_1", True)
    coordinator.clock.t += 5.0
    coordinator.tick()  # lobby_1 offline; task back in the queue
    online(coordinator, "lobby_2")
    task2, _ = coordinator.submit("go_to_place", "city_hall", "waiting_area")
    assert task2.robot_id == "lobby_2"
    actions = report(coordinator, "lobby_1", mode="navigating", task=task.task_id)
    rejoined = [a for a in actions if isinstance(a, RaiseAlert)]
    assert rejoined and rejoined[0].alert.code == "robot_rejoined"
    # Nobody else took it (it asked for lobby_1): lobby_1 carries on, no second run.
    assert task.robot_id == "lobby_1" and task.status is TaskStatus.UNDERWAY
    assert not any(isinstance(a, CancelOnRobot) for a in actions)


def test_rejoining_robot_drops_a_task_given_away(coordinator) -> None:
    online(coordinator, "lobby_1", "lobby_2")
    task, _ = coordinator.submit("go_to_place", "city_hall", "entrance")
    other = "lobby_2" if task.robot_id == "lobby_1" else "lobby_1"
    actions = report(coordinator, other, mode="navigating", task=task.task_id)
    assert any(isinstance(a, CancelOnRobot) and a.robot_id == other for a in actions)


def test_restarted_robot_that_lost_its_task_gets_it_requeued(coordinator) -> None:
    online(coordinator, "lobby_1")
    task, _ = coordinator.submit("go_to_place", "city_hall", "entrance")
    coordinator.goal_answer(task.task_id, "lobby_1", True)
    coordinator.clock.t += 1.0
    report(coordinator, "lobby_1")  # idle, within the grace period: fine
    assert task.status is TaskStatus.UNDERWAY
    coordinator.clock.t += 3.0
    assert not assigns(report(coordinator, "lobby_1"))  # first seen without it: a grace
    coordinator.clock.t += 2.5
    actions = report(coordinator, "lobby_1")  # still idle: it lost the task
    assert assigns(actions) == [(task.task_id, "lobby_1")] and task.attempt == 2


def test_a_state_without_the_task_just_before_its_final_report_is_no_loss(coordinator) -> None:
    """A robot's state and its task report travel on different topics: the state saying it
    is idle can arrive first. The task must not be dispatched (and done) a second time."""
    online(coordinator, "lobby_1")
    task, _ = coordinator.submit("go_to_place", "city_hall", "entrance")
    coordinator.goal_answer(task.task_id, "lobby_1", True)
    coordinator.clock.t += 30.0
    report(coordinator, "lobby_1", mode="navigating", task=task.task_id)
    coordinator.clock.t += 0.1
    actions = report(coordinator, "lobby_1")  # finished: idle, its report still on the way
    coordinator.clock.t += 0.1
    actions += coordinator.task_report("lobby_1", task.task_id, "completed", "", 1.0)
    assert not assigns(actions) and task.status is TaskStatus.COMPLETED and task.attempt == 1


def test_late_report_from_a_previous_robot_is_ignored(coordinator) -> None:
    online(coordinator, "lobby_1", "lobby_2")
    task, _ = coordinator.submit("go_to_place", "city_hall", "entrance")
    other = "lobby_2" if task.robot_id == "lobby_1" else "lobby_1"
    assert not coordinator.task_report(other, task.task_id, "canceled", "", 0.0)
    assert task.status is TaskStatus.STANDBY


def test_critical_battery_hands_the_task_back_and_docks(coordinator) -> None:
    online(coordinator, "lobby_1", "lobby_2")
    task, _ = coordinator.submit("go_to_place", "city_hall", "entrance", robot_id="lobby_1")
    coordinator.goal_answer(task.task_id, "lobby_1", True)
    report(coordinator, "lobby_1", mode="navigating", task=task.task_id, battery=10.0)
    actions = coordinator.tick()
    assert any(isinstance(a, CancelOnRobot) and a.task_id == task.task_id for a in actions)
    dock = [t for t in coordinator.tasks.values() if t.type is TaskType.DOCK]
    assert len(dock) == 1 and dock[0].requested_robot == "lobby_1"
    assert task.status is TaskStatus.QUEUED


def test_low_battery_idle_robot_docks_and_charges_before_new_work(coordinator) -> None:
    online(coordinator, "lobby_1", battery=20.0)
    coordinator.tick()
    dock = [t for t in coordinator.tasks.values() if t.type is TaskType.DOCK]
    assert dock and dock[0].robot_id == "lobby_1"
    coordinator.goal_answer(dock[0].task_id, "lobby_1", True)
    coordinator.task_report("lobby_1", dock[0].task_id, "completed", "", 1.0)
    report(coordinator, "lobby_1", place="dock_lobby_1", mode="charging", battery=50.0,
           charging=True)
    task, actions = coordinator.submit("go_to_place", "city_hall", "entrance")
    assert not assigns(actions), "still charging: below resume_above"
    actions = report(coordinator, "lobby_1", place="dock_lobby_1", mode="charging",
                     battery=85.0, charging=True)
    assert assigns(coordinator.dispatch() + actions) == [(task.task_id, "lobby_1")]


def test_idle_robot_returns_home(coordinator) -> None:
    report(coordinator, "lobby_1", place="elevator_lobby")
    coordinator.clock.t += coordinator.policies.idle_return_s + 1
    report(coordinator, "lobby_1", place="elevator_lobby")
    coordinator.tick()
    home = [t for t in coordinator.tasks.values() if t.place == "home_lobby_1"]
    assert home and home[0].robot_id == "lobby_1" and home[0].priority < 0


def test_restart_resumes_open_tasks_from_the_database(two_lobby_fleet, tmp_path) -> None:
    store = FleetStore(tmp_path / "fleet.db")
    first = Coordinator(two_lobby_fleet, store)
    queued, _ = first.submit("go_to_place", "city_hall", "entrance")
    store.close()
    again = Coordinator(two_lobby_fleet, FleetStore(tmp_path / "fleet.db"))
    assert again.tasks[queued.task_id].status is TaskStatus.QUEUED
    newer, _ = again.submit("go_to_place", "city_hall", "entrance")
    assert newer.order > queued.order, "new tasks queue behind the resumed ones"


def test_dispatch_weighs_the_path_not_the_straight_line(coordinator) -> None:
    # lobby_1 is closer as the crow flies, but a wall lies between it and the counter.
    report(coordinator, "lobby_1", place="restroom_male")
    report(coordinator, "lobby_2", place="saebit_hall")
    counter, hall_door = HALL.places["saebit_counter_1"], HALL.places["saebit_hall"]
    restroom = HALL.places["restroom_male"]
    assert (math.hypot(restroom.x - counter.x, restroom.y - counter.y)
            < math.hypot(hall_door.x - counter.x, hall_door.y - counter.y))
    task, actions = coordinator.submit("go_to_place", "city_hall", "saebit_counter_1")
    assert assigns(actions) == [(task.task_id, "lobby_2")]


def test_estop_and_error_raise_an_alert_once_and_persist_it(coordinator) -> None:
    online(coordinator, "lobby_1")
    raised = [a.alert for a in report(coordinator, "lobby_1", mode="estopped")
              if isinstance(a, RaiseAlert)]
    assert [(a.code, a.severity) for a in raised] == [("robot_estopped", "critical")]
    again = report(coordinator, "lobby_1", mode="estopped")  # still e-stopped: no new alert
    assert not [a for a in again if isinstance(a, RaiseAlert)]
    errors = [a.alert.code for a in report(coordinator, "lobby_1", mode="error")
              if isinstance(a, RaiseAlert)]
    assert errors == ["robot_error"]
    stored = {a.code for a in coordinator.store.alerts(unacknowledged_only=True)}
    assert {"robot_estopped", "robot_error"} <= stored
