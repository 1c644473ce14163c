"""Docent tours in the simulator: guests following the robot, seen by its laser.

Two parts:

1. **50 seeded tours in closed loop** with the simulator's world (sim/world.py: the robot's
   kinematics, the laser ray-cast against the map, moving visitors, and a group of four tour
   guests from sim/guests.py following the robot and stopping now and then for 10-60 s for a
   photo), the navigation server's control loop (navigation/motion.py: planning, path
   following, stopping and replanning for people, the progress checker), and the tour exactly
   as the RunTour node runs it (docent/session.py: the runner, the rear-people detector on the
   scans, step-free waypoints, the walking pace). Only DDS is left out, so the 50 runs take
   minutes rather than the day they would take at real time. Courses and seasons in turn; on
   BLOCKED_SHARE of the tours a stop is closed off by a crowd standing on it.

   Reference: the same tour with a runner that never waits for its group
   (RunnerConfig(wait_for_group=False)), on the same seeds.

   success: the tour completed (or went on past a blocked stop, skipping it with an
   apology) with every other stop narrated, and at every narration the group was within
   earshot (nearest guest within EARSHOT_M). group lost: a guest fell LOSE_M behind.
   wait / replan: mean seconds per tour holding for the group and re-planning round
   blockages. dur/est: tour length over the estimate the guests were told.

2. **The full 30-minute course end to end** (``--e2e``): the docent fleet's real processes
   (simulator, navigation server, robot agent, tour guide, fleet manager, web bridge) started
   by the launcher at E2E_RTF x real time with moving visitors; highlights_30 submitted as a
   fleet task, four guests following with random photo stops; the rating answered by voice.

Target: success 100% for ours over the 50 runs; the estimate within 15% once waiting is
taken off.

    python -m bench.tour_sim_bench [--runs 50] [--e2e] [--e2e-only]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.maps import OccupancyMap
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.tours import SEASONS
from suwon_fleet.docent.planning import RouteBook, plan_tour
from suwon_fleet.docent.runner import Phase, RunnerConfig
from suwon_fleet.docent.session import (
    CancelDrive,
    Done,
    Drive,
    SessionConfig,
    Speak,
    Status,
    TourSession,
)
from suwon_fleet.navigation.controller import ControllerConfig
from suwon_fleet.navigation.motion import GoToPose, SafetyConfig
from suwon_fleet.navigation.motion import Status as MotionStatus
from suwon_fleet.navigation.planner import GridPlanner
from suwon_fleet.perception.rear_people import Scan
from suwon_sim.guests import TourGroups
from suwon_sim.visitors import VisitorCrowd
from suwon_sim.world import SimRobot, SiteWorld

RUNS = 50
SEED = 23
VISITORS = 8
BLOCKED_SHARE = 0.1
LOSE_M = 25.0
EARSHOT_M = 5.0
ROBOT = "docent_1"
E2E_RTF = 6.0

PHYSICS_DT = 0.01  # as the simulator node (100 Hz)
CONTROL_DT = 0.05  # the navigation server's 20 Hz
SCAN_DT = 0.1  # the simulator's 10 Hz scans; the tour guide ticks at 10 Hz too
# Standing at a stop (narrating, dwelling: most of a tour) nothing the tour decides depends on
# fast updates: the world steps at 10 Hz and the laser is read at 2 Hz, ten times cheaper.
STANDING_PHASES = (Phase.INTRO, Phase.NARRATING, Phase.DWELLING, Phase.FAREWELL,
                   Phase.RATING, Phase.PAUSED, Phase.AT_FACILITY)
STANDING_DT = 0.1
STANDING_SCAN_DT = 0.5


# --------------------------------------------------------------------------- the loop
class _FixedMap(OccupancyMap):
    """The site map with its blocked cells worked out once: the world asks for them at every
    physics step (OccupancyMap.blocked ORs two 1200 x 800 grids each time)."""

    @cached_property
    def blocked(self) -> np.ndarray:  # type: ignore[override]
        return self.occupied | self.unknown


def fixed_map(grid: OccupancyMap) -> OccupancyMap:
    return _FixedMap(grid.resolution, grid.origin, grid.occupied, grid.unknown, grid.source)


class SimNavigation:
    """The navigation server's control loop (server_node.py), without the actions."""

    def __init__(self, site, radius: float, max_speed: float, max_angular: float) -> None:
        self.site = site
        self.planner = GridPlanner(site.map, radius, keep_out=site.keep_out)
        self.control = ControllerConfig(max_speed=max_speed, max_angular_speed=max_angular)
        self.safety = SafetyConfig(robot_radius=radius)
        self.cap: float | None = None
        self.motions: list[GoToPose] = []
        self.request: int | None = None

    def speed_limit_at(self, x: float, y: float) -> float | None:
        zone = self.site.speed_limit_at(x, y)
        if self.cap is None:
            return zone
        return self.cap if zone is None else min(zone, self.cap)

    def go(self, drive: Drive) -> None:
        self.cap = drive.pace
        self.request = drive.request_id
        self.motions = [GoToPose(p, self.planner, self.control, self.safety,
                                 self.speed_limit_at) for p in drive.poses]

    def cancel(self) -> None:
        self.motions, self.request = [], None

    def update(self, pose: Pose2D, now: float, obstacles) -> tuple[float, float, tuple | None]:
        """(linear, angular, (request id, outcome, message) when the goal ended)."""
        if not self.motions:
            return 0.0, 0.0, None
        step = self.motions[0].update(pose, now, obstacles)
        if step.status is MotionStatus.RUNNING:
            return step.linear, step.angular, None
        request = self.request
        if step.status is MotionStatus.FAILED:
            self.cancel()
            return 0.0, 0.0, (request, "failed", step.message)
        self.motions.pop(0)
        if self.motions:
            return 0.0, 0.0, None
        self.request = None
        return 0.0, 0.0, (request, "succeeded", "")


