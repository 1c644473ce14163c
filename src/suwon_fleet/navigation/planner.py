"""Global planner: A* on an inflated occupancy grid, then line-of-sight smoothing.

The map is coarsened to ``cell_size`` (a coarse cell is blocked if any fine cell in it is
blocked after inflation by the robot radius plus a safety margin), searched with 8-connected
A*, and the resulting staircase is shortened by keeping only the waypoints that a straight
line cannot skip. The result is an any-angle path that keeps its clearance.
"""

from __future__ import annotations

import heapq
import math
from functools import cached_property

import numpy as np
from scipy.ndimage import distance_transform_edt

from suwon_fleet.core.maps import OccupancyMap
from suwon_fleet.navigation.errors import NavError, NavigationFailure

Point = tuple[float, float]

_SQRT2 = math.sqrt(2.0)
_NEIGHBOURS = [(-1, -1, _SQRT2), (-1, 0, 1.0), (-1, 1, _SQRT2), (0, -1, 1.0), (0, 1, 1.0),
               (1, -1, _SQRT2), (1, 0, 1.0), (1, 1, _SQRT2)]


def inflate(blocked: np.ndarray, radius_cells: int) -> np.ndarray:
    """Grow obstacles by a disc of ``radius_cells`` (binary dilation with shifted ORs)."""
    if radius_cells <= 0:
        return blocked.copy()
    rows, cols = blocked.shape
    r = radius_cells
    padded = np.pad(blocked, r, constant_values=True)
    out = np.zeros_like(blocked)
    for dr in range(-r, r + 1):
        span = math.floor(math.sqrt(r * r - dr * dr))
        for dc in range(-span, span + 1):
            out |= padded[r + dr:r + dr + rows, r + dc:r + dc + cols]
    return out


