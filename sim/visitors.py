"""Simulated visitors: people walking between a site's places, as moving obstacles.

Each visitor walks a planned path to a randomly chosen place at a walking pace, lingers, and
picks the next place. Everything random comes from one seeded generator, so a run with the
same seed (and the same robot motion) replays identically. A visitor stops while a robot is
right in front of them, makes way for a robot that comes close while they linger, and takes
another way when a robot stays in theirs, as people do.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from suwon_fleet.core.maps import OccupancyMap
from suwon_fleet.navigation.errors import NavigationFailure
from suwon_fleet.navigation.planner import GridPlanner

Point = tuple[float, float]

VISITOR_RADIUS = 0.25
PERSONAL_SPACE = 0.35  # gap a visitor keeps to a robot ahead
MAKE_WAY_DISTANCE = 1.2  # a lingering visitor this close to a robot walks on
GIVE_UP_AFTER_S = 3.0  # a visitor held up this long by a robot takes another way


@dataclass
class Visitor:
    visitor_id: str
    x: float
    y: float
    speed: float
    path: list[Point] = field(default_factory=list)
    linger_s: float = 0.0
    place_index: int = 0  # the place they are at or walking to
    held_s: float = 0.0  # how long a robot has been in their way
    radius: float = VISITOR_RADIUS

    @property
    def heading(self) -> float:
        if not self.path:
            return 0.0
        return math.atan2(self.path[0][1] - self.y, self.path[0][0] - self.x)


class VisitorCrowd:
    def __init__(self, grid: OccupancyMap, places: list[Point], count: int, seed: int) -> None:
        if count and len(places) < 2:
            raise ValueError("visitors need at least two places to walk between")
        self.places = places
        self.rng = random.Random(seed)
        # People fit through narrower gaps than robots; plan on a coarser grid for speed.
        self.planner = GridPlanner(grid, VISITOR_RADIUS, safety_margin=0.05, cell_size=0.2)
        self._routes: dict[tuple[int, int], list[Point]] = {}
        self.visitors: list[Visitor] = []
        for i in range(count):
            start = self.rng.randrange(len(places))
            x, y = places[start]
            self.visitors.append(Visitor(f"visitor_{i}", x, y, speed=self.rng.uniform(0.8, 1.3),
                                         linger_s=self.rng.uniform(0.0, 5.0), place_index=start))

    def _route(self, a: int, b: int) -> list[Point]:
        key = (a, b)
        if key not in self._routes:
            try:
                self._routes[key] = self.planner.plan(self.places[a], self.places[b])[1:]
            except NavigationFailure:
                self._routes[key] = []
        return list(self._routes[key])

    def step(self, dt: float, robots: list[tuple[float, float, float]]) -> None:
        """Advance every visitor; ``robots`` are (x, y, radius) they must not walk into."""
        for v in self.visitors:
            if not v.path:
                v.linger_s -= dt
                near_robot = any(math.hypot(v.x - rx, v.y - ry) < MAKE_WAY_DISTANCE + rr
                                 for rx, ry, rr in robots)
                if v.linger_s > 0 and not near_robot:
                    continue
                self._walk_on(v, from_place=not near_robot)
                continue
            tx, ty = v.path[0]
            gap = math.hypot(tx - v.x, ty - v.y)
            stride = v.speed * dt
            nx, ny = (tx, ty) if gap <= stride else (v.x + (tx - v.x) * stride / gap,
                                                    v.y + (ty - v.y) * stride / gap)
            if self._crowding(v, nx, ny, robots):
                # Step round the robot, as people do; re-plan once past it.
                for turn in (0.7, -0.7, 1.4, -1.4):
                    heading = math.atan2(ny - v.y, nx - v.x) + turn
                    sx = v.x + stride * math.cos(heading)
                    sy = v.y + stride * math.sin(heading)
                    if self._walkable(sx, sy) and not self._crowding(v, sx, sy, robots):
                        v.x, v.y = sx, sy
                        v.held_s = -1.0  # marks "went round": re-plan when clear
                        break
                else:
                    v.held_s = max(0.0, v.held_s) + dt
                    if v.held_s > GIVE_UP_AFTER_S:
                        self._walk_on(v, from_place=False)  # turn back: another way
                continue
            if v.held_s < 0:
                self._replan(v)
                continue
            v.held_s = 0.0
            v.x, v.y = nx, ny
            if gap <= stride:
                v.path.pop(0)

    @staticmethod
    def _crowding(v: Visitor, x: float, y: float,
                  robots: list[tuple[float, float, float]]) -> bool:
        """Would standing at (x, y) bring the visitor closer to a robot than is polite?"""
        return any(math.hypot(x - rx, y - ry) < v.radius + rr + PERSONAL_SPACE
                   and math.hypot(x - rx, y - ry) < math.hypot(v.x - rx, v.y - ry)
                   for rx, ry, rr in robots)

    def _walkable(self, x: float, y: float) -> bool:
        row, col = self.planner.grid.world_to_cell(x, y)
        grid = self.planner.inflated_fine
        return 0 <= row < grid.shape[0] and 0 <= col < grid.shape[1] and not grid[row, col]

    def _replan(self, v: Visitor) -> None:
        try:
            v.path = self.planner.plan((v.x, v.y), self.places[v.place_index])[1:]
        except NavigationFailure:
            v.path = []
        v.held_s = 0.0

    def _walk_on(self, v: Visitor, from_place: bool) -> None:
        """Set off for another place: from the place they stand at, or from where they are."""
        here = v.place_index
        there = self.rng.randrange(len(self.places) - 1)
        there += there >= here
        if from_place:
            v.path = self._route(here, there)
        else:
            try:
                v.path = self.planner.plan((v.x, v.y), self.places[there])[1:]
            except NavigationFailure:
                v.path = []
        v.place_index = there
        v.linger_s = self.rng.uniform(2.0, 15.0)
        v.held_s = 0.0

    def circles(self) -> list[tuple[float, float, float]]:
        return [(v.x, v.y, v.radius) for v in self.visitors]