@dataclass
class Trace:
    said: list[tuple[float, Speak]] = field(default_factory=list)
    statuses: list[tuple[float, Status]] = field(default_factory=list)
    poses: list[tuple[float, Pose2D]] = field(default_factory=list)
    nearest_guest: list[tuple[float, float]] = field(default_factory=list)
    done: Done | None = None
    sim_s: float = 0.0


class ClosedLoop:
    """One robot, its tour group and the site's visitors in the simulator's world, the
    navigation's control loop and a TourSession, stepped together in sim time."""

    def __init__(self, site, robot_cfg, start: Pose2D, visitors: int, seed: int,
                 guests: int = 4, dawdle_per_min: float = 0.0) -> None:
        self.site = site
        crowd = None
        if visitors:
            spots = [(p.x, p.y) for p in site.places.values() if p.kind != "dock"]
            crowd = VisitorCrowd(site.map, spots, visitors, seed=seed)
        grid = fixed_map(site.map)
        self.world = SiteWorld(site.site_id, grid)
        self.world.crowd = self.groups = TourGroups(grid, self.world.robots, crowd, seed)
        self.robot = SimRobot(ROBOT, site.site_id, start, radius=robot_cfg.radius,
                              max_speed=robot_cfg.max_speed,
                              max_angular_speed=robot_cfg.max_angular_speed)
        if self.world.collides(self.robot, start):
            # A visitor may stand on the start place (visitors roam between places):
            # start at the nearest free spot, as a robot arriving there would.
            spots = sorted(((dx * 0.1, dy * 0.1) for dx in range(-20, 21)
                            for dy in range(-20, 21)), key=lambda d: math.hypot(*d))
            for dx, dy in spots:
                self.robot.pose = Pose2D(start.x + dx, start.y + dy, start.yaw)
                if not self.world.collides(self.robot, self.robot.pose):
                    break
        self.world.add_robot(self.robot)
        self.nav = SimNavigation(site, robot_cfg.radius, robot_cfg.max_speed,
                                 robot_cfg.max_angular_speed)
        self.now = 0.0
        if guests:
            self.groups.command(ROBOT, {"size": guests, "seed": seed})
            if dawdle_per_min:
                self.groups.command(ROBOT, {"dawdle_per_min": dawdle_per_min,
                                            "dawdle_s": [10, 60], "seed": seed})
        spec = self.world.lidar_spec
        self._angles = spec.angle_min + spec.angle_increment * np.arange(spec.beams)

    def nearest_guest_m(self) -> float:
        group = self.groups.groups.get(ROBOT)
        if group is None or not group.guests:
            return math.inf
        p = self.robot.pose
        return min(math.hypot(g.x - p.x, g.y - p.y) for g in group.guests)

    def run(self, session: TourSession, timeout_s: float = 3 * 3600,
            events: list[tuple[float, object]] | None = None,
            rating: int | None = 5) -> Trace:
        trace = Trace()
        events = sorted(events or [], key=lambda e: e[0])
        robot, nav = self.robot, self.nav
        obstacles = None
        rating_at: float | None = None
        session.pose = robot.pose
        session.start()
        next_control = next_scan = next_record = 0.0
        while self.now < timeout_s and not session.finished:
            for out in session.drain():
                self._carry(out, trace)
                if isinstance(out, Speak) and rating is not None and "1점부터 5점" in out.text.ko:
                    rating_at = self.now + 3.0
            while events and events[0][0] <= self.now:
                events.pop(0)[1](self, session)
            if rating_at is not None and self.now >= rating_at:
                rating_at = None
                session.on_heard(f"{rating}점", "voice")
            standing = not nav.motions and session.runner.phase in STANDING_PHASES
            if self.now >= next_scan:
                next_scan = self.now + (STANDING_SCAN_DT if standing else SCAN_DT)
                ranges = self.world.scans([ROBOT])[ROBOT].astype(np.float64)
                ok = np.isfinite(ranges) & (ranges <= 5.0)
                a = self._angles[ok] + robot.pose.yaw
                obstacles = np.column_stack((robot.pose.x + ranges[ok] * np.cos(a),
                                             robot.pose.y + ranges[ok] * np.sin(a)))
                spec = self.world.lidar_spec
                session.on_pose(robot.pose)
                session.on_scan(Scan(spec.angle_min, spec.angle_increment, ranges,
                                     spec.range_min, spec.range_max), robot.pose)
                session.tick(self.now)
                if self.now >= next_record:
                    next_record = self.now + 1.0
                    session.on_battery(robot.battery_percent)
                    trace.poses.append((self.now, robot.pose))
                    trace.nearest_guest.append((self.now, self.nearest_guest_m()))
            if self.now >= next_control:
                next_control = self.now + CONTROL_DT
                linear, angular, ended = nav.update(robot.pose, self.now, obstacles)
                robot.command(linear, angular)
                if ended is not None:
                    session.on_drive_done(*ended)
            dt = STANDING_DT if standing else PHYSICS_DT
            self.world.step(dt)
            self.now += dt
        for out in session.drain():
            self._carry(out, trace)
        trace.sim_s = self.now
        return trace

    def _carry(self, out, trace: Trace) -> None:
        if isinstance(out, Drive):
            self.nav.go(out)
        elif isinstance(out, CancelDrive):
            self.nav.cancel()
            self.robot.command(0.0, 0.0)
        elif isinstance(out, Speak):
            trace.said.append((self.now, out))
        elif isinstance(out, Status):
            trace.statuses.append((self.now, out))
        elif isinstance(out, Done):
            trace.done = out
            self.nav.cancel()
            self.nav.cap = None


