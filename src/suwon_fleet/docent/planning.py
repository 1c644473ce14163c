"""Routes between tour stops, and how long a tour takes.

Routes come from the navigation's grid planner on the site map, with the site's keep-out
zones; a step-free (accessible) route also keeps out of every zone with a terrain (stairs,
steep). The time estimate is a model of the robot's own controller driving that route at the
guests' walking pace, not a straight-line guess:

* cruise: the route sampled every 0.25 m, each piece at min(pace, the zone's speed limit);
* starting: accelerating to pace (v / 2a), and first turning on the spot when the route
  leaves more than ``rotate_in_place_angle`` off the robot's heading (as the controller does);
* corners: nothing extra. Measured with the controller on the simulated base: pure pursuit
  cuts a corner (a shorter way) about as much as it slows for the heading error there, so the
  planned length at cruise speed is within 1% on every course (tests/docent/test_estimate.py);
* arriving: the controller slows linearly over the last ``slowdown_distance`` down to the goal
  tolerance (an exponential approach: (d0/v) ln(d0/tol)), then turns to the stop's heading;
* at the stop: ``settle_s`` for the group to gather, the narration at the TTS rate (characters
  per second per language plus a pause per sentence), then the stop's dwell time.

Waiting for a slow group, detours and re-planning are not in the estimate: they are the tour's
"time lost", which the runner reports separately.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np

from suwon_fleet.core.geometry import Pose2D, normalize_angle, path_length
from suwon_fleet.core.sites import Site, point_in_polygon
from suwon_fleet.core.tours import (
    Course,
    Language,
    Season,
    Stop,
    Text,
    TtsRates,
    course_start,
    stop_point,
)
from suwon_fleet.docent import phrases
from suwon_fleet.navigation.errors import NavigationFailure
from suwon_fleet.navigation.planner import GridPlanner

Point = tuple[float, float]

_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")  # a breath after each sentence


@dataclass(frozen=True)
class Route:
    path: list[Point]

    @property
    def length_m(self) -> float:
        return path_length(self.path)

    def samples(self, step: float = 0.1) -> np.ndarray:
        """Points along the route every ``step`` metres, both ends included."""
        out = [self.path[0]]
        for (x0, y0), (x1, y1) in itertools.pairwise(self.path):
            n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
            out += [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1)]
        return np.array(out)

    def enters(self, polygons: list[list[Point]], step: float = 0.1) -> bool:
        """Does the route pass through any of the polygons (checked every ``step`` m)?"""
        return any(point_in_polygon(float(x), float(y), poly)
                   for x, y in self.samples(step) for poly in polygons)

    def point_ahead(self, near: Point, ahead_m: float) -> tuple[Point, float]:
        """The route point ``ahead_m`` beyond the point of the route nearest ``near``, and the
        route's heading there."""
        best, best_d = (0, 0.0), math.inf
        for i, ((x0, y0), (x1, y1)) in enumerate(itertools.pairwise(self.path)):
            dx, dy = x1 - x0, y1 - y0
            seg = dx * dx + dy * dy
            t = 0.0 if seg == 0 else max(0.0, min(1.0, ((near[0] - x0) * dx +
                                                       (near[1] - y0) * dy) / seg))
            d = math.hypot(x0 + t * dx - near[0], y0 + t * dy - near[1])
            if d < best_d:
                best, best_d = (i, t), d
        i, t = best
        left = ahead_m
        while True:
            (x0, y0), (x1, y1) = self.path[i], self.path[i + 1]
            seg = math.hypot(x1 - x0, y1 - y0)
            heading = math.atan2(y1 - y0, x1 - x0)
            remaining = seg * (1.0 - t)
            if left <= remaining or i == len(self.path) - 2:
                f = t + (min(left, remaining) / seg if seg else 0.0)
                return (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f), heading
            left -= remaining
            i, t = i + 1, 0.0


