"""Docent tours: seeded runs of the tour runner with simulated walking, crowds and guests.

Each of RUNS seeded runs takes a course (the five in turn, the seasons in turn) on the
arboretum and drives the runner headless (suwon_fleet.docent.simulate): legs driven by the
path follower at the guests' pace, plus up to 15% delay for crowds; a group of four guests that
now and then stops for a photo for 10-60 s (RandomGroup) and is seen by a detector that misses
one scan in ten; on BLOCKED_SHARE of the legs the way is shut (and on half of those the other
way too); a 1-5 rating at the end.

Figures, for our runner and the named reference, a runner that never waits for the group
(RunnerConfig(wait_for_group=False)), on the same seeds:

* success: the tour completed with the group still following (never LOSE_M behind, where
  guests lose sight of the robot round the paths) and every reachable stop narrated within
  earshot (the group within 5 m);
* group lost: runs in which the guests fell LOSE_M behind;
* heard: narrations spoken with the group within earshot;
* time lost: mean seconds holding for the group, and re-planning round blocked ways;
* duration / estimate: how the tour's length compares with what the guest was told.

Timing: planning every course cold, a recommendation with warm routes, the rear-people
detector per scan (10 Hz lidar). Targets: success >= 95% and no group lost for our runner;
recommendation <= 200 ms (the kiosk answers at once); detector <= 5 ms per scan.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.tours import SEASONS
from suwon_fleet.docent.planning import RouteBook, plan_tour
from suwon_fleet.docent.recommend import GuestAnswers, recommend
from suwon_fleet.docent.runner import (
    EndReason,
    FakeClock,
    NavigateTo,
    RunnerConfig,
    Say,
    TourRunner,
)
from suwon_fleet.docent.simulate import RandomGroup, TourHarness
from suwon_fleet.perception.rear_people import RearPeopleDetector, Scan
from suwon_sim.lidar import Lidar

RUNS = 50
SEED = 11
BLOCKED_SHARE = 0.08
LOSE_M = 25.0
EARSHOT_M = 5.0


class TrackedGroup(RandomGroup):
    """RandomGroup that remembers how far behind it was, to judge what it heard."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng, lose_after_m=LOSE_M)
        self.gaps: list[tuple[float, float]] = []

    def step(self, now: float, dt: float, robot_speed: float) -> None:
        super().step(now, dt, robot_speed)
        self.gaps.append((now, math.inf if self.lost else self.gap_m))

    def gap_at(self, t: float) -> float:
        before = [g for when, g in self.gaps if when <= t]
        return before[-1] if before else self.follow_gap_m


@dataclass
class Run:
    success: bool
    lost: bool
    heard: int
    narrations: int
    waited_s: float
    replanning_s: float
    ratio: float  # duration / estimate
    wall_ms: float


def one_run(site, routes: RouteBook, index: int, config: RunnerConfig) -> Run:
    rng = random.Random(SEED * 1000 + index)
    courses = list(site.tours)  # the site file's courses, in its order
    course = courses[index % len(courses)]
    season = SEASONS[index % len(SEASONS)]
    plan = plan_tour(site, course, season, "ko", routes)
    shut = {i: rng.random() < 0.5 for i in range(len(plan.stops))
            if rng.random() < BLOCKED_SHARE}  # stop index -> the other way shut too
    crowd = {i: rng.uniform(0.0, 0.15) for i in range(len(plan.stops))}
    group = TrackedGroup(random.Random(rng.random()))
    clock = FakeClock()
    runner = TourRunner(plan, site, clock, routes, config)

    def blocked(request: NavigateTo) -> bool:
        i = request.stop_index
        if i is None or i not in shut:
            return False
        return request.purpose == "stop" or (request.purpose == "replan" and shut[i])

    def delay(request: NavigateTo) -> float:
        i = request.stop_index
        return crowd.get(i, 0.0) * plan.stops[i].walk_s if i is not None else 0.0

    harness = TourHarness(runner, clock, routes, random_group=group, blocked=blocked,
                          arrival_delay=delay, rating=rng.randint(3, 5))
    t0 = time.perf_counter()
    result = harness.run()
    wall_ms = (time.perf_counter() - t0) * 1000
    narration_times = [t for t, o in harness.log if isinstance(o, Say) and o.kind ==
                       "narration"]
    heard = sum(group.gap_at(t) <= EARSHOT_M for t in narration_times)
    reachable = [i for i in range(len(plan.stops)) if not shut.get(i, False)]
    narrated = {s.index for s in result.stops if s.status == "narrated"}
    success = (result.reason is EndReason.COMPLETED and not group.lost
               and set(reachable) <= narrated and heard == len(narration_times))
    return Run(success, group.lost, heard, len(narration_times), result.waited_for_group_s,
               result.replanning_s, result.duration_s / plan.total_s, wall_ms)


