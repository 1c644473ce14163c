"""Docent tours in a site file: stops, courses, opening hours, facilities, and their checks.

A site file may carry, besides its places and zones:

* ``opening_hours``: when the grounds are open (tours must finish by closing time);
* ``facilities``: restrooms, cafés, exits, first aid, as lists of place ids;
* ``docent``: the docent's settings: meeting point, the guests' walking pace, the text-to-speech
  rate used to estimate narration time, and a default narration for each place;
* ``tours``: the courses, each a list of stops (or a list per season).

A stop names a place; its narration is its own or, when it gives none, the place's default
narration from ``docent.narrations``. :func:`check_tours` resolves those defaults and refuses,
naming the tour and the stop, a stop at an unknown place or one the robot cannot reach from the
start of its course on the site map, avoiding stairs and steep slopes on accessible courses.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from suwon_fleet.core.errors import ConfigError

if TYPE_CHECKING:
    from suwon_fleet.core.maps import OccupancyMap
    from suwon_fleet.core.sites import Site

Season = Literal["spring", "summer", "autumn", "winter"]
SEASONS: tuple[Season, ...] = ("spring", "summer", "autumn", "winter")
Interest = Literal["flowers", "trees", "kids", "photography", "culture", "water", "herbs"]
Language = Literal["ko", "en", "both"]  # what the robot speaks; its screen always shows both
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday",
                                 "saturday", "sunday")
FacilityKind = Literal["restroom", "cafe", "exit", "first_aid"]

SEASON_LABELS: dict[str, tuple[str, str]] = {
    "spring": ("봄", "spring"), "summer": ("여름", "summer"),
    "autumn": ("가을", "autumn"), "winter": ("겨울", "winter"),
}
INTEREST_LABELS: dict[str, tuple[str, str]] = {
    "flowers": ("꽃", "flowers"), "trees": ("나무", "trees"), "kids": ("어린이", "children"),
    "photography": ("사진", "photography"), "culture": ("전통 문화", "Korean culture"),
    "water": ("물가 풍경", "water and wetlands"), "herbs": ("허브", "herbs"),
}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A sentence for people: Korean first, English alongside."""

    ko: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Narration(_Strict):
    """What the docent says at a place, with optional seasonal variants that replace it."""

    ko: str = Field(min_length=1)
    en: str = Field(min_length=1)
    seasons: dict[Season, Text] = Field(default_factory=dict)
    image: str | None = None  # shown on the robot's screen; a path under the web assets

    def for_season(self, season: Season | None) -> Text:
        if season is not None and season in self.seasons:
            return self.seasons[season]
        return Text(ko=self.ko, en=self.en)


class StopPose(_Strict):
    """Where the robot stands for a stop, when not at the place itself (e.g. facing a view)."""

    x: float
    y: float
    yaw: float = 0.0


class Stop(_Strict):
    place: str
    pose: StopPose | None = None
    dwell_s: float = Field(90.0, ge=0)  # after the narration: looking round, photos, questions
    narration: Narration | None = None  # None: the place's narration in docent.narrations
    image: str | None = None  # overrides the narration's image
    access_note: Text | None = None  # accessibility notes (ramps, steps, benches, shade)


class Course(_Strict):
    name_ko: str
    name_en: str
    summary_ko: str = ""
    summary_en: str = ""
    minutes: int = Field(gt=0)  # the advertised length; the estimate decides what is offered
    accessible: bool = False  # step-free: routes avoid every zone with a terrain
    interests: list[Interest] = Field(default_factory=list)
    start: str | None = None  # where the group meets the robot; default docent.meeting_point
    pace_m_s: float | None = Field(None, gt=0, le=1.5)  # overrides docent.walking_pace
    stops: list[Stop] = Field(default_factory=list)
    seasons: dict[Season, list[Stop]] = Field(default_factory=dict)  # replaces stops in season

    @model_validator(mode="after")
    def _has_stops(self) -> Course:
        if not self.stops and set(self.seasons) != set(SEASONS):
            raise ValueError("a course needs stops, or stops for each of the four seasons")
        return self

    def stops_for(self, season: Season | None) -> list[Stop]:
        if season is not None and season in self.seasons:
            return self.seasons[season]
        return self.stops

    def all_stop_lists(self) -> list[tuple[str, list[Stop]]]:
        """(field name, stops) of every stop list, for checking and reporting."""
        lists = [("stops", self.stops)] if self.stops else []
        return lists + [(f"seasons.{s}", stops) for s, stops in self.seasons.items()]


