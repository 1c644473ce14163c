"""Simulated tour guests: a group of people following a docent robot. No ROS here.

Each guest keeps a place a metre or two behind the robot along the way it has driven (its
trail), a little to the side where the path is wide enough, and walks there at up to
``catch_up_speed`` round the map's walls (a planned path when the straight line is blocked).
Guests never walk into the robot: one standing in its way ahead steps aside (or back along
the path when it cannot), and waits for the robot to pass rather than squeezing by; when the
robot stands facing the way it came (a stop's heading), they gather in front of it, clear of
its lane. They are circles to the lidar and to the robot's bumper, like the site's visitors,
so the robot's rear-people detector sees real scan returns.

Commands (``TourGroups.command``; the simulator takes them as JSON on /sim/<robot>/tour_group):

  {"size": 4}            a group of 4 right behind the robot (replacing any); 0 dismisses it
  {"hold_s": 20}         the whole group stops for 20 s (a photo), then catches up
  {"straggler_s": 30}    the last guest stops for 30 s while the others follow
  {"dawdle_per_min": 0.5, "dawdle_s": [10, 60], "seed": 3}
                         now and then (per minute of the robot walking) the whole group
                         stops for a while, from a seeded generator (benchmarks)
  {"crowd_at": [x, y], "people": 7, "radius_m": 0.7}
                         a crowd standing on that spot of the site (a blocked path or tour
                         stop), in a ring round it; {"crowd_at": null} sends them away
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from suwon_fleet.core.maps import OccupancyMap
from suwon_fleet.navigation.errors import NavigationFailure
from suwon_fleet.navigation.planner import GridPlanner
from suwon_sim.visitors import VISITOR_RADIUS, VisitorCrowd

Point = tuple[float, float]

TRAIL_STEP_M = 0.2  # the robot's trail: a point every this many metres...
TRAIL_KEEP_M = 40.0  # ...kept this far back
FIRST_GAP_M = 1.5  # the nearest guest's distance behind the robot, along its trail
GAP_STEP_M = 0.6  # each further guest this much farther back
SIDE_OFFSET_M = 0.4  # guests walk two abreast where the path is wide enough
LANE_M = 0.9  # a guest nearer than this to the robot's heading line, ahead of it, is in its way
AHEAD_M = 3.5  # ...when within this distance ahead
ROBOT_GAP_M = 0.5  # guests keep this gap to the robot's body (people do not crowd it)
STEP_S = 0.05  # guests decide at 20 Hz of sim time, whatever the physics rate
STANDING_SPEED = 0.05  # m/s: a robot slower than this is standing (at a stop, waiting)
CROWD_PEOPLE = 7  # a standing crowd: one on the spot, the rest in a ring round it...
CROWD_RADIUS_M = 0.7  # ...this far out


@dataclass
class RobotView:
    """What the guests see of the robot they follow."""

    x: float
    y: float
    yaw: float
    speed: float
    radius: float


@dataclass
class Guest:
    guest_id: str
    x: float
    y: float
    gap_m: float  # how far behind the robot, along its trail
    side_m: float  # to the left (+) or right (-) of the trail
    speed: float  # m/s when catching up
    radius: float = VISITOR_RADIUS
    heading: float = 0.0
    stopped_until: float = -math.inf
    path: list[Point] = field(default_factory=list)
    path_goal: Point | None = None


class TourGroup:
    def __init__(self, robot_id: str, planner: GridPlanner, robot: RobotView, size: int,
                 rng: random.Random, catch_up_speed: float = 1.2) -> None:
        self.robot_id = robot_id
        self.planner = planner
        self.rng = rng
        self.catch_up_speed = catch_up_speed
        self.dawdle_per_min = 0.0
        self.dawdle_s = (10.0, 60.0)
        self.now = 0.0
        # A trail straight back from where the robot stands (as far as it is free), so the
        # guests start in a queue behind it.
        back = [(robot.x, robot.y)]
        for k in range(1, 31):
            x = robot.x - TRAIL_STEP_M * k * math.cos(robot.yaw)
            y = robot.y - TRAIL_STEP_M * k * math.sin(robot.yaw)
            if not self.walkable(x, y):
                break
            back.append((x, y))
        self.trail: list[Point] = back[::-1]
        self._arcs: list[float] = []
        self._reindex()
        self.guests: list[Guest] = []
        for i in range(size):
            side = 0.0 if i == 0 else (SIDE_OFFSET_M if i % 2 else -SIDE_OFFSET_M)
            gap = FIRST_GAP_M + GAP_STEP_M * (i // 2 if i else 0) + (0.3 if i % 2 == 0 and i
                                                                      else 0.0)
            guest = Guest(f"{robot_id}_guest_{i}", robot.x, robot.y, gap, side,
                          speed=catch_up_speed * rng.uniform(0.95, 1.05))
            guest.x, guest.y = self._slot(guest, robot)
            if math.hypot(guest.x - robot.x, guest.y - robot.y) < self._reach(guest, robot):
                # A wall close behind the robot (it just turned away from a kiosk, say): not
                # on top of it, but the nearest free spot round it, behind it if it can be.
                guest.x, guest.y = self._spot_round(guest, robot, gap)
            self.guests.append(guest)

    # ------------------------------------------------------------------ commands
    def hold(self, seconds: float, who: list[Guest] | None = None) -> None:
        for guest in who if who is not None else self.guests:
            guest.stopped_until = self.now + seconds
            guest.path = []

    def straggle(self, seconds: float) -> None:
        if self.guests:
            self.hold(seconds, [self.guests[-1]])

    @property
    def farthest_gap_m(self) -> float:
        """The largest straight-line distance of a guest from the last robot position."""
        rx, ry = self.trail[-1]
        return max((math.hypot(g.x - rx, g.y - ry) for g in self.guests), default=0.0)

    # ------------------------------------------------------------------ walking
    def step(self, dt: float, robot: RobotView) -> None:
        self.now += dt
        self._extend_trail(robot)
        if self.dawdle_per_min > 0 and robot.speed > 0.05 and self.rng.random() < (
                self.dawdle_per_min * dt / 60.0) and all(
                g.stopped_until <= self.now for g in self.guests):
            self.hold(self.rng.uniform(*self.dawdle_s))
        for guest in self.guests:
            if self.now < guest.stopped_until:
                # Stopped for a photo, but not in the robot's way: they step aside for it.
                aside = self._out_of_the_way(guest, robot)
                if aside is not None:
                    self._walk(guest, aside, dt, robot)
                continue
            target = self._target(guest, robot)
            self._walk(guest, target, dt, robot)

    def _extend_trail(self, robot: RobotView) -> None:
        lx, ly = self.trail[-1]
        d = math.hypot(robot.x - lx, robot.y - ly)
        if d < TRAIL_STEP_M:
            return
        self.trail.append((robot.x, robot.y))
        self._arcs.append(self._arcs[-1] + d)
        if self._arcs[-1] - self._arcs[0] > TRAIL_KEEP_M + 5.0:
            cut = bisect.bisect_left(self._arcs, self._arcs[-1] - TRAIL_KEEP_M)
            self.trail = self.trail[cut:]
            self._reindex()

    def _reindex(self) -> None:
        arcs = [0.0]
        for (x0, y0), (x1, y1) in itertools.pairwise(self.trail):
            arcs.append(arcs[-1] + math.hypot(x1 - x0, y1 - y0))
        self._arcs = arcs

    def _slot(self, guest: Guest, robot: RobotView) -> Point:
        """The guest's place behind the robot along its trail (beside it if there is room)."""
        # From the robot's position back along the trail by gap_m.
        here = (robot.x, robot.y)
        lx, ly = self.trail[-1]
        extra = math.hypot(here[0] - lx, here[1] - ly)
        back = guest.gap_m - extra
        if back <= 0:
            t = guest.gap_m / extra if extra else 0.0
            point, direction = (here[0] + (lx - here[0]) * t, here[1] + (ly - here[1]) * t), (
                math.atan2(here[1] - ly, here[0] - lx))
        elif len(self.trail) < 2:
            point, direction = self.trail[0], robot.yaw
        else:
            target_arc = max(self._arcs[0], self._arcs[-1] - back)
            i = min(len(self._arcs) - 1, max(1, bisect.bisect_left(self._arcs, target_arc)))
            (x0, y0), (x1, y1) = self.trail[i - 1], self.trail[i]
            seg = self._arcs[i] - self._arcs[i - 1]
            t = 0.0 if seg <= 0 else max(0.0, min(1.0, (target_arc - self._arcs[i - 1]) / seg))
            point = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            direction = math.atan2(y1 - y0, x1 - x0)
        if guest.side_m:
            sx = point[0] - guest.side_m * math.sin(direction)
            sy = point[1] + guest.side_m * math.cos(direction)
            if self.walkable(sx, sy):
                return (sx, sy)
        return point

    def _out_of_the_way(self, guest: Guest, robot: RobotView) -> Point | None:
        """Where to step when in the robot's way ahead (None: not in its way): aside, the
        nearer side first; back along its heading when neither side is free."""
        c, s = math.cos(robot.yaw), math.sin(robot.yaw)
        dx, dy = guest.x - robot.x, guest.y - robot.y
        ahead, lateral = dx * c + dy * s, -dx * s + dy * c
        if not (0.0 < ahead < AHEAD_M and abs(lateral) < LANE_M):
            return None
        sides = (1.0, -1.0) if lateral >= 0 else (-1.0, 1.0)
        for side in sides:
            for need in (LANE_M + 0.1, LANE_M + 0.5):
                x = robot.x + ahead * c - side * need * s
                y = robot.y + ahead * s + side * need * c
                if self.walkable(x, y):
                    return (x, y)
        return (guest.x + c * 1.0, guest.y + s * 1.0)

    def _target(self, guest: Guest, robot: RobotView) -> Point:
        aside = self._out_of_the_way(guest, robot)
        if aside is not None:
            return aside
        c, s = math.cos(robot.yaw), math.sin(robot.yaw)
        dx, dy = guest.x - robot.x, guest.y - robot.y
        ahead = dx * c + dy * s
        slot = self._slot(guest, robot)
        sx, sy = slot[0] - robot.x, slot[1] - robot.y
        if sx * c + sy * s > 0.3 and ahead > -0.5:
            if robot.speed > STANDING_SPEED:
                # The trail behind the robot is in front of it now (it turned back): let it pass.
                return (guest.x, guest.y)
            # It stands facing the way it came (a stop's heading): gather in front of it, clear
            # of its lane.
            return self._beside_lane(slot, guest, robot)
        return slot

    def _beside_lane(self, point: Point, guest: Guest, robot: RobotView) -> Point:
        """``point``, or beside the robot's lane ahead when it is in it (the guest's side
        first); where the guest stands when neither side is free."""
        c, s = math.cos(robot.yaw), math.sin(robot.yaw)
        dx, dy = point[0] - robot.x, point[1] - robot.y
        ahead, lateral = dx * c + dy * s, -dx * s + dy * c
        if not (0.0 < ahead < AHEAD_M and abs(lateral) < LANE_M):
            return point
        mine = -(guest.x - robot.x) * s + (guest.y - robot.y) * c
        for side in ((1.0, -1.0) if mine >= 0 else (-1.0, 1.0)):
            x = robot.x + ahead * c - side * (LANE_M + 0.1) * s
            y = robot.y + ahead * s + side * (LANE_M + 0.1) * c
            if self.walkable(x, y):
                return (x, y)
        return (guest.x, guest.y)

    def _walk(self, guest: Guest, target: Point, dt: float, robot: RobotView) -> None:
        dist = math.hypot(target[0] - guest.x, target[1] - guest.y)
        if dist < 0.1:
            return
        speed = min(guest.speed, 0.3 + 1.2 * dist)  # slow down near the place, no jitter
        stride = min(dist, speed * dt)
        goal = target
        if not self._clear_line(guest.x, guest.y, *target):
            if guest.path_goal is None or math.hypot(guest.path_goal[0] - target[0],
                                                     guest.path_goal[1] - target[1]) > 1.0:
                try:
                    guest.path = self.planner.plan((guest.x, guest.y), target)[1:]
                except NavigationFailure:
                    guest.path = []
                guest.path_goal = target
            while guest.path and math.hypot(guest.path[0][0] - guest.x,
                                            guest.path[0][1] - guest.y) < 0.15:
                guest.path.pop(0)
            if not guest.path:
                return
            goal = guest.path[0]
        else:
            guest.path, guest.path_goal = [], None
        heading = math.atan2(goal[1] - guest.y, goal[0] - guest.x)
        for turn in (0.0, 0.6, -0.6, 1.2, -1.2):
            h = heading + turn
            x, y = guest.x + stride * math.cos(h), guest.y + stride * math.sin(h)
            if self.walkable(x, y) and not self._too_close(guest, x, y, robot):
                guest.x, guest.y, guest.heading = x, y, h
                return

    @staticmethod
    def _reach(guest: Guest, robot: RobotView) -> float:
        return guest.radius + robot.radius + ROBOT_GAP_M

    def _too_close(self, guest: Guest, x: float, y: float, robot: RobotView) -> bool:
        d = math.hypot(x - robot.x, y - robot.y)
        return d < self._reach(guest, robot) and d < math.hypot(guest.x - robot.x,
                                                                guest.y - robot.y)

    def _spot_round(self, guest: Guest, robot: RobotView, distance: float) -> Point:
        """A walkable spot ``distance`` from the robot with a clear line to it: straight
        behind first, then turning either way towards its front; nearer in when there is none."""
        behind = robot.yaw + math.pi
        for d in (distance, 0.75 * distance, self._reach(guest, robot)):
            for k in range(13):
                turn = (k + 1) // 2 * (math.pi / 12) * (1 if k % 2 else -1)
                x = robot.x + d * math.cos(behind + turn)
                y = robot.y + d * math.sin(behind + turn)
                if self.walkable(x, y) and self._clear_line(robot.x, robot.y, x, y):
                    return (x, y)
        return (robot.x, robot.y)

    def walkable(self, x: float, y: float) -> bool:
        row, col = self.planner.grid.world_to_cell(x, y)
        grid = self.planner.inflated_fine
        return 0 <= row < grid.shape[0] and 0 <= col < grid.shape[1] and not grid[row, col]

    def _clear_line(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / 0.1))
        return all(self.walkable(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n)
                   for k in range(1, n + 1))

    def circles(self) -> list[tuple[float, float, float]]:
        return [(g.x, g.y, g.radius) for g in self.guests]