class RouteBook:
    """Plans routes on a site's map, one grid planner per kind of route, cached per leg."""

    def __init__(self, site: Site, robot_radius: float | None = None) -> None:
        self.site = site
        self.radius = robot_radius or (site.docent.robot_radius if site.docent else 0.25)
        self._planners: dict[bool, GridPlanner] = {}
        self._cache: dict[tuple[Point, Point, bool], Route | None] = {}

    def planner(self, step_free: bool) -> GridPlanner:
        if step_free not in self._planners:
            keep_out = self.site.keep_out + (self.site.step_free_barriers if step_free else [])
            self._planners[step_free] = GridPlanner(self.site.map, self.radius,
                                                    keep_out=keep_out)
        return self._planners[step_free]

    def route(self, start: Point, goal: Point, step_free: bool = False) -> Route | None:
        """The planned route, or None when there is none."""
        key = (_round(start), _round(goal), step_free)
        if key not in self._cache:
            self._cache[key] = self._plan(start, goal, step_free, None)
        return self._cache[key]

    def detour(self, start: Point, goal: Point, blocked_at: Point, heading: float,
               step_free: bool = False) -> Route | None:
        """A route that does not pass ``blocked_at``: the path there is treated as cut across
        its whole width (perpendicular to ``heading``, out to the walls), so the planner must
        find another way rather than squeeze round the same spot."""
        cut = self._cut_line(blocked_at, heading, start)
        if cut.size == 0:
            return None
        return self._plan(start, goal, step_free, cut)

    def _cut_line(self, at: Point, heading: float, start: Point) -> np.ndarray:
        grid = self.site.map
        nx, ny = -math.sin(heading), math.cos(heading)
        points = []
        for shift in (0.0, 0.4):  # two rows: no diagonal gap between them
            cx, cy = at[0] + shift * math.cos(heading), at[1] + shift * math.sin(heading)
            for side in (1.0, -1.0):
                for k in range(0, 60):  # out to 12 m either side, until a wall
                    x, y = cx + side * nx * 0.2 * k, cy + side * ny * 0.2 * k
                    if not grid.is_free(x, y):
                        break
                    points.append((x, y))
        pts = np.array(points).reshape(-1, 2)
        # Never wall the robot in where it stands: it must be able to turn back.
        keep = np.hypot(pts[:, 0] - start[0], pts[:, 1] - start[1]) > self.radius + 0.5
        return pts[keep]

    def _plan(self, start: Point, goal: Point, step_free: bool,
              obstacles: np.ndarray | None) -> Route | None:
        planner = self.planner(step_free)
        try:
            return Route(planner.plan(start, goal, obstacles))
        except NavigationFailure:
            return None
        finally:
            # plan() leaves a detour's cut on the planner's grid; the next leg must not see it.
            planner.blocked = planner.static_blocked


def _round(p: Point) -> Point:
    return (round(p[0], 2), round(p[1], 2))


@dataclass(frozen=True)
class TimeModel:
    """How long driving a route and speaking take. Defaults follow the navigation's
    ControllerConfig and the simulated base (see the module docstring)."""

    pace: float = 0.7  # m/s, the guests' walking pace the robot keeps
    accel: float = 1.0  # m/s^2
    turn_rate: float = 1.5  # rad/s, turning on the spot
    rotate_in_place_angle: float = 0.8  # rad
    slowdown_distance: float = 1.0  # m
    goal_tolerance: float = 0.25  # m
    yaw_tolerance: float = 0.25  # rad
    tts: TtsRates = field(default_factory=TtsRates)

    def drive_s(self, route: Route, start_yaw: float | None, goal_yaw: float | None,
                speed_limit_at=None) -> float:
        """Seconds to drive ``route`` from standing, facing ``start_yaw`` (None: already
        facing along it), and turn to ``goal_yaw`` (None: no final turn)."""
        path = route.path
        limit = speed_limit_at or (lambda _x, _y: None)

        def speed(x: float, y: float) -> float:
            cap = limit(x, y)
            return self.pace if cap is None else min(self.pace, cap)

        if len(path) < 2 or route.length_m < 1e-6:
            return self._final_turn(start_yaw, goal_yaw)
        total = 0.0
        headings = [math.atan2(b[1] - a[1], b[0] - a[0])
                    for a, b in itertools.pairwise(path)]
        if start_yaw is not None:
            total += self._turn_on_spot(abs(normalize_angle(headings[0] - start_yaw)))
        total += self.pace / (2 * self.accel)
        # Cruise to where the slowdown starts, then the controller's linear approach.
        length = route.length_m
        approach = min(self.slowdown_distance, length)
        samples = route.samples(0.25)
        arc = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(samples, axis=0).T))))
        for k in range(1, len(samples)):
            if arc[k - 1] >= length - approach:
                break
            piece = min(arc[k], length - approach) - arc[k - 1]
            mid = (samples[k - 1] + samples[k]) / 2
            total += piece / speed(float(mid[0]), float(mid[1]))
        v_end = speed(*path[-1])
        if approach > self.goal_tolerance:
            total += approach / v_end * math.log(approach / self.goal_tolerance)
        return total + self._final_turn(headings[-1], goal_yaw)

    def _turn_on_spot(self, angle: float) -> float:
        """The controller turns on the spot until within rotate_in_place_angle, at its top
        rate (plus the ramp up to it); below that it turns while driving."""
        if angle <= self.rotate_in_place_angle:
            return 0.0
        return (angle - self.rotate_in_place_angle) / self.turn_rate + 0.25

    def _final_turn(self, heading: float | None, goal_yaw: float | None) -> float:
        """At the goal the controller turns at 2 x error, capped at turn_rate, until within
        yaw_tolerance: linear above turn_rate / 2, exponential below."""
        if heading is None or goal_yaw is None:
            return 0.0
        err = abs(normalize_angle(goal_yaw - heading))
        if err <= self.yaw_tolerance:
            return 0.0
        knee = self.turn_rate / 2.0
        if err <= knee:
            return math.log(err / self.yaw_tolerance) / 2.0
        return (err - knee) / self.turn_rate + math.log(knee / self.yaw_tolerance) / 2.0 + 0.25

    def speech_s(self, text: Text, language: Language) -> float:
        """Seconds to speak ``text`` in ``language`` (both: Korean, then English)."""
        total = 0.0
        for lang in ("ko", "en") if language == "both" else (language,):
            words = getattr(text, lang)
            rate = getattr(self.tts, lang)
            sentences = max(1, len(_SENTENCE_END.findall(words)))
            total += len(words) / rate + sentences * self.tts.sentence_pause_s
        return total


