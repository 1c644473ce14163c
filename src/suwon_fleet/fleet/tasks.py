"""Task records, validation and the dispatch choice. No ROS here.

Dispatch picks, among the site's robots that are idle, online and have enough battery, the
one closest (straight-line for now) to the task's place. Tasks nobody can take wait in the
queue, highest priority first, then oldest first.
"""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from suwon_fleet.core.sites import Fleet, UnknownPlaceError
from suwon_fleet.core.states import RobotMode, TaskStatus, TaskType


class TaskRejected(ValueError):
    """A request the fleet cannot accept; ``code`` says which part was wrong."""

    def __init__(self, code: str, message: str, suggestions: list[str] | None = None) -> None:
        self.code = code
        self.suggestions = suggestions or []
        super().__init__(message)


@dataclass
class TaskRecord:
    task_id: str
    type: TaskType
    site_id: str
    place: str = ""
    robot_id: str = ""  # the robot it is assigned to, if any
    requested_robot: str = ""  # the robot the requester asked for; empty = any of the site
    tour_id: str = ""
    priority: int = 0
    requester: str = ""
    parameters_json: str = "{}"
    status: TaskStatus = TaskStatus.QUEUED
    message: str = ""
    progress: float = 0.0
    submitted_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    order: int = 0
    attempt: int = 0  # how many times it has been handed to a robot

    def set_status(self, status: TaskStatus, message: str = "") -> None:
        self.status = status
        self.message = message
        self.updated_at = time.time()


@dataclass(frozen=True)
class RobotView:
    """What dispatch needs to know about a robot."""

    robot_id: str
    site_id: str
    mode: RobotMode
    x: float
    y: float
    battery_percent: float
    online: bool
    charging: bool = False


_order = itertools.count(1)


def continue_order_after(last: int) -> None:
    """After a restart: new tasks queue behind the stored ones."""
    global _order
    _order = itertools.count(last + 1)


def new_task(fleet: Fleet, type_: str, site_id: str, place: str = "", robot_id: str = "",
             tour_id: str = "", priority: int = 0, requester: str = "",
             parameters_json: str = "{}") -> TaskRecord:
    """Validate a request against the fleet config and make its record (status queued)."""
    try:
        task_type = TaskType(type_)
    except ValueError:
        raise TaskRejected("unknown_type", f"unknown task type {type_!r}; known: "
                           + ", ".join(t.value for t in TaskType)) from None
    if site_id not in fleet.sites:
        raise TaskRejected("unknown_site", f"unknown site {site_id!r}; sites: "
                           + ", ".join(fleet.sites))
    site = fleet.sites[site_id]
    if robot_id:
        if robot_id not in fleet.robots:
            raise TaskRejected("unknown_robot", f"unknown robot {robot_id!r}; robots: "
                               + ", ".join(fleet.robots))
        if fleet.robots[robot_id].site != site_id:
            raise TaskRejected("wrong_site", f"robot {robot_id} serves "
                               f"{fleet.robots[robot_id].site}, not {site_id}")
    if task_type in (TaskType.GO_TO_PLACE, TaskType.GUIDE_VISITOR):
        if not place:
            raise TaskRejected("missing_place", f"a {task_type} task needs a place")
        resolved = site.find_place(place)
        if resolved is None:
            error = UnknownPlaceError(site_id, place, site.suggest(place))
            raise TaskRejected("unknown_place", str(error), error.suggestions)
        place = resolved
    return TaskRecord(
        task_id=f"t-{uuid.uuid4().hex[:10]}", type=task_type, site_id=site_id, place=place,
        requested_robot=robot_id, tour_id=tour_id, priority=priority, requester=requester,
        parameters_json=parameters_json, order=next(_order),
    )


def queue_order(tasks: list[TaskRecord]) -> list[TaskRecord]:
    """Queued tasks in the order they should be dispatched."""
    queued = [t for t in tasks if t.status is TaskStatus.QUEUED]
    return sorted(queued, key=lambda t: (-t.priority, t.order))


PathCost = Callable[[str, tuple[float, float], tuple[float, float]], float]
PATH_COST_CANDIDATES = 3  # the nearest few by straight line are costed by real path


def choose_robot(task: TaskRecord, robots: list[RobotView], fleet: Fleet,
                 min_battery: float | None = None,
                 path_cost: PathCost | None = None) -> str | None:
    """Best available robot for the task, or None if it must wait.

    Available: online, of the task's site, idle (or charging with enough battery), and with
    at least ``min_battery`` % (default: the fleet's policies.battery.min_dispatch) unless
    the task is to dock. Best: the lowest path cost to the
    task's place (``path_cost(site_id, start, goal)``, metres) among the few nearest in a
    straight line; a wall between a robot and the place makes it far, not near.
    """
    if min_battery is None:
        min_battery = fleet.policies.battery.min_dispatch
    site = fleet.sites[task.site_id]
    target = site.places.get(task.place) if task.place else None
    candidates: list[tuple[float, str, tuple[float, float]]] = []
    for robot in robots:
        if robot.site_id != task.site_id or not robot.online:
            continue
        if robot.mode not in (RobotMode.IDLE, RobotMode.CHARGING):
            continue
        if task.requested_robot and robot.robot_id != task.requested_robot:
            continue
        if robot.battery_percent < min_battery and task.type is not TaskType.DOCK:
            continue
        cost = math.hypot(target.x - robot.x, target.y - robot.y) if target else 0.0
        candidates.append((cost, robot.robot_id, (robot.x, robot.y)))
    if not candidates:
        return None
    candidates.sort()
    if path_cost is None or target is None or len(candidates) == 1:
        return candidates[0][1]
    costed = [(path_cost(task.site_id, start, (target.x, target.y)), robot_id)
              for _, robot_id, start in candidates[:PATH_COST_CANDIDATES]]
    return min(costed)[1]

