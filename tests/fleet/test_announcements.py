"""Idle announcements: the shipped content loads, the schedule speaks in turn, bad files are
named by file and field."""

from __future__ import annotations

import datetime as dt

import pytest

from suwon_fleet.core.errors import ConfigError
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.fleet.announcements import (
    AnnouncementScheduler,
    SiteAnnouncements,
    load_announcements,
)

TODAY = dt.date(2026, 11, 25)


def test_shipped_content_covers_every_site() -> None:
    fleet = load_fleet(check_maps=False)
    content = load_announcements(known_sites=set(fleet.sites))
    assert set(content.sites) == set(fleet.sites)
    hall = content.sites["city_hall"]
    assert len(hall.items) >= 3
    assert all(item.text_ko and item.text_en for item in hall.items)


def test_speaks_only_after_idle_grace_then_at_intervals_in_turn() -> None:
    content = SiteAnnouncements.model_validate({
        "interval_s": 60, "first_after_s": 10,
        "items": [{"id": "a", "text_ko": "가", "text_en": "A"},
                  {"id": "b", "text_ko": "나", "text_en": "B"}]})
    scheduler = AnnouncementScheduler(content)
    said = []
    for second in range(0, 200):
        idle = not 100 <= second < 130  # a visitor keeps it busy for 30 s
        item = scheduler.update(float(second), idle, TODAY)
        if item:
            said.append((second, item.id))
    # first after 10 s idle; next 60 s later; busy at 100-129; idle again at 130: grace 10 s
    # and the interval since the last one (70 s) have both passed at 140.
    assert said == [(10, "a"), (70, "b"), (140, "a")]


def test_expired_and_future_items_are_skipped() -> None:
    content = SiteAnnouncements.model_validate({
        "interval_s": 1, "first_after_s": 0,
        "items": [{"id": "old", "text_ko": "지난", "text_en": "old", "until": "2026-01-31"},
                  {"id": "now", "text_ko": "지금", "text_en": "now"},
                  {"id": "later", "text_ko": "나중", "text_en": "later", "from": "2027-03-01"}]})
    scheduler = AnnouncementScheduler(content)
    ids = [scheduler.update(float(t), True, TODAY).id for t in range(3)]
    assert ids == ["now", "now", "now"]


def test_nothing_valid_means_silence() -> None:
    content = SiteAnnouncements.model_validate({
        "first_after_s": 0,
        "items": [{"id": "old", "text_ko": "지난", "text_en": "old", "until": "2020-01-01"}]})
    assert AnnouncementScheduler(content).update(0.0, True, TODAY) is None


@pytest.mark.parametrize(("body", "field", "problem"), [
    ("sites:\n  city_hall:\n    items:\n      - id: hello\n        text_en: Hi\n",
     "sites.city_hall.items[hello].text_ko", "Field required"),
    ("sites:\n  city_hall:\n    interval_s: -5\n", "sites.city_hall.interval_s", "greater than"),
    ("sites:\n  city_hal: {}\n", "sites.city_hal", "unknown site"),
    ("sites:\n  city_hall:\n    items:\n      - {id: a, text_ko: 가, text_en: A, "
     "from: 2026-05-01, until: 2026-04-01}\n", "sites.city_hall.items[a]", "before"),
])
def test_bad_file_names_file_and_field(tmp_path, body, field, problem) -> None:
    path = tmp_path / "announcements.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_announcements(path, known_sites={"city_hall", "ilwol_arboretum"})
    message = str(caught.value)
    assert message.startswith(f"{path}: {field}: "), message
    assert problem in message


def test_missing_file_means_no_announcements(tmp_path) -> None:
    assert load_announcements(tmp_path / "none.yaml").sites == {}
