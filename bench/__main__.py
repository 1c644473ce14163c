"""Run every benchmark: ``python -m bench`` (or ``make bench``). Each prints its table."""

from bench import fleet_bench, lidar_bench, planner_bench, sim_bench

if __name__ == "__main__":
    planner_bench.main()
    lidar_bench.main()
    sim_bench.main()
    fleet_bench.main()
