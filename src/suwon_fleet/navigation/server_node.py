"""Navigation server: the built-in stand-in for Nav2, one per robot namespace.

Serves nav2_msgs/action/NavigateToPose on ``navigate_to_pose`` with Nav2's feedback fields and
error codes. Subscribes ``odom`` (the map pose while odom is aligned with map, as in the
simulator), publishes ``cmd_vel`` and the global ``plan``. A newer goal preempts the current
one, as in Nav2.
"""

from __future__ import annotations

import threading
import time

from geometry_msgs.msg import PoseStamped, Twist
from nav2_msgs.action import NavigateToPose
from nav_msgs.msg import Odometry, Path
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.navigation.controller import ControllerConfig, PathFollower, ProgressChecker
from suwon_fleet.navigation.errors import NavError, NavigationFailure
from suwon_fleet.navigation.planner import GridPlanner
from suwon_fleet.ros.conversions import (
    pose_from_msg,
    pose_stamped,
    seconds_to_duration,
)
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare

CONTROL_PERIOD_S = 0.05
ODOM_WAIT_S = 5.0
MAX_REPLANS = 3


class NavigationServer(Node):
    def __init__(self) -> None:
        super().__init__("navigation_server")
        robot_id = declare(self, "robot_id", "", "robot whose map and limits to use")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml; empty = the default")
        self.progress_required_m = declare(self, "progress_required_m", 0.5,
                                           "progress checker: distance that counts as progress")
        self.progress_time_s = declare(self, "progress_time_s", 10.0,
                                       "progress checker: time allowed to make that progress")
        if not robot_id:
            raise ValueError("parameter robot_id is required")
        fleet = load_fleet(fleet_file or None)
        if robot_id not in fleet.robots:
            raise ValueError(f"robot_id {robot_id!r} is not in {fleet.source}")
        robot = fleet.robots[robot_id]
        site = fleet.sites[robot.site]
        self.planner = GridPlanner(site.map, robot.radius)
        self.control = ControllerConfig(max_speed=robot.max_speed,
                                        max_angular_speed=robot.max_angular_speed)

        self._pose: Pose2D | None = None
        self._pose_lock = threading.Lock()
        self._active: ServerGoalHandle | None = None
        self._preempted: set[int] = set()
        self._goal_lock = threading.Lock()

        group = ReentrantCallbackGroup()
        self.create_subscription(Odometry, "odom", self._on_odom, qos_profile_sensor_data,
                                 callback_group=group)
        self.cmd_pub = self.create_publisher(Twist, "cmd_vel", 10)
        self.plan_pub = self.create_publisher(Path, "plan", 1)
        self.server = ActionServer(
            self, NavigateToPose, "navigate_to_pose",
            execute_callback=self._execute,
            goal_callback=lambda _goal: GoalResponse.ACCEPT,
            handle_accepted_callback=self._on_accepted,
            cancel_callback=lambda _handle: CancelResponse.ACCEPT,
            callback_group=group,
        )
        self.get_logger().info(f"navigation server for {robot_id} on {site.site_id} ready")

    def _on_odom(self, msg: Odometry) -> None:
        with self._pose_lock:
            self._pose = pose_from_msg(msg.pose.pose)

    def current_pose(self) -> Pose2D | None:
        with self._pose_lock:
            return self._pose

    def _on_accepted(self, handle: ServerGoalHandle) -> None:
        with self._goal_lock:
            if self._active is not None and self._active.is_active:
                self._preempted.add(id(self._active))
            self._active = handle
        handle.execute()

    def _execute(self, handle: ServerGoalHandle) -> NavigateToPose.Result:
        started = time.monotonic()
        try:
            return self._navigate(handle, started)
        except NavigationFailure as failure:
            self.get_logger().warning(f"navigation failed: {failure}")
            self._stop()
            handle.abort()
            return NavigateToPose.Result(error_code=int(failure.code), error_msg=failure.message)
        finally:
            with self._goal_lock:
                self._preempted.discard(id(handle))

    def _navigate(self, handle: ServerGoalHandle, started: float) -> NavigateToPose.Result:
        goal_msg: PoseStamped = handle.request.pose
        if goal_msg.header.frame_id not in ("", "map"):
            raise NavigationFailure(NavError.UNKNOWN,
                                    f"goal frame {goal_msg.header.frame_id!r} is not 'map'")
        goal = pose_from_msg(goal_msg.pose)
        pose = self._wait_for_pose(started)
        follower = self._plan(pose, goal)
        progress = ProgressChecker(self.progress_required_m, self.progress_time_s)
        recoveries = 0
        while True:
            if handle.is_cancel_requested:
                self._stop()
                handle.canceled()
                return NavigateToPose.Result(error_code=int(NavError.NONE), error_msg="canceled")
            if id(handle) in self._preempted or not handle.is_active:
                self._stop()
                handle.abort()
                return NavigateToPose.Result(error_code=int(NavError.UNKNOWN),
                                             error_msg="preempted by a newer goal")
            pose = self.current_pose()
            now = time.monotonic()
            if not progress.check(pose, now):
                if recoveries >= MAX_REPLANS:
                    raise NavigationFailure(
                        NavError.FAILED_TO_MAKE_PROGRESS,
                        f"moved less than {self.progress_required_m} m in "
                        f"{self.progress_time_s:.0f} s, {recoveries} recoveries tried")
                recoveries += 1
                follower = self._plan(pose, goal)
                progress.reset()
            command = follower.update(pose)
            if command.done:
                self._stop()
                handle.succeed()
                return NavigateToPose.Result(error_code=int(NavError.NONE), error_msg="")
            self.cmd_pub.publish(_twist(command.linear, command.angular))
            self._feedback(handle, pose, follower, started, recoveries)
            time.sleep(CONTROL_PERIOD_S)

    def _wait_for_pose(self, started: float) -> Pose2D:
        while (pose := self.current_pose()) is None:
            if time.monotonic() - started > ODOM_WAIT_S:
                raise NavigationFailure(NavError.UNKNOWN,
                                        f"no odometry on {self.resolve_topic_name('odom')}")
            time.sleep(CONTROL_PERIOD_S)
        return pose

    def _plan(self, pose: Pose2D, goal: Pose2D) -> PathFollower:
        path = self.planner.plan((pose.x, pose.y), (goal.x, goal.y))
        msg = Path()
        msg.header.frame_id = "map"
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.poses = [pose_stamped(Pose2D(x, y), msg.header.stamp) for x, y in path]
        self.plan_pub.publish(msg)
        return PathFollower(path, goal.yaw, self.control)

    def _feedback(self, handle: ServerGoalHandle, pose: Pose2D, follower: PathFollower,
                  started: float, recoveries: int) -> None:
        remaining = follower.distance_remaining(pose)
        feedback = NavigateToPose.Feedback()
        feedback.current_pose = pose_stamped(pose, self.get_clock().now().to_msg())
        feedback.navigation_time = seconds_to_duration(time.monotonic() - started)
        feedback.estimated_time_remaining = seconds_to_duration(
            remaining / max(0.1, self.control.max_speed * 0.8))
        feedback.number_of_recoveries = recoveries
        feedback.distance_remaining = float(remaining)
        handle.publish_feedback(feedback)

    def _stop(self) -> None:
        self.cmd_pub.publish(_twist(0.0, 0.0))


def _twist(linear: float, angular: float) -> Twist:
    msg = Twist()
    msg.linear.x = float(linear)
    msg.angular.z = float(angular)
    return msg


def main(args: list[str] | None = None) -> None:
    run_node(NavigationServer, args, threads=4)


if __name__ == "__main__":
    main()