class OpeningHours(_Strict):
    """Daily hours in the site's timezone. Times are quoted "HH:MM" strings: YAML 1.1 reads
    an unquoted 18:00 as the number 1080."""

    open: str = Field(pattern=_HHMM)
    close: str = Field(pattern=_HHMM)
    closed_weekdays: list[Weekday] = Field(default_factory=list)
    closed_dates: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _order(self) -> OpeningHours:
        if self.opens >= self.closes:
            raise ValueError(f"opens ({self.open}) must be before it closes ({self.close})")
        return self

    @property
    def opens(self) -> time:
        return time.fromisoformat(self.open)

    @property
    def closes(self) -> time:
        return time.fromisoformat(self.close)

    def is_open_on(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] not in self.closed_weekdays and (
            day not in self.closed_dates)

    def closing_time(self, day: date, tz: object | None = None) -> datetime:
        return datetime.combine(day, self.closes, tzinfo=tz)  # type: ignore[arg-type]

    def opening_time(self, day: date, tz: object | None = None) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=tz)  # type: ignore[arg-type]


class TtsRates(_Strict):
    """Speaking rate of the robot's text-to-speech, to estimate how long a narration takes.

    Characters per second, spaces and punctuation included (Korean about 5.5-6 syllables/s,
    English about 160 words/min), plus a breath at every sentence end.
    """

    ko: float = Field(7.0, gt=0)
    en: float = Field(15.0, gt=0)
    sentence_pause_s: float = Field(0.3, ge=0)


class DocentSettings(_Strict):
    meeting_point: str  # where tours start unless a course says otherwise
    walking_pace: float = Field(0.7, gt=0, le=1.5)  # m/s: the guests' pace the robot keeps
    robot_radius: float = Field(0.25, gt=0)  # the docent robot's, for route checks/estimates
    settle_s: float = Field(4.0, ge=0)  # after arriving: the group gathers round, then talk
    tts: TtsRates = TtsRates()
    narrations: dict[str, Narration] = Field(default_factory=dict)  # place id -> default


