"""Fleet manager: registry of robots, task queue and dispatch, health, charging, persistence.

  services    /fleet/submit_task (SubmitTask), /fleet/send_command (SendCommand)
  publishes   /fleet/state (FleetState, 10 Hz), /fleet/task_updates (TaskState, on change),
              /fleet/alerts (Alert)
  subscribes  /<robot>/robot_state and /<robot>/task_report for every robot in fleet.yaml
  uses        /<robot>/execute_task (ExecuteTask) to hand a task to a robot agent,
              /<robot>/command (RobotCommand) to pass on operator commands and cancellations

The decisions live in coordinator.py (no ROS); this node only listens, calls and publishes.
Tasks, alerts and the audit log are in SQLite (store.py), so a restart loses nothing.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from rclpy.action import ActionClient
from rclpy.callback_groups import ReentrantCallbackGroup
from suwon_fleet_interfaces.action import ExecuteTask
from suwon_fleet_interfaces.msg import (
    Alert as AlertMsg,
)
from suwon_fleet_interfaces.msg import (
    FleetState,
    RobotCommand,
    RobotState,
    TaskRequest,
    TaskState,
)
from suwon_fleet_interfaces.srv import SendCommand, SubmitTask

from suwon_fleet.core import paths
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.states import Command, RobotMode
from suwon_fleet.fleet.coordinator import (
    Action,
    Assign,
    CancelOnRobot,
    Coordinator,
    RaiseAlert,
    TaskChanged,
)
from suwon_fleet.fleet.store import FleetStore
from suwon_fleet.fleet.tasks import TaskRecord, TaskRejected
from suwon_fleet.ros import topics
from suwon_fleet.ros.conversions import pose_from_msg, seconds_to_time
from suwon_fleet.ros.lean_node import LeanNode
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare

FLEET_STATE_TASKS = 100


class FleetManager(LeanNode):  # no QoS-event handlers: see ros/lean_node.py
    def __init__(self) -> None:
        super().__init__("fleet_manager")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml; empty = the default")
        database = declare(self, "database", "", "SQLite file; empty = policies.database")
        self.fleet = load_fleet(fleet_file or None)
        db_path = database or self.fleet.policies.database
        if db_path != ":memory:" and not Path(db_path).is_absolute():
            db_path = str(paths.data_root() / db_path)
        self.store = FleetStore(db_path)
        self.coordinator = Coordinator(self.fleet, self.store)
        self._lock = threading.RLock()
        self._states: dict[str, RobotState] = {}
        self._task_msgs: dict[str, TaskState] = {}  # built once per change, reused at 10 Hz

        group = ReentrantCallbackGroup()
        self._task_clients: dict[str, ActionClient] = {}
        self._command_pubs = {}
        for robot_id in self.fleet.robots:
            self.create_subscription(RobotState, f"/{robot_id}/robot_state",
                                     self._on_robot_state, 10, callback_group=group)
            self.create_subscription(TaskState, f"/{robot_id}/task_report",
                                     lambda msg, r=robot_id: self._on_task_report(r, msg),
                                     topics.TASK_UPDATES_QOS, callback_group=group)
            self._task_clients[robot_id] = ActionClient(
                self, ExecuteTask, f"/{robot_id}/execute_task", callback_group=group)
            self._command_pubs[robot_id] = self.create_publisher(
                RobotCommand, f"/{robot_id}/command", 10)
        self.state_pub = self.create_publisher(FleetState, topics.FLEET_STATE, 10)
        self.task_pub = self.create_publisher(TaskState, topics.TASK_UPDATES,
                                              topics.TASK_UPDATES_QOS)
        self.alert_pub = self.create_publisher(AlertMsg, topics.ALERTS, topics.TASK_UPDATES_QOS)
        self.create_service(SubmitTask, topics.SUBMIT_TASK, self._on_submit,
                            callback_group=group)
        self.create_service(SendCommand, topics.SEND_COMMAND, self._on_command,
                            callback_group=group)
        self.create_timer(0.1, self._tick, callback_group=group)
        resumed = len(self.coordinator.tasks)
        self.get_logger().info(
            f"fleet {self.fleet.fleet_name}: robots {', '.join(self.fleet.robots)}; "
            f"{resumed} open tasks resumed from {db_path}")
        for task in self.coordinator.tasks.values():
            self._publish_task(task)

    # ---------------------------------------------------------------- inputs
    def _on_robot_state(self, msg: RobotState) -> None:
        pose = pose_from_msg(msg.pose)
        with self._lock:
            self._states[msg.robot_id] = msg
            actions = self.coordinator.robot_state(
                msg.robot_id, msg.mode, pose.x, pose.y, msg.battery_percent, msg.charging,
                msg.current_task_id)
            self._carry_out(actions)

    def _on_task_report(self, robot_id: str, msg: TaskState) -> None:
        with self._lock:
            self._carry_out(self.coordinator.task_report(
                robot_id, msg.task_id, msg.status, msg.message, msg.progress))

    def _on_submit(self, request: SubmitTask.Request, response: SubmitTask.Response):
        r = request.request
        with self._lock:
            try:
                task, actions = self.coordinator.submit(
                    r.type, r.site_id, r.place, r.robot_id, r.tour_id, r.priority, r.requester,
                    r.parameters_json or "{}")
            except TaskRejected as exc:
                response.accepted = False
                response.message = f"{exc.code}: {exc}"
                return response
            self._carry_out(actions)
        response.accepted = True
        response.task_id = task.task_id
        response.message = task.status.value
        return response

    def _on_command(self, request: SendCommand.Request, response: SendCommand.Response):
        cmd = request.command
        accepted, message = True, "sent"
        if cmd.command == Command.CANCEL and cmd.task_id:
            # A task is cancelled wherever it is: in the queue, or on its robot.
            with self._lock:
                accepted, message, actions = self.coordinator.cancel(
                    cmd.task_id, cmd.issuer or "operator")
                self._carry_out(actions)
            self.store.audit(cmd.issuer or "unknown", cmd.command, cmd.robot_id,
                             {"reason": cmd.reason, "task_id": cmd.task_id}, accepted)
            response.accepted, response.message = accepted, message
            return response
        if cmd.robot_id not in self.fleet.robots:
            accepted, message = False, f"unknown robot {cmd.robot_id!r}"
        elif cmd.command not in Command._value2member_map_:
            accepted = False
            message = (f"unknown command {cmd.command!r}; known: "
                       + ", ".join(c.value for c in Command))
        self.store.audit(cmd.issuer or "unknown", cmd.command, cmd.robot_id,
                         {"reason": cmd.reason, "task_id": cmd.task_id}, accepted)
        if accepted:
            if cmd.command == Command.DOCK:
                with self._lock:  # dock is a task, so it queues, persists and is tracked
                    robot = self.fleet.robots[cmd.robot_id]
                    _, actions = self.coordinator.submit(
                        "dock", robot.site, robot.dock, cmd.robot_id, priority=8,
                        requester=cmd.issuer or "operator")
                    self._carry_out(actions)
            else:
                self._command_pubs[cmd.robot_id].publish(cmd)
        response.accepted, response.message = accepted, message
        return response

    def _tick(self) -> None:
        with self._lock:
            self._carry_out(self.coordinator.tick())
            self._publish_fleet_state()

    # ---------------------------------------------------------------- actions
    def _carry_out(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, TaskChanged):
                self._publish_task(action.task)
            elif isinstance(action, Assign):
                self._assign(action.task, action.robot_id)
            elif isinstance(action, CancelOnRobot):
                self.get_logger().info(
                    f"asking {action.robot_id} to cancel {action.task_id}: {action.reason}")
                self._command_pubs[action.robot_id].publish(RobotCommand(
                    robot_id=action.robot_id, command=Command.CANCEL.value,
                    task_id=action.task_id, issuer="fleet_manager", reason=action.reason))
            elif isinstance(action, RaiseAlert):
                alert = action.alert
                self.get_logger().warning(f"alert {alert.code}: {alert.message_en}")
                msg = AlertMsg(alert_id=alert.alert_id, severity=alert.severity,
                               robot_id=alert.robot_id, site_id=alert.site_id, code=alert.code,
                               message_ko=alert.message_ko, message_en=alert.message_en)
                msg.header.stamp = seconds_to_time(alert.at)
                self.alert_pub.publish(msg)

    def _assign(self, task: TaskRecord, robot_id: str) -> None:
        client = self._task_clients[robot_id]
        task_id = task.task_id
        if not client.server_is_ready():
            self._carry_out(self.coordinator.goal_answer(task_id, robot_id, False))
            return
        goal = ExecuteTask.Goal(task=self._request_msg(task))

        def on_feedback(msg) -> None:
            with self._lock:
                known = self.coordinator.tasks.get(task_id)
                if known is not None and known.robot_id == robot_id:
                    known.progress = float(msg.feedback.progress)
                    live = self._task_msgs.get(task_id)
                    if live is not None:  # what the dashboard shows: "2/5 stop, 12 min left"
                        live.progress = known.progress
                        live.message = msg.feedback.message or live.message

        def on_answer(future) -> None:
            handle = future.result()
            with self._lock:
                self._carry_out(self.coordinator.goal_answer(
                    task_id, robot_id, handle is not None and handle.accepted))

        client.send_goal_async(goal, feedback_callback=on_feedback).add_done_callback(on_answer)

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
        msg = self._task_msg(task)
        if task.status.is_terminal:
            self._task_msgs.pop(task.task_id, None)
        else:
            self._task_msgs[task.task_id] = msg
        self.task_pub.publish(msg)

    def _publish_fleet_state(self) -> None:
        msg = FleetState(fleet_name=self.fleet.fleet_name)
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = "map"
        for robot_id, status in self.coordinator.robots.items():
            state = self._states.get(robot_id)
            if state is None:
                state = RobotState(robot_id=robot_id, site_id=status.site_id,
                                   mode=RobotMode.OFFLINE.value, errors=["never seen"])
            elif not status.online:
                state.mode = RobotMode.OFFLINE.value
            msg.robots.append(state)
        # Oldest first, capped: a 500-task queue at 10 Hz would cost more than everything
        # else the manager does; the full list is on /fleet/task_updates and in the API.
        msg.active_tasks = list(itertools.islice(self._task_msgs.values(), FLEET_STATE_TASKS))
        self.state_pub.publish(msg)

    def destroy_node(self) -> None:
        self.store.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    run_node(FleetManager, args)  # short callbacks only: one thread is cheapest


if __name__ == "__main__":
    main()



