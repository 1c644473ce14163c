"""The fleet manager's decisions, free of ROS: dispatch, health, recovery, charging, idling.

The node feeds it what it hears (robot states, task reports, goal answers) and the time; it
answers with actions for the node to carry out. Every task change is stored before it is
announced, so a restart resumes from the database.

Where Open-RMF is weak, this is not:
- a robot silent for ``offline_after_s`` is marked offline and an alert raised, and its task
  goes back to the queue at once (then to another robot of the site, if one is free);
- a robot that comes back is reconciled: if it is still running a task that has moved on, it
  is told to cancel it, so no task is executed twice;
- dispatch happens the moment a task is submitted or a robot frees up (no bidding window).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from suwon_fleet.core.geometry import path_length
from suwon_fleet.core.sites import Fleet
from suwon_fleet.core.states import RobotMode, TaskStatus, TaskType
from suwon_fleet.fleet.store import Alert, FleetStore
from suwon_fleet.fleet.tasks import (
    RobotView,
    TaskRecord,
    choose_robot,
    continue_order_after,
    new_task,
    queue_order,
)
from suwon_fleet.navigation.errors import NavigationFailure
from suwon_fleet.navigation.planner import GridPlanner

ASSIGNMENT_GRACE_S = 3.0  # a robot just given a task may not show it in its state yet
# A robot's state and its task reports travel on different topics, so a state without the
# task can arrive just before the report that the task ended: only a robot seen without its
# task this long has lost it (else a finished task would be dispatched, and done, again).
LOST_TASK_GRACE_S = 2.0
FORGET_FINISHED_S = 600.0  # finished tasks leave memory after this (they stay in the store)


@dataclass
class RobotStatus:
    robot_id: str
    site_id: str
    mode: RobotMode = RobotMode.OFFLINE
    x: float = 0.0
    y: float = 0.0
    battery_percent: float = 0.0
    charging: bool = False
    current_task_id: str = ""
    last_seen: float | None = None  # monotonic seconds
    online: bool = False
    idle_since: float | None = None


# Actions for the node ------------------------------------------------------------------
@dataclass(frozen=True)
class Assign:
    task: TaskRecord
    robot_id: str


@dataclass(frozen=True)
class CancelOnRobot:
    robot_id: str
    task_id: str
    reason: str


@dataclass(frozen=True)
class TaskChanged:
    task: TaskRecord


@dataclass(frozen=True)
class RaiseAlert:
    alert: Alert


Action = Assign | CancelOnRobot | TaskChanged | RaiseAlert


@dataclass
class Coordinator:
    fleet: Fleet
    store: FleetStore
    now: Callable[[], float] = time.monotonic
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    robots: dict[str, RobotStatus] = field(default_factory=dict)
    # Tasks handed to a robot (standby or underway) -> when: small, so hot paths use it.
    assigned_at: dict[str, float] = field(default_factory=dict)
    missing_since: dict[str, float] = field(default_factory=dict)  # see LOST_TASK_GRACE_S
    _planners: dict[str, GridPlanner] = field(default_factory=dict)  # per site, for costs
    _costs: dict[tuple, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for robot_id, cfg in self.fleet.robots.items():
            self.robots[robot_id] = RobotStatus(robot_id, cfg.site)
        # Resume: every open task comes back; assigned ones get a grace period in which the
        # robot's own reports confirm or refute them.
        for task in self.store.open_tasks():
            self.tasks[task.task_id] = task
            if task.robot_id and task.status in (TaskStatus.STANDBY, TaskStatus.UNDERWAY):
                self.assigned_at[task.task_id] = self.now()
        continue_order_after(self.store.max_order())

    @property
    def policies(self):
        return self.fleet.policies

    # ---------------------------------------------------------------- inputs
    def submit(self, type_: str, site_id: str, place: str = "", robot_id: str = "",
               tour_id: str = "", priority: int = 0, requester: str = "",
               parameters_json: str = "{}") -> tuple[TaskRecord, list[Action]]:
        """Validate (TaskRejected on bad input), store, and dispatch at once if possible."""
        task = new_task(self.fleet, type_, site_id, place, robot_id, tour_id, priority,
                        requester, parameters_json)
        actions = self._changed(task)
        self.tasks[task.task_id] = task
        return task, actions + self.dispatch()

    def robot_state(self, robot_id: str, mode: str, x: float, y: float, battery: float,
                    charging: bool, current_task_id: str) -> list[Action]:
        robot = self.robots.get(robot_id)
        if robot is None:
            return []
        now = self.now()
        actions: list[Action] = []
        was_online = robot.online
        if not robot.online and robot.last_seen is not None:
            actions.append(self._alert("info", robot, "robot_rejoined",
                                       f"{robot_id} 로봇이 다시 연결되었습니다",
                                       f"{robot_id} is back online"))
        was_busy = robot.current_task_id or robot.mode not in (RobotMode.IDLE,
                                                               RobotMode.CHARGING)
        previous_mode = robot.mode
        robot.mode = RobotMode(mode) if mode in RobotMode._value2member_map_ else RobotMode.ERROR
        if robot.mode is not previous_mode and was_online:
            if robot.mode is RobotMode.ESTOPPED:
                actions.append(self._alert("critical", robot, "robot_estopped",
                                           f"{robot_id} 로봇 비상 정지: 운영자 해제가 필요합니다",
                                           f"{robot_id} is e-stopped: an operator must release it"))
            elif robot.mode is RobotMode.ERROR:
                actions.append(self._alert("warning", robot, "robot_error",
                                           f"{robot_id} 로봇에 오류가 있습니다",
                                           f"{robot_id} reports an error"))
        robot.x, robot.y = x, y
        robot.battery_percent, robot.charging = battery, charging
        robot.current_task_id = current_task_id
        robot.last_seen, robot.online = now, True
        idle = robot.mode in (RobotMode.IDLE, RobotMode.CHARGING) and not current_task_id
        if idle and robot.idle_since is None:
            robot.idle_since = now
        elif not idle:
            robot.idle_since = None
        reconciled = self._reconcile(robot, now)
        actions += reconciled
        if reconciled or (was_busy and idle) or not was_online:
            actions += self.dispatch()
        return actions

    def task_report(self, robot_id: str, task_id: str, status: str, message: str,
                    progress: float) -> list[Action]:
        """A robot says how its task is going (underway / completed / failed / canceled)."""
        task = self.tasks.get(task_id)
        if task is None or task.robot_id != robot_id or task.status.is_terminal:
            return []  # not this robot's task (any more): a late word from a reassigned run
        try:
            new = TaskStatus(status)
        except ValueError:
            new = TaskStatus.FAILED
        task.progress = max(task.progress, min(1.0, progress))
        if new is task.status:
            return []
        task.set_status(new, message)
        if new is TaskStatus.COMPLETED:
            task.progress = 1.0
        actions = self._changed(task)
        if new.is_terminal:
            self.assigned_at.pop(task_id, None)
            self.missing_since.pop(task_id, None)
            robot = self.robots[robot_id]
            if robot.current_task_id == task_id:
                robot.current_task_id = ""  # free now; its next state report will agree
            actions += self.dispatch()
        return actions

    def goal_answer(self, task_id: str, robot_id: str, accepted: bool) -> list[Action]:
        task = self.tasks.get(task_id)
        if task is None or task.robot_id != robot_id or task.status is not TaskStatus.STANDBY:
            return []
        if accepted:
            task.set_status(TaskStatus.UNDERWAY, f"{robot_id} accepted")
            return self._changed(task)
        return self._requeue(task, f"{robot_id} declined; waiting for another robot")

    def cancel(self, task_id: str, by: str) -> tuple[bool, str, list[Action]]:
        task = self.tasks.get(task_id)
        if task is None:
            return False, f"unknown task {task_id!r}", []
        if task.status.is_terminal:
            return False, f"task {task_id} is already {task.status}", []
        actions: list[Action] = []
        if task.robot_id and task.status in (TaskStatus.STANDBY, TaskStatus.UNDERWAY):
            actions.append(CancelOnRobot(task.robot_id, task_id, f"canceled by {by}"))
        task.set_status(TaskStatus.CANCELED, f"canceled by {by}")
        self.assigned_at.pop(task_id, None)
        self.missing_since.pop(task_id, None)
        return True, "canceled", actions + self._changed(task)

    # ---------------------------------------------------------------- the clock
    def tick(self) -> list[Action]:
        now = self.now()
        actions: list[Action] = []
        self._forget_finished()
        for robot in self.robots.values():
            if robot.online and now - (robot.last_seen or now) > self.policies.offline_after_s:
                actions += self._went_offline(robot)
            if robot.online:
                actions += self._battery_and_idle(robot, now)
        return actions + self.dispatch()

    def _forget_finished(self) -> None:
        cutoff = time.time() - FORGET_FINISHED_S
        for task_id in [t.task_id for t in self.tasks.values()
                        if t.status.is_terminal and t.updated_at < cutoff]:
            del self.tasks[task_id]

    # ---------------------------------------------------------------- decisions
    def dispatch(self) -> list[Action]:
        busy = {self.tasks[t].robot_id for t in self.assigned_at}
        views = [RobotView(r.robot_id, r.site_id, r.mode, r.x, r.y, r.battery_percent,
                           r.online, r.charging)
                 for r in self.robots.values()
                 if r.online and r.robot_id not in busy and not r.current_task_id
                 and self._rested(r)]
        actions: list[Action] = []
        if not views:
            return actions  # nobody free: leave the queue alone (the common case under load)
        free = {v.robot_id for v in views}
        for task in queue_order(list(self.tasks.values())):
            if task.requested_robot and task.requested_robot not in free:
                continue
            robot_id = choose_robot(task, views, self.fleet, self.policies.battery.min_dispatch,
                                    self.path_cost)
            if robot_id is None:
                continue
            views = [v for v in views if v.robot_id != robot_id]
            free.discard(robot_id)
            task.robot_id = robot_id
            task.attempt += 1
            task.set_status(TaskStatus.STANDBY, f"assigned to {robot_id}")
            self.assigned_at[task.task_id] = self.now()
            actions += self._changed(task)
            actions.append(Assign(task, robot_id))
            if not views:
                break
        return actions

    def path_cost(self, site_id: str, start: tuple[float, float],
                  goal: tuple[float, float]) -> float:
        """Metres along the planned path (inf if there is none), cached per 0.5 m cell pair:
        idle robots wait at the same few spots, so most costs are known already."""
        key = (site_id, round(start[0] * 2), round(start[1] * 2), round(goal[0] * 2),
               round(goal[1] * 2))
        if key in self._costs:
            return self._costs[key]
        planner = self._planners.get(site_id)
        if planner is None:
            site = self.fleet.sites[site_id]
            planner = self._planners[site_id] = GridPlanner(site.map, 0.25,
                                                            keep_out=site.keep_out)
        try:
            cost = path_length(planner.plan(start, goal))
        except NavigationFailure:
            cost = math.inf
        if len(self._costs) > 10_000:
            self._costs.clear()
        self._costs[key] = cost
        return cost

    def _assigned_to(self, robot_id: str) -> list[TaskRecord]:
        return [self.tasks[t] for t in self.assigned_at if self.tasks[t].robot_id == robot_id]

    def _rested(self, robot: RobotStatus) -> bool:
        """A charging robot takes work only once charged enough."""
        return not robot.charging or (
            robot.battery_percent >= self.policies.battery.resume_above)

    def _went_offline(self, robot: RobotStatus) -> list[Action]:
        robot.online = False
        robot.mode = RobotMode.OFFLINE
        silent = f"{self.policies.offline_after_s:.0f}"
        actions: list[Action] = [self._alert(
            "critical", robot, "robot_offline",
            f"{robot.robot_id} 로봇과 연결이 끊겼습니다 ({silent}초 무응답)",
            f"{robot.robot_id} went offline (silent for {silent} s)")]
        for task in self._assigned_to(robot.robot_id):
            if task.status in (TaskStatus.STANDBY, TaskStatus.UNDERWAY):
                # If only its agent died, its navigation may still be driving: stop it.
                actions.append(CancelOnRobot(robot.robot_id, task.task_id, "robot offline"))
                actions += self._requeue(task, f"{robot.robot_id} went offline; re-dispatching")
        return actions

    def _reconcile(self, robot: RobotStatus, now: float) -> list[Action]:
        actions: list[Action] = []
        running = robot.current_task_id
        if running:
            task = self.tasks.get(running)
            if (task is not None and task.status is TaskStatus.QUEUED
                    and task.requested_robot in ("", robot.robot_id)):
                # Back from a network cut, still at it, and nobody else took it: carry on.
                task.robot_id = robot.robot_id
                task.set_status(TaskStatus.UNDERWAY, f"{robot.robot_id} is back and resumed it")
                self.assigned_at[task.task_id] = now
                actions += self._changed(task)
            elif task is None or task.robot_id != robot.robot_id or task.status.is_terminal:
                # It runs a task that has moved on (re-dispatched while it was away, or
                # canceled): stop it, so nothing is done twice.
                actions.append(CancelOnRobot(robot.robot_id, running,
                                             "this task was given to another robot"))
        for task_id in list(self.assigned_at):  # only assigned tasks: cheap at any queue
            task = self.tasks[task_id]
            if (task.robot_id == robot.robot_id and task.task_id != running
                    and task.status in (TaskStatus.STANDBY, TaskStatus.UNDERWAY)
                    and now - self.assigned_at.get(task.task_id, now) > ASSIGNMENT_GRACE_S):
                missing_since = self.missing_since.setdefault(task_id, now)
                if now - missing_since > LOST_TASK_GRACE_S:
                    # The robot is not running a task it was given (it restarted): take it
                    # back.
                    actions += self._requeue(task,
                                             f"{robot.robot_id} lost the task; re-dispatching")
            elif task.robot_id == robot.robot_id:
                self.missing_since.pop(task_id, None)
        return actions

    def _battery_and_idle(self, robot: RobotStatus, now: float) -> list[Action]:
        battery = self.policies.battery
        cfg = self.fleet.robots[robot.robot_id]
        site = self.fleet.sites[cfg.site]
        mine = self._assigned_to(robot.robot_id)
        docking = any(t.type is TaskType.DOCK for t in mine)
        actions: list[Action] = []
        if robot.battery_percent < battery.critical and not robot.charging and not docking:
            for task in mine:  # hand the task back, go and charge now
                actions.append(CancelOnRobot(robot.robot_id, task.task_id, "battery critical"))
                actions += self._requeue(task, f"{robot.robot_id} battery critical; handed back")
            actions += self._dock(robot, priority=10)
        elif (robot.battery_percent < battery.dock_below and not robot.charging and not mine
              and robot.idle_since is not None):
            actions += self._dock(robot, priority=5)
        elif (robot.idle_since is not None and not mine and not robot.charging
              and now - robot.idle_since > self.policies.idle_return_s):
            home = site.places[cfg.home]
            if math.hypot(robot.x - home.x, robot.y - home.y) > 1.0:
                task, _ = self.submit(TaskType.GO_TO_PLACE, cfg.site, cfg.home, robot.robot_id,
                                      priority=-5, requester="fleet: idle, going home")
                robot.idle_since = None
                actions += self._changed(task)
        return actions

    def _dock(self, robot: RobotStatus, priority: int) -> list[Action]:
        cfg = self.fleet.robots[robot.robot_id]
        if any(t.type is TaskType.DOCK and t.robot_id == robot.robot_id
               and not t.status.is_terminal for t in self.tasks.values()):
            return []
        task = new_task(self.fleet, TaskType.DOCK, cfg.site, cfg.dock, robot.robot_id,
                        priority=priority, requester="fleet: battery low")
        self.tasks[task.task_id] = task
        level = f"{robot.battery_percent:.0f}%"
        return [self._alert("warning", robot, "battery_low",
                            f"{robot.robot_id} 배터리 {level}: 충전하러 갑니다",
                            f"{robot.robot_id} battery {level}: docking"),
                *self._changed(task)]

    def _requeue(self, task: TaskRecord, message: str) -> list[Action]:
        task.robot_id = ""  # back in the queue; dispatch honours task.requested_robot
        task.set_status(TaskStatus.QUEUED, message)
        self.assigned_at.pop(task.task_id, None)
        self.missing_since.pop(task.task_id, None)
        return self._changed(task)

    def _changed(self, task: TaskRecord) -> list[Action]:
        self.store.save_task(task)
        return [TaskChanged(task)]

    def _alert(self, severity: str, robot: RobotStatus, code: str, ko: str,
               en: str) -> RaiseAlert:
        alert = Alert(f"a-{uuid.uuid4().hex[:10]}", time.time(), severity, robot.robot_id,
                      robot.site_id, code, ko, en)
        self.store.add_alert(alert)
        return RaiseAlert(alert)