# --------------------------------------------------------------------------- 50 runs
@dataclass
class Run:
    course: str
    success: bool
    lost: bool
    heard: int
    narrations: int
    waited_s: float
    replanning_s: float
    ratio: float  # duration / estimate
    ratio_net: float  # (duration - waiting - replanning) / estimate
    wall_s: float


def gap_at(trace: Trace, t: float) -> float:
    before = [g for when, g in trace.nearest_guest if when <= t]
    return before[-1] if before else 0.0


def one_run(site, robot_cfg, routes: RouteBook, index: int, config: RunnerConfig) -> Run:
    rng = random.Random(SEED * 1000 + index)
    courses = list(site.tours)  # the site file's courses, in its order
    course = courses[index % len(courses)]
    season = SEASONS[(index // len(courses)) % len(SEASONS)]
    plan = plan_tour(site, course, season, "ko", routes)
    start = plan.start_pose
    loop = ClosedLoop(site, robot_cfg, Pose2D(start.x, start.y, start.yaw), VISITORS,
                      seed=rng.randrange(1 << 30), dawdle_per_min=0.5)
    blocked = None
    if rng.random() < BLOCKED_SHARE:
        blocked = rng.randrange(1, len(plan.stops) - 1)  # not the last (the way out)
        stop = plan.stops[blocked]
        loop.groups.crowd_at((stop.pose.x, stop.pose.y))
    session = TourSession(site, plan, lambda: loop.now, routes,
                          SessionConfig(runner=config, robot_radius=robot_cfg.radius))
    t0 = time.perf_counter()
    trace = loop.run(session, rating=rng.randint(3, 5))
    wall = time.perf_counter() - t0
    done = trace.done
    result = done.result if done else None
    lost_gap = max((g for _, g in trace.nearest_guest if math.isfinite(g)), default=0.0)
    lost = lost_gap >= LOSE_M
    narration_times = [t for t, s in trace.said if s.kind == "narration"]
    heard = sum(gap_at(trace, t) <= EARSHOT_M for t in narration_times)
    if result is None:
        return Run(course, False, lost, heard, len(narration_times), 0, 0, 0, 0, wall)
    expected = {i for i in range(len(plan.stops)) if i != blocked}
    narrated = {s.index for s in result.stops if s.status == "narrated"}
    success = (result.reason.value == "completed" and not lost and expected <= narrated
               and heard == len(narration_times))
    net = result.duration_s - result.waited_for_group_s - result.replanning_s
    return Run(course, success, lost, heard, len(narration_times), result.waited_for_group_s,
               result.replanning_s, result.duration_s / plan.total_s, net / plan.total_s, wall)


CONFIGS = {"ours (waits for the group)": RunnerConfig(),
           "reference: never waits": RunnerConfig(wait_for_group=False)}
_WORKER: dict = {}


def _run(name: str, index: int) -> tuple[str, Run]:
    """One seeded run in a worker process (the site and its routes loaded once per worker)."""
    if not _WORKER:
        fleet = load_fleet()
        site = fleet.sites["ilwol_arboretum"]
        robot_cfg = fleet.robots[ROBOT]
        _WORKER.update(site=site, robot=robot_cfg, routes=RouteBook(site, robot_cfg.radius))
    run = one_run(_WORKER["site"], _WORKER["robot"], _WORKER["routes"], index, CONFIGS[name])
    return name, run


def _run_task(task: tuple[str, int]) -> tuple[str, Run]:
    return _run(*task)


def table(runs: int, jobs: int) -> None:
    tasks = [(name, i) for i in range(runs) for name in CONFIGS]
    rows: dict[str, list[Run]] = {name: [] for name in CONFIGS}
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        for done, (name, run) in enumerate(pool.imap_unordered(_run_task, tasks), start=1):
            rows[name].append(run)
            print(f"  {done:3d}/{len(tasks)} {name[:4]} {run.course:<14} "
                  f"{'ok ' if run.success else 'FAIL'} waited {run.waited_s:5.0f} s, replan "
                  f"{run.replanning_s:4.0f} s, dur/est {run.ratio:.2f} "
                  f"(net {run.ratio_net:.2f}), {run.wall_s:.0f} s wall",
                  file=sys.stderr, flush=True)
    print(f"\nDocent tours in the simulator: {runs} seeded runs, courses and seasons in turn, "
          f"{VISITORS} visitors, four guests with photo stops, {BLOCKED_SHARE:.0%} with a "
          "stop closed off\n")
    header = (f"{'runner':<28}{'success':>9}{'group lost':>12}{'heard':>8}{'wait s':>8}"
              f"{'replan s':>10}{'dur/est':>9}{'net/est':>9}{'wall s':>8}")
    print(header)
    print("-" * len(header))
    for name, results in rows.items():
        n = len(results)
        print(f"{name:<28}{100 * sum(r.success for r in results) / n:>8.0f}%"
              f"{100 * sum(r.lost for r in results) / n:>11.0f}%"
              f"{100 * sum(r.heard for r in results) / max(1, sum(r.narrations for r in results)):>7.0f}%"  # noqa: E501
              f"{statistics.mean(r.waited_s for r in results):>8.1f}"
              f"{statistics.mean(r.replanning_s for r in results):>10.1f}"
              f"{statistics.median(r.ratio for r in results):>9.3f}"
              f"{statistics.median(r.ratio_net for r in results):>9.3f}"
              f"{statistics.mean(r.wall_s for r in results):>8.1f}")
    print("\nsuccess: completed, every stop narrated but a closed-off one (skipped with an "
          "apology), every narration\nwithin earshot of the group; wait s / replan s: mean "
          "time lost per tour; dur/est: median tour length\nover the estimate; net/est: the "
          "same without the time lost to waiting and re-planning.\n"
          "Target: success 100% for ours.\n")


# --------------------------------------------------------------------------- end to end
def end_to_end(course: str = "highlights_30") -> None:
    """The 30-minute course with the real processes (see the module docstring)."""
    import json
    import tempfile
    import urllib.request
    from pathlib import Path

    from tests.system.docent_fleet import DocentFleet, Visitor

    root = Path(tempfile.mkdtemp(prefix="tour_e2e_"))
    t0 = time.monotonic()
    fleet = DocentFleet(root, E2E_RTF, visitors=VISITORS)
    started = time.monotonic() - t0
    visitor = Visitor()
    try:
        site = load_fleet(root / "config" / "fleet.yaml").sites["ilwol_arboretum"]
        plan = plan_tour(site, course, None, "ko")
        start = site.places[plan.start_place]
        visitor.wait(lambda: visitor.pose() is not None, 30, "robot pose")
        visitor.teleport(Pose2D(start.x, start.y, start.yaw))
        visitor.guests(size=4, seed=5)
        visitor.guests(dawdle_per_min=0.5, dawdle_s=[10, 40], seed=5)
        request = fleet_request(fleet, course)
        sim0, wall0 = visitor.sim_time, time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as response:
            task_id = json.load(response)["task_id"]
        visitor.wait(lambda: visitor.state().get("phase") == "rating", 3600, "rating asked")
        visitor.say("다섯 점이요")
        visitor.wait(lambda: visitor.state().get("finished"), 120, "tour finished")
        result = visitor.state()["result"]
        sim_s, wall_s = visitor.sim_time - sim0, time.monotonic() - wall0
        narrated = [s["place"] for s in result["stops"] if s["status"] == "narrated"]
        print(f"\nEnd to end: {course} with the fleet's processes at {E2E_RTF:.0f}x real time, "
              f"{VISITORS} visitors, four guests with photo stops (fleet up in {started:.0f} s)"
              f"\n  task {task_id}: {result['message']}\n  stops narrated in order: "
              f"{' > '.join(narrated)}\n  duration {result['duration_s'] / 60:.1f} min, "
              f"estimate {result['estimate_s'] / 60:.1f} min "
              f"(net of waiting {(result['duration_s'] - result['waited_for_group_s']) / result['estimate_s']:.2f} x)"  # noqa: E501
              f"; {sim_s:.0f} s sim in {wall_s:.0f} s wall\n")
    finally:
        visitor.close()
        fleet.stop()


def fleet_request(fleet, course: str):
    from tests.conftest import RunningFleet

    api = RunningFleet(fleet.url, fleet.process, fleet.log_path)
    return api.request("/api/v1/tasks", {"type": "run_tour", "site_id": "ilwol_arboretum",
                                         "tour_id": course, "robot_id": ROBOT})


def main(args: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--e2e", action="store_true", help="also the end-to-end run")
    parser.add_argument("--e2e-only", action="store_true")
    options = parser.parse_args(args)
    if not options.e2e_only:
        table(options.runs, options.jobs)
    if options.e2e or options.e2e_only:
        end_to_end()


if __name__ == "__main__":
    main()