def coarsen(blocked: np.ndarray, factor: int) -> np.ndarray:
    """Coarse cell is blocked if any of its ``factor`` x ``factor`` fine cells is."""
    if factor == 1:
        return blocked
    rows = -(-blocked.shape[0] // factor) * factor
    cols = -(-blocked.shape[1] // factor) * factor
    padded = np.ones((rows, cols), dtype=bool)
    padded[:blocked.shape[0], :blocked.shape[1]] = blocked
    return padded.reshape(rows // factor, factor, cols // factor, factor).any(axis=(1, 3))


def polygon_mask(grid: OccupancyMap, polygon: list[tuple[float, float]]) -> np.ndarray:
    """Cells whose centres lie inside the polygon (even-odd rule), as a bool grid."""
    mask = np.zeros(grid.occupied.shape, dtype=bool)
    xs = grid.origin[0] + (np.arange(grid.cols) + 0.5) * grid.resolution
    ys = grid.origin[1] + (np.arange(grid.rows) + 0.5) * grid.resolution
    px, py = np.meshgrid(xs, ys)
    n = len(polygon)
    for i in range(n):
        (x0, y0), (x1, y1) = polygon[i], polygon[(i + 1) % n]
        if y0 == y1:
            continue
        crosses = (y0 > py) != (y1 > py)
        mask ^= crosses & (px < x0 + (py - y0) * (x1 - x0) / (y1 - y0))
    return mask


class GridPlanner:
    def __init__(self, grid: OccupancyMap, robot_radius: float, safety_margin: float = 0.1,
                 cell_size: float = 0.1,
                 keep_out: list[list[tuple[float, float]]] | None = None) -> None:
        self.grid = grid
        self.factor = max(1, round(cell_size / grid.resolution))
        self.cell = grid.resolution * self.factor
        self.clearance = robot_radius + safety_margin
        self.robot_radius = robot_radius
        self.passing_gap = 0.15  # metres kept between the robot and a person it goes round
        blocked = grid.blocked.copy()
        for polygon in keep_out or []:
            blocked |= polygon_mask(grid, polygon)  # rules, not walls: only the planner obeys
        radius_cells = math.ceil(self.clearance / grid.resolution)
        self.inflated_fine = inflate(blocked, radius_cells)
        self.static_blocked = coarsen(self.inflated_fine, self.factor)
        self.blocked = self.static_blocked

    @cached_property
    def _wall_distance(self) -> np.ndarray:
        return distance_transform_edt(~self.grid.blocked) * self.grid.resolution

    def unmapped(self, points: np.ndarray, tolerance: float = 0.2) -> np.ndarray:
        """The sensed points the static map does not explain: people, carts, closed doors.

        Walls are the planner's business (paths keep their clearance); only these points make
        the robot slow down, stop, or plan around them.
        """
        if points is None or len(points) == 0:
            return np.empty((0, 2))
        grid = self.grid
        col = np.floor((points[:, 0] - grid.origin[0]) / grid.resolution).astype(np.int64)
        row = np.floor((points[:, 1] - grid.origin[1]) / grid.resolution).astype(np.int64)
        inside = (row >= 0) & (col >= 0) & (row < grid.rows) & (col < grid.cols)
        far = np.zeros(len(points), dtype=bool)
        far[inside] = self._wall_distance[row[inside], col[inside]] > tolerance
        return points[far]

    def with_obstacles(self, points: np.ndarray) -> np.ndarray:
        """The coarse grid with a disc round every sensed point: people get a wider berth
        than walls (``passing_gap`` between bodies)."""
        blocked = self.static_blocked.copy()
        if points is None or len(points) == 0:
            return blocked
        r = math.ceil((self.robot_radius + self.passing_gap) / self.cell)
        rows, cols = blocked.shape
        for x, y in points:
            row, col = self.to_cell(float(x), float(y))
            for dr in range(-r, r + 1):
                span = int(math.sqrt(max(0, r * r - dr * dr)))
                rr = row + dr
                if 0 <= rr < rows:
                    blocked[rr, max(0, col - span):min(cols, col + span + 1)] = True
        return blocked

    def to_cell(self, x: float, y: float) -> tuple[int, int]:
        return (math.floor((y - self.grid.origin[1]) / self.cell),
                math.floor((x - self.grid.origin[0]) / self.cell))

    def to_world(self, row: int, col: int) -> Point:
        return (self.grid.origin[0] + (col + 0.5) * self.cell,
                self.grid.origin[1] + (row + 0.5) * self.cell)

    def _in_bounds(self, row: int, col: int) -> bool:
        return 0 <= row < self.blocked.shape[0] and 0 <= col < self.blocked.shape[1]

    def check_goal(self, x: float, y: float) -> None:
        """Raise NavigationFailure if a goal is outside the map or not reachable free space."""
        row, col = self.to_cell(x, y)
        if not self._in_bounds(row, col):
            raise NavigationFailure(NavError.GOAL_OUTSIDE_MAP,
                                    f"goal ({x:.2f}, {y:.2f}) is outside the map")
        if not self.grid.is_free(x, y):
            raise NavigationFailure(NavError.GOAL_OCCUPIED,
                                    f"goal ({x:.2f}, {y:.2f}) is inside an obstacle")

    def plan(self, start: Point, goal: Point, obstacles: np.ndarray | None = None) -> list[Point]:
        """Path from start to goal in map coordinates, both ends included.

        ``obstacles`` (N, 2) are points seen by the robot's sensors (people, a blocked
        corridor) to plan around on top of the map.
        """
        self.blocked = self.with_obstacles(obstacles) if obstacles is not None else (
            self.static_blocked)
        self.check_goal(*goal)
        s = self.to_cell(*start)
        if not self._in_bounds(*s):
            raise NavigationFailure(NavError.START_OUTSIDE_MAP,
                                    f"start ({start[0]:.2f}, {start[1]:.2f}) is outside the map")
        g = self._nearest_free(self.to_cell(*goal))
        if g is None:
            raise NavigationFailure(
                NavError.GOAL_OCCUPIED,
                f"goal ({goal[0]:.2f}, {goal[1]:.2f}) is too close to obstacles")
        # A robot standing a little inside the inflation zone (e.g. at its dock) may leave it.
        s_free = self._nearest_free(s)
        if s_free is None:
            raise NavigationFailure(NavError.START_OCCUPIED, "the robot is boxed in by obstacles")
        cells = self._astar(s_free, g)
        if cells is None:
            raise NavigationFailure(NavError.NO_VALID_PATH,
                                    f"no path from ({start[0]:.2f}, {start[1]:.2f}) to "
                                    f"({goal[0]:.2f}, {goal[1]:.2f})")
        waypoints = self._smooth(cells)
        points = [self.to_world(r, c) for r, c in waypoints]
        return [start, *points[1:-1], goal] if len(points) > 1 else [start, goal]

    def _nearest_free(self, cell: tuple[int, int], max_radius: int = 6) -> tuple[int, int] | None:
        row, col = cell
        if self._in_bounds(row, col) and not self.blocked[row, col]:
            return cell
        best = None
        for radius in range(1, max_radius + 1):
            for dr in range(-radius, radius + 1):
                for dc in range(-radius, radius + 1):
                    r, c = row + dr, col + dc
                    if self._in_bounds(r, c) and not self.blocked[r, c]:
                        d = dr * dr + dc * dc
                        if best is None or d < best[0]:
                            best = (d, (r, c))
            if best is not None:
                return best[1]
        return None

    def _astar(self, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]] | None:
        blocked = self.blocked
        rows, cols = blocked.shape
        gr, gc = goal

        def h(r: int, c: int) -> float:  # octile distance, admissible on an 8-grid
            dr, dc = abs(r - gr), abs(c - gc)
            return (dr + dc) + (_SQRT2 - 2.0) * min(dr, dc)

        cost = {start: 0.0}
        parent: dict[tuple[int, int], tuple[int, int]] = {}
        frontier = [(h(*start), 0.0, start)]
        closed = set()
        while frontier:
            _, g, cur = heapq.heappop(frontier)
            if cur in closed:
                continue
            if cur == goal:
                path = [cur]
                while cur in parent:
                    cur = parent[cur]
                    path.append(cur)
                return path[::-1]
            closed.add(cur)
            r, c = cur
            for dr, dc, step in _NEIGHBOURS:
                nr, nc = r + dr, c + dc
                if not (0 <= nr < rows and 0 <= nc < cols) or blocked[nr, nc]:
                    continue
                if dr and dc and (blocked[r, nc] or blocked[nr, c]):
                    continue  # no corner cutting
                ng = g + step
                nxt = (nr, nc)
                if ng < cost.get(nxt, math.inf):
                    cost[nxt] = ng
                    parent[nxt] = cur
                    heapq.heappush(frontier, (ng + h(nr, nc), ng, nxt))
        return None

    def line_is_free(self, a: tuple[int, int], b: tuple[int, int]) -> bool:
        """True if the straight segment between two coarse cells crosses no blocked cell."""
        (r0, c0), (r1, c1) = a, b
        n = max(abs(r1 - r0), abs(c1 - c0)) * 2 + 1
        rs = np.rint(np.linspace(r0, r1, n)).astype(int)
        cs = np.rint(np.linspace(c0, c1, n)).astype(int)
        return not self.blocked[rs, cs].any()

    def _smooth(self, cells: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if len(cells) <= 2:
            return cells
        # Greedy forward: from each kept waypoint, reach as far along the path as sight allows.
        out = [cells[0]]
        i, last = 0, len(cells) - 1
        while i < last:
            j = i + 1
            while j < last and self.line_is_free(cells[i], cells[j + 1]):
                j += 1
            out.append(cells[j])
            i = j
        return out
