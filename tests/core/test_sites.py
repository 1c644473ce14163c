"""Sites and fleet config: the shipped files load; malformed ones name file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from suwon_fleet.core.errors import ConfigError
from suwon_fleet.core.sites import UnknownPlaceError, load_fleet


@pytest.fixture
def config_copy(tmp_path: Path, repo_root: Path) -> Path:
    """A writable copy of config/ and maps/ to break."""
    shutil.copytree(repo_root / "config", tmp_path / "config")
    shutil.copytree(repo_root / "maps", tmp_path / "maps")
    return tmp_path / "config"


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_shipped_fleet_loads_with_required_places() -> None:
    fleet = load_fleet()
    assert set(fleet.sites) == {"city_hall", "ilwol_arboretum"}
    assert fleet.robots["lobby_1"].site == "city_hall"
    assert fleet.robots["docent_1"].site == "ilwol_arboretum"
    hall = {p.kind for p in fleet.sites["city_hall"].places.values()}
    assert {"entrance", "desk", "counter", "elevator", "restroom", "exit", "waiting"} <= hall
    arb = {p.kind for p in fleet.sites["ilwol_arboretum"].places.values()}
    assert {"building", "garden", "path", "rest_area"} <= arb
    assert "greenhouse" in fleet.sites["ilwol_arboretum"].places


def test_places_found_by_korean_name_and_alias() -> None:
    site = load_fleet().sites["city_hall"]
    desk = site.places["information_desk"]
    assert site.find_place(desk.name_ko) == "information_desk"
    assert site.find_place("INFORMATION_DESK") == "information_desk"


def test_unknown_place_lists_nearest_names() -> None:
    site = load_fleet().sites["city_hall"]
    with pytest.raises(UnknownPlaceError) as err:
        site.place("restroom_mal")
    assert err.value.suggestions[0] == "restroom_male"
    assert "did you mean" in str(err.value)


def test_bad_place_coordinate_names_file_and_field(config_copy: Path) -> None:
    site_file = config_copy / "sites" / "city_hall.yaml"
    edit_yaml(site_file, lambda d: d["places"]["entrance"].update(x="left"))
    with pytest.raises(ConfigError) as err:
        load_fleet(config_copy / "fleet.yaml")
    assert err.value.path == site_file
    assert err.value.field == "places.entrance.x"


def test_place_inside_a_wall_is_refused(config_copy: Path) -> None:
    site_file = config_copy / "sites" / "city_hall.yaml"
    edit_yaml(site_file, lambda d: d["places"]["entrance"].update(x=0.01, y=0.01))
    with pytest.raises(ConfigError, match=r"places\.entrance: .* not free space"):
        load_fleet(config_copy / "fleet.yaml")


def test_misspelt_key_is_refused(config_copy: Path) -> None:
    site_file = config_copy / "sites" / "city_hall.yaml"
    edit_yaml(site_file, lambda d: d["places"]["entrance"].update(nmae_ko="입구"))
    with pytest.raises(ConfigError, match=r"places\.entrance\.nmae_ko"):
        load_fleet(config_copy / "fleet.yaml")


def test_robot_with_unknown_dock_is_refused(config_copy: Path) -> None:
    edit_yaml(config_copy / "fleet.yaml", lambda d: d["robots"]["lobby_1"].update(dock="dok"))
    with pytest.raises(ConfigError) as err:
        load_fleet(config_copy / "fleet.yaml")
    assert err.value.field == "robots.lobby_1.dock"


def test_missing_map_named(config_copy: Path) -> None:
    (config_copy.parent / "maps" / "ilwol_arboretum.pgm").unlink()
    with pytest.raises(ConfigError, match=r"ilwol_arboretum\.yaml: image"):
        load_fleet(config_copy / "fleet.yaml")


def test_invalid_yaml_named(config_copy: Path) -> None:
    (config_copy / "fleet.yaml").write_text("robots: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_fleet(config_copy / "fleet.yaml")


def test_zones_from_the_site_file() -> None:
    fleet = load_fleet()
    hall = fleet.sites["city_hall"]
    entrance = hall.places["entrance"]
    assert hall.speed_limit_at(entrance.x, entrance.y) == 0.4
    assert hall.speed_limit_at(hall.places["elevator_lobby"].x,
                               hall.places["elevator_lobby"].y) is None
    assert fleet.sites["ilwol_arboretum"].keep_out, "the lawn is a keep-out zone"


def test_keep_out_zone_over_a_place_is_refused(config_copy: Path) -> None:
    site_file = config_copy / "sites" / "city_hall.yaml"
    square = [[19.0, 1.0], [21.0, 1.0], [21.0, 2.0], [19.0, 2.0]]  # round the entrance
    edit_yaml(site_file, lambda d: d["zones"].update(
        bad={"kind": "keep_out", "name_ko": "x", "name_en": "x", "polygon": square}))
    with pytest.raises(ConfigError, match=r"zones\.bad: keep-out zone covers place 'entrance'"):
        load_fleet(config_copy / "fleet.yaml")