def summary(runs: list[Run]) -> dict[str, float]:
    return {
        "success": 100.0 * sum(r.success for r in runs) / len(runs),
        "lost": 100.0 * sum(r.lost for r in runs) / len(runs),
        "heard": 100.0 * sum(r.heard for r in runs) / max(1, sum(r.narrations for r in runs)),
        "waited": statistics.mean(r.waited_s for r in runs),
        "replanning": statistics.mean(r.replanning_s for r in runs),
        "ratio": statistics.median(r.ratio for r in runs),
        "ratio_p90": sorted(r.ratio for r in runs)[int(0.9 * len(runs))],
        "wall_ms": statistics.mean(r.wall_ms for r in runs),
    }


def timings(site) -> dict[str, float]:
    t0 = time.perf_counter()
    cold = RouteBook(site)
    for course, spec in site.tours.items():
        for season in SEASONS if spec.seasons else (None,):
            plan_tour(site, course, season, "ko", cold)
    plan_ms = (time.perf_counter() - t0) * 1000
    answers = GuestAnswers(45, interests=frozenset({"flowers", "kids"}))
    recommend(site, answers, datetime(2026, 6, 2, 10, 0), cold)
    samples = []
    for hour in range(9, 17):
        t0 = time.perf_counter()
        recommend(site, answers, datetime(2026, 6, 2, hour, 0), cold)
        samples.append((time.perf_counter() - t0) * 1000)
    lidar = Lidar(site.map)
    spec = lidar.spec
    detector = RearPeopleDetector(0.25, static_map=site.map)
    pose = Pose2D(60.0, 40.0, math.pi / 2)
    people = np.array([[60.0, 38.0, 0.25], [59.2, 36.8, 0.25]])
    scan = Scan(spec.angle_min, spec.angle_increment,
                lidar.scan(pose.x, pose.y, pose.yaw, people), spec.range_min, spec.range_max)
    detector.update(scan, pose)
    t0 = time.perf_counter()
    for _ in range(200):
        detector.update(scan, pose)
    detect_ms = (time.perf_counter() - t0) * 1000 / 200
    return {"plan_ms": plan_ms, "recommend_ms": statistics.median(samples),
            "detect_ms": detect_ms}


def main() -> None:
    site = load_fleet().sites["ilwol_arboretum"]
    routes = RouteBook(site)
    ours = summary([one_run(site, routes, i, RunnerConfig()) for i in range(RUNS)])
    never = summary([one_run(site, routes, i, RunnerConfig(wait_for_group=False))
                     for i in range(RUNS)])
    times = timings(site)

    print(f"\nDocent tours: {RUNS} seeded runs (courses and seasons in turn), guests who stop "
          f"for photos, {BLOCKED_SHARE:.0%} of legs blocked\n")
    header = (f"{'runner':<26}{'success':>9}{'group lost':>12}{'heard':>8}{'wait s':>8}"
              f"{'replan s':>10}{'dur/est':>9}{'p90':>7}{'ms/tour':>9}")
    print(header)
    print("-" * len(header))
    for name, row in (("ours (waits for the group)", ours),
                      ("reference: never waits", never)):
        print(f"{name:<26}{row['success']:>8.0f}%{row['lost']:>11.0f}%{row['heard']:>7.0f}%"
              f"{row['waited']:>8.1f}{row['replanning']:>10.1f}{row['ratio']:>9.3f}"
              f"{row['ratio_p90']:>7.3f}{row['wall_ms']:>9.1f}")
    print("\nsuccess: completed, group never lost, every reachable stop narrated within "
          "earshot.\nwait s / replan s: mean time lost per tour holding for the group and "
          "re-planning round blocked ways.\ndur/est: median (and 90th percentile) tour "
          "length over the estimate told to the guest (waits, crowds and detours included).")
    print(f"\nPlan every course cold: {times['plan_ms']:.0f} ms; recommendation (warm): "
          f"{times['recommend_ms']:.1f} ms median; rear-people detector: "
          f"{times['detect_ms']:.2f} ms per scan.")
    print("Targets: success >= 95% and no group lost (ours); recommendation <= 200 ms; "
          "detector <= 5 ms per scan.\n")


if __name__ == "__main__":
    main()