class TourGroups:
    """A site's visitors plus the tour groups following its robots, as one crowd: what the
    lidar and the bumpers see (SiteWorld's ``crowd``)."""

    def __init__(self, grid: OccupancyMap, robots: Mapping, visitors: VisitorCrowd | None,
                 seed: int = 0) -> None:
        self.grid = grid
        self.robots = robots  # robot id -> SimRobot (the world's, filled as robots are added)
        self.crowd = visitors
        self.seed = seed
        self.groups: dict[str, TourGroup] = {}
        self.standing: list[Guest] = []  # a crowd that stays put (blocking a way)
        self._planner: GridPlanner | None = visitors.planner if visitors is not None else None
        self._pending = 0.0

    @property
    def planner(self) -> GridPlanner:
        if self._planner is None:
            self._planner = GridPlanner(self.grid, VISITOR_RADIUS, safety_margin=0.05,
                                        cell_size=0.2)
        return self._planner

    @property
    def visitors(self) -> list:
        """Everyone walking about (for /sim/visitors): visitors, then guests."""
        people = list(self.crowd.visitors) if self.crowd is not None else []
        for group in self.groups.values():
            people += group.guests
        return people + self.standing

    def circles(self) -> list[tuple[float, float, float]]:
        out = self.crowd.circles() if self.crowd is not None else []
        for group in self.groups.values():
            out += group.circles()
        return out + [(g.x, g.y, g.radius) for g in self.standing]

    def step(self, dt: float, robots: list[tuple[float, float, float]]) -> None:
        if self.crowd is not None:
            self.crowd.step(dt, robots)
        if not self.groups:
            return
        self._pending += dt
        if self._pending < STEP_S:
            return
        step, self._pending = self._pending, 0.0
        for robot_id, group in self.groups.items():
            group.step(step, self._view(robot_id))

    def _view(self, robot_id: str) -> RobotView:
        robot = self.robots[robot_id]
        return RobotView(robot.pose.x, robot.pose.y, robot.pose.yaw, abs(robot.linear),
                         robot.radius)

    def crowd_at(self, spot: tuple[float, float] | None, people: int = CROWD_PEOPLE,
                 radius: float = CROWD_RADIUS_M) -> None:
        """A crowd standing on ``spot`` (None: no crowd): one person there, the others in a
        ring ``radius`` round it."""
        self.standing = []
        if spot is None:
            return
        x, y = spot
        n = max(1, people - 1)
        ring = [(x + radius * math.cos(2 * math.pi * k / n),
                 y + radius * math.sin(2 * math.pi * k / n)) for k in range(n)]
        self.standing = [Guest(f"crowd_{k}", px, py, 0.0, 0.0, 0.0)
                         for k, (px, py) in enumerate([(x, y), *ring])]

    def command(self, robot_id: str, data: Mapping) -> str:
        """Carry out one command (see the module docstring); returns what was done."""
        if robot_id not in self.robots:
            raise KeyError(f"no robot {robot_id!r} here")
        done = []
        if "crowd_at" in data:
            spot = data["crowd_at"]
            self.crowd_at(None if spot is None else (float(spot[0]), float(spot[1])),
                          int(data.get("people", CROWD_PEOPLE)),
                          float(data.get("radius_m", CROWD_RADIUS_M)))
            done.append(f"a crowd at {spot}" if spot is not None else "the crowd left")
        if "size" in data:
            size = int(data["size"])
            if size <= 0:
                self.groups.pop(robot_id, None)
                done.append("group dismissed")
            else:
                rng = random.Random(int(data.get("seed", self.seed)) * 7919 + size)
                self.groups[robot_id] = TourGroup(robot_id, self.planner, self._view(robot_id),
                                                  size, rng)
                done.append(f"{size} guests behind {robot_id}")
        group = self.groups.get(robot_id)
        if group is None:
            return "; ".join(done) or "no group"
        if "seed" in data and "size" not in data:
            group.rng = random.Random(int(data["seed"]))
        if "dawdle_per_min" in data:
            group.dawdle_per_min = float(data["dawdle_per_min"])
            if "dawdle_s" in data:
                low, high = data["dawdle_s"]
                group.dawdle_s = (float(low), float(high))
            done.append(f"dawdling {group.dawdle_per_min}/min")
        if "hold_s" in data:
            group.hold(float(data["hold_s"]))
            done.append(f"group holds {float(data['hold_s']):.0f} s")
        if "straggler_s" in data:
            group.straggle(float(data["straggler_s"]))
            done.append(f"one guest lags {float(data['straggler_s']):.0f} s")
        return "; ".join(done)
