"""Civil-service content: services, the staff directory, hours and lobby facilities.

Three files in config/content/ (SAMPLE DATA for the City to replace). Everything is checked at
load time, so a typo in a place or department id fails at start-up naming file, entry and field,
not halfway through a conversation with a visitor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from suwon_fleet.core import paths
from suwon_fleet.core.errors import ConfigError
from suwon_fleet.core.sites import Site, load_site

SERVICES_FILE = "civil_services.yaml"
DIRECTORY_FILE = "directory.yaml"
FAQ_FILE = "faq.yaml"
SITE_ID = "city_hall"

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster
_M = TypeVar("_M", bound=BaseModel)
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    ko: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Fee(_Strict):
    krw: int | None = Field(None, ge=0)  # at the counter; None when it varies (see the note)
    kiosk_krw: int | None = Field(None, ge=0)  # at the 무인민원발급기, when it differs
    note_ko: str = ""
    note_en: str = ""

    def text_ko(self) -> str:
        """Spoken form, e.g. '400원 (무인민원발급기 200원)'."""
        if self.krw is None:
            return self.note_ko
        main = "무료" if self.krw == 0 else f"{self.krw:,}원"
        if self.kiosk_krw is not None and self.kiosk_krw != self.krw:
            main += f" (무인민원발급기 {self.kiosk_krw:,}원)" if self.kiosk_krw else \
                " (무인민원발급기 무료)"
        return f"{main}. {self.note_ko}" if self.note_ko else main

    def text_en(self) -> str:
        if self.krw is None:
            return self.note_en
        main = "Free" if self.krw == 0 else f"₩{self.krw:,}"
        if self.kiosk_krw is not None and self.kiosk_krw != self.krw:
            main += f" (₩{self.kiosk_krw:,} at the kiosk)" if self.kiosk_krw else \
                " (free at the kiosk)"
        return f"{main}. {self.note_en}" if self.note_en else main


class Service(_Strict):
    name_ko: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    documents: list[Text] = Field(min_length=1)
    fee: Fee
    processing_ko: str = Field(min_length=1)
    processing_en: str = Field(min_length=1)
    counter: str | None = None  # place id at city_hall; None when done elsewhere
    where_ko: str = ""
    where_en: str = ""
    department: str
    hours: str
    kiosk: bool
    online: bool = False
    notes_ko: str = ""
    notes_en: str = ""


class Department(_Strict):
    name_ko: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    floor: int = Field(ge=-5, le=30)
    phone: str = Field(pattern=r"^0\d{1,2}-\d{3,4}-\d{4}$")
    place: str | None = None
    handles_ko: list[str] = Field(default_factory=list)
    handles_en: list[str] = Field(default_factory=list)


class Staff(_Strict):
    name_ko: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    department: str
    role_ko: str
    role_en: str
    veteran: bool = False
    years: int | None = Field(None, ge=0, le=60)
    services: list[str] = Field(default_factory=list)
    topics_ko: list[str] = Field(default_factory=list)
    topics_en: list[str] = Field(default_factory=list)
    languages: list[str] = Field(min_length=1)


class Period(_Strict):
    days: list[Day] = Field(min_length=1)
    open: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    close: str = Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")

    def contains(self, when: datetime) -> bool:
        if DAYS[when.weekday()] not in self.days:
            return False
        now = when.strftime("%H:%M")
        return self.open <= now < self.close


class Schedule(_Strict):
    name_ko: str
    name_en: str
    periods: list[Period] = Field(min_length=1)
    text_ko: str = Field(min_length=1)
    text_en: str = Field(min_length=1)
    places: list[str] = Field(default_factory=list)  # place ids these hours are for

    def is_open(self, when: datetime) -> bool:
        """Whether ``when`` (local time at the site) falls in one of the periods."""
        return any(period.contains(when) for period in self.periods)

    def closes_at(self, when: datetime) -> dtime | None:
        """Closing time of the period open at ``when``, if any."""
        for period in self.periods:
            if period.contains(when):
                hh, mm = (int(part) for part in period.close.split(":"))
                return dtime(min(hh, 23), mm if hh < 24 else 59)
        return None


class Facility(_Strict):
    name_ko: str
    name_en: str
    aliases: list[str] = Field(default_factory=list)
    places: list[str] = Field(default_factory=list)
    guide_to: str | None = None
    answer_ko: str = Field(min_length=1)
    answer_en: str = Field(min_length=1)


class ServicesFile(_Strict):
    services: dict[str, Service] = Field(min_length=1)


class DirectoryFile(_Strict):
    departments: dict[str, Department] = Field(min_length=1)
    staff: dict[str, Staff] = Field(default_factory=dict)


class FaqFile(_Strict):
    hours: dict[str, Schedule] = Field(min_length=1)
    default_hours: str
    facilities: dict[str, Facility] = Field(default_factory=dict)


@dataclass(frozen=True)
class Content:
    """Everything the concierge knows, checked against the city_hall site."""

    services: dict[str, Service]
    departments: dict[str, Department]
    staff: dict[str, Staff]
    hours: dict[str, Schedule]
    default_hours: str
    facilities: dict[str, Facility]
    site: Site

    def place_names(self, place_id: str) -> tuple[str, str]:
        """(Korean, English) name of a site place."""
        place = self.site.places[place_id]
        return place.name_ko, place.name_en

    def service_hours(self, service_id: str | None) -> Schedule:
        """The schedule of a service, or the default one."""
        key = self.services[service_id].hours if service_id else self.default_hours
        return self.hours[key]

    def place_hours(self, place_id: str | None) -> Schedule:
        """The schedule that lists a place, or the default one."""
        for schedule in self.hours.values():
            if place_id and place_id in schedule.places:
                return schedule
        return self.hours[self.default_hours]

    def staff_for(self, service_id: str | None, veteran_first: bool = True) -> list[str]:
        """Staff ids who handle a service, veterans (longest-serving) first."""
        ids = [sid for sid, s in self.staff.items() if service_id and service_id in s.services]
        if veteran_first:
            ids.sort(key=lambda sid: (not self.staff[sid].veteran, -(self.staff[sid].years or 0)))
        return ids

    def facility_of_place(self, place_id: str) -> str | None:
        """The facility (restroom, elevator, ...) a place belongs to, if any."""
        for fid, facility in self.facilities.items():
            if place_id in facility.places:
                return fid
        return None


def _read_yaml(path: Path) -> object:
    if not path.is_file():
        raise ConfigError(path, "", "file not found")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(path, "", f"not valid YAML: {exc}") from exc


def _validate(model: type[_M], path: Path) -> _M:
    try:
        return model.model_validate(_read_yaml(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigError(path, field, f"{first['msg']} (got {first.get('input')!r})") from exc


def _check_ids(path: Path, section: str, ids: object) -> None:
    for key in ids:  # type: ignore[attr-defined]
        if not _ID_RE.match(str(key)):
            raise ConfigError(path, f"{section}.{key}", "ids are lower_snake_case ASCII")


def _check_place(path: Path, field: str, place_id: str, site: Site) -> None:
    if place_id not in site.places:
        hint = ", ".join(site.suggest(place_id))
        raise ConfigError(path, field, f"unknown place {place_id!r} at {site.site_id}"
                          + (f"; nearest: {hint}" if hint else ""))


def load_content(config_dir: Path | str | None = None) -> Content:
    """Load and cross-check config/content/*.yaml against config/sites/city_hall.yaml.

    Raises ConfigError naming the file, the entry and the field of the first problem.
    """
    root = Path(config_dir) if config_dir else paths.config_dir()
    site = load_site(root / "sites" / f"{SITE_ID}.yaml", check_map=False)
    services_path = root / "content" / SERVICES_FILE
    directory_path = root / "content" / DIRECTORY_FILE
    faq_path = root / "content" / FAQ_FILE
    services = _validate(ServicesFile, services_path).services
    directory = _validate(DirectoryFile, directory_path)
    faq = _validate(FaqFile, faq_path)

    _check_ids(services_path, "services", services)
    _check_ids(directory_path, "departments", directory.departments)
    _check_ids(directory_path, "staff", directory.staff)
    _check_ids(faq_path, "hours", faq.hours)
    _check_ids(faq_path, "facilities", faq.facilities)

    # Ids share one namespace in search results and slots only per kind, but a service and a
    # department with the same id would make API links ambiguous.
    for dept_id in directory.departments:
        if dept_id in services:
            raise ConfigError(directory_path, f"departments.{dept_id}",
                              f"id also used by a service in {SERVICES_FILE}")

    for sid, service in services.items():
        entry = f"services.{sid}"
        if service.counter is not None:
            _check_place(services_path, f"{entry}.counter", service.counter, site)
        elif not service.where_ko or not service.where_en:
            raise ConfigError(services_path, f"{entry}.where_ko",
                              "a service without a counter must say where it is done "
                              "(where_ko and where_en)")
        if service.department not in directory.departments:
            raise ConfigError(services_path, f"{entry}.department",
                              f"unknown department {service.department!r} "
                              f"(not in {DIRECTORY_FILE})")
        if service.hours not in faq.hours:
            raise ConfigError(services_path, f"{entry}.hours",
                              f"unknown schedule {service.hours!r} (not in {FAQ_FILE})")
        if service.kiosk is False and service.fee.kiosk_krw is not None:
            raise ConfigError(services_path, f"{entry}.fee.kiosk_krw",
                              "given, but kiosk is false")
        if service.fee.krw is None and not service.fee.note_ko:
            raise ConfigError(services_path, f"{entry}.fee",
                              "give krw, or note_ko/note_en when the fee varies")

    for did, dept in directory.departments.items():
        if dept.place is not None:
            _check_place(directory_path, f"departments.{did}.place", dept.place, site)
    for staff_id, person in directory.staff.items():
        entry = f"staff.{staff_id}"
        if person.department not in directory.departments:
            raise ConfigError(directory_path, f"{entry}.department",
                              f"unknown department {person.department!r}")
        for i, service_id in enumerate(person.services):
            if service_id not in services:
                raise ConfigError(directory_path, f"{entry}.services.{i}",
                                  f"unknown service {service_id!r} (not in {SERVICES_FILE})")
        for i, lang in enumerate(person.languages):
            if not re.fullmatch(r"[a-z]{2}", lang):
                raise ConfigError(directory_path, f"{entry}.languages.{i}",
                                  f"{lang!r} is not an ISO 639-1 code like 'ko'")

    if faq.default_hours not in faq.hours:
        raise ConfigError(faq_path, "default_hours", f"unknown schedule {faq.default_hours!r}")
    for hid, schedule in faq.hours.items():
        for i, period in enumerate(schedule.periods):
            if period.close <= period.open:
                raise ConfigError(faq_path, f"hours.{hid}.periods.{i}.close",
                                  "must be later than open")
        for i, place_id in enumerate(schedule.places):
            _check_place(faq_path, f"hours.{hid}.places.{i}", place_id, site)
    for fid, facility in faq.facilities.items():
        for i, place_id in enumerate(facility.places):
            _check_place(faq_path, f"facilities.{fid}.places.{i}", place_id, site)
        if facility.guide_to is not None:
            _check_place(faq_path, f"facilities.{fid}.guide_to", facility.guide_to, site)

    return Content(
        services=dict(services),
        departments=dict(directory.departments),
        staff=dict(directory.staff),
        hours=dict(faq.hours),
        default_hours=faq.default_hours,
        facilities=dict(faq.facilities),
        site=site,
    )
