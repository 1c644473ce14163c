"""Occupancy maps in the ROS map_server format (a YAML file naming a PGM/PNG image).

Interpretation follows nav2_map_server's "trinary" mode: a pixel's occupancy probability is
(255 - value) / 255 (or value / 255 with ``negate: 1``); above ``occupied_thresh`` it is an
obstacle, below ``free_thresh`` it is free, in between it is unknown.
Grids here are indexed ``[row, col]`` with row 0 at the map origin (the bottom of the image),
so cell (r, c) covers x in origin_x + c*res .. +res and y in origin_y + r*res .. +res.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, UnidentifiedImageError

from suwon_fleet.core.errors import ConfigError


@dataclass(frozen=True)
class OccupancyMap:
    resolution: float
    origin: tuple[float, float, float]
    occupied: np.ndarray  # bool [rows, cols], True = obstacle
    unknown: np.ndarray  # bool [rows, cols]
    source: Path | None = None

    @property
    def rows(self) -> int:
        return int(self.occupied.shape[0])

    @property
    def cols(self) -> int:
        return int(self.occupied.shape[1])

    @property
    def width_m(self) -> float:
        return self.cols * self.resolution

    @property
    def height_m(self) -> float:
        return self.rows * self.resolution

    @property
    def blocked(self) -> np.ndarray:
        """Cells a robot may not enter: obstacles and unknown space."""
        return self.occupied | self.unknown

    def world_to_cell(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the cell containing the point; may lie outside the grid."""
        col = math.floor((x - self.origin[0]) / self.resolution)
        row = math.floor((y - self.origin[1]) / self.resolution)
        return row, col

    def cell_to_world(self, row: int, col: int) -> tuple[float, float]:
        """Centre of a cell."""
        return (
            self.origin[0] + (col + 0.5) * self.resolution,
            self.origin[1] + (row + 0.5) * self.resolution,
        )

    def in_bounds(self, row: int, col: int) -> bool:
        return 0 <= row < self.rows and 0 <= col < self.cols

    def is_free(self, x: float, y: float) -> bool:
        row, col = self.world_to_cell(x, y)
        return self.in_bounds(row, col) and not self.blocked[row, col]

    def to_image(self) -> Image.Image:
        """Greyscale picture as map_server would draw it (top row = max y)."""
        pixels = np.full(self.occupied.shape, 254, dtype=np.uint8)
        pixels[self.unknown] = 205
        pixels[self.occupied] = 0
        return Image.fromarray(np.flipud(pixels), mode="L")


_REQUIRED_KEYS = ("image", "resolution", "origin")


def load_map(yaml_path: Path | str) -> OccupancyMap:
    """Load a map_server map, naming the file and field of any problem."""
    path = Path(yaml_path)
    if not path.is_file():
        raise ConfigError(path, "", "map file not found")
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(path, "", f"not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise ConfigError(path, "", "expected a mapping of map_server keys")
    for key in _REQUIRED_KEYS:
        if key not in meta:
            raise ConfigError(path, key, "required map_server key is missing")

    resolution = _number(path, meta, "resolution")
    if resolution <= 0:
        raise ConfigError(path, "resolution", f"must be positive, got {resolution}")
    origin = meta["origin"]
    if not (isinstance(origin, list) and len(origin) == 3 and all(_is_num(v) for v in origin)):
        raise ConfigError(path, "origin", f"expected [x, y, yaw] numbers, got {origin!r}")
    negate = int(meta.get("negate", 0))
    occupied_thresh = _number(path, meta, "occupied_thresh", 0.65)
    free_thresh = _number(path, meta, "free_thresh", 0.25)
    if not 0 <= free_thresh < occupied_thresh <= 1:
        raise ConfigError(path, "free_thresh", "need 0 <= free_thresh < occupied_thresh <= 1")
    mode = meta.get("mode", "trinary")
    if mode not in ("trinary", "scale", "raw"):
        raise ConfigError(path, "mode", f"expected trinary, scale or raw, got {mode!r}")

    image_path = path.parent / str(meta["image"])
    try:
        with Image.open(image_path) as img:
            pixels = np.asarray(img.convert("L"), dtype=np.float32)
    except FileNotFoundError as exc:
        raise ConfigError(path, "image", f"image file {image_path} not found") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ConfigError(path, "image", f"cannot read image {image_path}: {exc}") from exc
    if pixels.size == 0:
        raise ConfigError(path, "image", f"image {image_path} is empty")

    if mode == "raw":
        occupied = pixels >= 100
        unknown = np.zeros_like(occupied)
    else:
        prob = pixels / 255.0 if negate else (255.0 - pixels) / 255.0
        occupied = prob > occupied_thresh
        unknown = ~occupied & (prob >= free_thresh)
    return OccupancyMap(
        resolution=resolution,
        origin=(float(origin[0]), float(origin[1]), float(origin[2])),
        occupied=np.flipud(occupied).copy(),
        unknown=np.flipud(unknown).copy(),
        source=path,
    )


def _is_num(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(path: Path, meta: dict, key: str, default: float | None = None) -> float:
    value = meta.get(key, default)
    if not _is_num(value):
        raise ConfigError(path, key, f"expected a number, got {value!r}")
    return float(value)
