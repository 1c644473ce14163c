"""Robot agent: one per robot namespace. Runs fleet tasks through the Nav2 navigator client.

  action server  execute_task (suwon_fleet_interfaces/ExecuteTask), from the fleet manager
  subscribes     tf/tf_static (its pose in the map), battery_state, plan, command
  subscribes     scan, only while guiding a visitor (are they still behind the robot?)
  publishes      robot_state (RobotState) at 10 Hz, task_report (TaskState, on every change
                 of its task, kept for late joiners: a restarted fleet manager learns outcomes),
                 cmd_vel (zero, to hold during e-stop), speech/say (Say: City information
                 while idle, from config/content/announcements.yaml; the escort's words),
                 speed_limit (std_msgs/Float32: the walking pace while guiding a visitor)
  uses           navigate_to_pose (nav2_msgs) through suwon_fleet.navigation.navigator;
                 run_tour (RunTour) of its tour guide (docent/tour_node.py) for run_tour
                 tasks, relaying the tour's progress ("2/6 장미정원 · Rose garden, 12 min
                 left") as the task's feedback and its outcome as the task's result
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from zoneinfo import ZoneInfo

import numpy as np
from geometry_msgs.msg import Point, Twist
from nav_msgs.msg import Path
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import BatteryState, LaserScan
from std_msgs.msg import Bool, Float32
from suwon_fleet_interfaces.action import ExecuteTask, RunTour
from suwon_fleet_interfaces.msg import Heard, RobotCommand, RobotState, Say, TaskState

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.states import Command, RobotMode, TaskStatus, TaskType
from suwon_fleet.fleet.agent import ActiveTask, AgentLogic, Effect
from suwon_fleet.fleet.announcements import AnnouncementScheduler, load_announcements
from suwon_fleet.fleet.escort import WORDS as ESCORT_WORDS
from suwon_fleet.fleet.escort import EscortEvent, EscortMonitor
from suwon_fleet.navigation.navigator import Navigator, TaskResult
from suwon_fleet.perception.rear_people import FollowerWatch, Scan
from suwon_fleet.ros import topics
from suwon_fleet.ros.conversions import pose_stamped, pose_to_msg
from suwon_fleet.ros.lean_node import LeanNode
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare
from suwon_fleet.ros.tf_listener import PlanarTfListener

STATE_PERIOD_S = 0.1
TASK_LOOP_PERIOD_S = 0.1
NAVIGATING_TYPES = {TaskType.GO_TO_PLACE, TaskType.GUIDE_VISITOR, TaskType.DOCK}
# Idle announcements never talk over a visitor: after the robot last heard or listened to
# someone it keeps quiet this long (then the scheduler's first_after_s starts again).
CONVERSATION_QUIET_S = 20.0
TOUR_SERVER_WAIT_S = 30.0  # for the tour guide to be up (starting, or being respawned)
TOUR_ANSWER_S = 5.0  # the tour guide accepts or refuses a goal within this (wall) time
# No tour feedback this long (wall; the guide sends it every second): the tour guide died, so
# send the goal again. Generous, because a loaded machine can hold feedback up for seconds,
# and a live guide given the goal again for a tour that has just ended would start it anew.
TOUR_SILENT_S = 15.0
TOUR_RESENDS = 5  # ...at most this often, then the task fails


class RobotAgent(LeanNode):
    def __init__(self) -> None:
        super().__init__("robot_agent")
        self.robot_id = declare(self, "robot_id", "", "this robot's id in fleet.yaml")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml; empty = the default")
        if not self.robot_id:
            raise ValueError("parameter robot_id is required")
        fleet = load_fleet(fleet_file or None)
        if self.robot_id not in fleet.robots:
            raise ValueError(f"robot_id {self.robot_id!r} is not in {fleet.source}")
        self.config = fleet.robots[self.robot_id]
        self.site = fleet.sites[self.config.site]
        announce = declare(self, "announcements", True,
                           "say City information while idle (config/content/announcements.yaml)")
        content = load_announcements().sites.get(self.site.site_id)
        self.announcer = AnnouncementScheduler(content) if announce and content else None
        self._site_tz = ZoneInfo(self.site.timezone)

        self.logic = AgentLogic()
        self._lock = threading.RLock()
        self._pose: Pose2D | None = None
        self._battery = 100.0
        self._charging = False
        self._path: list[tuple[float, float]] = []
        self._escort: EscortMonitor | None = None  # while guiding a visitor
        self._escort_scan = None  # its scan subscription
        self._followers = FollowerWatch(self.config.radius, static_map=self.site.map)

        group = ReentrantCallbackGroup()
        self.navigator = Navigator(self)
        self.tf = PlanarTfListener(self, callback_group=group)
        self.create_subscription(BatteryState, "battery_state", self._on_battery, 10,
                                 callback_group=group)
        self.create_subscription(Path, "plan", self._on_plan, 1, callback_group=group)
        self.create_subscription(RobotCommand, "command", self._on_command, 10,
                                 callback_group=group)
        self.state_pub = self.create_publisher(RobotState, "robot_state", 10)
        self.report_pub = self.create_publisher(TaskState, "task_report",
                                                topics.TASK_UPDATES_QOS)
        self.cmd_pub = self.create_publisher(Twist, "cmd_vel", 10)
        self.say_pub = self.create_publisher(Say, "speech/say", 10)
        self.speed_pub = self.create_publisher(Float32, "speed_limit", 10)
        self._group = group
        self.create_timer(STATE_PERIOD_S, self._publish_state, callback_group=group)
        if self.announcer is not None:
            self._last_voice_s = float("-inf")
            self.create_subscription(Bool, "speech/listening", self._on_voice, 10,
                                     callback_group=group)
            self.create_subscription(Heard, "speech/heard", self._on_voice, 10,
                                     callback_group=group)
            self.create_timer(1.0, self._announce, callback_group=group)
        self.tour_client = ActionClient(self, RunTour, "run_tour", callback_group=group)
        self.server = ActionServer(
            self, ExecuteTask, "execute_task",
            execute_callback=self._execute,
            goal_callback=self._on_goal,
            cancel_callback=lambda _h: CancelResponse.ACCEPT,
            callback_group=group,
        )
        self.get_logger().info(f"agent {self.robot_id} at {self.site.site_id} ready")

    # ---------------------------------------------------------------- inputs
    def _on_battery(self, msg: BatteryState) -> None:
        with self._lock:
            self._battery = float(msg.percentage) * 100.0
            self._charging = msg.power_supply_status == BatteryState.POWER_SUPPLY_STATUS_CHARGING

    def _on_plan(self, msg: Path) -> None:
        with self._lock:
            self._path = [(p.pose.position.x, p.pose.position.y) for p in msg.poses]

    def _on_command(self, msg: RobotCommand) -> None:
        try:
            command = Command(msg.command)
        except ValueError:
            self.get_logger().warning(f"ignoring unknown command {msg.command!r}")
            return
        with self._lock:
            task = self.logic.task
            if command is Command.CANCEL and msg.task_id and (task is None
                                                              or task.task_id != msg.task_id):
                return  # a cancel meant for a task this robot is no longer running
            effect = self.logic.command(command)
        self.get_logger().info(f"command {command} from {msg.issuer or '?'}: now {self.logic.mode}")
        self._apply(effect)

    # ---------------------------------------------------------------- tasks
    def _on_goal(self, goal: ExecuteTask.Goal) -> GoalResponse:
        task = goal.task
        try:
            TaskType(task.type)
        except ValueError:
            self.get_logger().warning(f"rejecting task of unknown type {task.type!r}")
            return GoalResponse.REJECT
        if task.place and task.place not in self.site.places:
            self.get_logger().warning(f"rejecting task to unknown place {task.place!r}")
            return GoalResponse.REJECT
        if task.type == TaskType.RUN_TOUR and task.tour_id not in self.site.tours:
            self.get_logger().warning(f"rejecting unknown tour {task.tour_id!r}")
            return GoalResponse.REJECT
        with self._lock:
            if self.logic.busy or self.logic.mode is RobotMode.ESTOPPED:
                return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def _execute(self, handle: ServerGoalHandle) -> ExecuteTask.Result:
        request = handle.request.task
        task_type = TaskType(request.type)
        place = self.config.dock if task_type is TaskType.DOCK else request.place
        active = ActiveTask(request.task_id, task_type, place)
        with self._lock:
            try:
                effect = self.logic.start(active)
            except RuntimeError as exc:
                handle.abort()
                return ExecuteTask.Result(status=TaskStatus.FAILED.value, message=str(exc))
        self._report(request, TaskStatus.UNDERWAY, "")
        if task_type is TaskType.GUIDE_VISITOR:
            self._start_escort()
        if task_type is TaskType.RUN_TOUR:
            self._run_tour(handle, request)
        elif task_type not in NAVIGATING_TYPES:
            with self._lock:
                self.logic.navigation_finished(False, f"{task_type} is not supported yet")
        else:
            self._apply(effect)

        total = 0.0  # longest distance remaining seen: the basis of the progress fraction
        while self.context.ok():
            with self._lock:
                if handle.is_cancel_requested and self.logic.task.status is TaskStatus.UNDERWAY:
                    self._apply(self.logic.command(Command.CANCEL))
                status = self.logic.task.status
                waiting = self.logic.mode in (RobotMode.PAUSED, RobotMode.ESTOPPED)
            if status is not TaskStatus.UNDERWAY:
                break
            if self._escort is not None:
                self._escort_step()
                waiting = waiting or self._escort.waiting
            if not waiting and self.navigator.isTaskComplete():
                result = self.navigator.getResult()
                raw = self.navigator.getResultMessage()
                message = raw.error_msg if raw is not None else ""
                with self._lock:
                    self.logic.navigation_finished(result is TaskResult.SUCCEEDED, message)
                continue
            feedback = self.navigator.getFeedback()
            remaining = float(feedback.distance_remaining) if feedback else 0.0
            total = max(total, remaining)
            escort_waiting = self._escort is not None and self._escort.waiting
            handle.publish_feedback(ExecuteTask.Feedback(
                status=status.value, message=("손님을 기다리는 중 · waiting for the visitor"
                                              if escort_waiting else str(self.logic.mode)),
                progress=1.0 - remaining / total if total > 0 else 0.0,
                distance_remaining=remaining))
            time.sleep(TASK_LOOP_PERIOD_S)

        with self._lock:
            if self.logic.task.status is TaskStatus.UNDERWAY:  # shutting down mid-task
                self.logic.task.status = TaskStatus.KILLED
                self.logic.task.message = "robot agent shut down"
            # Reported before the robot's state can show it without the task (the state
            # timer takes this lock too), so the manager hears the outcome first.
            self._report(request, self.logic.task.status, self.logic.task.message)
            finished = self.logic.finish()
            self._path = []
        if self._escort is not None:
            self._end_escort(finished.status is TaskStatus.COMPLETED, finished.place)
        self.get_logger().info(f"task {finished.task_id} {finished.status}: {finished.message}")
        if finished.status is TaskStatus.CANCELED and handle.is_cancel_requested:
            handle.canceled()
        elif finished.status is TaskStatus.COMPLETED:
            handle.succeed()
        else:
            handle.abort()
        return ExecuteTask.Result(status=finished.status.value, message=finished.message)

    def _run_tour(self, handle: ServerGoalHandle, request) -> None:
        """Hand the tour to this robot's tour guide and relay it until it ends.

        The tour guide obeys the operator's pause/resume/e-stop on ``command`` itself; a
        cancel (of this task, or of the ExecuteTask goal) cancels its goal. A tour guide that
        goes silent (killed, respawned) is sent the goal again: a live one takes it over, a
        restarted one takes the tour up at the stop it had reached (docent/progress.py).
        """
        try:
            extras = json.loads(request.parameters_json or "{}")
        except ValueError:
            extras = {}
        goal = RunTour.Goal(tour_id=request.tour_id,
                            language=str(extras.get("language", "ko")))
        latest: list = []  # the newest RunTour feedback

        def finish(succeeded: bool, message: str) -> None:
            with self._lock:
                self.logic.tour_finished(succeeded, message)

        tour = result_future = None
        heard_at = time.monotonic()
        sent = 0
        progress = 0.0  # never goes back (a repeated narration is still that stop)
        while self.context.ok():
            with self._lock:
                if handle.is_cancel_requested and self.logic.task.status is TaskStatus.UNDERWAY:
                    self._apply(self.logic.command(Command.CANCEL))
                status = self.logic.task.status
            if status is not TaskStatus.UNDERWAY:  # canceled: the tour ends with the task
                if tour is not None:
                    tour.cancel_goal_async()
                return
            # (Its last feedback is relayed below before the end is.)
            finished = result_future is not None and result_future.done()
            if not finished and (tour is None or time.monotonic() - heard_at > TOUR_SILENT_S):
                if sent >= TOUR_RESENDS:
                    return finish(False, "the tour guide stopped answering")
                if sent:
                    self.get_logger().warning(f"tour guide silent: sending {goal.tour_id} again")
                sent += 1
                tour, refused = self._send_tour(goal, latest)
                heard_at = time.monotonic()
                if refused:
                    return finish(False, f"the tour guide refused tour {goal.tour_id}")
                if tour is None:
                    continue  # not up (yet, or again): try once more
                result_future = tour.get_result_async()
            if latest:
                feedback, heard_at = latest.pop(), time.monotonic()
                latest.clear()
                done = feedback.current_stop + (1 if feedback.phase in (
                    "dwelling", "rating", "finished") else 0)
                progress = max(progress, done / max(1, feedback.total_stops))
                handle.publish_feedback(ExecuteTask.Feedback(
                    status=TaskStatus.UNDERWAY.value, message=_tour_line(feedback),
                    progress=progress, distance_remaining=0.0))
            if finished:
                answer = result_future.result().result
                return finish(answer.success, answer.message)
            time.sleep(TASK_LOOP_PERIOD_S)

    def _send_tour(self, goal: RunTour.Goal, latest: list):
        """Send the RunTour goal: (the accepted goal handle or None, refused outright)."""
        if not self.tour_client.wait_for_server(timeout_sec=TOUR_SERVER_WAIT_S):
            return None, False
        answered = threading.Event()
        future = self.tour_client.send_goal_async(goal, feedback_callback=lambda m: (
            latest.append(m.feedback)))
        future.add_done_callback(lambda _f: answered.set())
        if not answered.wait(TOUR_ANSWER_S):
            # Given up on: should it be accepted after all, it must not run unsupervised.
            future.add_done_callback(lambda f: f.result() is not None and f.result().accepted
                                     and f.result().cancel_goal_async())
            return None, False
        tour = future.result()
        if tour is None or not tour.accepted:
            return None, True
        return tour, False

    # ---------------------------------------------------------------- escorting a visitor
    def _start_escort(self) -> None:
        """Lead at walking pace and watch who follows (fleet/escort.py)."""
        self._followers.reset()
        self._escort = EscortMonitor(self._now_s())
        self.speed_pub.publish(Float32(data=float(self._escort.config.pace_mps)))
        self._escort_scan = self.create_subscription(
            LaserScan, "scan", self._on_escort_scan, qos_profile_sensor_data,
            callback_group=self._group)

    def _on_escort_scan(self, msg: LaserScan) -> None:
        escort = self._escort
        if escort is None:
            return
        scan = Scan(msg.angle_min, msg.angle_increment,
                    np.asarray(msg.ranges, dtype=np.float32), msg.range_min, msg.range_max)
        with self._lock:
            pose = self._pose
        # Waiting, the visitor may walk up from any side (round a corner it stopped at).
        group = self._followers.update(scan, pose, walking=not escort.waiting)
        escort.observe(self._now_s(), group.count, group.nearest_m)

    def _escort_step(self) -> None:
        """One look at the escort (from the task loop): stop, go on, call out or give up."""
        escort = self._escort
        event = escort.update(self._now_s())
        if event is None:
            return
        words = ESCORT_WORDS[event]
        self._say_notice(words.ko, words.en)
        self.get_logger().info(f"escort: {event.value}")
        with self._lock:
            moving = self.logic.mode not in (RobotMode.PAUSED, RobotMode.ESTOPPED)
            if event is EscortEvent.WAIT and moving:
                self._apply(Effect.STOP)
            elif event is EscortEvent.GO_ON and moving:
                self._apply(Effect.NAVIGATE)
            elif event is EscortEvent.GIVE_UP:
                self.navigator.cancelTask()
                self.cmd_pub.publish(Twist())
                self.logic.navigation_finished(False, "the visitor stopped following")

    def _end_escort(self, arrived: bool, place_id: str) -> None:
        if self._escort_scan is not None:
            self.destroy_subscription(self._escort_scan)
        self._escort = self._escort_scan = None
        self.speed_pub.publish(Float32(data=0.0))  # no cap
        if arrived:
            place = self.site.places[place_id]
            self._say_notice(f"도착했습니다. 여기가 {place.name_ko}입니다.",
                             f"Here we are: {place.name_en}.")

    def _say_notice(self, ko: str, en: str) -> None:
        self.say_pub.publish(Say(
            stamp=self.get_clock().now().to_msg(),
            utterance_id=f"{self.robot_id}-escort-{uuid.uuid4().hex[:8]}",
            robot_id=self.robot_id, kind=Say.KIND_NOTICE, text_ko=ko, text_en=en,
            language="ko", rate=0.9))

    def _now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _report(self, request, status: TaskStatus, message: str) -> None:
        self.report_pub.publish(TaskState(task_id=request.task_id, request=request,
                                          status=status.value, robot_id=self.robot_id,
                                          message=message,
                                          progress=1.0 if status is TaskStatus.COMPLETED
                                          else 0.0))

    def _apply(self, effect: Effect) -> None:
        if effect is Effect.STOP:
            self.navigator.cancelTask()
            self.cmd_pub.publish(Twist())
        elif effect is Effect.NAVIGATE:
            if self.logic.task.type is TaskType.RUN_TOUR:
                return  # the tour guide resumes its own tour (it hears the same command)
            if self._escort is not None and self._escort.waiting:
                return  # still waiting for the visitor: the escort goes on when they come
            place = self.site.places[self.logic.task.place]
            goal = pose_stamped(place.pose, self.get_clock().now().to_msg())
            if not self.navigator.goToPose(goal):
                self.logic.navigation_finished(False, "navigation server is not available")

    # ---------------------------------------------------------------- idle announcements
    def _on_voice(self, msg: Bool | Heard) -> None:
        if isinstance(msg, Heard) or msg.data:
            self._last_voice_s = self.get_clock().now().nanoseconds * 1e-9

    def _announce(self) -> None:
        now = self.get_clock().now()
        talking = now.nanoseconds * 1e-9 - self._last_voice_s < CONVERSATION_QUIET_S
        with self._lock:
            idle = self.logic.mode is RobotMode.IDLE and not self._charging and not talking
        today = dt.datetime.now(self._site_tz).date()  # date limits are the site's days
        item = self.announcer.update(now.nanoseconds * 1e-9, idle, today)
        if item is None:
            return
        self.get_logger().info(f"announcing {item.id}: {item.text_ko}")
        self.say_pub.publish(Say(
            stamp=now.to_msg(), utterance_id=f"{self.robot_id}-{item.id}-{uuid.uuid4().hex[:8]}",
            robot_id=self.robot_id, kind=Say.KIND_ANNOUNCEMENT, text_ko=item.text_ko,
            text_en=item.text_en, language="ko", rate=1.0, image=item.image))

    # ---------------------------------------------------------------- state
    def _publish_state(self) -> None:
        pose = self.tf.lookup("map", "base_link")
        with self._lock:
            self._pose = pose or self._pose
            if self.logic.mode is RobotMode.ESTOPPED:
                self.cmd_pub.publish(Twist())  # hold still until released
            msg = RobotState()
            msg.header.stamp = self.get_clock().now().to_msg()
            msg.header.frame_id = "map"
            msg.robot_id = self.robot_id
            msg.site_id = self.site.site_id
            mode = self.logic.mode
            if mode is RobotMode.IDLE and self._charging:
                mode = RobotMode.CHARGING
            msg.mode = mode.value
            if self._pose is not None:
                msg.pose = pose_to_msg(self._pose)
            else:
                msg.errors.append("pose unknown: no map -> base_link transform yet")
            msg.battery_percent = float(self._battery)
            msg.charging = self._charging
            task = self.logic.task
            msg.current_task_id = task.task_id if task else ""
            msg.current_place = task.place if task else ""
            msg.path = [Point(x=x, y=y) for x, y in self._path] if task else []
        self.state_pub.publish(msg)


def _tour_line(feedback: RunTour.Feedback) -> str:
    """ "2/6 장미정원 · Rose garden, 12 min left" """
    minutes = max(1, round(feedback.seconds_remaining / 60.0))
    return (f"{feedback.current_stop + 1}/{feedback.total_stops} {feedback.stop_name}, "
            f"{minutes} min left")


def main(args: list[str] | None = None) -> None:
    run_node(RobotAgent, args, threads=4)


if __name__ == "__main__":
    main()
