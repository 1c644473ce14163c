"""Docent tours in the site file: the shipped ones load; bad tours name the tour and the stop."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from suwon_fleet.core.errors import ConfigError
from suwon_fleet.core.sites import load_fleet, load_site
from suwon_fleet.core.tours import SEASONS, OpeningHours, season_of

# The wetland garden's only link to the south cross path (scripts/make_maps.py).
WETLAND_LINK = [[103.5, 18.5], [107.5, 18.5], [107.5, 23.5], [103.5, 23.5]]


@pytest.fixture
def site_file(tmp_path: Path, repo_root: Path) -> Path:
    """A writable copy of the arboretum's site file (the map is read from maps/)."""
    folder = tmp_path / "sites"
    folder.mkdir()
    return Path(shutil.copy(repo_root / "config/sites/ilwol_arboretum.yaml", folder))


def load(path: Path, repo_root: Path):
    return load_site(path, repo_root / "maps")


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def test_shipped_tours_load_with_narrations_resolved() -> None:
    site = load_fleet().sites["ilwol_arboretum"]
    assert set(site.tours) == {"highlights_30", "full_60", "family_kids", "wheelchair",
                               "seasonal"}
    assert site.tours["wheelchair"].accessible
    assert set(site.tours["seasonal"].seasons) == set(SEASONS)
    for course in site.tours.values():
        for _, stops in course.all_stop_lists():
            assert stops, "every list has stops"
            for stop in stops:
                assert stop.place in site.places
                assert stop.narration is not None and stop.narration.ko and stop.narration.en
    # A stop without its own narration takes its place's; the kids' course has its own.
    highlights_rose = next(s for s in site.tours["highlights_30"].stops
                           if s.place == "rose_garden")
    kids_rose = next(s for s in site.tours["family_kids"].stops if s.place == "rose_garden")
    assert highlights_rose.narration == site.docent.narrations["rose_garden"]
    assert "해시계" in kids_rose.narration.ko and kids_rose.narration != highlights_rose.narration
    assert site.facilities["restroom"] == ["restroom"]
    assert site.opening_hours.closed_weekdays == ["monday"]
    assert site.docent.walking_pace == 0.7


def test_path_attributes_mark_stairs_and_steep_zones() -> None:
    site = load_fleet().sites["ilwol_arboretum"]
    assert site.zones["north_stairs"].terrain == "stairs"
    assert site.zones["north_stairs"].kind == "keep_out", "robots still never use the stairs"
    slope = site.zones["forest_trail_slope"]
    assert slope.terrain == "steep" and slope.kind == "speed_limit"
    assert len(site.step_free_barriers) == 3
    assert len(site.keep_out) == 2, "a steep zone is not a keep-out zone for robots"


def test_unknown_place_names_tour_and_stop(site_file: Path, repo_root: Path) -> None:
    edit(site_file, lambda d: d["tours"]["highlights_30"]["stops"][2].update(
        place="rose_gardn"))
    with pytest.raises(ConfigError) as err:
        load(site_file, repo_root)
    assert err.value.path == site_file
    assert err.value.field == "tours.highlights_30.stops[2].place"
    assert "unknown place 'rose_gardn'; did you mean rose_garden" in str(err.value)


def test_unknown_place_in_a_season_names_it(site_file: Path, repo_root: Path) -> None:
    edit(site_file, lambda d: d["tours"]["seasonal"]["seasons"]["summer"][1].update(
        place="herbs_garden"))
    with pytest.raises(ConfigError) as err:
        load(site_file, repo_root)
    assert err.value.field == "tours.seasonal.seasons.summer[1].place"
    assert "herb_garden" in err.value.problem


def test_unreachable_stop_names_tour_and_stop(site_file: Path, repo_root: Path) -> None:
    def cut_off_the_wetland(d: dict) -> None:
        d["zones"]["wetland_closed"] = {"kind": "keep_out", "name_ko": "공사 중",
                                        "name_en": "Works", "polygon": WETLAND_LINK}

    edit(site_file, cut_off_the_wetland)
    with pytest.raises(ConfigError) as err:
        load(site_file, repo_root)
    stops = yaml.safe_load(site_file.read_text())["tours"]["full_60"]["stops"]
    index = [s["place"] for s in stops].index("wetland_garden")
    assert err.value.field == f"tours.full_60.stops[{index}]"
    assert "'wetland_garden'" in err.value.problem and "'full_60'" in err.value.problem
    assert "cannot be reached" in err.value.problem


