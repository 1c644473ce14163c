"""What an idle robot announces, and when: City information in turn, at intervals.

The content is config/content/announcements.yaml (per site: interval, items with optional
date limits). The robot agent asks the scheduler once a second whether to speak; the
scheduler only speaks after the robot has been idle a while, so a visitor who just finished
talking to the robot is not interrupted by an advertisement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from suwon_fleet.core import paths
from suwon_fleet.core.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Announcement(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text_ko: str = Field(min_length=1)
    text_en: str = Field(min_length=1)
    image: str = ""
    valid_from: dt.date | None = Field(None, alias="from")
    valid_until: dt.date | None = Field(None, alias="until")

    @model_validator(mode="after")
    def _dates_in_order(self) -> Announcement:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("'until' is before 'from'")
        return self

    def valid_on(self, day: dt.date) -> bool:
        return ((self.valid_from is None or day >= self.valid_from)
                and (self.valid_until is None or day <= self.valid_until))


class SiteAnnouncements(_Strict):
    interval_s: float = Field(90.0, gt=0)
    first_after_s: float = Field(20.0, ge=0)
    items: list[Announcement] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> SiteAnnouncements:
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"duplicate item id {item.id!r}")
            seen.add(item.id)
        return self


class AnnouncementsFile(_Strict):
    sites: dict[str, SiteAnnouncements] = Field(default_factory=dict)


def default_path() -> Path:
    return paths.config_dir() / "content" / "announcements.yaml"


def load_announcements(path: Path | str | None = None,
                       known_sites: set[str] | None = None) -> AnnouncementsFile:
    """Read and check the file; a missing file means no announcements anywhere.

    Sites are checked against ``known_sites``, by default the site files beside the content
    (config/sites/*.yaml): a fleet may run only some of the sites the content covers.
    """
    path = Path(path) if path else default_path()
    if known_sites is None:
        site_files = path.parent.parent / "sites"
        known_sites = {p.stem for p in site_files.glob("*.yaml")} or None
    if not path.is_file():
        return AnnouncementsFile()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(path, "", f"not valid YAML: {exc}") from None
    try:
        parsed = AnnouncementsFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field_path(data, first["loc"])
        raise ConfigError(path, field, first["msg"]) from None
    for site_id in parsed.sites:
        if known_sites is not None and site_id not in known_sites:
            raise ConfigError(path, f"sites.{site_id}",
                              f"unknown site; known: {', '.join(sorted(known_sites))}")
    return parsed


def _field_path(data: object, loc: tuple) -> str:
    """sites.city_hall.items[2].text_ko: list positions named by the item's id if it has one."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            item = node[key] if isinstance(node, list) and key < len(node) else None
            label = item.get("id") if isinstance(item, dict) else None
            parts[-1] += f"[{label or key}]"
            node = item
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


@dataclass
class AnnouncementScheduler:
    """Says the site's items in turn while the robot stays idle.

    ``update`` is called with the time (seconds, any monotonic clock), whether the robot is
    idle, and today's date; it returns the item to say now, or None.
    """

    content: SiteAnnouncements
    _idle_since: float | None = None
    _last_said: float | None = None
    _next: int = 0

    def update(self, now: float, idle: bool, today: dt.date) -> Announcement | None:
        if not idle:
            self._idle_since = None
            return None
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.content.first_after_s:
            return None
        if self._last_said is not None and now - self._last_said < self.content.interval_s:
            return None
        item = self._next_valid(today)
        if item is not None:
            self._last_said = now
        return item

    def _next_valid(self, today: dt.date) -> Announcement | None:
        items = self.content.items
        for _ in range(len(items)):
            item = items[self._next % len(items)]
            self._next += 1
            if item.valid_on(today):
                return item
        return None
