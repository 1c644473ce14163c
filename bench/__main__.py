"""Run every benchmark: ``python -m bench`` (or ``make bench``). Each prints its table.

One only: ``python -m bench.web_bench`` (any module of this folder)."""

from bench import (
    fleet_bench,
    intent_audio_bench,
    intent_bench,
    lidar_bench,
    planner_bench,
    sim_bench,
    speech_bench,
    tour_bench,
    tour_sim_bench,
    web_bench,
)

if __name__ == "__main__":
    planner_bench.main()
    lidar_bench.main()
    sim_bench.main()
    fleet_bench.main()
    web_bench.main()
    intent_bench.main()
    speech_bench.main()  # about 10 min: 40 phrases x 3 noise levels through vosk
    intent_audio_bench.main([])  # about 15 min on 2 cores: 296 utterances x 3 noise levels
    tour_bench.main()
    tour_sim_bench.main([])  # 50 seeded tours in the closed-loop simulator
