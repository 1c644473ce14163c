"""Simulator speed: real-time factor with 1, 5 and 10 robots, each publishing 360-beam scans
at 10 Hz (plus odometry and TF at 50 Hz, /clock at 100 Hz), on one core.

The simulator node runs in this process flat out (real_time_factor 0) on a copy of the City
Hall site with N robots. Reference in the same run: Nav2's loopback simulator runs at 1x by
design; the target (issue #3) is >= 20x with 10 robots.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import rclpy
import yaml
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter

from suwon_fleet.core import paths
from suwon_fleet.core.sites import load_fleet

MEASURE_S = 8.0


def fleet_with(n: int, workdir: Path) -> Path:
    root = paths.data_root()
    shutil.copytree(root / "maps", workdir / "maps", dirs_exist_ok=True)
    shutil.copytree(root / "config" / "sites", workdir / "config" / "sites",
                    dirs_exist_ok=True)
    site = load_fleet().sites["city_hall"]
    spots = [pid for pid, p in site.places.items() if p.kind not in ("dock",)]
    robots = {f"bot_{i}": {"site": "city_hall", "home": spots[i % len(spots)],
                           "dock": "dock_lobby_1"} for i in range(n)}
    path = workdir / "config" / "fleet.yaml"
    path.write_text(yaml.safe_dump({"fleet_name": "bench", "sites": ["city_hall"],
                                    "robots": robots,
                                    "simulation": {"visitors": {"city_hall": 0}}}))
    return path


def measure(n: int) -> tuple[float, float]:
    """(real-time factor, CPU cores used) of the simulator node with n robots."""
    from suwon_sim.simulator_node import SimulatorNode

    with tempfile.TemporaryDirectory() as tmp:
        fleet_file = fleet_with(n, Path(tmp))
        rclpy.init()
        try:
            node = SimulatorNode([Parameter("fleet_file", value=str(fleet_file)),
                                  Parameter("real_time_factor", value=0.0)])
            executor = SingleThreadedExecutor()
            executor.add_node(node)
            time.sleep(1.0)  # warm-up
            sim0, wall0, cpu0 = node.sim_time, time.monotonic(), time.process_time()
            end = wall0 + MEASURE_S
            while time.monotonic() < end:
                executor.spin_once(timeout_sec=0.05)
            sim1, wall1, cpu1 = node.sim_time, time.monotonic(), time.process_time()
            node.destroy_node()
        finally:
            rclpy.shutdown()
    return (sim1 - sim0) / (wall1 - wall0), (cpu1 - cpu0) / (wall1 - wall0)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    rows = [(n, *measure(n)) for n in (1, 5, 10)]
    print("\nSimulator real-time factor (one core; scans 360 beams at 10 Hz per robot)\n")
    print(f"{'robots':>7} {'real-time factor':>17} {'CPU (cores)':>12} {'vs loopback 1x':>15}")
    for n, rtf, cpu in rows:
        print(f"{n:>7} {rtf:>16.1f}x {cpu:>12.2f} {rtf / 1.0:>14.1f}x")
    print("\nTarget (issue #3): >= 20x real time with 10 robots on one core.\n")


if __name__ == "__main__":
    main()
