"""Task validation, queue order and the dispatch choice."""

from __future__ import annotations

import pytest

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.states import RobotMode, TaskStatus
from suwon_fleet.fleet.tasks import RobotView, TaskRejected, choose_robot, new_task, queue_order

FLEET = load_fleet()


def view(robot_id: str, x: float, y: float, mode=RobotMode.IDLE, battery=90.0, online=True,
         site="city_hall") -> RobotView:
    return RobotView(robot_id, site, mode, x, y, battery, online)


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"type_": "fly", "site_id": "city_hall"}, "unknown_type"),
    ({"type_": "go_to_place", "site_id": "seoul"}, "unknown_site"),
    ({"type_": "go_to_place", "site_id": "city_hall", "place": ""}, "missing_place"),
    ({"type_": "go_to_place", "site_id": "city_hall", "place": "cafeteria"}, "unknown_place"),
    ({"type_": "go_to_place", "site_id": "city_hall", "place": "entrance",
      "robot_id": "docent_1"}, "wrong_site"),
    ({"type_": "go_to_place", "site_id": "city_hall", "place": "entrance",
      "robot_id": "r2d2"}, "unknown_robot"),
])
def test_bad_requests_are_rejected_with_a_reason(kwargs: dict, code: str) -> None:
    with pytest.raises(TaskRejected) as err:
        new_task(FLEET, **kwargs)
    assert err.value.code == code


def test_place_given_by_korean_name_is_resolved() -> None:
    name = FLEET.sites["city_hall"].places["information_desk"].name_ko
    task = new_task(FLEET, "go_to_place", "city_hall", name)
    assert task.place == "information_desk" and task.status is TaskStatus.QUEUED


def test_nearest_idle_robot_of_the_site_wins() -> None:
    task = new_task(FLEET, "go_to_place", "city_hall", "entrance")
    entrance = FLEET.sites["city_hall"].places["entrance"]
    robots = [view("far", entrance.x + 10, entrance.y), view("near", entrance.x + 1, entrance.y),
              view("busy", entrance.x, entrance.y, mode=RobotMode.NAVIGATING),
              view("flat", entrance.x, entrance.y, battery=5.0),
              view("gone", entrance.x, entrance.y, online=False),
              view("elsewhere", entrance.x, entrance.y, site="ilwol_arboretum")]
    assert choose_robot(task, robots, FLEET) == "near"


def test_task_waits_when_nobody_is_free() -> None:
    task = new_task(FLEET, "go_to_place", "city_hall", "entrance")
    assert choose_robot(task, [view("busy", 0, 0, mode=RobotMode.GUIDING)], FLEET) is None


def test_queue_order_is_priority_then_age() -> None:
    a = new_task(FLEET, "go_to_place", "city_hall", "entrance")
    b = new_task(FLEET, "go_to_place", "city_hall", "entrance", priority=5)
    c = new_task(FLEET, "go_to_place", "city_hall", "entrance")
    done = new_task(FLEET, "go_to_place", "city_hall", "entrance", priority=9)
    done.set_status(TaskStatus.COMPLETED)
    assert [t.task_id for t in queue_order([a, b, c, done])] == [b.task_id, a.task_id, c.task_id]
