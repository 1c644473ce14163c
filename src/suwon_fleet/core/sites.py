"""Sites and the fleet: the one source of truth for places, maps and robots.

A site is its map (map_server YAML+PGM in maps/) plus a site file in config/sites/ with its
named places. The fleet file config/fleet.yaml lists the robots and where they live. The
simulator, the navigation goals, the dashboard and the API all derive from these files.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from suwon_fleet.core import paths
from suwon_fleet.core.errors import ConfigError
from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.maps import OccupancyMap, load_map
from suwon_fleet.core.tours import (
    Course,
    DocentSettings,
    FacilityKind,
    OpeningHours,
    check_tours,
)

PlaceKind = Literal[
    "entrance", "exit", "desk", "counter", "elevator", "restroom", "waiting", "office", "dock",
    "garden", "building", "path", "rest_area", "facility", "viewpoint",
]

_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
_ID_RE = re.compile(_ID_PATTERN)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Place(_Strict):
    name_ko: str
    name_en: str
    x: float
    y: float
    yaw: float = 0.0
    kind: PlaceKind
    aliases: list[str] = Field(default_factory=list)
    floor: int | None = None
    service_ko: str | None = None
    service_en: str | None = None

    @property
    def pose(self) -> Pose2D:
        return Pose2D(self.x, self.y, self.yaw)


class Zone(_Strict):
    """An area with a navigation rule: robots never enter ``keep_out``; ``speed_limit`` caps
    their speed (m/s) inside.

    ``terrain`` marks a path attribute on top of the rule: ``stairs`` (steps) or ``steep``
    (steeper than a wheelchair ramp, 1:12). Step-free (accessible) routes keep out of every
    zone with a terrain; other routes follow the rule alone.
    """

    kind: Literal["keep_out", "speed_limit"]
    name_ko: str
    name_en: str
    polygon: list[tuple[float, float]] = Field(min_length=3)
    max_speed: float | None = Field(None, gt=0)
    terrain: Literal["stairs", "steep"] | None = None
    grade_percent: float | None = Field(None, gt=0)

    def contains(self, x: float, y: float) -> bool:
        return point_in_polygon(x, y, self.polygon)


def point_in_polygon(x: float, y: float, polygon: list[tuple[float, float]]) -> bool:
    """Even-odd rule."""
    inside = False
    n = len(polygon)
    for i in range(n):
        (x0, y0), (x1, y1) = polygon[i], polygon[(i + 1) % n]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


class SiteFile(_Strict):
    site_id: str = Field(pattern=_ID_PATTERN)
    name_ko: str
    name_en: str
    timezone: str = "Asia/Seoul"
    map: str
    places: dict[str, Place]
    zones: dict[str, Zone] = Field(default_factory=dict)
    opening_hours: OpeningHours | None = None
    facilities: dict[FacilityKind, list[str]] = Field(default_factory=dict)
    docent: DocentSettings | None = None
    tours: dict[str, Course] = Field(default_factory=dict)


class RobotConfig(_Strict):
    site: str
    home: str
    dock: str
    start: str | None = None  # place the simulator spawns it at; defaults to home
    radius: float = Field(0.25, gt=0)
    max_speed: float = Field(0.8, gt=0)  # m/s
    max_angular_speed: float = Field(1.5, gt=0)  # rad/s


class WebBridgeConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


class BatteryPolicy(_Strict):
    """Charging rules, in percent."""

    dock_below: float = Field(25.0, ge=0, le=100)  # finish the task, then go and charge
    critical: float = Field(12.0, ge=0, le=100)  # hand the task back and charge now
    resume_above: float = Field(80.0, ge=0, le=100)  # a charging robot takes work again
    min_dispatch: float = Field(30.0, ge=0, le=100)  # no new task below this


class FleetPolicies(_Strict):
    offline_after_s: float = Field(3.0, gt=0)  # silence that marks a robot offline
    idle_return_s: float = Field(120.0, gt=0)  # idle this long away from home: go home
    database: str = "var/fleet.db"  # relative to the data folder; ':memory:' for none
    battery: BatteryPolicy = BatteryPolicy()


class SimulationConfig(_Strict):
    """Settings of the headless simulator (ignored on real robots)."""

    seed: int = 1
    real_time_factor: float = Field(1.0, ge=0)  # 0 = as fast as the machine can
    visitors: dict[str, int] = Field(default_factory=dict)  # site_id -> walking visitors
    odom_noise_linear: float = Field(0.01, ge=0)  # std dev per metre
    odom_noise_angular: float = Field(0.02, ge=0)  # std dev per radian


class FleetFile(_Strict):
    fleet_name: str
    sites: list[str]
    robots: dict[str, RobotConfig]
    web_bridge: WebBridgeConfig = WebBridgeConfig()
    simulation: SimulationConfig = SimulationConfig()
    policies: FleetPolicies = FleetPolicies()


@dataclass(frozen=True)
class Site:
    site_id: str
    name_ko: str
    name_en: str
    timezone: str
    places: dict[str, Place]
    zones: dict[str, Zone]
    map_path: Path
    source: Path
    opening_hours: OpeningHours | None = None
    facilities: dict[str, list[str]] = field(default_factory=dict)
    docent: DocentSettings | None = None
    tours: dict[str, Course] = field(default_factory=dict)  # stops' narrations resolved

    @property
    def keep_out(self) -> list[list[tuple[float, float]]]:
        return [z.polygon for z in self.zones.values() if z.kind == "keep_out"]

    @property
    def step_free_barriers(self) -> list[list[tuple[float, float]]]:
        """Areas a step-free (wheelchair) route must avoid: zones with stairs or a steep
        slope."""
        return [z.polygon for z in self.zones.values() if z.terrain is not None]

    def speed_limit_at(self, x: float, y: float) -> float | None:
        """The lowest speed limit of the zones containing the point, if any."""
        limits = [z.max_speed for z in self.zones.values()
                  if z.kind == "speed_limit" and z.max_speed and z.contains(x, y)]
        return min(limits) if limits else None

    @cached_property
    def map(self) -> OccupancyMap:
        return load_map(self.map_path)

    def place(self, place_id: str) -> Place:
        """The named place, or KeyError whose message lists the nearest names."""
        try:
            return self.places[place_id]
        except KeyError:
            raise UnknownPlaceError(self.site_id, place_id, self.suggest(place_id)) from None

    def find_place(self, name: str) -> str | None:
        """Place id for an id, Korean or English name or alias (exact, case-insensitive)."""
        wanted = name.strip().casefold()
        for place_id, place in self.places.items():
            names = [place_id, place.name_ko, place.name_en, *place.aliases]
            if any(wanted == n.casefold() for n in names):
                return place_id
        return None

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Place ids whose id or names are closest to ``name``."""
        by_label: dict[str, str] = {}
        for place_id, place in self.places.items():
            for label in (place_id, place.name_ko, place.name_en, *place.aliases):
                by_label.setdefault(label.casefold(), place_id)
        matches = difflib.get_close_matches(name.casefold(), by_label, n=limit * 3, cutoff=0.3)
        ordered: list[str] = []
        for label in matches:
            if by_label[label] not in ordered:
                ordered.append(by_label[label])
        return ordered[:limit]


