"""Fleet manager: registry of robots, task queue and dispatch, fleet state.

  services    /fleet/submit_task (SubmitTask), /fleet/send_command (SendCommand)
  publishes   /fleet/state (FleetState, 10 Hz), /fleet/task_updates (TaskState, on change)
  subscribes  /<robot>/robot_state for every robot in config/fleet.yaml
  uses        /<robot>/execute_task (ExecuteTask) to hand a task to a robot agent
"""

from __future__ import annotations

import threading
import time

from rclpy.action import ActionClient
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from suwon_fleet_interfaces.action import ExecuteTask
from suwon_fleet_interfaces.msg import FleetState, RobotCommand, RobotState, TaskRequest, TaskState
from suwon_fleet_interfaces.srv import SendCommand, SubmitTask

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.states import Command, RobotMode, TaskStatus
from suwon_fleet.fleet.tasks import (
    RobotView,
    TaskRecord,
    TaskRejected,
    choose_robot,
    new_task,
    queue_order,
)
from suwon_fleet.ros import topics
from suwon_fleet.ros.conversions import pose_from_msg, seconds_to_time
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare


class FleetManager(Node):
    def __init__(self) -> None:
        super().__init__("fleet_manager")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml; empty = the default")
        self.offline_after_s = declare(self, "offline_after_s", 3.0,
                                       "a robot silent this long is marked offline")
        self.fleet = load_fleet(fleet_file or None)

        self._lock = threading.RLock()
        self._states: dict[str, RobotState] = {}
        self._last_seen: dict[str, float] = {}
        self._tasks: dict[str, TaskRecord] = {}
        self._busy_robots: dict[str, str] = {}  # robot_id -> task_id it was handed

        group = ReentrantCallbackGroup()
        self._task_clients: dict[str, ActionClient] = {}
        self._command_pubs = {}
        for robot_id in self.fleet.robots:
            self.create_subscription(RobotState, f"/{robot_id}/robot_state",
                                     self._on_robot_state, 10, callback_group=group)
            self._task_clients[robot_id] = ActionClient(
                self, ExecuteTask, f"/{robot_id}/execute_task", callback_group=group)
            self._command_pubs[robot_id] = self.create_publisher(
                RobotCommand, f"/{robot_id}/command", 10)
        self.state_pub = self.create_publisher(FleetState, topics.FLEET_STATE, 10)
        self.task_pub = self.create_publisher(TaskState, topics.TASK_UPDATES,
                                              topics.TASK_UPDATES_QOS)
        self.create_service(SubmitTask, topics.SUBMIT_TASK, self._on_submit,
                            callback_group=group)
        self.create_service(SendCommand, topics.SEND_COMMAND, self._on_command,
                            callback_group=group)
        self.create_timer(0.1, self._tick, callback_group=group)
        self.get_logger().info(
            f"fleet {self.fleet.fleet_name}: robots {', '.join(self.fleet.robots)}")

    # ---------------------------------------------------------------- robots
    def _on_robot_state(self, msg: RobotState) -> None:
        with self._lock:
            self._states[msg.robot_id] = msg
            self._last_seen[msg.robot_id] = time.monotonic()

    def _online(self, robot_id: str, now: float) -> bool:
        seen = self._last_seen.get(robot_id)
        return seen is not None and now - seen <= self.offline_after_s

    def _robot_views(self, now: float) -> list[RobotView]:
        views = []
        for robot_id, state in self._states.items():
            pose = pose_from_msg(state.pose)
            mode = RobotMode(state.mode) if robot_id not in self._busy_robots else RobotMode.WAITING
            views.append(RobotView(robot_id, state.site_id, mode, pose.x, pose.y,
                                   state.battery_percent, self._online(robot_id, now)))
        return views

    # ---------------------------------------------------------------- services
    def _on_submit(self, request: SubmitTask.Request, response: SubmitTask.Response):
        r = request.request
        try:
            task = new_task(self.fleet, r.type, r.site_id, r.place, r.robot_id, r.tour_id,
                            r.priority, r.requester, r.parameters_json or "{}")
        except TaskRejected as exc:
            response.accepted = False
            response.message = f"{exc.code}: {exc}"
            return response
        with self._lock:
            self._tasks[task.task_id] = task
            self._publish_task(task)
            self._dispatch()
        response.accepted = True
        response.task_id = task.task_id
        response.message = task.status.value
        return response

    def _on_command(self, request: SendCommand.Request, response: SendCommand.Response):
        cmd = request.command
        if cmd.robot_id not in self.fleet.robots:
            response.accepted, response.message = False, f"unknown robot {cmd.robot_id!r}"
            return response
        try:
            Command(cmd.command)
        except ValueError:
            response.accepted = False
            response.message = (f"unknown command {cmd.command!r}; known: "
                                + ", ".join(c.value for c in Command))
            return response
        self._command_pubs[cmd.robot_id].publish(cmd)
        response.accepted, response.message = True, "sent"
        return response

    # ---------------------------------------------------------------- dispatch
    def _tick(self) -> None:
        with self._lock:
            self._dispatch()
            self._publish_fleet_state()

    def _dispatch(self) -> None:
        now = time.monotonic()
        views = self._robot_views(now)
        for task in queue_order(list(self._tasks.values())):
            robot_id = choose_robot(task, views, self.fleet)
            if robot_id is None:
                continue
            client = self._task_clients[robot_id]
            if not client.server_is_ready():
                continue
            self._busy_robots[robot_id] = task.task_id
            views = [v for v in views if v.robot_id != robot_id]
            task.robot_id = robot_id
            task.set_status(TaskStatus.STANDBY, f"assigned to {robot_id}")
            self._publish_task(task)
            goal = ExecuteTask.Goal(task=self._request_msg(task))
            future = client.send_goal_async(
                goal, feedback_callback=lambda fb, t=task: self._on_feedback(t, fb.feedback))
            future.add_done_callback(lambda f, t=task: self._on_goal_response(t, f))

    def _on_goal_response(self, task: TaskRecord, future) -> None:
        handle = future.result()
        with self._lock:
            if handle is None or not handle.accepted:
                self._busy_robots.pop(task.robot_id, None)
                task.robot_id = ""
                task.set_status(TaskStatus.QUEUED, "robot declined; waiting for another")
                self._publish_task(task)
                return
            task.set_status(TaskStatus.UNDERWAY)
            self._publish_task(task)
        handle.get_result_async().add_done_callback(lambda f: self._on_result(task, f))

    def _on_feedback(self, task: TaskRecord, feedback: ExecuteTask.Feedback) -> None:
        with self._lock:
            task.progress = float(feedback.progress)
            task.updated_at = time.time()

    def _on_result(self, task: TaskRecord, future) -> None:
        result = future.result().result
        with self._lock:
            try:
                status = TaskStatus(result.status)
            except ValueError:
                status = TaskStatus.FAILED
            task.set_status(status, result.message)
            if status is TaskStatus.COMPLETED:
                task.progress = 1.0
            self._busy_robots.pop(task.robot_id, None)
            self._publish_task(task)
            self.get_logger().info(f"task {task.task_id} on {task.robot_id}: {status}")

    # ---------------------------------------------------------------- publishing
    def _request_msg(self, task: TaskRecord) -> TaskRequest:
        return TaskRequest(task_id=task.task_id, type=task.type.value, site_id=task.site_id,
                           robot_id=task.robot_id, place=task.place, tour_id=task.tour_id,
                           priority=task.priority, requester=task.requester,
                           parameters_json=task.parameters_json)

    def _task_msg(self, task: TaskRecord) -> TaskState:
        msg = TaskState(task_id=task.task_id, request=self._request_msg(task),
                        status=task.status.value, robot_id=task.robot_id, message=task.message,
                        progress=task.progress)
        msg.submitted_at = seconds_to_time(task.submitted_at)
        msg.updated_at = seconds_to_time(task.updated_at)
        return msg

    def _publish_task(self, task: TaskRecord) -> None:
        self.task_pub.publish(self._task_msg(task))

    def _publish_fleet_state(self) -> None:
        now = time.monotonic()
        msg = FleetState(fleet_name=self.fleet.fleet_name)
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = "map"
        for robot_id in self.fleet.robots:
            state = self._states.get(robot_id)
            if state is None:
                state = RobotState(robot_id=robot_id, site_id=self.fleet.robots[robot_id].site,
                                   mode=RobotMode.OFFLINE.value, errors=["never seen"])
            elif not self._online(robot_id, now):
                state.mode = RobotMode.OFFLINE.value
            msg.robots.append(state)
        active = [t for t in self._tasks.values() if not t.status.is_terminal]
        msg.active_tasks = [self._task_msg(t) for t in sorted(active, key=lambda t: t.order)]
        self.state_pub.publish(msg)


def main(args: list[str] | None = None) -> None:
    run_node(FleetManager, args, threads=4)


if __name__ == "__main__":
    main()
