"""A headless stand-in for the robot round the tour runner, for tests and benchmarks.

``drive`` is a kinematic model of the navigation: the project's path follower (the controller
the navigation server runs) on a differential-drive base with the simulator's acceleration
limits, no obstacles. ``TourHarness`` plays the RunTour node: it feeds the runner arrivals (at
the times ``drive`` gives), navigation failures on legs a test blocks, observations of a group
following the robot (scripted, or ``RandomGroup``'s seeded dawdling), timed commands and
battery readings, and answers the rating, on a fake clock: a 30-minute tour runs in well under
a second.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from suwon_fleet.core.geometry import Pose2D, normalize_angle, path_length
from suwon_fleet.docent.planning import Route, RouteBook
from suwon_fleet.docent.runner import (
    AskRating,
    FakeClock,
    Finished,
    NavigateTo,
    Output,
    StopMoving,
    TourResult,
    TourRunner,
)
from suwon_fleet.navigation.controller import ControllerConfig, PathFollower

Point = tuple[float, float]


def drive(path: list[Point], start_yaw: float, goal_yaw: float, pace: float,
          speed_limit_at: Callable[[float, float], float | None] | None = None,
          dt: float = 0.1, accel: float = 1.0, decel: float = 2.5,
          angular_accel: float = 3.0, timeout_s: float = 3600.0) -> tuple[float, Pose2D]:
    """Seconds for the path follower to drive ``path`` from standing and turn to
    ``goal_yaw``, and the pose it ends at."""
    follower = PathFollower(path, goal_yaw, ControllerConfig(max_speed=pace))
    x, y = path[0]
    yaw, v, w, t = start_yaw, 0.0, 0.0, 0.0
    limit = speed_limit_at or (lambda _x, _y: None)
    while t < timeout_s:
        command = follower.update(Pose2D(x, y, yaw), limit(x, y))
        if command.done:
            return t, Pose2D(x, y, yaw)
        dv = command.linear - v
        v += max(-decel * dt, min((accel if abs(command.linear) > abs(v) else decel) * dt, dv))
        w += max(-angular_accel * dt, min(angular_accel * dt, command.angular - w))
        if abs(w) > 1e-9:  # exact arc, as the simulator integrates
            r = v / w
            x += r * (math.sin(yaw + w * dt) - math.sin(yaw))
            y -= r * (math.cos(yaw + w * dt) - math.cos(yaw))
        else:
            x += v * math.cos(yaw) * dt
            y += v * math.sin(yaw) * dt
        yaw = normalize_angle(yaw + w * dt)
        t += dt
    raise RuntimeError(f"the path follower did not arrive in {timeout_s} s")


@dataclass(frozen=True)
class Observation:
    """What a rear-people detector would say (perception.rear_people.RearGroup's fields)."""

    count: int
    nearest_m: float | None


@dataclass
class _Motion:
    request: NavigateTo
    route: Route
    start_time: float
    duration: float
    end_pose: Pose2D
    fails: bool


@dataclass
class RandomGroup:
    """A seeded group of guests following the robot.

    They keep ``follow_gap_m`` behind it at its pace; now and then (``dawdle_chance`` per
    minute of walking) they stop for a photo or a look for ``dawdle_s`` seconds (uniform),
    then catch up at ``catch_up_speed``. A dawdle of ``lose_after_m`` or more behind and out
    of sight round the paths means lost, unless the robot waits. The detector sees them up to
    ``sensor_range_m`` and misses a scan now and then (``miss_rate``).
    """

    rng: random.Random
    size: int = 4
    follow_gap_m: float = 1.5
    dawdle_chance_per_min: float = 0.5
    dawdle_s: tuple[float, float] = (10.0, 60.0)
    catch_up_speed: float = 1.1
    sensor_range_m: float = 5.0
    miss_rate: float = 0.1
    lose_after_m: float = 25.0
    gap_m: float = 1.5
    dawdling_until: float = -1.0
    lost: bool = False
    max_gap_m: float = 0.0

    def step(self, now: float, dt: float, robot_speed: float) -> None:
        if self.lost:
            return
        if now >= self.dawdling_until and robot_speed > 0 and self.rng.random() < (
                self.dawdle_chance_per_min * dt / 60.0):
            self.dawdling_until = now + self.rng.uniform(*self.dawdle_s)
        if now < self.dawdling_until:
            self.gap_m += robot_speed * dt
        else:
            closing = self.catch_up_speed if self.gap_m > self.follow_gap_m else robot_speed
            self.gap_m = max(self.follow_gap_m, self.gap_m + (robot_speed - closing) * dt)
        self.max_gap_m = max(self.max_gap_m, self.gap_m)
        if self.gap_m >= self.lose_after_m:
            self.lost = True

    def observe(self) -> Observation:
        if self.lost or self.gap_m > self.sensor_range_m or self.rng.random() < self.miss_rate:
            return Observation(0, None)
        return Observation(self.size, self.gap_m)


@dataclass
class TourHarness:
    """Runs a TourRunner to the end on a fake clock (see the module docstring)."""

    runner: TourRunner
    clock: FakeClock
    routes: RouteBook
    dt: float = 0.5  # the node's tick period
    group: Callable[[float, bool], Observation | None] | None = None  # (now, moving) -> obs
    random_group: RandomGroup | None = None
    blocked: Callable[[NavigateTo], bool] = lambda request: False  # this leg fails
    events: list[tuple[float, Callable[[TourRunner], None]]] = field(default_factory=list)
    # (condition, action): each action runs once, the first tick its condition holds.
    triggers: list[tuple[Callable[[TourRunner, float], bool], Callable[[TourRunner], None]]] = (
        field(default_factory=list))
    rating: int | None = 5
    rating_delay_s: float = 5.0
    arrival_delay: Callable[[NavigateTo], float] = lambda request: 0.0  # crowds, doors
    log: list[tuple[float, Output]] = field(default_factory=list)
    leg_times: list[tuple[str, float]] = field(default_factory=list)  # (purpose, seconds)
    pose: Pose2D = field(init=False)
    _motion: _Motion | None = field(default=None, init=False)
    _rating_at: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.pose = self.runner.plan.start_pose
        self.events = sorted(self.events, key=lambda e: e[0])

    @property
    def moving(self) -> bool:
        return self._motion is not None

    def run(self, timeout_s: float = 3 * 3600.0) -> TourResult:
        runner = self.runner
        runner.start()
        self._handle(runner.drain())
        end = self.clock.now + timeout_s
        while not runner.finished and self.clock.now < end:
            now = self.clock.advance(self.dt)
            while self.events and self.events[0][0] <= now:
                self.events.pop(0)[1](runner)
                self._handle(runner.drain())
            for trigger in list(self.triggers):
                if not runner.finished and trigger[0](runner, now):
                    self.triggers.remove(trigger)
                    trigger[1](runner)
                    self._handle(runner.drain())
            self._move(now)
            if self._motion is not None:
                here = self._pose_at(self._motion, now)
                runner.on_pose(here.x, here.y)
            obs = self._observe(now)
            if obs is not None:
                runner.on_group_observation(obs)
            if self._rating_at is not None and now >= self._rating_at:
                self._rating_at = None
                runner.on_rating(self.rating)  # type: ignore[arg-type]
            runner.tick()
            self._handle(runner.drain())
        if runner.result is None:
            raise RuntimeError(f"the tour did not finish in {timeout_s} s "
                               f"(phase {runner.phase})")
        return runner.result

    def outputs(self, kind: type) -> list:
        return [o for _, o in self.log if isinstance(o, kind)]

    def at(self, condition: Callable[[TourRunner, float], bool],
           action: Callable[[TourRunner], None]) -> None:
        """Run ``action`` once, the first tick ``condition(runner, now)`` holds."""
        self.triggers.append((condition, action))

    def after(self, condition: Callable[[TourRunner, float], bool], delay_s: float,
              action: Callable[[TourRunner], None]) -> None:
        """Run ``action`` once, ``delay_s`` after ``condition`` first holds (if it still
        holds then)."""
        since: list[float] = []

        def due(runner: TourRunner, now: float) -> bool:
            if not condition(runner, now):
                since.clear()
                return False
            if not since:
                since.append(now)
            return now - since[0] >= delay_s

        self.triggers.append((due, action))

    def robot_pose(self) -> Pose2D:
        """Where the simulated robot is now."""
        if self._motion is None:
            return self.pose
        return self._pose_at(self._motion, self.clock.now)

    def _observe(self, now: float) -> Observation | None:
        if self.random_group is not None:
            speed = self.runner.plan.model.pace if self.moving else 0.0
            self.random_group.step(now, self.dt, speed)
            return self.random_group.observe()
        if self.group is not None:
            return self.group(now, self.moving)
        return None

    def _handle(self, outputs: list[Output]) -> None:
        now = self.clock.now
        for out in outputs:
            self.log.append((now, out))
            if isinstance(out, NavigateTo):
                self._start_leg(out, now)
            elif isinstance(out, StopMoving) and self._motion is not None:
                self.pose = self._pose_at(self._motion, now)
                self._motion = None
            elif isinstance(out, AskRating) and self.rating is not None:
                self._rating_at = now + self.rating_delay_s
            elif isinstance(out, Finished):
                self._motion = None

    def _start_leg(self, request: NavigateTo, now: float) -> None:
        goal = (request.pose.x, request.pose.y)
        here = (self.pose.x, self.pose.y)
        if request.via:
            legs = [here, *request.via, goal]
            route = Route(legs)
        else:
            route = self.routes.route(here, goal, request.step_free) or Route([here, goal])
        fails = self.blocked(request)
        if len(route.path) < 2 or path_length(route.path) < 0.05:
            duration, end = 0.0, Pose2D(goal[0], goal[1], request.pose.yaw)
        else:
            duration, end = drive(route.path, self.pose.yaw, request.pose.yaw,
                                  self.runner.plan.model.pace,
                                  self.runner.site.speed_limit_at)
        if fails:  # it gets halfway, finds the way shut and gives up after Nav2's 10 s
            duration = duration / 2 + 10.0
        else:
            duration += self.arrival_delay(request)
        self._motion = _Motion(request, route, now, duration, end, fails)

    def _pose_at(self, motion: _Motion, now: float) -> Pose2D:
        share = min(1.0, (now - motion.start_time) / motion.duration) if motion.duration else 1
        if motion.fails:
            share = min(share, 0.5)
        (x, y), heading = motion.route.point_ahead(motion.route.path[0],
                                                   share * motion.route.length_m)
        return Pose2D(x, y, heading)

    def _move(self, now: float) -> None:
        motion = self._motion
        if motion is None or now < motion.start_time + motion.duration:
            return
        self._motion = None
        self.leg_times.append((motion.request.purpose, motion.duration))
        if motion.fails:
            self.pose = self._pose_at(motion, now)
            self.runner.on_navigation_failed(motion.request.request_id, "blocked",
                                             pose=(self.pose.x, self.pose.y))
        else:
            self.pose = motion.end_pose
            self.runner.on_pose(self.pose.x, self.pose.y)
            self.runner.on_arrived(motion.request.request_id)
        self._handle(self.runner.drain())
