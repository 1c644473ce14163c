"""Map loading: the real site maps, and corrupt files refused with the problem named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from suwon_fleet.core.errors import ConfigError
from suwon_fleet.core.maps import load_map


def write_map(tmp_path: Path, pixels: np.ndarray, **meta) -> Path:
    Image.fromarray(pixels.astype(np.uint8), mode="L").save(tmp_path / "m.pgm")
    fields = {"image": "m.pgm", "resolution": 0.1, "origin": [1.0, 2.0, 0.0], "negate": 0,
              "occupied_thresh": 0.65, "free_thresh": 0.196, **meta}
    lines = [f"{k}: {v}" for k, v in fields.items() if v is not None]
    path = tmp_path / "m.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_site_maps_load_with_walls_and_free_space(repo_root: Path) -> None:
    grid = load_map(repo_root / "maps" / "city_hall.yaml")
    assert (grid.rows, grid.cols, grid.resolution) == (480, 800, 0.05)
    assert grid.occupied.any() and (~grid.blocked).any()
    assert grid.occupied[0, :].mean() > 0.8, "the lobby's south wall (with doors) is the bottom row"


def test_rows_run_upwards_from_the_origin(tmp_path: Path) -> None:
    pixels = np.full((10, 20), 254)
    pixels[0, 0] = 0  # image top-left = max y, min x
    grid = load_map(write_map(tmp_path, pixels))
    assert grid.occupied[9, 0] and grid.occupied.sum() == 1
    assert not grid.is_free(1.05, 2.0 + 0.95)  # that cell in world coordinates
    assert grid.is_free(1.05, 2.05)
    assert not grid.is_free(0.5, 2.5)  # outside the map is never free


def test_unknown_pixels_are_blocked_not_free(tmp_path: Path) -> None:
    pixels = np.full((4, 4), 205)
    grid = load_map(write_map(tmp_path, pixels))
    assert grid.unknown.all() and not grid.occupied.any()
    assert not grid.is_free(1.15, 2.15)


@pytest.mark.parametrize(
    ("meta", "field"),
    [({"resolution": None}, "resolution"), ({"resolution": "fine"}, "resolution"),
     ({"origin": "[0, 0]"}, "origin"), ({"image": "missing.pgm"}, "image"),
     ({"resolution": -1}, "resolution"), ({"mode": "fancy"}, "mode")],
)
def test_malformed_map_names_file_and_field(tmp_path: Path, meta: dict, field: str) -> None:
    path = write_map(tmp_path, np.full((4, 4), 254), **meta)
    with pytest.raises(ConfigError) as err:
        load_map(path)
    assert err.value.field == field
    assert str(err.value).startswith(f"{path}: {field}:")


def test_corrupt_image_is_refused(tmp_path: Path) -> None:
    path = write_map(tmp_path, np.full((4, 4), 254))
    (tmp_path / "m.pgm").write_bytes(b"P5\n4 4\n255\n\x00")  # truncated
    with pytest.raises(ConfigError, match="image"):
        load_map(path)


def test_missing_map_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_map(tmp_path / "nope.yaml")