@pytest.mark.parametrize("terrain", ["stairs", "steep"])
def test_accessible_course_across_stairs_or_steep_refused(site_file: Path, repo_root: Path,
                                                          terrain: str) -> None:
    def add(d: dict) -> None:
        d["zones"]["wetland_ramp"] = {"kind": "speed_limit", "max_speed": 0.4,
                                      "terrain": terrain, "name_ko": "습지 진입로",
                                      "name_en": "Wetland ramp", "polygon": WETLAND_LINK}
        d["tours"]["wheelchair"]["stops"].append({"place": "wetland_garden", "dwell_s": 60})

    edit(site_file, add)
    with pytest.raises(ConfigError) as err:
        load(site_file, repo_root)
    # The walking course through the same ramp (full_60) loads: only step-free tours care.
    assert err.value.field == "tours.wheelchair.stops[5]"
    assert "accessible tour 'wheelchair'" in err.value.problem
    assert "without crossing stairs or steep slopes" in err.value.problem
    assert "wetland_ramp" in err.value.problem


def test_walking_course_may_cross_a_steep_zone(site_file: Path, repo_root: Path) -> None:
    def add(d: dict) -> None:
        d["zones"]["wetland_ramp"] = {"kind": "speed_limit", "max_speed": 0.4,
                                      "terrain": "steep", "name_ko": "습지 진입로",
                                      "name_en": "Wetland ramp", "polygon": WETLAND_LINK}

    edit(site_file, add)
    site = load(site_file, repo_root)
    assert "wetland_garden" in [s.place for s in site.tours["full_60"].stops]


def test_stop_without_any_narration_refused(site_file: Path, repo_root: Path) -> None:
    edit(site_file, lambda d: d["docent"]["narrations"].pop("herb_garden"))
    with pytest.raises(ConfigError) as err:
        load(site_file, repo_root)
    stops = yaml.safe_load(site_file.read_text())["tours"]["highlights_30"]["stops"]
    index = [s["place"] for s in stops].index("herb_garden")
    assert err.value.field == f"tours.highlights_30.stops[{index}].narration"


def test_stop_pose_inside_an_obstacle_refused(site_file: Path, repo_root: Path) -> None:
    edit(site_file, lambda d: d["tours"]["highlights_30"]["stops"][0].update(
        pose={"x": 0.05, "y": 0.05, "yaw": 0.0}))
    with pytest.raises(ConfigError, match=r"tours\.highlights_30\.stops\[0\]\.pose: .* not "
                                          r"free space"):
        load(site_file, repo_root)


def test_unknown_facility_and_meeting_point_named(site_file: Path, repo_root: Path) -> None:
    edit(site_file, lambda d: d["facilities"].update(restroom=["restroom", "toilets_2"]))
    with pytest.raises(ConfigError) as err:
        load(site_file, repo_root)
    assert err.value.field == "facilities.restroom[1]"
    edit(site_file, lambda d: (d["facilities"].update(restroom=["restroom"]),
                               d["docent"].update(meeting_point="visitor_center")))
    with pytest.raises(ConfigError, match="did you mean visitor_centre"):
        load(site_file, repo_root)


def test_unquoted_time_refused(site_file: Path, repo_root: Path) -> None:
    # YAML 1.1 reads 18:00 as 1080 (base 60): refuse it rather than close at 00:18.
    text = site_file.read_text(encoding="utf-8").replace('close: "18:00"', "close: 18:00")
    site_file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load(site_file, repo_root)
    assert err.value.field == "opening_hours.close"


def test_course_without_stops_and_grade_without_terrain_refused(site_file: Path,
                                                                 repo_root: Path) -> None:
    edit(site_file, lambda d: d["tours"]["seasonal"]["seasons"].pop("winter"))
    with pytest.raises(ConfigError, match=r"tours\.seasonal.*four seasons"):
        load(site_file, repo_root)
    edit(site_file, lambda d: (
        d["tours"]["seasonal"]["seasons"].update(winter=[{"place": "greenhouse"}]),
        d["zones"]["visitor_plaza_slow"].update(grade_percent=5)))
    with pytest.raises(ConfigError) as err:
        load(site_file, repo_root)
    assert err.value.field == "zones.visitor_plaza_slow.grade_percent"


def test_seasons_and_opening_days() -> None:
    assert [season_of(date(2026, m, 15)) for m in (1, 3, 5, 6, 8, 9, 11, 12)] == [
        "winter", "spring", "spring", "summer", "summer", "autumn", "autumn", "winter"]
    hours = OpeningHours(open="09:00", close="18:00", closed_weekdays=["monday"],
                         closed_dates=[date(2026, 9, 25)])
    assert not hours.is_open_on(date(2026, 6, 1))  # a Monday
    assert hours.is_open_on(date(2026, 6, 2))
    assert not hours.is_open_on(date(2026, 9, 25))
    with pytest.raises(ValueError, match="before it closes"):
        OpeningHours(open="18:00", close="09:00")