@dataclass(frozen=True)
class PlannedStop:
    index: int  # 0-based position in the tour
    stop: Stop
    name: Text  # the place's names
    pose: Pose2D
    narration: Text  # for the tour's season
    image: str | None
    route: Route  # from the previous stop (or the start) to here
    walk_s: float
    settle_s: float
    narration_s: float
    dwell_s: float

    @property
    def place(self) -> str:
        return self.stop.place

    @property
    def at_stop_s(self) -> float:
        return self.settle_s + self.narration_s + self.dwell_s

    @property
    def total_s(self) -> float:
        return self.walk_s + self.at_stop_s


@dataclass(frozen=True)
class TourPlan:
    site_id: str
    course_id: str
    course: Course
    season: Season | None
    language: Language
    step_free: bool
    start_place: str
    start_pose: Pose2D
    intro: Text
    farewell: Text
    intro_s: float
    farewell_s: float
    stops: tuple[PlannedStop, ...]
    model: TimeModel

    @property
    def total_s(self) -> float:
        """The estimate: intro, every leg and stop, farewell (before the rating)."""
        return self.intro_s + sum(s.total_s for s in self.stops) + self.farewell_s

    @property
    def walk_s(self) -> float:
        return sum(s.walk_s for s in self.stops)

    @property
    def length_m(self) -> float:
        return sum(s.route.length_m for s in self.stops)

    def remaining_s(self, index: int, done_of_current_s: float = 0.0) -> float:
        """Estimated time left with stop ``index`` under way and ``done_of_current_s`` of it
        (leg plus stop) already spent."""
        if index >= len(self.stops):
            return self.farewell_s
        current = max(0.0, self.stops[index].total_s - done_of_current_s)
        return current + sum(s.total_s for s in self.stops[index + 1:]) + self.farewell_s


def plan_tour(site: Site, course_id: str, season: Season | None = None,
              language: Language = "ko", routes: RouteBook | None = None,
              model: TimeModel | None = None) -> TourPlan:
    """The course's stops for the season, their routes, and the time estimate.

    Raises ValueError for an unknown course or an unreachable leg (the site check refuses
    those at load time, so this means the map or zones changed since).
    """
    if course_id not in site.tours or site.docent is None:
        raise ValueError(f"no course {course_id!r} at {site.site_id}; "
                         f"courses: {', '.join(site.tours) or 'none'}")
    course = site.tours[course_id]
    docent = site.docent
    routes = routes or RouteBook(site)
    pace = course.pace_m_s or docent.walking_pace
    model = model or TimeModel(pace=pace, tts=docent.tts)
    if model.pace != pace:
        model = TimeModel(**{**model.__dict__, "pace": pace})
    start_id = course_start(site, course)
    start = site.places[start_id]
    here = Pose2D(start.x, start.y, start.yaw)
    planned: list[PlannedStop] = []
    for i, stop in enumerate(course.stops_for(season)):
        x, y, yaw = stop_point(site, stop)
        route = routes.route((here.x, here.y), (x, y), course.accessible)
        if route is None:
            raise ValueError(f"{course_id}: no route from {here} to stop {i} ({stop.place})")
        assert stop.narration is not None  # resolved when the site was loaded
        narration = stop.narration.for_season(season)
        place = site.places[stop.place]
        planned.append(PlannedStop(
            index=i, stop=stop, name=Text(ko=place.name_ko, en=place.name_en),
            pose=Pose2D(x, y, yaw), narration=narration,
            image=stop.image or stop.narration.image, route=route,
            walk_s=model.drive_s(route, here.yaw, yaw, site.speed_limit_at),
            settle_s=docent.settle_s, narration_s=model.speech_s(narration, language),
            dwell_s=stop.dwell_s))
        here = Pose2D(x, y, yaw)
    farewell = phrases.farewell(site)
    body_s = sum(s.total_s for s in planned) + model.speech_s(farewell, language)
    # The intro says how long the tour takes; it adds its own half minute or so.
    intro = phrases.intro(site, course, len(planned), body_s + 30.0)
    return TourPlan(
        site_id=site.site_id, course_id=course_id, course=course, season=season,
        language=language, step_free=course.accessible, start_place=start_id,
        start_pose=Pose2D(start.x, start.y, start.yaw), intro=intro, farewell=farewell,
        intro_s=model.speech_s(intro, language), farewell_s=model.speech_s(farewell, language),
        stops=tuple(planned), model=model)
