"""One docent tour between the robot's I/O and the TourRunner, free of ROS.

The RunTour node (tour_node.py) and the closed-loop benchmark both drive a tour through this
class, so what the node does is tested without DDS. It adds to the runner what a robot needs:

* getting to the course's meeting point first, when the robot stands elsewhere;
* navigation requests as the poses to drive through (legs.py: the runner's way round a
  blockage, step-free waypoints), at the course's walking pace, and navigation outcomes back,
  matched by request id; a goal ended by an e-stop or a cancel is not a blocked way, a goal
  that takes LEG_TIME_FACTOR times its route's walking time (plus a minute) is;
* people detection from laser scans: behind the robot (or right beside it) while it walks,
  the group following; all round it while it stands, held for its group or at a stop;
* guests' words (voice.py): commands, a rating when one is asked for, and a polite re-ask for
  anything else, while the tour goes on;
* operator commands, which outrank guests': pause, resume, cancel (end the tour) and e-stop
  (pause, and nothing but release and then an operator's resume moves the tour on);
* a status for the action feedback, the robot's screen and the dashboard.

Outputs are records taken with ``drain()``: Drive / CancelDrive for the navigation, Speak /
Hush for the speech output, Status, and Done at the end.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import Site
from suwon_fleet.core.tours import Text
from suwon_fleet.docent import phrases
from suwon_fleet.docent.legs import leg_poses
from suwon_fleet.docent.planning import RouteBook, TourPlan
from suwon_fleet.docent.progress import TourProgress
from suwon_fleet.docent.runner import (
    AskRating,
    Finished,
    NavigateTo,
    Phase,
    Progress,
    RunnerConfig,
    Say,
    Screen,
    Source,
    StopMoving,
    StopSpeaking,
    TourCommand,
    TourResult,
    TourRunner,
)
from suwon_fleet.docent.voice import Recognizer, understand
from suwon_fleet.perception.rear_people import (
    Followers,
    FollowerWatch,
    MapFilter,
    RearConfig,
    Scan,
)

Point = tuple[float, float]

AT_START_M = 1.5  # nearer than this to the meeting point: start there and then
# A leg that takes this much longer than its route at the walking pace is blocked, even when
# the navigation keeps trying (round and round a crowd on an open lawn, say).
LEG_TIME_FACTOR = 3.0
LEG_TIME_MARGIN_S = 60.0
BLOCKAGE_LOOK_M = 3.0  # a failed leg: what the laser saw this close ahead is what blocks it
POSITION_ATTEMPTS = 2
POSITIONING_REQUEST = 0  # the runner numbers its own requests from 1

# The RunTour feedback's phase words (see RunTour.action) for the runner's phases.
FEEDBACK_PHASE = {
    Phase.READY: "starting", Phase.INTRO: "narrating", Phase.NAVIGATING: "moving",
    Phase.HELD: "waiting_for_group", Phase.GATHERING: "waiting_for_group",
    Phase.NARRATING: "narrating", Phase.DWELLING: "dwelling", Phase.PAUSED: "paused",
    Phase.DETOUR: "moving", Phase.AT_FACILITY: "at_facility", Phase.FAREWELL: "narrating",
    Phase.RATING: "rating", Phase.FINISHED: "finished",
}
# Walking: the group is looked for behind the robot. Standing (held for the group, at a stop):
# all round it, since guests who catch up or gather round may stand at its side.
_WALKING = (Phase.NAVIGATING, Phase.DETOUR)
# Navigation results that say nothing about the way: the goal was taken away on purpose.
_NOT_BLOCKED = ("emergency stop", "canceled", "preempted")


# --------------------------------------------------------------------------- outputs
@dataclass(frozen=True)
class Drive:
    request_id: int
    poses: tuple[Pose2D, ...]  # through these in order; the goal last
    pace: float  # m/s: the speed cap while touring
    purpose: str


@dataclass(frozen=True)
class CancelDrive:
    reason: str


@dataclass(frozen=True)
class Speak:
    text: Text
    language: str  # ko or en (both: Korean, with English on the screen)
    kind: str  # narration or notice (Say.KIND_*)
    image: str  # "" for none
    duration_s: float


@dataclass(frozen=True)
class Hush:
    """Stop speaking now (a pause, a skip, the end)."""


@dataclass(frozen=True)
class Status:
    stop: int  # 0-based index into the tour's stops
    of: int
    place: str
    name: Text
    phase: str  # FEEDBACK_PHASE's words
    runner_phase: str
    time_left_s: float
    label: Text  # "2/6 장미정원 · 남은 시간 약 12분"
    title: Text | None
    body: Text | None
    image: str
    stops_done: int  # narrated or skipped so far


@dataclass(frozen=True)
class Done:
    success: bool
    message: str
    result: TourResult | None  # None: the tour never started (meeting point unreachable)


Output = Drive | CancelDrive | Speak | Hush | Status | AskRating | Done


@dataclass(frozen=True)
class SessionConfig:
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    rear: RearConfig = field(default_factory=RearConfig)
    robot_radius: float = 0.25


class TourSession:
    def __init__(self, site: Site, plan: TourPlan, clock: Callable[[], float],
                 routes: RouteBook | None = None, config: SessionConfig | None = None,
                 rating_sink: Callable[[TourResult], None] | None = None,
                 recognizer: Recognizer | None = None) -> None:
        self.site = site
        self.plan = plan
        self.clock = clock
        self.routes = routes or RouteBook(site)
        self.config = config = config or SessionConfig()
        self.recognizer = recognizer
        self.runner = TourRunner(plan, site, clock, self.routes, config.runner, rating_sink)
        radius = config.robot_radius
        self.followers = FollowerWatch(radius, config.rear, site.map)
        self.pose: Pose2D | None = None
        self.estopped = False
        self.done: Done | None = None
        self.outbox: list[Output] = []
        self.last_group: Followers | None = None
        self._last_scan: tuple[Scan, Pose2D | None] | None = None
        self._map_filter: MapFilter = self.followers.map_filter  # type: ignore[assignment]
        self._drive: Drive | None = None  # the live one
        self._drive_deadline = math.inf
        self._positioning = False  # driving to the meeting point before the tour starts
        self._position_paused = False
        self._position_attempts = 0
        self._status: Status | None = None
        self._status_at = 0.0
        self._screen: Screen | None = None
        self._progress: Progress | None = None
        self._image = ""

    # ----------------------------------------------------------------------- outputs
    def drain(self) -> list[Output]:
        out, self.outbox = self.outbox, []
        return out

    @property
    def finished(self) -> bool:
        return self.done is not None

    @property
    def status(self) -> Status | None:
        """The latest status, its time left counted down since it was reported."""
        status = self._status
        if status is None:
            return None
        if status.runner_phase in (Phase.PAUSED, Phase.HELD, Phase.READY):
            return status
        left = max(0.0, status.time_left_s - (self.clock() - self._status_at))
        return replace(status, time_left_s=left)

    def progress(self, tour_id: str, season: str = "") -> TourProgress | None:
        """Where the tour has got to, to save (None before it starts and after it ends)."""
        runner = self.runner
        if self._positioning or self.finished or runner.phase is Phase.READY:
            return None
        outcomes = runner.outcomes
        done = {o.index for o in outcomes}
        next_stop = next((i for i in range(len(self.plan.stops)) if i not in done),
                         len(self.plan.stops))
        return TourProgress(tour_id, self.plan.language, season, next_stop, runner.elapsed_s,
                            outcomes, runner.narrations)

    # ----------------------------------------------------------------------- inputs
    def start(self, resume: TourProgress | None = None) -> None:
        """Begin: at the meeting point at once, else after driving there. ``resume``: take up
        a tour the robot's tour guide was giving when it stopped (no introduction)."""
        if resume is not None:
            self.runner.resume(resume.next_stop, resume.outcomes, resume.narrations,
                               resume.elapsed_s)
            self._carry()
            return
        start = self.plan.start_pose
        here = self.pose
        if here is None or math.hypot(here.x - start.x, here.y - start.y) <= AT_START_M:
            self._start_tour()
            return
        self._positioning = True
        place = self.site.places[self.plan.start_place]
        self._speak(phrases.to_meeting_point(Text(ko=place.name_ko, en=place.name_en)))
        self._drive_to_start()
        self._emit_status()

    def on_pose(self, pose: Pose2D) -> None:
        self.pose = pose
        if not self._positioning and not self.finished:
            self.runner.on_pose(pose.x, pose.y)

    def on_scan(self, scan: Scan, pose: Pose2D | None) -> None:
        """One laser scan, with the robot's map pose when it was taken."""
        self._last_scan = (scan, pose)
        if self._positioning or self.finished:
            return
        # Walking, the group follows behind, and someone right beside the robot is with it
        # too (guests stepping aside as it turns back through them, then falling in).
        group = self.followers.update(scan, pose, self.runner.phase in _WALKING)
        self.last_group = group
        self.runner.on_group_observation(group)
        self._carry()

    def on_battery(self, percent: float) -> None:
        if self._positioning or self.finished:
            return
        self.runner.on_battery(percent)
        self._carry()

    def on_heard(self, text: str, source: str = "voice") -> TourCommand | int | None:
        """A guest's final utterance (or screen tap); returns what it was taken for."""
        if self.finished or self.estopped or self._positioning:
            return None
        rating_wanted = self.runner.phase is Phase.RATING
        heard = understand(text, self.recognizer, rating_wanted)
        if heard.rating is not None:
            self.runner.on_rating(heard.rating)
            self._carry()
            return heard.rating
        if heard.command is not None:
            self.runner.on_command(heard.command, Source.GUEST)
            self._carry()
            return heard.command
        # Not understood: ask again politely; the tour goes on meanwhile.
        self._speak(phrases.rating_not_understood() if rating_wanted
                    else phrases.not_understood())
        return None

    def on_operator(self, command: str) -> None:
        """An operator's RobotCommand: pause, resume, cancel, estop, release."""
        if self.finished:
            return
        if command == "estop":
            self.estopped = True
            command = "pause"
        elif command == "release":
            self.estopped = False  # still paused: an operator resumes explicitly
            return
        elif command == "resume" and self.estopped:
            return
        if self._positioning:
            self._operator_positioning(command)
            return
        mapping = {"pause": TourCommand.PAUSE, "resume": TourCommand.RESUME,
                   "cancel": TourCommand.END}
        if command in mapping:
            self.runner.on_command(mapping[command], Source.OPERATOR)
            self._carry()

    def cancel(self) -> None:
        """The action goal was canceled: staff end the tour."""
        self.on_operator("cancel")

    def on_drive_done(self, request_id: int, outcome: str, message: str = "") -> None:
        """The navigation ended: outcome ``succeeded``, ``failed`` or ``canceled``."""
        drive = self._drive
        if drive is None or drive.request_id != request_id or outcome == "canceled":
            return
        self._drive = None
        if outcome == "failed" and (self.estopped or any(
                word in message.lower() for word in _NOT_BLOCKED)):
            return  # stopped on purpose: the pause in progress resumes it
        if self._positioning:
            self._positioned(outcome == "succeeded", message)
            return
        if outcome == "succeeded":
            self.runner.on_arrived(request_id)
        else:
            pose = (self.pose.x, self.pose.y) if self.pose else None
            self.runner.on_navigation_failed(request_id, message, pose,
                                             self._blockage(drive))
        self._carry()

    def _blockage(self, drive: Drive) -> Point | None:
        """Where the way is blocked: the middle of what the laser last saw that the map does
        not explain, within BLOCKAGE_LOOK_M ahead towards the drive's next pose. The runner
        plans its way round that spot (else it guesses a metre and a half ahead)."""
        if self._last_scan is None or self.pose is None:
            return None
        scan, pose = self._last_scan
        pose = pose or self.pose
        ranges = np.asarray(scan.ranges, dtype=np.float64)
        ok = np.isfinite(ranges) & (ranges <= BLOCKAGE_LOOK_M) & (ranges >= scan.range_min)
        if not ok.any():
            return None
        angles = scan.angles[ok] + pose.yaw
        points = np.column_stack((pose.x + ranges[ok] * np.cos(angles),
                                  pose.y + ranges[ok] * np.sin(angles)))
        points = points[self._map_filter.unexplained(points)]
        target = next((p for p in drive.poses if math.hypot(p.x - pose.x, p.y - pose.y) > 0.5),
                      drive.poses[-1])
        heading = np.array([target.x - pose.x, target.y - pose.y])
        norm = float(np.hypot(*heading))
        if norm < 1e-6 or len(points) == 0:
            return None
        ahead = points[(points - [pose.x, pose.y]) @ (heading / norm) > 0.0]
        if len(ahead) == 0:
            return None
        x, y = ahead.mean(axis=0)
        return (float(x), float(y))

    def tick(self, now: float | None = None) -> None:
        if self.finished:
            return
        drive = self._drive
        if drive is not None and (now if now is not None else self.clock()) > (
                self._drive_deadline):
            # As if the navigation had given up (it may never, circling a crowd).
            self.outbox.append(CancelDrive("taking too long"))
            self.on_drive_done(drive.request_id, "failed",
                               "the way takes far longer than planned: blocked")
            if self.finished:
                return
        if self._positioning:
            return
        self.runner.tick(now)
        self._carry()

    # ----------------------------------------------------------------------- positioning
    def _drive_to_start(self) -> None:
        self._position_attempts += 1
        here = self.pose or self.plan.start_pose
        poses = leg_poses(self.routes, (here.x, here.y), self.plan.start_pose,
                          step_free=self.plan.step_free,
                          barriers=self.site.step_free_barriers)
        self._send(Drive(POSITIONING_REQUEST, tuple(poses), self.plan.model.pace, "position"))

    def _positioned(self, arrived: bool, message: str) -> None:
        if arrived:
            self._positioning = False
            self._start_tour()
        elif self._position_attempts < POSITION_ATTEMPTS:
            self._drive_to_start()
        else:
            self._positioning = False
            self._speak(phrases.no_facility("출발 장소", "the meeting point"))
            self._finish(Done(False, f"could not reach the meeting point: {message}", None))

    def _operator_positioning(self, command: str) -> None:
        if command == "pause" and not self._position_paused:
            self._position_paused = True
            self._cancel_drive("paused")
        elif command == "resume" and self._position_paused:
            self._position_paused = False
            self._position_attempts = 0
            self._drive_to_start()
        elif command == "cancel":
            self._positioning = False
            self._cancel_drive("canceled")
            self._finish(Done(False, "canceled before the tour started", None))
        self._emit_status()

    # ----------------------------------------------------------------------- internals
    def _start_tour(self) -> None:
        self.runner.start()
        self._carry()

    def _send(self, drive: Drive) -> None:
        self._drive = drive
        here = self.pose or Pose2D(*self.runner.position, 0.0)
        length, last = 0.0, (here.x, here.y)
        for p in drive.poses:
            route = self.routes.route(last, (p.x, p.y), self.plan.step_free)
            length += route.length_m if route else math.hypot(p.x - last[0], p.y - last[1])
            last = (p.x, p.y)
        self._drive_deadline = (self.clock() + LEG_TIME_FACTOR * length / drive.pace
                                + LEG_TIME_MARGIN_S)
        self.outbox.append(drive)

    def _cancel_drive(self, reason: str) -> None:
        if self._drive is not None:
            self._drive = None
            self.outbox.append(CancelDrive(reason))

    def _speak(self, text: Text, kind: str = "notice", duration_s: float | None = None) -> None:
        language = self.plan.language if self.plan.language in ("ko", "en") else "ko"
        if duration_s is None:
            duration_s = self.plan.model.speech_s(text, self.plan.language)
        image = self._image if kind == "narration" else ""
        self.outbox.append(Speak(text, language, kind, image, duration_s))

    def _carry(self) -> None:
        """Turn the runner's outputs into the session's."""
        changed = False
        finished: Done | None = None
        for out in self.runner.drain():
            if isinstance(out, NavigateTo):
                here = self.pose or Pose2D(*self.runner.position, 0.0)
                poses = leg_poses(self.routes, (here.x, here.y), out.pose, out.via,
                                  out.step_free, self.site.step_free_barriers)
                self._send(Drive(out.request_id, tuple(poses), self.plan.model.pace,
                                 out.purpose))
            elif isinstance(out, StopMoving):
                self._cancel_drive(out.reason)
            elif isinstance(out, Say):
                if out.kind == "narration":
                    self._image = self._narration_image()
                self._speak(out.text, "narration" if out.kind == "narration" else "notice",
                            out.duration_s)
            elif isinstance(out, StopSpeaking):
                self.outbox.append(Hush())
            elif isinstance(out, Screen):
                self._screen = out
                if out.image:
                    self._image = out.image
                changed = True
            elif isinstance(out, Progress):
                self._progress = out
                changed = True
            elif isinstance(out, AskRating):
                self.outbox.append(out)
                changed = True
            elif isinstance(out, Finished):
                self._cancel_drive("finished")
                result = out.result
                finished = Done(result.reason.value in ("completed", "ended_by_guest"),
                                summary(result, len(self.plan.stops)), result)
                changed = True
        if changed or (self._status is not None
                       and self._status.runner_phase != self.runner.phase.value):
            self._emit_status()
        if finished is not None:
            self._finish(finished)  # after the last status: Done is the final word

    def _narration_image(self) -> str:
        index = min(self.runner.index, len(self.plan.stops) - 1)
        return self.plan.stops[index].image or ""

    def _finish(self, done: Done) -> None:
        self.done = done
        self.outbox.append(done)

    def _emit_status(self) -> None:
        runner = self.runner
        n = len(self.plan.stops)
        progress = self._progress
        if progress is not None:
            index, place, name = progress.stop - 1, progress.place, progress.name
            left, label = progress.time_left_s, progress.label
        else:
            first = self.plan.stops[0]
            index, place, name = 0, first.place, first.name
            left = self.plan.total_s
            label = phrases.progress(1, n, first.name, phrases.minutes(left))
        phase = runner.phase
        word = "moving" if self._positioning and not self._position_paused else (
            "paused" if self._positioning else FEEDBACK_PHASE[phase])
        if phase is Phase.FINISHED:
            left = 0.0
        screen = self._screen
        self._status = Status(
            stop=index, of=n, place=place, name=name, phase=word, runner_phase=phase.value,
            time_left_s=left, label=label, title=screen.title if screen else None,
            body=screen.body if screen else None, image=(screen.image or "") if screen else "",
            stops_done=runner.stops_done if phase is not Phase.FINISHED else n)
        self._status_at = self.clock()
        self.outbox.append(self._status)


def summary(result: TourResult, total: int) -> str:
    """One line for logs, the action result and the task's message."""
    narrated = len(result.narrated_places)
    skipped = sum(1 for s in result.stops if s.status == "skipped")
    parts = [f"{result.reason.value}: {narrated}/{total} stops narrated"]
    if skipped:
        parts.append(f"{skipped} skipped")
    parts.append(f"{result.duration_s / 60:.1f} min (estimate {result.estimate_s / 60:.1f})")
    parts.append(f"waited {result.waited_for_group_s:.0f} s")
    parts.append(f"replanning {result.replanning_s:.0f} s")
    if result.rating is not None:
        parts.append(f"rating {result.rating}")
    return " · ".join(parts)