class UnknownPlaceError(KeyError):
    def __init__(self, site_id: str, place: str, suggestions: list[str]) -> None:
        self.site_id = site_id
        self.place = place
        self.suggestions = suggestions
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown place {place!r} at site {site_id!r}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Fleet:
    fleet_name: str
    sites: dict[str, Site]
    robots: dict[str, RobotConfig]
    web_bridge: WebBridgeConfig
    simulation: SimulationConfig
    policies: FleetPolicies
    source: Path

    def robots_at(self, site_id: str) -> list[str]:
        return [rid for rid, robot in self.robots.items() if robot.site == site_id]

    def robot_site(self, robot_id: str) -> Site:
        return self.sites[self.robots[robot_id].site]


def _read_yaml(path: Path) -> object:
    if not path.is_file():
        raise ConfigError(path, "", "file not found")
    try:
        # libyaml's loader when built in: site files with tour narrations are long.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        raise ConfigError(path, "", f"not valid YAML: {exc}") from exc


def _validate(model: type[BaseModel], data: object, path: Path) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigError(path, field, f"{first['msg']} (got {first.get('input')!r})") from exc


def load_site(path: Path | str, maps_dir: Path | None = None, check_map: bool = True) -> Site:
    """Load and check a site file: schema, map, and every place in free space on the map."""
    path = Path(path)
    data = _validate(SiteFile, _read_yaml(path), path)
    assert isinstance(data, SiteFile)
    if path.stem != data.site_id:
        raise ConfigError(path, "site_id", f"must match the file name {path.stem!r}")
    site = Site(
        site_id=data.site_id,
        name_ko=data.name_ko,
        name_en=data.name_en,
        timezone=data.timezone,
        places=dict(data.places),
        zones=dict(data.zones),
        map_path=(maps_dir or paths.maps_dir()) / data.map,
        source=path,
        opening_hours=data.opening_hours,
        facilities={kind: list(ids) for kind, ids in data.facilities.items()},
        docent=data.docent,
        tours=dict(data.tours),
    )
    for place_id in site.places:
        if not _ID_RE.match(place_id):
            raise ConfigError(path, f"places.{place_id}", "place ids are lower_snake_case ASCII")
    for zone_id, zone in site.zones.items():
        if zone.kind == "speed_limit" and zone.max_speed is None:
            raise ConfigError(path, f"zones.{zone_id}.max_speed", "a speed_limit zone needs it")
        if zone.kind == "keep_out":
            for place_id, place in site.places.items():
                if zone.contains(place.x, place.y):
                    raise ConfigError(path, f"zones.{zone_id}",
                                      f"keep-out zone covers place {place_id!r}")
    if check_map:
        grid = site.map
        for place_id, place in site.places.items():
            if not grid.is_free(place.x, place.y):
                raise ConfigError(
                    path, f"places.{place_id}",
                    f"({place.x}, {place.y}) is not free space on map {site.map_path.name}",
                )
    tours = check_tours(site, path, check_map)
    if tours:
        checked = replace(site, tours=tours)
        if "map" in site.__dict__:
            checked.__dict__["map"] = site.map  # keep the map loaded by the checks
        site = checked
    return site


