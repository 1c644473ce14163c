"""Maps made up on the spot, for testing and benchmarking on sites nobody has drawn.

``random_building`` lays a grid of rooms with a door in every inner wall and furniture
scattered about, from a seed, and writes it in the map_server format (YAML + PGM).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

FREE, OCCUPIED = 254, 0


def random_building(width_m: float, height_m: float, resolution: float, seed: int,
                    room_m: float = 10.0, door_m: float = 1.6, furniture: int = 40
                    ) -> np.ndarray:
    """Pixels (row 0 = top, map_server's orientation) of a seeded random floor plan."""
    rng = np.random.default_rng(seed)
    rows, cols = round(height_m / resolution), round(width_m / resolution)
    pixels = np.full((rows, cols), FREE, dtype=np.uint8)
    wall = max(1, round(0.2 / resolution))
    door = round(door_m / resolution)
    pixels[:wall, :] = pixels[-wall:, :] = pixels[:, :wall] = pixels[:, -wall:] = OCCUPIED
    room = round(room_m / resolution)
    for x in range(room, cols - wall, room):  # vertical walls, one door per room they bound
        pixels[:, x:x + wall] = OCCUPIED
        for y0 in range(0, rows, room):
            d = y0 + int(rng.integers(wall + 1, max(wall + 2, min(room, rows - y0) - door - 1)))
            pixels[d:d + door, x:x + wall] = FREE
    for y in range(room, rows - wall, room):  # horizontal walls
        pixels[y:y + wall, :] = OCCUPIED
        for x0 in range(0, cols, room):
            d = x0 + int(rng.integers(wall + 1, max(wall + 2, min(room, cols - x0) - door - 1)))
            pixels[y:y + wall, d:d + door] = FREE
    for _ in range(furniture):
        h, w = rng.integers(round(0.4 / resolution), round(1.5 / resolution), size=2)
        r, c = rng.integers(0, rows - h), rng.integers(0, cols - w)
        pixels[r:r + h, c:c + w] = OCCUPIED
    return pixels


def write_map(pixels: np.ndarray, resolution: float, folder: Path, name: str) -> Path:
    """Write ``name.pgm`` and ``name.yaml`` as map_server reads them; returns the YAML path."""
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode="L").save(folder / f"{name}.pgm")
    path = folder / f"{name}.yaml"
    path.write_text(f"image: {name}.pgm\nmode: trinary\nresolution: {resolution}\n"
                    "origin: [0.0, 0.0, 0.0]\nnegate: 0\noccupied_thresh: 0.65\n"
                    "free_thresh: 0.196\n")
    return path
