"""Small builders shared by the unit tests."""

from __future__ import annotations

import numpy as np

from suwon_fleet.core.maps import OccupancyMap


def room_map(width_m: float = 10.0, height_m: float = 6.0, resolution: float = 0.05,
             walls: list[tuple[float, float, float, float]] | None = None) -> OccupancyMap:
    """A walled room; ``walls`` adds (x0, y0, x1, y1) blocks in metres."""
    rows, cols = round(height_m / resolution), round(width_m / resolution)
    occupied = np.zeros((rows, cols), dtype=bool)
    occupied[:2, :] = occupied[-2:, :] = occupied[:, :2] = occupied[:, -2:] = True
    for x0, y0, x1, y1 in walls or []:
        occupied[round(y0 / resolution):round(y1 / resolution),
                 round(x0 / resolution):round(x1 / resolution)] = True
    return OccupancyMap(resolution, (0.0, 0.0, 0.0), occupied, np.zeros_like(occupied))
