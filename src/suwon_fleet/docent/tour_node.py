"""Docent tour guide: one per robot whose site has tours. Runs RunTour goals.

  action server  run_tour (suwon_fleet_interfaces/RunTour): tour_id, language -> feedback
                 current_stop / total_stops / stop_name / phase / seconds_remaining; result
  subscribes     scan (people following the robot), tf/tf_static (its map pose),
                 battery_state, speech/heard (Heard: guests' words and screen taps, final
                 results only), command (RobotCommand: operator pause/resume/cancel/estop)
  publishes      speech/say (Say: narration and notices, Korean with English), speech/stop
                 (std_msgs/Empty: stop speaking now), speed_limit (std_msgs/Float32: the
                 guests' walking pace for the navigation server), tour/state (std_msgs/String,
                 JSON, latched: progress, screen and result, for the screen and the dashboard)
  uses           navigate_to_pose / navigate_through_poses through navigation.navigator;
                 the fleet manager's submit_task, for a course a guest chose by voice or
                 the way to a place (docent/guest_desk.py: what it hears between tours)
  stores         guests' ratings in the fleet database (tour_ratings, docent/ratings.py), and
                 the tour's progress at every stop (tour_progress, docent/progress.py): a
                 tour guide restarted mid-tour takes the tour up again when its goal returns

The tour itself is docent/session.py and docent/runner.py (no ROS); this node is wiring. A
goal for the tour already under way takes it over (an agent restarted mid-tour picks up its
own tour instead of failing it); a goal for another tour while one runs is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.action.server import ServerGoalHandle
from rclpy.qos import qos_profile_sensor_data
from rclpy.task import Future
from sensor_msgs.msg import BatteryState, LaserScan
from std_msgs.msg import Empty, Float32, String
from suwon_fleet_interfaces.action import RunTour
from suwon_fleet_interfaces.msg import Heard, RobotCommand, Say, TaskRequest
from suwon_fleet_interfaces.srv import SubmitTask

from suwon_fleet.core import paths
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.tours import Text, season_of
from suwon_fleet.docent.course_chat import GuideTo, StartCourse
from suwon_fleet.docent.guest_desk import GuestDesk
from suwon_fleet.docent.planning import RouteBook, plan_tour
from suwon_fleet.docent.progress import ProgressStore
from suwon_fleet.docent.ratings import RatingStore
from suwon_fleet.docent.runner import RunnerConfig, TourResult
from suwon_fleet.docent.session import (
    CancelDrive,
    Done,
    Drive,
    Hush,
    SessionConfig,
    Speak,
    Status,
    TourSession,
)
from suwon_fleet.navigation.navigator import Navigator, TaskResult
from suwon_fleet.perception.rear_people import Scan
from suwon_fleet.ros import topics
from suwon_fleet.ros.conversions import pose_stamped
from suwon_fleet.ros.lean_node import LeanNode
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare
from suwon_fleet.ros.tf_listener import PlanarTfListener

STATE_QOS = topics.INDICATOR_QOS  # latched: a screen that starts now shows the tour
FEEDBACK_PERIOD_S = 1.0  # wall seconds between feedback repeats (the agent's heartbeat)
RESUME_WITHIN_S = 900.0  # a tour saved this recently (wall) is taken up again, not restarted
_OUTCOMES = {TaskResult.SUCCEEDED: "succeeded", TaskResult.CANCELED: "canceled"}


class TourGuide(LeanNode):
    def __init__(self) -> None:
        super().__init__("tour_guide")
        self.robot_id = declare(self, "robot_id", "", "this robot's id in fleet.yaml")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml; empty = the default")
        database = declare(self, "database", "",
                           "SQLite file for ratings; empty = the fleet's policies.database")
        self.season = declare(self, "season", "",
                              "spring/summer/autumn/winter; empty = today's at the site")
        tick_hz = declare(self, "tick_rate", 10.0, "tour runner updates per (sim) second")
        rating_timeout = declare(self, "rating_timeout_s", 90.0,
                                 "how long the rating question waits for an answer")
        if not self.robot_id:
            raise ValueError("parameter robot_id is required")
        fleet = load_fleet(fleet_file or None)
        if self.robot_id not in fleet.robots:
            raise ValueError(f"robot_id {self.robot_id!r} is not in {fleet.source}")
        robot = fleet.robots[self.robot_id]
        self.site = fleet.sites[robot.site]
        if not self.site.tours or self.site.docent is None:
            raise ValueError(f"{self.site.site_id} has no tours")
        db_path = database or fleet.policies.database
        if db_path != ":memory:" and not Path(db_path).is_absolute():
            db_path = str(paths.data_root() / db_path)
        self.db_path = db_path
        self.progress = ProgressStore(db_path, self.robot_id)
        self._saved: tuple[int, int] | None = None  # (stop, stops done) last saved
        self.routes = RouteBook(self.site, robot.radius)
        self.session_config = SessionConfig(
            runner=RunnerConfig(rating_timeout_s=rating_timeout), robot_radius=robot.radius)
        self._tz = ZoneInfo(self.site.timezone)

        self._lock = threading.Lock()  # the recogniser arrives from its loading thread
        self.session: TourSession | None = None
        self._tour_id = ""
        self._owner: ServerGoalHandle | None = None  # the goal the tour reports to
        self._owner_done: Future | None = None  # completes when the owner's tour ends
        self._feedback_at = 0.0
        self._last_phase = ""
        self._season = ""
        self._nav_request: int | None = None  # the drive under way, by the session's id
        self.recognizer = None
        threading.Thread(target=self._load_recognizer, daemon=True).start()

        # One thread: every callback is short; the action's execute callback awaits the end
        # of its tour instead of blocking a thread.
        self.navigator = Navigator(self)
        self.tf = PlanarTfListener(self)
        self.create_subscription(LaserScan, "scan", self._on_scan, qos_profile_sensor_data)
        self.create_subscription(BatteryState, "battery_state", self._on_battery, 10)
        self.create_subscription(Heard, "speech/heard", self._on_heard, 10)
        self.create_subscription(RobotCommand, "command", self._on_command, 10)
        self.say_pub = self.create_publisher(Say, "speech/say", 10)
        self.hush_pub = self.create_publisher(Empty, "speech/stop", 10)
        self.speed_pub = self.create_publisher(Float32, "speed_limit", 10)
        self.state_pub = self.create_publisher(String, "tour/state", STATE_QOS)
        self.submit = self.create_client(SubmitTask, topics.SUBMIT_TASK)
        self.desk = GuestDesk(self.site, now=lambda: dt.datetime.now(self._tz),
                              seconds=time.monotonic,
                              pose=lambda: self.tf.lookup("map", "base_link"),
                              routes=self.routes)
        self.create_timer(1.0 / tick_hz, self._tick)
        self.server = ActionServer(
            self, RunTour, "run_tour", execute_callback=self._execute,
            goal_callback=self._on_goal, cancel_callback=lambda _h: CancelResponse.ACCEPT)
        self.get_logger().info(f"tour guide for {self.robot_id} at {self.site.site_id}: "
                               f"courses {', '.join(self.site.tours)}")

    def destroy_node(self) -> None:
        self.progress.close()
        super().destroy_node()

    def _load_recognizer(self) -> None:
        """The concierge's Korean intent recogniser (a few seconds to load its analyser)."""
        from suwon_fleet.concierge.content import load_content
        from suwon_fleet.concierge.intents import IntentRecognizer

        recognizer = IntentRecognizer(load_content())
        recognizer.recognize("잠깐 멈춰 주세요")  # warm up the analyser
        with self._lock:
            self.recognizer = recognizer

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    # ---------------------------------------------------------------- the action
    def _on_goal(self, goal: RunTour.Goal) -> GoalResponse:
        if goal.tour_id not in self.site.tours:
            self.get_logger().warning(f"no course {goal.tour_id!r}; courses: "
                                      f"{', '.join(self.site.tours)}")
            return GoalResponse.REJECT
        if (goal.language or "ko") not in ("ko", "en", "both"):
            self.get_logger().warning(f"language {goal.language!r} is not ko, en or both")
            return GoalResponse.REJECT
        if self._running and goal.tour_id != self._tour_id:
            self.get_logger().warning(f"refusing {goal.tour_id}: {self._tour_id} is under way")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    @property
    def _running(self) -> bool:
        return self.session is not None and not self.session.finished

    async def _execute(self, handle: ServerGoalHandle) -> RunTour.Result:
        goal = handle.request
        if self._running and goal.tour_id == self._tour_id:
            self.get_logger().info(f"a new goal takes over the {goal.tour_id} tour")
            session = self.session
        else:
            session = self._start(goal.tour_id, goal.language or "ko")
            if session is None:
                handle.abort()
                return RunTour.Result(success=False, message="could not plan the tour")
        if self._owner_done is not None and not self._owner_done.done():
            self._owner_done.set_result(False)  # the previous goal hands over
        done = self._owner_done = Future()
        self._owner = handle
        self._carry_out(session.drain())
        if session.finished:
            done.set_result(True)
        if not await done:
            handle.abort()
            return RunTour.Result(success=False, message="taken over by a newer goal")
        self._owner, self._owner_done = None, None
        end = session.done
        result = end.result
        skipped = sum(1 for s in result.stops if s.status == "skipped") if result else 0
        narrated = len(result.narrated_places) if result else 0
        self.get_logger().info(f"tour {goal.tour_id}: {end.message}")
        if handle.is_cancel_requested:
            handle.canceled()
        elif end.success:
            handle.succeed()
        else:
            handle.abort()
        return RunTour.Result(success=end.success, stops_completed=narrated,
                              stops_skipped=skipped, message=end.message)

    def _start(self, tour_id: str, language: str) -> TourSession | None:
        season = self.season or season_of(dt.datetime.now(self._tz).date())
        try:
            plan = plan_tour(self.site, tour_id, season, language, self.routes)
        except ValueError as exc:
            self.get_logger().error(f"cannot plan {tour_id}: {exc}")
            return None
        session = TourSession(self.site, plan, self._now, self.routes, self.session_config,
                              rating_sink=self._store_rating, recognizer=self.recognizer)
        session.pose = self.tf.lookup("map", "base_link")
        self.session, self._tour_id, self._nav_request = session, tour_id, None
        self._season, self._saved = season, None
        saved = self.progress.load(RESUME_WITHIN_S)
        if saved is not None and (saved.tour_id, saved.language) == (tour_id, language):
            self.get_logger().warning(
                f"taking up {tour_id} again at stop {saved.next_stop + 1}/{len(plan.stops)} "
                f"({len(saved.narrations)} narrations given before the restart)")
            session.start(resume=saved)
            return session
        self.get_logger().info(
            f"starting {tour_id} ({season}, {language}): {len(plan.stops)} stops, "
            f"estimate {plan.total_s / 60:.1f} min")
        session.start()
        return session

    def _store_rating(self, result: TourResult) -> None:
        # Opened per rating: a tour is rated once, so a connection held open buys nothing.
        try:
            with closing(RatingStore(self.db_path, self.site.site_id, self.robot_id)) as store:
                store.record(result)
            self.get_logger().info(f"rating {result.rating} for {result.course_id} stored")
        except Exception as exc:  # a lost rating must not end the tour badly
            self.get_logger().error(f"could not store the rating: {exc!r}")

    # ---------------------------------------------------------------- inputs
    def _tick(self) -> None:
        session = self.session
        if session is None or session.finished:
            return
        if session.recognizer is None:
            with self._lock:
                session.recognizer = self.recognizer
        owner = self._owner
        if owner is not None and owner.is_cancel_requested:
            session.cancel()
        pose = self.tf.lookup("map", "base_link")
        if pose is not None:
            session.on_pose(pose)
        request = self._nav_request
        if request is not None and self.navigator.isTaskComplete():
            self._nav_request = None
            result = self.navigator.getResult()
            raw = self.navigator.getResultMessage()
            message = raw.error_msg if raw is not None else ""
            session.on_drive_done(request, _OUTCOMES.get(result, "failed"), message)
        session.tick(self._now())
        self._carry_out(session.drain())
        # The time left counts down between the runner's own reports.
        if owner is not None and time.monotonic() - self._feedback_at >= FEEDBACK_PERIOD_S:
            status = session.status
            if status is not None:
                self._feedback(status)

    def _on_scan(self, msg: LaserScan) -> None:
        session = self.session
        if session is None or session.finished:
            return
        pose = self.tf.lookup("map", "base_link")
        scan = Scan(msg.angle_min, msg.angle_increment,
                    np.asarray(msg.ranges, dtype=np.float32), msg.range_min, msg.range_max)
        session.on_scan(scan, pose)
        self._carry_out(session.drain())

    def _on_battery(self, msg: BatteryState) -> None:
        session = self.session
        if session is not None and not session.finished:
            session.on_battery(float(msg.percentage) * 100.0)
            self._carry_out(session.drain())

    def _on_heard(self, msg: Heard) -> None:
        session = self.session
        if not msg.final or not msg.text.strip():
            return
        if session is None or session.finished:
            self._choose_course(msg)
            return
        taken = session.on_heard(msg.text, msg.source or "voice")
        self._carry_out(session.drain())
        self.get_logger().info(f"heard ({msg.source or 'voice'}) {msg.text!r}: "
                               f"{taken if taken is not None else 'not understood'}")

    # ---------------------------------------------------------------- choosing a course
    def _choose_course(self, msg: Heard) -> None:
        """No tour under way: a course, the way somewhere, or a hint (docent/guest_desk.py)."""
        reply = self.desk.hear(msg.text, msg.source or "voice", msg.confidence)
        if reply is None:
            return
        self.get_logger().info(f"guest desk: {msg.text!r} -> {reply.text.ko}")
        self._say_dialogue(reply.text)
        if reply.action is not None:
            self._submit_for_guest(reply.action)

    def _submit_for_guest(self, action: StartCourse | GuideTo) -> None:
        """The guest said yes: a run_tour or guide_visitor task for this robot."""
        if isinstance(action, StartCourse):
            request = TaskRequest(type="run_tour", site_id=self.site.site_id,
                                  robot_id=self.robot_id, tour_id=action.course_id, priority=5,
                                  requester=f"voice:{self.robot_id}",
                                  parameters_json=json.dumps({"language": action.language}))
        else:
            request = TaskRequest(type="guide_visitor", site_id=self.site.site_id,
                                  robot_id=self.robot_id, place=action.place_id, priority=7,
                                  requester=f"voice:{self.robot_id}", parameters_json="{}")
        sorry = Text(ko="죄송해요. 지금은 그렇게 할 수 없어요. 방문자센터에 문의해 주세요.",
                     en="Sorry, I cannot do that right now. Please ask at the visitor centre.")
        if not self.submit.service_is_ready():
            self._say_dialogue(sorry)
            return

        def answered(future: Future) -> None:
            response = future.result()
            if response is None or not response.accepted:
                why = response.message if response is not None else "no answer"
                self.get_logger().warning(f"{request.type} for a guest refused: {why}")
                self._say_dialogue(sorry)

        self.submit.call_async(SubmitTask.Request(request=request)).add_done_callback(answered)

    def _say_dialogue(self, text: Text) -> None:
        msg = Say(utterance_id=f"{self.robot_id}-{uuid.uuid4().hex[:10]}",
                  robot_id=self.robot_id, kind=Say.KIND_DIALOGUE, text_ko=text.ko,
                  text_en=text.en, language="ko", rate=1.0)
        msg.stamp = self.get_clock().now().to_msg()
        self.say_pub.publish(msg)

    def _on_command(self, msg: RobotCommand) -> None:
        command = msg.command
        if command == "cancel" and msg.task_id:
            return  # a task's cancel: its agent cancels our goal if the task is this tour
        session = self.session
        if session is None or session.finished:
            return
        session.on_operator(command)
        self._carry_out(session.drain())
        self.get_logger().info(f"operator {command} from {msg.issuer or '?'}")

    # ---------------------------------------------------------------- outputs
    def _carry_out(self, outputs: list) -> None:
        """Send what the session decided to the robot's parts."""
        for out in outputs:
            if isinstance(out, Drive):
                self._drive(out)
            elif isinstance(out, CancelDrive):
                self._nav_request = None
                self.navigator.cancelTask()
            elif isinstance(out, Speak):
                self._say(out)
            elif isinstance(out, Hush):
                self.hush_pub.publish(Empty())
            elif isinstance(out, Status):
                if out.phase != self._last_phase:
                    self._last_phase = out.phase
                    self.get_logger().info(f"stop {out.stop + 1}/{out.of} {out.place}: "
                                           f"{out.phase}")
                # A status can come after the end in the same batch (a cancel while going to
                # the start): it must not make the finished tour look under way again.
                session = self.session
                self._publish_state(out, session.done if session is not None
                                    and session.finished else None)
                if self._owner is not None:
                    self._feedback(out)
                self._save_progress(out)
            elif isinstance(out, Done):
                self.progress.clear()
                self._nav_request = None
                self.speed_pub.publish(Float32(data=0.0))  # back to the robot's own speed
                if self.session is not None and self.session.status is not None:
                    self._publish_state(self.session.status, out)
                if self._owner_done is not None and not self._owner_done.done():
                    self._owner_done.set_result(True)

    def _save_progress(self, status: Status) -> None:
        """At every stop, so a restarted tour guide takes the tour up where it was."""
        key = (status.stop, status.stops_done)
        if key == self._saved or self.session is None:
            return
        progress = self.session.progress(self._tour_id, self._season)
        if progress is not None:
            self.progress.save(progress)
            self._saved = key

    def _feedback(self, status: Status) -> None:
        self._feedback_at = time.monotonic()
        self._owner.publish_feedback(_feedback(status))

    def _drive(self, drive: Drive) -> None:
        self.speed_pub.publish(Float32(data=float(drive.pace)))
        stamp = self.get_clock().now().to_msg()
        poses = [pose_stamped(p, stamp) for p in drive.poses]
        sent = (self.navigator.goToPose(poses[0]) if len(poses) == 1
                else self.navigator.goThroughPoses(poses))
        if sent:
            self._nav_request = drive.request_id
        else:
            self.session.on_drive_done(drive.request_id, "failed",
                                       "navigation server is not available")

    def _say(self, speak: Speak) -> None:
        now = self.get_clock().now()
        self.say_pub.publish(Say(
            stamp=now.to_msg(), utterance_id=f"{self.robot_id}-tour-{uuid.uuid4().hex[:8]}",
            robot_id=self.robot_id, kind=speak.kind, text_ko=speak.text.ko,
            text_en=speak.text.en, language=speak.language, rate=1.0, image=speak.image))

    def _publish_state(self, status: Status, done: Done | None) -> None:
        course = self.site.tours[self._tour_id]
        state = {
            "robot_id": self.robot_id, "tour_id": self._tour_id,
            "course": {"ko": course.name_ko, "en": course.name_en},
            "stop": status.stop, "of": status.of, "place": status.place,
            "name": status.name.model_dump(), "phase": status.phase,
            "time_left_s": round(status.time_left_s, 1), "label": status.label.model_dump(),
            "stops_done": status.stops_done,
            "screen": {"title": status.title.model_dump() if status.title else None,
                       "body": status.body.model_dump() if status.body else None,
                       "image": status.image},
            "finished": done is not None,
        }
        group = self.session.last_group if self.session is not None else None
        state["group"] = {"count": group.count if group else 0,
                          "nearest_m": round(group.nearest_m, 2)
                          if group and group.nearest_m is not None else None}
        if done is not None:
            state["result"] = _result_dict(done)
        self.state_pub.publish(String(data=json.dumps(state, ensure_ascii=False)))


def _feedback(status: Status) -> RunTour.Feedback:
    return RunTour.Feedback(current_stop=status.stop, total_stops=status.of,
                            stop_name=f"{status.name.ko} · {status.name.en}",
                            phase=status.phase, seconds_remaining=float(status.time_left_s))


def _result_dict(done: Done) -> dict:
    out: dict = {"success": done.success, "message": done.message}
    result = done.result
    if result is not None:
        out.update(reason=result.reason.value, duration_s=round(result.duration_s, 1),
                   estimate_s=round(result.estimate_s, 1), narrations=result.narrations,
                   stops=[{"place": s.place, "status": s.status, "reason": s.reason}
                          for s in result.stops],
                   waited_for_group_s=round(result.waited_for_group_s, 1),
                   replanning_s=round(result.replanning_s, 1),
                   detour_s=round(result.detour_s, 1), paused_s=round(result.paused_s, 1),
                   rating=result.rating, handed_over=result.handed_over)
    return out


def main(args: list[str] | None = None) -> None:
    # Single-threaded: the events executor does not resume an execute callback awaiting a
    # future (rclpy 9.x), and nothing here needs a second thread.
    run_node(TourGuide, args)


if __name__ == "__main__":
    main()