def season_of(day: date) -> Season:
    """Meteorological seasons of Korea: spring Mar-May, summer Jun-Aug, autumn Sep-Nov."""
    return SEASONS[(day.month % 12) // 3 - 1] if day.month not in (12, 1, 2) else "winter"


# --------------------------------------------------------------------------- load-time checks
def check_tours(site: Site, path: Path, check_map: bool) -> dict[str, Course]:
    """The site's courses with default narrations filled in, after checking them.

    Raises ConfigError naming the file and the field (``tours.<course>.stops[<i>]...``) for an
    unknown place, a stop without narration, or (when ``check_map``) a stop the robot cannot
    reach from the course's start on the site map, keeping off stairs and steep slopes when the
    course is accessible.
    """
    docent = site.docent
    for zone_id, zone in site.zones.items():
        if zone.grade_percent is not None and zone.terrain is None:
            raise ConfigError(path, f"zones.{zone_id}.grade_percent",
                              "only a zone with a terrain (stairs, steep) has a grade")
    for kind, place_ids in site.facilities.items():
        for i, place_id in enumerate(place_ids):
            _known_place(site, path, f"facilities.{kind}[{i}]", place_id)
    if docent is not None:
        _known_place(site, path, "docent.meeting_point", docent.meeting_point)
        for place_id in docent.narrations:
            _known_place(site, path, f"docent.narrations.{place_id}", place_id)
    if not site.tours:
        return {}
    if docent is None:
        raise ConfigError(path, "docent", "tours need the docent section (meeting point, pace)")
    if not site.facilities.get("restroom"):
        raise ConfigError(path, "facilities.restroom",
                          "tours need at least one restroom to take guests to")

    resolved: dict[str, Course] = {}
    for course_id, course in site.tours.items():
        where = f"tours.{course_id}"
        if not _ID_RE.match(course_id):
            raise ConfigError(path, where, "course ids are lower_snake_case ASCII")
        if course.start is not None:
            _known_place(site, path, f"{where}.start", course.start)
        lists: dict[str, list[Stop]] = {}
        for field, stops in course.all_stop_lists():
            lists[field] = [_resolve_stop(site, path, f"{where}.{field}[{i}]", stop)
                            for i, stop in enumerate(stops)]
        resolved[course_id] = course.model_copy(update={
            "stops": lists.get("stops", []),
            "seasons": {s: lists[f"seasons.{s}"] for s in course.seasons},
        })
    if check_map and resolved:
        grids = _SiteGrids(site)
        for course_id, course in resolved.items():
            _check_reachable(site, path, course_id, course, grids)
    return resolved


def _known_place(site: Site, path: Path, field: str, place_id: str) -> None:
    if place_id not in site.places:
        hint = site.suggest(place_id)
        tail = f"; did you mean {', '.join(hint)}?" if hint else ""
        raise ConfigError(path, field, f"unknown place {place_id!r}{tail}")


def _resolve_stop(site: Site, path: Path, field: str, stop: Stop) -> Stop:
    _known_place(site, path, f"{field}.place", stop.place)
    assert site.docent is not None
    narration = stop.narration or site.docent.narrations.get(stop.place)
    if narration is None:
        raise ConfigError(path, f"{field}.narration",
                          f"no narration here and none for place {stop.place!r} in "
                          "docent.narrations")
    return stop.model_copy(update={"narration": narration})


def stop_point(site: Site, stop: Stop) -> tuple[float, float, float]:
    """Where the robot stands for a stop: its own pose, else its place's."""
    if stop.pose is not None:
        return stop.pose.x, stop.pose.y, stop.pose.yaw
    place = site.places[stop.place]
    return place.x, place.y, place.yaw


def course_start(site: Site, course: Course) -> str:
    assert site.docent is not None
    return course.start or site.docent.meeting_point


class _SiteGrids:
    """The planner's connected regions of a site, labelled once per check."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._regions: dict[bool, Regions] = {}

    def regions(self, step_free: bool) -> Regions:
        if step_free not in self._regions:
            site = self.site
            assert site.docent is not None
            keep_out = site.keep_out + (site.step_free_barriers if step_free else [])
            self._regions[step_free] = reachable_regions(site.map, site.docent.robot_radius,
                                                         keep_out)
        return self._regions[step_free]


def _check_reachable(site: Site, path: Path, course_id: str, course: Course,
                     grids: _SiteGrids) -> None:
    """Every stop in free space, in the planner's free space connected to the course's start.

    The grid planner moves 8-connected without cutting corners, which is exactly 4-connected
    reachability on its inflated grid, so labelling that grid's regions once answers every
    "is there a path" question without planning each leg.
    """
    start_id = course_start(site, course)
    start = site.places[start_id]
    for field, stops in course.all_stop_lists():
        for i, stop in enumerate(stops):
            x, y, _ = stop_point(site, stop)
            where = f"tours.{course_id}.{field}[{i}]"
            if stop.pose is not None and not site.map.is_free(x, y):
                raise ConfigError(path, f"{where}.pose",
                                  f"({x}, {y}) is not free space on map {site.map_path.name}")
            if not grids.regions(False).connected((start.x, start.y), (x, y)):
                raise ConfigError(path, where, f"stop {stop.place!r} of tour {course_id!r} "
                                  f"cannot be reached from its start {start_id!r} on the map")
            if course.accessible and not grids.regions(True).connected((start.x, start.y),
                                                                        (x, y)):
                barriers = ", ".join(z for z, zone in site.zones.items() if zone.terrain)
                raise ConfigError(path, where, f"stop {stop.place!r} of accessible tour "
                                  f"{course_id!r} cannot be reached from {start_id!r} without "
                                  f"crossing stairs or steep slopes (zones: {barriers})")


class Regions:
    """Connected regions of a planner's grid, with the planner's snapping of end points."""

    SNAP_CELLS = 6  # as GridPlanner._nearest_free: ends this close to free space are fine

    def __init__(self, labels: np.ndarray, origin: tuple[float, float], cell: float) -> None:
        self.labels = labels
        self.origin = origin
        self.cell = cell

    def label_at(self, x: float, y: float) -> int:
        """The region of the nearest free cell within SNAP_CELLS (0: none)."""
        row = math.floor((y - self.origin[1]) / self.cell)
        col = math.floor((x - self.origin[0]) / self.cell)
        rows, cols = self.labels.shape
        best, best_d = 0, math.inf
        for dr in range(-self.SNAP_CELLS, self.SNAP_CELLS + 1):
            for dc in range(-self.SNAP_CELLS, self.SNAP_CELLS + 1):
                r, c = row + dr, col + dc
                if 0 <= r < rows and 0 <= c < cols and self.labels[r, c]:
                    d = dr * dr + dc * dc
                    if d < best_d:
                        best, best_d = int(self.labels[r, c]), d
        return best

    def connected(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        la = self.label_at(*a)
        return la != 0 and la == self.label_at(*b)


_REGIONS: dict[tuple, Regions] = {}  # by map file and version, radius and keep-out areas
_REGIONS_KEPT = 4


def reachable_regions(grid: OccupancyMap, radius: float,
                      keep_out: list[list[tuple[float, float]]]) -> Regions:
    """Connected regions of the planner's grid for a robot of ``radius``, kept out of
    ``keep_out``.

    Remembered per map file (path and modification time), so the many loads of the same
    site in one process (nodes, tests) label it once.
    """
    key = None
    if grid.source is not None and grid.source.is_file():
        stat = grid.source.stat()
        key = (str(grid.source.resolve()), stat.st_mtime_ns, grid.occupied.shape, radius,
               tuple(tuple(map(tuple, p)) for p in keep_out))
        if key in _REGIONS:
            return _REGIONS[key]
    from scipy.ndimage import label  # heavy imports only when a site has tours to check

    from suwon_fleet.navigation.planner import GridPlanner

    planner = GridPlanner(grid, radius, keep_out=keep_out)
    labels, _ = label(~planner.static_blocked)  # default structure: 4-connected
    regions = Regions(labels.astype(np.int32), (grid.origin[0], grid.origin[1]), planner.cell)
    if key is not None:
        while len(_REGIONS) >= _REGIONS_KEPT:
            _REGIONS.pop(next(iter(_REGIONS)))
        _REGIONS[key] = regions
    return regions
