"""A Nav2 ``BasicNavigator``-style client that never spins anyone's node.

Same method names and semantics as ``nav2_simple_commander.robot_navigator.BasicNavigator``
(goToPose, followWaypoints, isTaskComplete, getFeedback, getResult, cancelTask, ...), so
scripts written for Nav2 read the same. Unlike BasicNavigator it is not a node and never calls
``spin_until_future_complete``: it is given the caller's node, which the caller's executor
spins, and every call returns at once. Completion is learned from future callbacks, so the
caller's other callbacks keep running. Works unchanged against the built-in navigation server
or real Nav2, because it only speaks nav2_msgs actions.
"""

from __future__ import annotations

import threading
import time
from enum import IntEnum

from action_msgs.msg import GoalStatus
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point, PoseStamped, PoseWithCovarianceStamped
from nav2_msgs.action import (
    BackUp,
    ComputePathToPose,
    DockRobot,
    FollowWaypoints,
    NavigateThroughPoses,
    NavigateToPose,
    Spin,
    UndockRobot,
)
from rclpy.action import ActionClient
from rclpy.node import Node


class TaskResult(IntEnum):
    UNKNOWN = 0
    SUCCEEDED = 1
    CANCELED = 2
    FAILED = 3


_STATUS_TO_RESULT = {
    GoalStatus.STATUS_SUCCEEDED: TaskResult.SUCCEEDED,
    GoalStatus.STATUS_CANCELED: TaskResult.CANCELED,
    GoalStatus.STATUS_ABORTED: TaskResult.FAILED,
}


