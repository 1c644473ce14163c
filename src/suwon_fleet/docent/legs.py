"""Turning the runner's navigation requests into the poses a Nav2-style server drives through.

The navigation server plans with the site's keep-out zones only: it neither knows the runner's
way round a blockage (``NavigateTo.via``) nor that a step-free (wheelchair) leg must keep off
stairs and steep slopes. Both become waypoints of a navigate_through_poses goal:

* ``via``: the runner's detour, thinned to points a few metres apart (each waypoint costs the
  controller a slow-down, so a dense path would crawl);
* step-free: where the server's own route between two consecutive poses would pass through or
  close by a zone with a terrain, waypoints from the step-free route are added, as few as
  needed (each stretch between them checked with the same planner the server runs), so the
  server's route from waypoint to waypoint stays on the step-free way.
"""

from __future__ import annotations

import itertools
import math

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import point_in_polygon
from suwon_fleet.docent.planning import Route, RouteBook

Point = tuple[float, float]
Polygon = list[Point]

VIA_SPACING_M = 3.0  # the runner's detour, thinned to waypoints at least this far apart
BARRIER_MARGIN_M = 0.5  # a route this close to a stairs/steep zone counts as entering it
SAMPLE_STEP_M = 1.0  # candidate waypoints along the step-free route


def near_polygon(x: float, y: float, polygon: Polygon, margin: float) -> bool:
    """Is the point inside the polygon or within ``margin`` of its edges?"""
    if point_in_polygon(x, y, polygon):
        return True
    n = len(polygon)
    for i in range(n):
        (x0, y0), (x1, y1) = polygon[i], polygon[(i + 1) % n]
        dx, dy = x1 - x0, y1 - y0
        seg = dx * dx + dy * dy
        t = 0.0 if seg == 0 else max(0.0, min(1.0, ((x - x0) * dx + (y - y0) * dy) / seg))
        if math.hypot(x0 + t * dx - x, y0 + t * dy - y) < margin:
            return True
    return False


def route_touches(route: Route, barriers: list[Polygon], margin: float = BARRIER_MARGIN_M
                  ) -> bool:
    return any(near_polygon(float(x), float(y), poly, margin)
               for x, y in route.samples(0.1) for poly in barriers)


def thin(points: list[Point], spacing: float = VIA_SPACING_M) -> list[Point]:
    """Points at least ``spacing`` apart along the list, the last one always kept."""
    if not points:
        return []
    kept = [points[0]]
    for p in points[1:]:
        if math.hypot(p[0] - kept[-1][0], p[1] - kept[-1][1]) >= spacing:
            kept.append(p)
    if kept[-1] != points[-1]:
        if math.hypot(points[-1][0] - kept[-1][0], points[-1][1] - kept[-1][1]) < spacing / 2:
            kept[-1] = points[-1]
        else:
            kept.append(points[-1])
    return kept


def step_free_waypoints(routes: RouteBook, start: Point, goal: Point,
                        barriers: list[Polygon]) -> list[Point]:
    """Waypoints (goal excluded) that keep the server's unrestricted routes off ``barriers``
    between ``start`` and ``goal``; [] when its direct route already does (or when there is
    no step-free route to follow, which the navigation then reports)."""
    def clear(a: Point, b: Point) -> bool:
        route = routes.route(a, b, step_free=False)
        return route is None or not route_touches(route, barriers)

    if not barriers or clear(start, goal):
        return []
    step_free = routes.route(start, goal, step_free=True)
    if step_free is None:
        return []
    samples = [tuple(map(float, p)) for p in step_free.samples(SAMPLE_STEP_M)]
    samples[-1] = goal
    out: list[Point] = []
    here, i = start, 0
    while not clear(here, goal):
        # The farthest sample reachable from here on a clear route (binary search: being
        # clear is monotone along the route in practice; the scan below guarantees progress).
        lo, hi = i + 1, len(samples) - 1
        best = None
        while lo <= hi:
            mid = (lo + hi) // 2
            if clear(here, samples[mid]):
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        if best is None or best >= len(samples) - 1:
            best = min(i + 1, len(samples) - 2)
        if best <= i:
            break
        out.append(samples[best])
        here, i = samples[best], best
        if len(out) > 20:
            break  # a pathological map: the server's recovery takes it from here
    return out


def _with_headings(points: list[Point], goal: Pose2D) -> list[Pose2D]:
    """Waypoints facing the next one (so the server turns little at each), then the goal."""
    poses = []
    for k, (x, y) in enumerate(points):
        nx, ny = points[k + 1] if k + 1 < len(points) else (goal.x, goal.y)
        poses.append(Pose2D(x, y, math.atan2(ny - y, nx - x)))
    return [*poses, goal]


def leg_poses(routes: RouteBook, start: Point, goal: Pose2D, via: tuple[Point, ...] = (),
              step_free: bool = False, barriers: list[Polygon] | None = None
              ) -> list[Pose2D]:
    """The poses to drive through for one runner request, the goal last."""
    points = [p for p in thin(list(via)) if math.hypot(p[0] - goal.x, p[1] - goal.y) > 1.0]
    if step_free and barriers:
        anchors = [start, *points, (goal.x, goal.y)]
        points = []
        for a, b in itertools.pairwise(anchors):
            points += step_free_waypoints(routes, a, b, barriers)
            if b != (goal.x, goal.y):
                points.append(b)
    return _with_headings(points, goal)