def load_fleet(path: Path | str | None = None, check_maps: bool = True) -> Fleet:
    """Load config/fleet.yaml and every site it names; fail on the first problem, naming it."""
    path = Path(path) if path else paths.fleet_config_path()
    data = _validate(FleetFile, _read_yaml(path), path)
    assert isinstance(data, FleetFile)
    sites_dir = path.parent / "sites"
    maps_dir = path.parent.parent / "maps"
    sites = {
        site_id: load_site(sites_dir / f"{site_id}.yaml", maps_dir, check_map=check_maps)
        for site_id in data.sites
    }
    for robot_id, robot in data.robots.items():
        field = f"robots.{robot_id}"
        if robot.site not in sites:
            raise ConfigError(path, f"{field}.site", f"unknown site {robot.site!r}; sites: "
                              f"{', '.join(sites)}")
        site = sites[robot.site]
        for key in ("home", "dock", "start"):
            place = getattr(robot, key)
            if place is not None and place not in site.places:
                hint = ", ".join(site.suggest(place))
                raise ConfigError(path, f"{field}.{key}",
                                  f"unknown place {place!r} at {robot.site}; nearest: {hint}")
    for site_id in data.simulation.visitors:
        if site_id not in sites:
            raise ConfigError(path, f"simulation.visitors.{site_id}", "unknown site")
    return Fleet(
        fleet_name=data.fleet_name,
        sites=sites,
        robots=dict(data.robots),
        web_bridge=data.web_bridge,
        simulation=data.simulation,
        policies=data.policies,
        source=path,
    )
