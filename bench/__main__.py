"""Run every benchmark: ``python -m bench`` (or ``make bench``)."""

from bench import planner_bench

if __name__ == "__main__":
    planner_bench.main()
