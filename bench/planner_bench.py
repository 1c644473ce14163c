"""Global planning time on the site maps, against networkx A* on the same grid and queries.

Both planners search the same inflated, coarsened occupancy grid (8-connected, same octile
heuristic), so the comparison is of implementations, not of problems. Path length is reported
relative to networkx's optimal grid path (< 1.0 means the any-angle smoothing made it shorter).
Issue #3 sets the targets: median <= 20 ms on the site maps.
"""

from __future__ import annotations

import math
import random
import statistics
import time

import networkx as nx
import numpy as np

from suwon_fleet.core.geometry import path_length
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.navigation.planner import GridPlanner

QUERIES = 50
REFERENCE_QUERIES = 10  # networkx is slow on large grids; fewer queries, same pairs
SEED = 7


def grid_graph(planner: GridPlanner) -> nx.Graph:
    blocked = planner.blocked
    graph = nx.Graph()
    rows, cols = blocked.shape
    free = np.argwhere(~blocked)
    for r, c in free:
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
            nr, nc = r + dr, c + dc
            if not (0 <= nr < rows and 0 <= nc < cols) or blocked[nr, nc]:
                continue
            if dr and dc and (blocked[r, nc] or blocked[nr, c]):
                continue
            graph.add_edge((int(r), int(c)), (int(nr), int(nc)),
                           weight=math.sqrt(2.0) if dr and dc else 1.0)
    return graph


def random_pairs(planner: GridPlanner, graph: nx.Graph, count: int) -> list:
    rng = random.Random(SEED)
    # Only pairs in the largest connected region, so every query has an answer.
    region = max(nx.connected_components(graph), key=len)
    cells = sorted(region)
    return [(planner.to_world(*rng.choice(cells)), planner.to_world(*rng.choice(cells)))
            for _ in range(count)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    fleet = load_fleet()
    rows = []
    for site in fleet.sites.values():
        planner = GridPlanner(site.map, 0.25)
        graph = grid_graph(planner)
        pairs = random_pairs(planner, graph, QUERIES)
        ours, lengths = [], []
        for start, goal in pairs:
            t0 = time.perf_counter()
            path = planner.plan(start, goal)
            ours.append((time.perf_counter() - t0) * 1000)
            lengths.append(path_length(path))
        ref, ratios = [], []
        for (start, goal), length in zip(pairs[:REFERENCE_QUERIES], lengths, strict=False):
            s, g = planner.to_cell(*start), planner.to_cell(*goal)
            t0 = time.perf_counter()
            cells = nx.astar_path(graph, s, g, weight="weight",
                                  heuristic=lambda a, b: math.dist(a, b))
            ref.append((time.perf_counter() - t0) * 1000)
            optimal = path_length([planner.to_world(*c) for c in cells])
            if optimal > 0.5:
                ratios.append(length / optimal)
        same_pairs = statistics.median(ours[:REFERENCE_QUERIES])
        rows.append((site.site_id, planner.blocked.shape, statistics.median(ours),
                     percentile(ours, 0.95), statistics.median(ref), percentile(ref, 0.95),
                     statistics.median(ref) / same_pairs,
                     statistics.mean(ratios) if ratios else float("nan")))

    print(f"\nGlobal planning time ({QUERIES} seeded random queries per site; "
          f"reference networkx A* on the first {REFERENCE_QUERIES}, same grid)\n")
    header = (f"{'site':<16} {'grid':>10} {'ours median':>12} {'ours p95':>9} "
              f"{'networkx median':>16} {'networkx p95':>13} {'speed-up':>9} "
              f"{'length/optimal':>15}")
    print(header)
    print("-" * len(header))
    for site_id, shape, med, p95, rmed, rp95, speedup, ratio in rows:
        print(f"{site_id:<16} {f'{shape[1]}x{shape[0]}':>10} {med:>10.1f}ms {p95:>7.1f}ms "
              f"{rmed:>14.1f}ms {rp95:>11.1f}ms {speedup:>8.2f}x {ratio:>15.3f}")
    print("\nspeed-up: networkx median / ours median on the same queries (> 1: ours is faster)")
    print("\nTarget (issue #3): median <= 20 ms on the site maps. "
          "Nav2's published figures for a ~75 m path: 113-243 ms.\n")


if __name__ == "__main__":
    main()
