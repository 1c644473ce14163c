"""Navigation server: the built-in stand-in for Nav2, one per robot namespace.

Action servers with Nav2 Jazzy's names, types, feedback and error codes:
  navigate_to_pose, navigate_through_poses, follow_waypoints, compute_path_to_pose,
  spin, backup, and dock_robot / undock_robot as simple stand-ins for Nav2's docking server
  (drive to the dock place from the site file; back off it)
Obeys ``command`` (RobotCommand) e-stop at once: the current goal ends, zero velocity goes
out in the same callback, and goals are refused until an operator releases it.
Reads the robot's pose from TF (map -> base_link, from ``tf``/``tf_static``), obstacles from
``scan``; publishes ``cmd_vel`` and the global ``plan``. ``speed_limit`` (std_msgs/Float32, m/s;
0 or less lifts it) caps the speed until changed, as Nav2's controller server does with its
speed_limit topic (nav2_msgs/SpeedLimit is not in the PyPI nav2_msgs): the docent sets its
guests' walking pace with it. Zone speed limits still apply below it. One motion runs at a
time: a new goal of any kind preempts the current one, as Nav2's servers do. The control loop
is a timer on the node's clock, so it follows sim time (``use_sim_time``) in simulation.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from geometry_msgs.msg import Twist
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
from nav2_msgs.msg import MissedWaypoint
from nav_msgs.msg import Path
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import LaserScan
from std_msgs.msg import Float32
from suwon_fleet_interfaces.msg import RobotCommand

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.navigation.controller import ControllerConfig
from suwon_fleet.navigation.errors import NavError, NavigationFailure
from suwon_fleet.navigation.motion import BackUp as BackUpMotion
from suwon_fleet.navigation.motion import GoToPose, SafetyConfig, Status, Step
from suwon_fleet.navigation.motion import Spin as SpinMotion
from suwon_fleet.navigation.planner import GridPlanner
from suwon_fleet.ros.conversions import (
    duration_to_seconds,
    pose_from_msg,
    pose_stamped,
    seconds_to_duration,
)
from suwon_fleet.ros.lean_node import LeanNode
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare
from suwon_fleet.ros.tf_listener import PlanarTfListener

TF_WAIT_S = 5.0


@dataclass
class Job:
    """One action goal being carried out by the control loop."""

    kind: str
    handle: ServerGoalHandle
    motions: list[Any]  # run in order (several for waypoints / through-poses)
    index: int = 0
    started: float = 0.0  # node-clock seconds
    wall_started: float = field(default_factory=time.monotonic)
    preempted: bool = False
    missed: list[tuple[int, NavError]] = field(default_factory=list)
    outcome: str = ""  # succeed | abort | canceled
    error: NavError = NavError.NONE
    message: str = ""
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def motion(self) -> Any:
        return self.motions[self.index]


class NavigationServer(LeanNode):
    def __init__(self) -> None:
        super().__init__("navigation_server")
        robot_id = declare(self, "robot_id", "", "robot whose map, zones and limits to use")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml; empty = the default")
        self.global_frame = declare(self, "global_frame", "map", "frame of goals and plans")
        self.base_frame = declare(self, "robot_base_frame", "base_link", "the robot's frame")
        rate = declare(self, "controller_frequency", 20.0, "control loop rate (Hz)")
        required = declare(self, "progress_required_m", 0.5, "progress checker: distance")
        allowed = declare(self, "progress_time_s", 10.0, "progress checker: time allowed")
        if not robot_id:
            raise ValueError("parameter robot_id is required")
        fleet = load_fleet(fleet_file or None)
        if robot_id not in fleet.robots:
            raise ValueError(f"robot_id {robot_id!r} is not in {fleet.source}")
        robot = fleet.robots[robot_id]
        self.site = fleet.sites[robot.site]
        self.planner = GridPlanner(self.site.map, robot.radius, keep_out=self.site.keep_out)
        self.control = ControllerConfig(max_speed=robot.max_speed,
                                        max_angular_speed=robot.max_angular_speed)
        self.safety = SafetyConfig(robot_radius=robot.radius, progress_required_m=required,
                                   progress_time_s=allowed)

        self._lock = threading.Lock()
        self._job: Job | None = None
        self._obstacles: np.ndarray | None = None
        self._plan_version: tuple[int, int] = (0, 0)

        actions = ReentrantCallbackGroup()
        loop = MutuallyExclusiveCallbackGroup()
        self.tf = PlanarTfListener(self, callback_group=actions)
        self.create_subscription(LaserScan, "scan", self._on_scan, qos_profile_sensor_data,
                                 callback_group=loop)
        self._estopped = False
        self._speed_cap: float | None = None
        self.create_subscription(RobotCommand, "command", self._on_command, 10,
                                 callback_group=actions)
        self.create_subscription(Float32, "speed_limit", self._on_speed_limit, 10,
                                 callback_group=actions)
        self.cmd_pub = self.create_publisher(Twist, "cmd_vel", 10)
        self.plan_pub = self.create_publisher(Path, "plan", 1)
        # The loop sleeps while there is nothing to drive: an idle robot then costs the
        # executor no wake-ups (it is restarted by a new goal and by an e-stop).
        self._loop_timer = self.create_timer(1.0 / rate, self._tick, callback_group=loop)
        for action_type, name, execute in (
                (NavigateToPose, "navigate_to_pose", self._navigate_to_pose),
                (NavigateThroughPoses, "navigate_through_poses", self._navigate_through_poses),
                (FollowWaypoints, "follow_waypoints", self._follow_waypoints),
                (Spin, "spin", self._spin),
                (BackUp, "backup", self._backup),
                (DockRobot, "dock_robot", self._dock),
                (UndockRobot, "undock_robot", self._undock)):
            ActionServer(self, action_type, name, execute_callback=execute,
                         goal_callback=self._on_goal,
                         handle_accepted_callback=self._preempt_then_execute,
                         cancel_callback=lambda _handle: CancelResponse.ACCEPT,
                         callback_group=actions)
        ActionServer(self, ComputePathToPose, "compute_path_to_pose",
                     execute_callback=self._compute_path, callback_group=actions)
        self.get_logger().info(f"navigation server for {robot_id} on {self.site.site_id} ready")

    # ---------------------------------------------------------------- inputs
    def current_pose(self) -> Pose2D | None:
        return self.tf.lookup(self.global_frame, self.base_frame)

    def _on_scan(self, msg: LaserScan) -> None:
        sensor = self.tf.lookup(self.global_frame, msg.header.frame_id or self.base_frame)
        if sensor is None:
            return
        ranges = np.asarray(msg.ranges, dtype=np.float64)
        angles = msg.angle_min + msg.angle_increment * np.arange(ranges.size)
        ok = np.isfinite(ranges) & (ranges >= msg.range_min) & (ranges <= 5.0)
        local_x = ranges[ok] * np.cos(angles[ok])
        local_y = ranges[ok] * np.sin(angles[ok])
        c, s = math.cos(sensor.yaw), math.sin(sensor.yaw)
        points = np.column_stack((sensor.x + c * local_x - s * local_y,
                                  sensor.y + s * local_x + c * local_y))
        with self._lock:
            self._obstacles = points

    def _on_command(self, msg: RobotCommand) -> None:
        if msg.command == "estop":
            with self._lock:
                self._estopped = True
                self._loop_timer.reset()  # holds the robot still at every cycle
            self._publish_cmd(0.0, 0.0)  # stop now, not at the next control cycle
            with self._lock:
                job = self._job
            if job is not None:
                self._finish(job, "abort", NavError.NONE, "emergency stop")
            self.get_logger().warning(f"E-STOP from {msg.issuer or '?'}: {msg.reason}")
        elif msg.command == "cancel":
            # The fleet took the task away (e.g. its agent died): stop driving towards it.
            with self._lock:
                job = self._job
            if job is not None:
                self._finish(job, "abort", NavError.NONE, f"canceled: {msg.reason}")
        elif msg.command == "release" and self._estopped:
            self._estopped = False
            self.get_logger().info(f"e-stop released by {msg.issuer or '?'}")

    def _on_speed_limit(self, msg: Float32) -> None:
        cap = float(msg.data)
        self._speed_cap = cap if cap > 0 else None

    def _speed_limit_at(self, x: float, y: float) -> float | None:
        """The zone's limit there, under the commanded cap."""
        zone, cap = self.site.speed_limit_at(x, y), self._speed_cap
        if cap is None:
            return zone
        return cap if zone is None else min(zone, cap)

    def _on_goal(self, _goal) -> GoalResponse:
        return GoalResponse.REJECT if self._estopped else GoalResponse.ACCEPT

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    # ---------------------------------------------------------------- goals
    def _preempt_then_execute(self, handle: ServerGoalHandle) -> None:
        with self._lock:
            if self._job is not None:
                self._job.preempted = True
        handle.execute()

    def _go_to(self, pose_msg) -> GoToPose:
        if pose_msg.header.frame_id not in ("", self.global_frame):
            raise NavigationFailure(NavError.PLANNER_TF_ERROR,
                                    f"goal frame {pose_msg.header.frame_id!r} is not "
                                    f"{self.global_frame!r}")
        return GoToPose(pose_from_msg(pose_msg.pose), self.planner, self.control, self.safety,
                        self._speed_limit_at)

    def _run(self, kind: str, handle: ServerGoalHandle, make_motions) -> Job:
        """Hand a job to the control loop and wait (on this executor thread) for its end."""
        try:
            motions = make_motions()
        except NavigationFailure as failure:
            job = Job(kind, handle, [], outcome="abort", error=failure.code,
                      message=failure.message)
            handle.abort()
            return job
        job = Job(kind, handle, motions, started=self._now())
        with self._lock:
            # Wait for the job this one preempted to let go of the robot.
            previous = self._job
        if previous is not None:
            previous.done.wait(timeout=2.0)
        with self._lock:
            self._job = job
            self._loop_timer.reset()
        while not job.done.wait(timeout=0.5):
            if not self.context.ok():
                break
        if job.outcome == "succeed":
            handle.succeed()
        elif job.outcome == "canceled":
            handle.canceled()
        else:
            handle.abort()
        return job

    def _navigate_to_pose(self, handle: ServerGoalHandle) -> NavigateToPose.Result:
        job = self._run("navigate_to_pose", handle, lambda: [self._go_to(handle.request.pose)])
        return NavigateToPose.Result(error_code=int(job.error), error_msg=job.message)

    def _navigate_through_poses(self, handle: ServerGoalHandle) -> NavigateThroughPoses.Result:
        poses = list(handle.request.poses)
        job = self._run("navigate_through_poses", handle,
                        lambda: [self._go_to(p) for p in poses] or _no_poses())
        return NavigateThroughPoses.Result(error_code=int(job.error), error_msg=job.message)

    def _follow_waypoints(self, handle: ServerGoalHandle) -> FollowWaypoints.Result:
        request = handle.request
        poses = list(request.poses)[request.goal_index:] * max(1, request.number_of_loops + 1)
        job = self._run("follow_waypoints", handle,
                        lambda: [self._go_to(p) for p in poses] or _no_poses())
        result = FollowWaypoints.Result(error_code=0 if job.outcome == "succeed" else 600,
                                        error_msg=job.message)
        for index, code in job.missed:
            result.missed_waypoints.append(MissedWaypoint(
                index=index, goal=poses[index], error_code=int(code)))
        return result

    def _spin(self, handle: ServerGoalHandle) -> Spin.Result:
        request = handle.request
        job = self._run("spin", handle, lambda: [SpinMotion(
            request.target_yaw, duration_to_seconds(request.time_allowance),
            self.control.max_angular_speed)])
        return Spin.Result(total_elapsed_time=seconds_to_duration(self._now() - job.started),
                           error_code=int(job.error), error_msg=job.message)

    def _backup(self, handle: ServerGoalHandle) -> BackUp.Result:
        request = handle.request
        job = self._run("backup", handle, lambda: [BackUpMotion(
            math.hypot(request.target.x, request.target.y), request.speed,
            duration_to_seconds(request.time_allowance), self.safety.robot_radius)])
        return BackUp.Result(total_elapsed_time=seconds_to_duration(self._now() - job.started),
                             error_code=int(job.error), error_msg=job.message)

    def _dock(self, handle: ServerGoalHandle) -> DockRobot.Result:
        request = handle.request

        def motions():
            if not request.use_dock_id:
                return [self._go_to(request.dock_pose)]
            place = self.site.places.get(request.dock_id)
            if place is None or place.kind != "dock":
                docks = [p for p, v in self.site.places.items() if v.kind == "dock"]
                raise NavigationFailure(NavError.DOCK_NOT_IN_DB,
                                        f"no dock {request.dock_id!r}; docks: {docks}")
            return [GoToPose(place.pose, self.planner, self.control, self.safety,
                             self._speed_limit_at)]

        job = self._run("dock_robot", handle, motions)
        ok = job.outcome == "succeed"
        code = NavError.NONE if ok else (
            job.error if job.error is NavError.DOCK_NOT_IN_DB else NavError.FAILED_TO_STAGE)
        return DockRobot.Result(success=ok, error_code=int(code), error_msg=job.message)

    def _undock(self, handle: ServerGoalHandle) -> UndockRobot.Result:
        job = self._run("undock_robot", handle, lambda: [BackUpMotion(
            0.5, 0.1, 15.0, self.safety.robot_radius)])
        ok = job.outcome == "succeed"
        code = NavError.NONE if ok else NavError.FAILED_TO_CONTROL
        return UndockRobot.Result(success=ok, error_code=int(code), error_msg=job.message)

    def _compute_path(self, handle: ServerGoalHandle) -> ComputePathToPose.Result:
        request = handle.request
        t0 = time.perf_counter()
        start = pose_from_msg(request.start.pose) if request.use_start else self.current_pose()
        result = ComputePathToPose.Result()
        if start is None:
            result.error_code, result.error_msg = 202, "robot pose unknown (no TF)"
            handle.abort()
            return result
        goal = pose_from_msg(request.goal.pose)
        with self._lock:  # the planner is shared with the control loop
            try:
                points = self.planner.plan((start.x, start.y), (goal.x, goal.y))
            except NavigationFailure as failure:
                result.error_code, result.error_msg = int(failure.code), failure.message
                handle.abort()
                return result
        result.path = self._path_msg(points)
        result.planning_time = seconds_to_duration(time.perf_counter() - t0)
        handle.succeed()
        return result

    # ---------------------------------------------------------------- control loop
    def _tick(self) -> None:
        with self._lock:
            job = self._job
            obstacles = self._obstacles
            if job is None and not self._estopped:
                self._loop_timer.cancel()
                return
        if self._estopped:
            self._publish_cmd(0.0, 0.0)
            return
        if job is None:
            return
        if job.handle.is_cancel_requested:
            return self._finish(job, "canceled", NavError.NONE, "canceled")
        if job.preempted:
            return self._finish(job, "abort", NavError.NONE, "preempted by a newer goal")
        pose = self.current_pose()
        if pose is None:
            if time.monotonic() - job.wall_started > TF_WAIT_S:
                self._finish(job, "abort", NavError.CONTROLLER_TF_ERROR,
                             f"no transform {self.global_frame} -> {self.base_frame}")
            return
        now = self._now()
        with self._lock:
            step: Step = job.motion.update(pose, now, obstacles)
        if step.status is Status.RUNNING:
            self._publish_cmd(step.linear, step.angular)
            self._publish_plan(job)
            self._feedback(job, pose, now)
            return
        if step.status is Status.FAILED:
            if job.kind == "follow_waypoints":
                job.missed.append((job.index, step.error))
            else:
                return self._finish(job, "abort", step.error, step.message)
        if job.index + 1 < len(job.motions):
            job.index += 1
            return
        if job.missed:
            return self._finish(job, "abort", NavError.NONE,
                                f"missed {len(job.missed)} of {len(job.motions)} waypoints")
        self._finish(job, "succeed", NavError.NONE, "")

    def _finish(self, job: Job, outcome: str, error: NavError, message: str) -> None:
        self._publish_cmd(0.0, 0.0)
        if message and outcome != "succeed":
            self.get_logger().info(f"{job.kind} {outcome}: {message}")
        job.outcome, job.error, job.message = outcome, error, message
        with self._lock:
            if self._job is job:
                self._job = None
        job.done.set()

    def _publish_cmd(self, linear: float, angular: float) -> None:
        msg = Twist()
        msg.linear.x = float(linear)
        msg.angular.z = float(angular)
        self.cmd_pub.publish(msg)

    def _path_msg(self, points: list[tuple[float, float]]) -> Path:
        msg = Path()
        msg.header.frame_id = self.global_frame
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.poses = [pose_stamped(Pose2D(x, y), msg.header.stamp, self.global_frame)
                     for x, y in points]
        return msg

    def _publish_plan(self, job: Job) -> None:
        motion = job.motion
        if not isinstance(motion, GoToPose):
            return
        version = (id(motion), motion.plan_version)
        if version != self._plan_version and motion.path:
            self._plan_version = version
            self.plan_pub.publish(self._path_msg(motion.path))

    def _feedback(self, job: Job, pose: Pose2D, now: float) -> None:
        stamp = self.get_clock().now().to_msg()
        motion = job.motion
        if job.kind in ("navigate_to_pose", "navigate_through_poses"):
            remaining = sum(m.distance_remaining(pose if i == job.index else
                                                 job.motions[i - 1].goal)
                            for i, m in enumerate(job.motions) if i >= job.index)
            cls = NavigateToPose if job.kind == "navigate_to_pose" else NavigateThroughPoses
            fb = cls.Feedback()
            fb.current_pose = pose_stamped(pose, stamp, self.global_frame)
            fb.navigation_time = seconds_to_duration(now - job.started)
            fb.estimated_time_remaining = seconds_to_duration(
                remaining / max(0.1, self.control.max_speed * 0.7))
            fb.number_of_recoveries = sum(m.recoveries for m in job.motions)
            fb.distance_remaining = float(remaining)
            if job.kind == "navigate_through_poses":
                fb.number_of_poses_remaining = len(job.motions) - job.index
        elif job.kind == "follow_waypoints":
            fb = FollowWaypoints.Feedback(current_waypoint=job.index)
        elif job.kind == "spin":
            fb = Spin.Feedback(angular_distance_traveled=float(abs(motion.turned)))
        elif job.kind == "backup":
            fb = BackUp.Feedback(distance_traveled=float(motion.travelled))
        elif job.kind == "dock_robot":
            fb = DockRobot.Feedback(state=DockRobot.Feedback.NAV_TO_STAGING_POSE)
        else:
            return
        job.handle.publish_feedback(fb)


def _no_poses() -> list:
    raise NavigationFailure(NavError.NO_VALID_PATH, "no poses given")


def main(args: list[str] | None = None) -> None:
    run_node(NavigationServer, args, threads=4)


if __name__ == "__main__":
    main()