class Navigator:
    """Non-blocking Nav2 client bound to ``node`` (action names relative to its namespace)."""

    def __init__(self, node: Node, namespace: str = "") -> None:
        self._node = node
        prefix = f"{namespace.rstrip('/')}/" if namespace else ""
        self._clients = {
            name: ActionClient(node, action_type, f"{prefix}{name}")
            for name, action_type in (
                ("navigate_to_pose", NavigateToPose),
                ("navigate_through_poses", NavigateThroughPoses),
                ("follow_waypoints", FollowWaypoints),
                ("compute_path_to_pose", ComputePathToPose),
                ("spin", Spin),
                ("backup", BackUp),
                ("dock_robot", DockRobot),
                ("undock_robot", UndockRobot),
            )
        }
        self._initial_pose_pub = node.create_publisher(
            PoseWithCovarianceStamped, f"{prefix}initialpose", 10)
        self._lock = threading.Lock()
        self._goal_handle = None
        self._status = GoalStatus.STATUS_UNKNOWN
        self._result = None
        self._feedback = None
        self._task_id = 0
        self._busy = False
        self._cancel_pending = False  # cancelTask before the server answered the goal

    # ---------------------------------------------------------------- readiness
    def waitUntilNav2Active(self, timeout_sec: float = 10.0) -> bool:  # noqa: N802 (Nav2 name)
        """Wait (without spinning) until the navigate_to_pose server is up."""
        return self._clients["navigate_to_pose"].wait_for_server(timeout_sec=timeout_sec)

    def setInitialPose(self, pose: PoseStamped) -> None:  # noqa: N802
        msg = PoseWithCovarianceStamped()
        msg.header = pose.header
        msg.pose.pose = pose.pose
        self._initial_pose_pub.publish(msg)

    # ---------------------------------------------------------------- tasks
    def goToPose(self, pose: PoseStamped, behavior_tree: str = "") -> bool:  # noqa: N802
        """Send a NavigateToPose goal; returns False if the server is not available."""
        goal = NavigateToPose.Goal(pose=pose, behavior_tree=behavior_tree)
        return self._send("navigate_to_pose", goal)

    def goThroughPoses(self, poses: list[PoseStamped], behavior_tree: str = "") -> bool:  # noqa: N802
        goal = NavigateThroughPoses.Goal(poses=poses, behavior_tree=behavior_tree)
        return self._send("navigate_through_poses", goal)

    def followWaypoints(self, poses: list[PoseStamped]) -> bool:  # noqa: N802
        return self._send("follow_waypoints", FollowWaypoints.Goal(poses=poses))

    def spin(self, spin_dist: float = 1.57, time_allowance: int = 10) -> bool:
        goal = Spin.Goal(target_yaw=float(spin_dist), time_allowance=Duration(sec=time_allowance))
        return self._send("spin", goal)

    def backup(self, backup_dist: float = 0.15, backup_speed: float = 0.025,
               time_allowance: int = 10) -> bool:
        goal = BackUp.Goal(target=Point(x=float(backup_dist)), speed=float(backup_speed),
                           time_allowance=Duration(sec=time_allowance))
        return self._send("backup", goal)

    def dockRobotByPose(self, dock_pose: PoseStamped, dock_type: str = "",  # noqa: N802
                        nav_to_dock: bool = True) -> bool:
        goal = DockRobot.Goal(use_dock_id=False, dock_pose=dock_pose, dock_type=dock_type,
                              navigate_to_staging_pose=nav_to_dock)
        return self._send("dock_robot", goal)

    def dockRobotByID(self, dock_id: str, nav_to_dock: bool = True) -> bool:  # noqa: N802
        goal = DockRobot.Goal(use_dock_id=True, dock_id=dock_id,
                              navigate_to_staging_pose=nav_to_dock)
        return self._send("dock_robot", goal)

    def undockRobot(self, dock_type: str = "") -> bool:  # noqa: N802
        return self._send("undock_robot", UndockRobot.Goal(dock_type=dock_type))

    def getPath(self, start: PoseStamped, goal: PoseStamped, planner_id: str = "",  # noqa: N802
                use_start: bool = False, timeout_sec: float = 5.0):
        """The planned nav_msgs/Path, or None. Blocks this caller (not the executor) until
        the answer arrives, so call it from a thread other than the one spinning the node."""
        client = self._clients["compute_path_to_pose"]
        if not client.server_is_ready():
            return None
        request = ComputePathToPose.Goal(goal=goal, start=start, planner_id=planner_id,
                                         use_start=use_start)
        done = threading.Event()
        answer: list = []

        def on_goal(future) -> None:
            handle = future.result()
            if handle is None or not handle.accepted:
                done.set()
                return
            handle.get_result_async().add_done_callback(
                lambda f: (answer.append(f.result()), done.set()))

        client.send_goal_async(request).add_done_callback(on_goal)
        if not done.wait(timeout_sec) or not answer:
            return None
        response = answer[0]
        return response.result.path if response.status == GoalStatus.STATUS_SUCCEEDED else None

    def cancelTask(self) -> None:  # noqa: N802
        with self._lock:
            handle = self._goal_handle
            # Sent but not yet accepted: cancel it the moment the server accepts it (else a
            # goal sent just before a pause would drive on).
            self._cancel_pending = handle is None and self._busy
        if handle is not None:
            handle.cancel_goal_async()

    def isTaskComplete(self) -> bool:  # noqa: N802
        with self._lock:
            return not self._busy

    def getFeedback(self):  # noqa: N802
        with self._lock:
            return self._feedback

    def getResult(self) -> TaskResult:  # noqa: N802
        with self._lock:
            return _STATUS_TO_RESULT.get(self._status, TaskResult.UNKNOWN)

    def getResultMessage(self):  # noqa: N802
        """The raw action result (error_code, error_msg) of the last task, if any."""
        with self._lock:
            return self._result

    def waitUntilTaskComplete(self, timeout_sec: float) -> bool:  # noqa: N802
        """Convenience for scripts whose node is spun by another thread."""
        deadline = time.monotonic() + timeout_sec
        while not self.isTaskComplete():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    # ---------------------------------------------------------------- internals
    def _send(self, action: str, goal, wait_s: float = 3.0) -> bool:
        client = self._clients[action]
        # Discovery can lag a freshly started node by a moment: wait briefly (no spinning).
        if not client.server_is_ready() and not client.wait_for_server(timeout_sec=wait_s):
            self._node.get_logger().warning(f"{client._action_name} server is not available")
            return False
        with self._lock:
            self._task_id += 1
            task_id = self._task_id
            self._busy = True
            self._cancel_pending = False
            self._status = GoalStatus.STATUS_UNKNOWN
            self._result = None
            self._feedback = None
            self._goal_handle = None
        future = client.send_goal_async(goal, feedback_callback=self._on_feedback_for(task_id))
        future.add_done_callback(lambda f: self._on_goal_response(task_id, f))
        return True

    def _on_feedback_for(self, task_id: int):
        def on_feedback(msg) -> None:
            with self._lock:
                if task_id == self._task_id:
                    self._feedback = msg.feedback
        return on_feedback

    def _on_goal_response(self, task_id: int, future) -> None:
        handle = future.result()
        with self._lock:
            if task_id != self._task_id:
                return
            if handle is None or not handle.accepted:
                self._status = GoalStatus.STATUS_ABORTED
                self._busy = False
                return
            self._goal_handle = handle
            cancel, self._cancel_pending = self._cancel_pending, False
        handle.get_result_async().add_done_callback(lambda f: self._on_result(task_id, f))
        if cancel:
            handle.cancel_goal_async()

    def _on_result(self, task_id: int, future) -> None:
        response = future.result()
        with self._lock:
            if task_id != self._task_id:
                return
            self._status = response.status
            self._result = response.result
            self._busy = False
            self._goal_handle = None
