#!/usr/bin/env python3
"""Draw the site maps (ROS map_server PGM + YAML) and check the places in config/sites.

The maps are hand-designed sample maps, drawn deterministically from the rectangles, circles,
ellipses and polylines below (world metres, map frame, origin at the lower-left corner).

    python scripts/make_maps.py                 # rewrite maps/*.pgm + maps/*.yaml, then check
    python scripts/make_maps.py --check-only    # only check config/sites against maps/
    python scripts/make_maps.py --render /tmp   # also write <site>.png with the places drawn

Exits non-zero, naming the place, when a place is off the free space, too close to an
obstacle, or not reachable from the other places of its site.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
MAPS_DIR = ROOT / "maps"
SITES_DIR = ROOT / "config" / "sites"

# Trinary pixel values, as map_saver writes them.
FREE, OCCUPIED, UNKNOWN = 254, 0, 205
# Load thresholds for mode: trinary. free_thresh must be below (255 - 205) / 255 = 0.196...
# or nav2_map_server reads the 205 "unknown" pixels as free (0.25 would do exactly that).
# These are the values ROS 1's map_saver and Nav2's fixed map_saver write for trinary maps.
OCCUPIED_THRESH = 0.65
FREE_THRESH = 0.196

PLACE_CLEARANCE_M = 0.6  # a place must have this much free space all round
ROBOT_RADIUS_M = 0.35  # places must be connected through cells this far from any obstacle

PLACE_KINDS = frozenset(
    {
        "entrance", "exit", "desk", "counter", "elevator", "restroom", "waiting", "office",
        "dock", "garden", "building", "path", "rest_area", "facility", "viewpoint",
    }
)  # fmt: skip
PLACE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
PLACE_KEYS = ("name_ko", "name_en", "x", "y", "yaw", "kind", "aliases")

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in metres


# --------------------------------------------------------------------------- drawing helper
class Canvas:
    """An occupancy image addressed in world metres (origin at the lower-left corner)."""

    def __init__(self, width_m: float, height_m: float, resolution: float, fill: int) -> None:
        """Make a width_m x height_m map at `resolution` m/pixel, every pixel set to `fill`."""
        self.resolution = resolution
        self.width = round(width_m / resolution)
        self.height = round(height_m / resolution)
        self.img = np.full((self.height, self.width), fill, dtype=np.uint8)
        # World coordinates of the pixel centres; PGM row 0 is the top of the map (max y).
        self._xs = (np.arange(self.width) + 0.5) * resolution
        self._ys = (self.height - np.arange(self.height) - 0.5) * resolution

    def rect(self, x0: float, y0: float, x1: float, y1: float, value: int) -> None:
        """Set every pixel whose centre lies in [x0, x1) x [y0, y1)."""
        cols = (self._xs >= x0) & (self._xs < x1)
        rows = (self._ys >= y0) & (self._ys < y1)
        self.img[np.ix_(rows, cols)] = value

    def circle(self, cx: float, cy: float, r: float, value: int) -> None:
        """Fill a disc."""
        self.ellipse(cx, cy, r, r, value)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, value: int) -> None:
        """Fill an axis-aligned ellipse."""
        dx = (self._xs[None, :] - cx) / rx
        dy = (self._ys[:, None] - cy) / ry
        self.img[dx * dx + dy * dy <= 1.0] = value

    def polyline(self, points: Sequence[tuple[float, float]], width: float, value: int) -> None:
        """Draw a path of the given width (round joints) through the points."""
        xs, ys = self._xs[None, :], self._ys[:, None]
        for (ax, ay), (bx, by) in itertools.pairwise(points):
            vx, vy = bx - ax, by - ay
            t = ((xs - ax) * vx + (ys - ay) * vy) / max(vx * vx + vy * vy, 1e-12)
            t = np.clip(t, 0.0, 1.0)
            d2 = (xs - ax - t * vx) ** 2 + (ys - ay - t * vy) ** 2
            self.img[d2 <= (width / 2) ** 2] = value


def room(
    c: Canvas,
    box: Rect,
    thickness: float,
    doors: Iterable[tuple[str, float, float]] = (),
    fill: int | None = FREE,
) -> None:
    """Walls inside `box`; doors are (side 'n'/'s'/'e'/'w', centre along the wall, width).

    `fill` paints the inside first (None leaves it as it is).
    """
    x0, y0, x1, y1 = box
    t = thickness
    if fill is not None:
        c.rect(x0, y0, x1, y1, fill)
    c.rect(x0, y0, x1, y0 + t, OCCUPIED)
    c.rect(x0, y1 - t, x1, y1, OCCUPIED)
    c.rect(x0, y0, x0 + t, y1, OCCUPIED)
    c.rect(x1 - t, y0, x1, y1, OCCUPIED)
    for side, centre, width in doors:
        a, b = centre - width / 2, centre + width / 2
        gap = {
            "s": (a, y0, b, y0 + t),
            "n": (a, y1 - t, b, y1),
            "w": (x0, a, x0 + t, b),
            "e": (x1 - t, a, x1, b),
        }[side]
        c.rect(*gap, FREE)


# --------------------------------------------------------------------------- City Hall
# Six 새빛민원실 counters, 2.0 m wide, on a 2.2 m pitch (0.2 m privacy screens between).
CITY_HALL_COUNTER_X = tuple(2.0 + 2.2 * i for i in range(6))


def draw_city_hall() -> Canvas:
    """수원시청 1층 로비: 40 m x 24 m at 0.05 m/pixel."""
    c = Canvas(40.0, 24.0, 0.05, fill=FREE)
    # Outer walls: 4 m automatic doors in the south wall, 2 m side exit in the east wall.
    room(c, (0.0, 0.0, 40.0, 24.0), 0.3, doors=[("s", 20.0, 4.0), ("e", 7.0, 2.0)], fill=None)

    # 새빛민원실 (west): partition wall with a 4 m opening onto the lobby, north wall.
    c.rect(15.0, 0.0, 15.2, 15.2, OCCUPIED)
    c.rect(0.0, 15.0, 15.2, 15.2, OCCUPIED)
    c.rect(15.0, 5.0, 15.2, 9.0, FREE)
    # Counter row: visitors stand on the south side, staff sit behind it (north).
    for cx in CITY_HALL_COUNTER_X:
        c.rect(cx - 1.0, 11.0, cx + 1.0, 11.8, OCCUPIED)
        # Screens stick out 0.4 m towards the visitors between windows.
        c.rect(cx - 1.2, 10.6, cx - 1.0, 12.2, OCCUPIED)
        c.rect(cx + 1.0, 10.6, cx + 1.2, 12.2, OCCUPIED)
        c.rect(cx - 0.7, 13.2, cx + 0.7, 13.9, OCCUPIED)  # back-office desk
    c.rect(0.0, 11.0, CITY_HALL_COUNTER_X[0] - 1.0, 11.8, OCCUPIED)  # closes the west end
    # The 0.8 m gap between the last screen and the partition is the staff gate.
    # Waiting benches facing the counters, 2 m aisles between blocks.
    for bx in (2.0, 8.0):
        for by in (4.0, 6.2):
            c.rect(bx, by, bx + 4.0, by + 0.6, OCCUPIED)

    # Unmanned document kiosks (무인민원발급기) against the lobby side of the partition.
    c.rect(15.2, 10.5, 15.8, 13.5, OCCUPIED)
    # Information desk, right of the entrance so arriving visitors see it first.
    c.rect(23.5, 4.0, 27.0, 5.0, OCCUPIED)
    # Four round pillars of the atrium.
    for px, py in ((18.5, 7.5), (18.5, 12.5), (25.5, 7.5), (25.5, 12.5)):
        c.circle(px, py, 0.3, OCCUPIED)

    # North band behind a 2.8 m corridor: restrooms, stair core, elevators, office.
    room(c, (0.0, 18.0, 4.4, 24.0), 0.2, doors=[("s", 2.2, 1.0)])  # men
    room(c, (4.2, 18.0, 8.6, 24.0), 0.2, doors=[("s", 6.4, 1.0)])  # women
    room(c, (8.4, 18.0, 11.4, 24.0), 0.2, doors=[("s", 9.9, 1.2)])  # accessible, wider door
    # Stair core and lift shafts were never seen by the mapping robot: unknown inside.
    room(c, (11.2, 18.0, 16.0, 24.0), 0.3, fill=UNKNOWN)
    for i in range(4):
        room(c, (16.0 + 3.0 * i, 19.5, 19.0 + 3.0 * i, 24.0), 0.25, fill=UNKNOWN)
    room(c, (28.0, 16.0, 40.0, 24.0), 0.2, doors=[("s", 32.0, 1.5)])  # 민원상담실
    c.rect(32.0, 19.5, 36.0, 21.0, OCCUPIED)  # its meeting table
    # Re-draw the outer wall: the rooms above filled over its inner half.
    room(c, (0.0, 0.0, 40.0, 24.0), 0.3, doors=[("s", 20.0, 4.0), ("e", 7.0, 2.0)], fill=None)

    # East lounge: three rows of benches by the side exit.
    for by in (8.5, 10.8, 13.1):
        c.rect(32.0, by, 37.0, by + 0.6, OCCUPIED)
    return c


# --------------------------------------------------------------------------- Ilwol Arboretum
# The stair section on the shortcut from the pond up to the north path. It is free space in
# the map (people use it) but the robots cannot: the reachability check treats it as blocked,
# so every place must also be reachable by the step-free route (east path).
ARBORETUM_STAIRS: Rect = (95.5, 63.0, 98.5, 68.0)
POND = (97.0, 47.0, 11.0, 7.0)  # cx, cy, rx, ry
ROSE_CENTRE = (44.0, 36.0)


def draw_ilwol_arboretum() -> Canvas:
    """일월수목원: 120 m x 80 m at 0.1 m/pixel.

    Everything inside the fence starts as planted ground (off-limits, so occupied); paths,
    plazas and buildings are carved out of it, so path widths hold by construction.
    """
    c = Canvas(120.0, 80.0, 0.1, fill=OCCUPIED)

    # Main path network (3-6 m wide).
    c.rect(44.0, 0.0, 78.0, 18.0, FREE)  # entrance plaza
    c.rect(57.0, 0.0, 63.0, 51.0, FREE)  # main axis, gate -> greenhouse
    c.rect(2.0, 22.0, 117.0, 26.0, FREE)  # south cross path
    c.rect(2.0, 46.5, 57.0, 49.5, FREE)  # west cross path
    c.rect(2.0, 74.5, 117.0, 77.5, FREE)  # north path
    c.rect(2.0, 22.0, 5.0, 77.5, FREE)  # west path
    c.rect(28.5, 22.0, 31.5, 77.5, FREE)  # west-centre path
    c.rect(113.0, 22.0, 116.0, 77.5, FREE)  # east path (the step-free way north)
    c.rect(46.0, 17.0, 49.0, 23.0, FREE)  # second plaza link, by the visitor centre

    # Visitor centre: 3 m doors onto the plaza; first-aid room and information counter inside.
    room(c, (28.0, 2.0, 44.0, 14.0), 0.3, doors=[("e", 7.5, 3.0)])
    room(c, (28.0, 2.0, 33.2, 7.2), 0.3, doors=[("e", 4.6, 1.2)], fill=None)
    c.rect(38.0, 10.0, 42.0, 10.8, OCCUPIED)
    # Café and restroom building on the east side of the plaza, doors facing it.
    room(c, (78.0, 2.0, 88.0, 9.5), 0.3, doors=[("w", 5.75, 2.0)])
    c.rect(84.0, 3.0, 87.5, 4.0, OCCUPIED)  # café counter
    room(c, (78.0, 11.0, 86.0, 18.0), 0.3, doors=[("w", 12.7, 1.4), ("w", 16.3, 1.4)])
    c.rect(78.0, 14.4, 86.0, 14.6, OCCUPIED)  # wall between the women's and men's rooms
    c.rect(65.0, 1.5, 68.0, 4.0, OCCUPIED)  # ticket booth
    c.circle(52.0, 10.0, 1.5, OCCUPIED)  # plaza planters
    c.circle(68.0, 10.0, 1.5, OCCUPIED)

    # Rest area (south): a small plaza with benches off the south cross path.
    c.rect(8.0, 6.0, 24.0, 19.0, FREE)
    c.rect(14.0, 18.0, 17.0, 23.0, FREE)
    for bx, by in ((9.5, 7.5), (20.0, 7.5), (9.5, 16.9), (20.0, 16.9)):
        c.rect(bx, by, bx + 2.5, by + 0.6, OCCUPIED)

    # 전통정원: walled courtyard with a square pond (방지) and a pavilion (정자).
    c.rect(14.0, 25.0, 17.0, 28.5, FREE)
    c.rect(25.5, 34.75, 29.0, 37.25, FREE)
    room(c, (8.0, 28.0, 26.0, 46.0), 0.4, doors=[("s", 15.5, 3.0), ("e", 36.0, 2.5)])
    c.rect(11.0, 33.0, 18.0, 40.0, OCCUPIED)
    c.rect(20.5, 40.0, 23.5, 43.0, OCCUPIED)

    # 장미정원: round garden, ring path round four quarter beds and a central sundial.
    rx, ry = ROSE_CENTRE
    c.circle(rx, ry, 9.0, FREE)
    c.circle(rx, ry, 6.5, OCCUPIED)
    c.circle(rx, ry, 3.5, FREE)
    c.rect(rx - 1.25, 25.0, rx + 1.25, 45.0, FREE)  # N-S cross path, down to the south path
    c.rect(31.0, ry - 1.25, 58.0, ry + 1.25, FREE)  # E-W cross path, west path to main axis
    c.circle(rx, ry, 1.0, OCCUPIED)

    # 허브정원: four square beds in a 15 m x 16 m parterre, 2.5 m paths between.
    c.rect(65.0, 28.0, 80.0, 44.0, FREE)
    c.rect(63.0, 34.75, 65.0, 37.25, FREE)
    c.rect(71.25, 25.0, 73.75, 28.0, FREE)
    for bx in (67.5, 73.75):
        for by in (30.5, 37.25):
            c.rect(bx, by, bx + 3.75, by + 4.25, OCCUPIED)

    # Pond with a loop path, a viewing deck on the west shore, links south/east/west.
    px, py, prx, pry = POND
    c.ellipse(px, py, prx + 3.5, pry + 3.5, FREE)
    c.rect(95.5, 25.0, 98.5, 37.5, FREE)
    c.rect(111.0, 45.5, 114.0, 48.5, FREE)
    c.rect(69.0, 53.0, 88.0, 56.0, FREE)  # to the greenhouse plaza
    c.rect(95.5, 56.0, 98.5, 75.0, FREE)  # shortcut north, with the stairs on it
    c.ellipse(px, py, prx, pry, OCCUPIED)
    c.rect(85.5, 45.5, 90.0, 48.5, FREE)  # deck over the water

    # 습지정원: open wetland lawn with two pools, reached from the south cross path.
    c.rect(90.0, 4.0, 117.0, 20.0, FREE)
    c.rect(104.0, 19.0, 107.0, 23.0, FREE)
    c.ellipse(98.0, 11.0, 4.0, 3.0, OCCUPIED)
    c.ellipse(110.0, 12.5, 4.0, 3.5, OCCUPIED)

    # 전시온실: greenhouse with a front plaza on the main axis, planting beds inside.
    c.rect(50.0, 50.0, 70.0, 58.0, FREE)
    room(c, (48.0, 58.0, 72.0, 72.0), 0.3, doors=[("s", 60.0, 3.0)])
    # Two beds either side of a 2 m path in from the door, a ring path round them.
    c.rect(53.0, 62.0, 59.0, 68.0, OCCUPIED)
    c.rect(61.0, 62.0, 67.0, 68.0, OCCUPIED)

    # 침엽수원: lawn with a stand of conifers, linked to three paths.
    c.rect(8.0, 53.0, 26.0, 72.0, FREE)
    c.rect(25.0, 62.0, 29.0, 65.0, FREE)
    c.rect(15.0, 49.0, 18.0, 54.0, FREE)
    c.rect(15.0, 71.0, 18.0, 75.0, FREE)
    for tx in (11.0, 16.5, 22.0):
        for ty in (57.0, 62.5, 68.0):
            c.circle(tx, ty, 1.2, OCCUPIED)

    # Forest trail (숲길): a winding 2.5 m path through the woodland west of the greenhouse.
    c.polyline([(40.0, 48.0), (36.0, 56.0), (42.0, 63.0), (37.0, 70.0), (40.0, 76.0)], 2.5, FREE)

    # Rest area (north): benches round a shade pergola (four posts).
    c.rect(74.0, 62.0, 90.0, 73.0, FREE)
    c.rect(80.5, 72.0, 83.5, 75.0, FREE)
    for bx, by in ((76.0, 64.0), (85.5, 64.0), (76.0, 70.0), (85.5, 70.0)):
        c.rect(bx, by, bx + 2.5, by + 0.6, OCCUPIED)
    for qx, qy in ((80.0, 65.5), (84.0, 65.5), (80.0, 69.5), (84.0, 69.5)):
        c.circle(qx, qy, 0.2, OCCUPIED)

    # Boundary fence along the edge of the map, 8 m main gate on the south side.
    room(c, (0.0, 0.0, 120.0, 80.0), 0.3, doors=[("s", 60.0, 8.0)], fill=None)
    return c


@dataclass(frozen=True)
class Site:
    """One site: how its map is drawn and where robots must not drive."""

    site_id: str
    draw: Callable[[], Canvas]
    no_go: tuple[Rect, ...] = field(default=())


SITES = (
    Site("city_hall", draw_city_hall),
    Site("ilwol_arboretum", draw_ilwol_arboretum, no_go=(ARBORETUM_STAIRS,)),
)


# --------------------------------------------------------------------------- map files
def write_map(site_id: str, canvas: Canvas) -> None:
    """Write maps/<site_id>.pgm (binary P5) and maps/<site_id>.yaml for nav2_map_server."""
    MAPS_DIR.mkdir(parents=True, exist_ok=True)
    header = f"P5\n{canvas.width} {canvas.height}\n255\n".encode("ascii")
    (MAPS_DIR / f"{site_id}.pgm").write_bytes(header + canvas.img.tobytes())
    (MAPS_DIR / f"{site_id}.yaml").write_text(
        f"image: {site_id}.pgm\n"
        "mode: trinary\n"
        f"resolution: {canvas.resolution}\n"
        "origin: [0.0, 0.0, 0.0]\n"
        "negate: 0\n"
        f"occupied_thresh: {OCCUPIED_THRESH}\n"
        f"free_thresh: {FREE_THRESH}\n",
        encoding="utf-8",
    )


def read_pgm(path: Path) -> np.ndarray:
    """Read a binary (P5, maxval 255) PGM, skipping '#' comments in the header."""
    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    magic, width, height, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic != b"P5" or maxval != 255:
        raise ValueError(f"{path}: expected a P5 PGM with maxval 255")
    pixels = np.frombuffer(data, dtype=np.uint8, count=width * height, offset=pos + 1)
    return pixels.reshape(height, width)


@dataclass(frozen=True)
class MapImage:
    """A loaded map: pixels plus the YAML's resolution and origin."""

    img: np.ndarray
    resolution: float
    origin: tuple[float, float]

    def pixel(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the pixel holding map point (x, y); may lie outside the image."""
        col = math.floor((x - self.origin[0]) / self.resolution)
        row = self.img.shape[0] - 1 - math.floor((y - self.origin[1]) / self.resolution)
        return row, col


def load_map(yaml_path: Path) -> MapImage:
    """Load a map_server YAML and its image."""
    meta = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    img = read_pgm(yaml_path.parent / meta["image"])
    return MapImage(img, float(meta["resolution"]), (meta["origin"][0], meta["origin"][1]))


# --------------------------------------------------------------------------- checks
def _disk_offsets(radius_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Row and column offsets of the pixels within radius_px of a pixel's centre."""
    r = math.ceil(radius_px)
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    inside = dy * dy + dx * dx <= radius_px * radius_px
    return dy[inside], dx[inside]


def _dilate(mask: np.ndarray, radius_px: float) -> np.ndarray:
    """Grow True cells by a disc; outside the image counts as True (off the map is blocked)."""
    r = math.ceil(radius_px)
    padded = np.pad(mask, r, constant_values=True)
    out = np.zeros_like(mask)
    h, w = mask.shape
    for dy, dx in zip(*_disk_offsets(radius_px), strict=True):
        out |= padded[r + dy : r + dy + h, r + dx : r + dx + w]
    return out


def _flood(passable: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """Cells 4-connected to seed through passable cells (breadth-first, numpy frontier)."""
    h, w = passable.shape
    flat = passable.ravel()
    seen = np.zeros(h * w, dtype=bool)
    frontier = np.array([seed[0] * w + seed[1]])
    seen[frontier] = True
    while frontier.size:
        row, col = np.divmod(frontier, w)
        nxt = np.concatenate(
            (
                frontier[row > 0] - w,
                frontier[row < h - 1] + w,
                frontier[col > 0] - 1,
                frontier[col < w - 1] + 1,
            )
        )
        nxt = np.unique(nxt)
        nxt = nxt[flat[nxt] & ~seen[nxt]]
        seen[nxt] = True
        frontier = nxt
    return seen.reshape(h, w)


def _schema_errors(site_id: str, doc: dict) -> list[str]:
    """Problems with a site file's fields (not its geometry)."""
    errors = []
    for key in ("site_id", "name_ko", "name_en", "timezone", "map", "places"):
        if key not in doc:
            errors.append(f"{site_id}: missing '{key}'")
    if doc.get("site_id") != site_id:
        errors.append(f"{site_id}: site_id is {doc.get('site_id')!r}, expected the file name")
    for pid, place in (doc.get("places") or {}).items():
        if not PLACE_ID.match(str(pid)):
            errors.append(f"{site_id}/{pid}: place id must be lower_snake_case ASCII")
        missing = [k for k in PLACE_KEYS if k not in place]
        if missing:
            errors.append(f"{site_id}/{pid}: missing {', '.join(missing)}")
            continue
        if place["kind"] not in PLACE_KINDS:
            errors.append(f"{site_id}/{pid}: unknown kind {place['kind']!r}")
        # 1e-3 slack so pi written to four decimals (3.1416) is accepted.
        if abs(float(place["yaw"])) > math.pi + 1e-3:
            errors.append(f"{site_id}/{pid}: yaw {place['yaw']} is outside [-pi, pi]")
        if not isinstance(place["aliases"], list):
            errors.append(f"{site_id}/{pid}: aliases must be a list")
        if "floor" in place and not isinstance(place["floor"], int):
            errors.append(f"{site_id}/{pid}: floor must be an integer")
    return errors


def check_site(site: Site) -> list[str]:
    """Check one site file against its map; return the problems found (empty when fine)."""
    site_path = SITES_DIR / f"{site.site_id}.yaml"
    if not site_path.exists():
        return [f"{site.site_id}: {site_path} does not exist"]
    doc = yaml.safe_load(site_path.read_text(encoding="utf-8"))
    errors = _schema_errors(site.site_id, doc)
    if errors:
        return errors
    m = load_map(MAPS_DIR / doc["map"])
    h, w = m.img.shape
    blocked = m.img != FREE  # unknown counts as blocked
    # Clearance: every pixel centre within 0.6 m (+ half a pixel) of the place must be free.
    dys, dxs = _disk_offsets(PLACE_CLEARANCE_M / m.resolution + 0.5)
    # Reachability: flood fill over cells at least ROBOT_RADIUS_M from anything blocked.
    no_go = blocked.copy()
    for x0, y0, x1, y1 in site.no_go:
        r1, c0 = m.pixel(x0, y0)
        r0, c1 = m.pixel(x1, y1)
        no_go[max(r0, 0) : r1 + 1, max(c0, 0) : c1 + 1] = True
    passable = ~_dilate(no_go, ROBOT_RADIUS_M / m.resolution)

    places = doc["places"]
    cells = {}
    for pid, place in places.items():
        row, col = m.pixel(float(place["x"]), float(place["y"]))
        rows, cols = row + dys, col + dxs
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        if not inside.all():
            errors.append(f"{site.site_id}/{pid}: within {PLACE_CLEARANCE_M} m of the map edge")
        elif blocked[rows, cols].any():
            errors.append(
                f"{site.site_id}/{pid}: less than {PLACE_CLEARANCE_M} m clearance "
                f"at ({place['x']}, {place['y']})"
            )
        else:
            cells[pid] = (row, col)
    # Group the places by connected region; the region holding most places is the site, and
    # every place elsewhere is reported (so one bad place cannot hide the others).
    regions: list[tuple[np.ndarray, list[str]]] = []
    for pid, cell in cells.items():
        if not passable[cell]:
            errors.append(
                f"{site.site_id}/{pid}: not drivable with {ROBOT_RADIUS_M} m clearance "
                "(too narrow, or on a no-go area such as stairs)"
            )
            continue
        for reached, members in regions:
            if reached[cell]:
                members.append(pid)
                break
        else:
            regions.append((_flood(passable, cell), [pid]))
    regions.sort(key=lambda region: -len(region[1]))
    for _, members in regions[1:]:
        for pid in members:
            errors.append(
                f"{site.site_id}/{pid}: not reachable from {regions[0][1][0]} with "
                f"{ROBOT_RADIUS_M} m clearance"
            )
    return errors


def check_sites() -> list[str]:
    """Check every site file; return the problems (each naming its site and place)."""
    errors = []
    for site in SITES:
        errors += check_site(site)
    return errors


# --------------------------------------------------------------------------- preview
def render(site: Site, out_dir: Path, scale: int) -> Path:
    """Write <site_id>.png: the map with the no-go areas, places, headings and ids."""
    from PIL import Image, ImageDraw, ImageFont  # only needed for previews

    doc = yaml.safe_load((SITES_DIR / f"{site.site_id}.yaml").read_text(encoding="utf-8"))
    m = load_map(MAPS_DIR / doc["map"])
    rgb = np.stack([m.img] * 3, axis=-1)
    rgb[m.img == UNKNOWN] = (170, 190, 210)
    im = Image.fromarray(rgb).resize((m.img.shape[1] * scale, m.img.shape[0] * scale))
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size=11)
    px_per_m = scale / m.resolution

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x - m.origin[0]) * px_per_m, im.height - (y - m.origin[1]) * px_per_m

    for x0, y0, x1, y1 in site.no_go:
        (a, b), (c, d) = to_px(x0, y1), to_px(x1, y0)
        draw.rectangle((a, b, c, d), fill=(255, 170, 60))
    for pid, p in doc["places"].items():
        x, y, yaw = float(p["x"]), float(p["y"]), float(p["yaw"])
        u, v = to_px(x, y)
        tip = to_px(x + 0.8 * math.cos(yaw), y + 0.8 * math.sin(yaw))
        r = PLACE_CLEARANCE_M * px_per_m
        draw.ellipse((u - r, v - r, u + r, v + r), outline=(0, 160, 0))
        draw.line((u, v, *tip), fill=(0, 0, 255), width=2)
        draw.ellipse((u - 3, v - 3, u + 3, v + 3), fill=(220, 0, 0))
        draw.text((u + 5, v + 2), pid, fill=(200, 0, 0), font=font)
    out = out_dir / f"{site.site_id}.png"
    im.save(out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Draw and write the maps, then check the site files against them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-only", action="store_true", help="do not rewrite maps/")
    parser.add_argument("--render", type=Path, metavar="DIR", help="write preview PNGs here")
    args = parser.parse_args(argv)

    if not args.check_only:
        for site in SITES:
            canvas = site.draw()
            write_map(site.site_id, canvas)
            print(f"wrote maps/{site.site_id}.pgm ({canvas.width} x {canvas.height} px)")
    errors = check_sites()
    for error in errors:
        print(f"FAIL {error}", file=sys.stderr)
    if args.render:
        args.render.mkdir(parents=True, exist_ok=True)
        for site in SITES:
            scale = 2 if site.site_id == "city_hall" else 1
            print(f"rendered {render(site, args.render, scale)}")
    if errors:
        return 1
    print("all places clear and reachable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
