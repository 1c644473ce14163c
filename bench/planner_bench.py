"""Global planning time, against scikit-image and networkx on the same grids and queries.

Maps: both site maps, and a seeded 100 m x 100 m building at 5 cm (suwon_sim.mapgen).
Every planner searches the same inflated planning grid (0.1 m cells). Queries: seeded random
pairs of free cells in the largest connected region. Figures: median and p95 time, and our
path length relative to the optimal 8-connected grid path (scikit-image's route, < 1.0 where
our any-angle smoothing beats the grid). networkx is slow on large graphs, so it runs only on
the site maps and the first NETWORKX_QUERIES pairs; its speed-up column compares like for
like on those pairs. Targets (issue #3): median <= 20 ms on the site maps and <= 100 ms on the
100 m map; Nav2 publishes 113-243 ms for a ~75 m path (Smac, NavFn).
"""

from __future__ import annotations

import math
import random
import statistics
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.ndimage import label
from skimage.graph import route_through_array

from suwon_fleet.core.geometry import path_length
from suwon_fleet.core.maps import OccupancyMap, load_map
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.navigation.planner import GridPlanner
from suwon_sim.mapgen import random_building, write_map

QUERIES = 50
NETWORKX_QUERIES = 10
SEED = 7


def grid_graph(blocked: np.ndarray) -> nx.Graph:
    graph = nx.Graph()
    rows, cols = blocked.shape
    for r, c in np.argwhere(~blocked):
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
            nr, nc = r + dr, c + dc
            if not (0 <= nr < rows and 0 <= nc < cols) or blocked[nr, nc]:
                continue
            if dr and dc and (blocked[r, nc] or blocked[nr, c]):
                continue
            graph.add_edge((int(r), int(c)), (int(nr), int(nc)),
                           weight=math.sqrt(2.0) if dr and dc else 1.0)
    return graph


def query_pairs(planner: GridPlanner, count: int) -> list[tuple[tuple[int, int], ...]]:
    regions, _ = label(~planner.static_blocked, structure=np.ones((3, 3)))
    biggest = np.bincount(regions.ravel())[1:].argmax() + 1
    cells = np.argwhere(regions == biggest)
    rng = random.Random(SEED)
    return [(tuple(cells[rng.randrange(len(cells))]), tuple(cells[rng.randrange(len(cells))]))
            for _ in range(count)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_map(name: str, grid: OccupancyMap, with_networkx: bool) -> dict:
    planner = GridPlanner(grid, 0.25)
    pairs = query_pairs(planner, QUERIES)
    costs = np.where(planner.static_blocked, np.inf, 1.0)
    ours, skimage, ratios = [], [], []
    for a, b in pairs:
        start, goal = planner.to_world(*a), planner.to_world(*b)
        t0 = time.perf_counter()
        path = planner.plan(start, goal)
        ours.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        _, optimal_cells = route_through_array(costs, a, b, fully_connected=True,
                                               geometric=True)
        skimage.append((time.perf_counter() - t0) * 1000)
        if optimal_cells > 5:
            ratios.append(path_length(path) / (optimal_cells * planner.cell))
    row = {"map": name, "grid": f"{planner.blocked.shape[1]}x{planner.blocked.shape[0]}",
           "ours": ours, "skimage": skimage, "ratio": statistics.mean(ratios)}
    if with_networkx:
        graph = grid_graph(planner.static_blocked)
        nxt = []
        for a, b in pairs[:NETWORKX_QUERIES]:
            t0 = time.perf_counter()
            nx.astar_path(graph, a, b, heuristic=lambda u, v: math.dist(u, v), weight="weight")
            nxt.append((time.perf_counter() - t0) * 1000)
        row["networkx"] = nxt
    return row


def main() -> None:
    fleet = load_fleet()
    rows = [run_map(site.site_id, site.map, True) for site in fleet.sites.values()]
    with tempfile.TemporaryDirectory() as tmp:
        pixels = random_building(100.0, 100.0, 0.05, seed=1, furniture=150)
        big = load_map(write_map(pixels, 0.05, Path(tmp), "building_100m"))
    rows.append(run_map("building 100 m", big, False))

    print(f"\nGlobal planning time: {QUERIES} seeded random queries per map, 0.1 m planning "
          "grid, robot radius 0.25 m\n")
    header = (f"{'map':<16}{'grid':>10}{'ours med':>10}{'ours p95':>10}{'skimage med':>13}"
              f"{'skimage p95':>13}{'x skimage':>10}{'networkx med':>14}{'x networkx':>11}"
              f"{'length/opt':>11}")
    print(header)
    print("-" * len(header))
    for row in rows:
        med = statistics.median(row["ours"])
        sk = statistics.median(row["skimage"])
        p95, sk95 = percentile(row["ours"], 0.95), percentile(row["skimage"], 0.95)
        line = (f"{row['map']:<16}{row['grid']:>10}{med:>8.1f}ms{p95:>8.1f}ms"
                f"{sk:>11.1f}ms{sk95:>11.1f}ms{sk / med:>9.1f}x")
        if "networkx" in row:
            nxm = statistics.median(row["networkx"])
            same = statistics.median(row["ours"][:NETWORKX_QUERIES])
            line += f"{nxm:>12.1f}ms{nxm / same:>10.1f}x"
        else:
            line += f"{'-':>14}{'-':>11}"
        print(line + f"{row['ratio']:>11.3f}")
    print("\nx skimage / x networkx: their median / ours on the same queries (> 1: ours faster)."
          "\nlength/opt: our smoothed path / the optimal 8-connected grid path.\n"
          "Targets: median <= 20 ms (site maps), <= 100 ms (100 m map). "
          "Nav2 (Smac, NavFn): 113-243 ms for ~75 m.\n")


if __name__ == "__main__":
    main()
