"""Laser ray casting: our numpy sphere tracer against MuJoCo's mj_multiRay, same scans.

The engine choice of issue #3, decided by measurement. Both cast 360 beams (30 m) from the
same poses on both site maps. MuJoCo gets the map as boxes (the Gazebo world generator's exact
cover of the occupied cells); our tracer uses the map's distance field. Accuracy is against
brute-force ray marching in 5 mm steps on the same grid.
"""

from __future__ import annotations

import math
import statistics
import time

import mujoco
import numpy as np

from suwon_fleet.core.sites import load_fleet
from suwon_sim.gazebo.worldgen import cover_rectangles
from suwon_sim.lidar import Lidar

POSES_PER_SITE = 10
REPEATS = 20


def mujoco_scene(grid) -> tuple[mujoco.MjModel, mujoco.MjData, int]:
    res = grid.resolution
    geoms = []
    for r0, r1, c0, c1 in cover_rectangles(grid.blocked):
        cx = grid.origin[0] + (c0 + c1) / 2 * res
        cy = grid.origin[1] + (r0 + r1) / 2 * res
        geoms.append(f'<geom type="box" pos="{cx} {cy} 0.5" '
                     f'size="{(c1 - c0) * res / 2} {(r1 - r0) * res / 2} 0.5"/>')
    xml = f"<mujoco><worldbody>{''.join(geoms)}</worldbody></mujoco>"
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)  # places the geoms; rays miss everything before this
    return model, data, len(geoms)


def mujoco_scan(model, data, x: float, y: float, yaw: float, beams: int = 360) -> np.ndarray:
    angles = -math.pi + 2 * math.pi / beams * np.arange(beams) + yaw
    vec = np.column_stack((np.cos(angles), np.sin(angles), np.zeros(beams))).ravel()
    dist = np.zeros(beams)
    geomid = np.zeros(beams, dtype=np.int32)
    mujoco.mj_multiRay(model, data, np.array([x, y, 0.5]), vec, None, True, -1, geomid, dist,
                       None, beams, 30.0)
    dist[dist < 0] = np.inf
    return dist


def brute_force(grid, x: float, y: float, angle: float) -> float:
    for k in range(1, 6000):
        d = k * 0.005
        row, col = grid.world_to_cell(x + d * math.cos(angle), y + d * math.sin(angle))
        if not grid.in_bounds(row, col) or grid.blocked[row, col]:
            return d
    return math.inf


def main() -> None:
    print("\nLaser scans, 360 beams x 30 m: ours (numpy sphere tracing) vs MuJoCo mj_multiRay\n")
    header = (f"{'site':<16}{'boxes':>7}{'ours ms/scan':>14}{'ours batch10':>14}"
              f"{'mujoco ms/scan':>16}{'ours err med':>14}{'mujoco err med':>16}")
    print(header)
    print("-" * len(header))
    for site in load_fleet().sites.values():
        grid = site.map
        lidar = Lidar(grid)
        model, data, boxes = mujoco_scene(grid)
        places = list(site.places.values())[:POSES_PER_SITE]
        poses = np.array([[p.x, p.y, 0.3] for p in places])
        t0 = time.perf_counter()
        for _ in range(REPEATS):
            ours = [lidar.scan(*pose) for pose in poses]
        single = (time.perf_counter() - t0) / (REPEATS * len(poses)) * 1000
        t0 = time.perf_counter()
        for _ in range(REPEATS):
            lidar.scan_many(poses, [None] * len(poses))
        batch = (time.perf_counter() - t0) / (REPEATS * len(poses)) * 1000
        t0 = time.perf_counter()
        for _ in range(REPEATS):
            theirs = [mujoco_scan(model, data, *pose) for pose in poses]
        mj = (time.perf_counter() - t0) / (REPEATS * len(poses)) * 1000
        err_ours, err_mj = [], []
        for k, (x, y, yaw) in enumerate(poses[:3]):
            for i in range(0, 360, 6):
                truth = brute_force(grid, x, y, yaw - math.pi + i * 2 * math.pi / 360)
                if math.isfinite(truth) and truth < 30:
                    err_ours.append(abs(float(ours[k][i]) - truth))
                    err_mj.append(abs(float(theirs[k][i]) - truth))
        print(f"{site.site_id:<16}{boxes:>7}{single:>14.3f}{batch:>14.3f}{mj:>16.3f}"
              f"{statistics.median(err_ours):>13.3f}m{statistics.median(err_mj):>15.3f}m")
    print("\nours batch10: per scan when ten robots' scans are cast together, as the simulator "
          "does.\nThe simulator uses ours where it is faster; see the README for the decision.\n")


if __name__ == "__main__":
    main()
