"""Escorting a visitor (a guide_visitor task): lead at walking pace, wait when they fall behind.

ROS-free; the robot agent feeds it the people its laser sees with it (perception/rear_people.py's
FollowerWatch: behind or right beside it while it walks, all round while it waits) and the
time, and carries out what it returns. Rules:

- the visitor gets ``start_grace_s`` to fall in behind the robot before anything is judged
  (they were standing in front of its screen when they said yes);
- the nearest person behind farther than ``behind_m`` (or nobody) for ``lag_grace_s``: the
  robot stops and says it will wait; within ``caught_up_m`` for ``rejoin_s``: it goes on;
- while it waits it calls out every ``remind_s``; after ``give_up_s`` of waiting the visitor
  is taken to have gone elsewhere and the escort ends (the task fails with that reason, and
  the fleet sends the robot home as for any idle robot);
- observations older than ``stale_s`` say nothing (a laser that stopped never strands a
  visitor half way: the robot keeps its current state).

The docent's tour runner (docent/runner.py) keeps a whole group together the same way, with
distances for a group rather than one person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class EscortConfig:
    pace_mps: float = 0.7  # speed cap while leading: a slow, elderly walking pace
    start_grace_s: float = 8.0
    behind_m: float = 4.0
    # Caught up: within 2 m for 2 s. Anyone behind the robot counts (the laser cannot tell the
    # visitor from a passer-by), and someone crossing behind it is gone again within 2 s.
    caught_up_m: float = 2.0
    lag_grace_s: float = 2.0
    rejoin_s: float = 2.0
    remind_s: float = 20.0
    give_up_s: float = 90.0
    stale_s: float = 3.0


class EscortEvent(Enum):
    WAIT = "wait"  # stop and tell the visitor the robot waits for them
    GO_ON = "go_on"  # they caught up: drive on
    REMIND = "remind"  # still waiting: call out again
    GIVE_UP = "give_up"  # waited too long: end the escort


@dataclass(frozen=True)
class Words:
    ko: str
    en: str


WORDS = {
    EscortEvent.WAIT: Words("천천히 오세요. 여기서 기다릴게요.",
                            "Take your time. I will wait for you here."),
    EscortEvent.GO_ON: Words("다시 출발할게요. 저를 따라오세요.",
                             "Let us go on. Please follow me."),
    EscortEvent.REMIND: Words("여기예요! 오시면 다시 안내해 드릴게요.",
                              "Over here! I will go on when you are with me."),
    EscortEvent.GIVE_UP: Words("안내를 마칩니다. 도움이 필요하시면 종합안내데스크로 와 주세요.",
                               "I will stop guiding now. Please come to the information desk "
                               "if you need help."),
}


class EscortMonitor:
    def __init__(self, start_s: float, config: EscortConfig | None = None) -> None:
        self.config = config or EscortConfig()
        self.started_s = start_s
        self.waiting = False
        self.waited_s = 0.0  # total, for the task's record
        self._behind: bool | None = None  # the latest judgement, before the grace periods
        self._since = start_s  # ...held since then
        self._observed_s = float("-inf")
        self._wait_started_s = 0.0
        self._reminded_s = 0.0
        self.ended = False

    def observe(self, now: float, count: int, nearest_m: float | None) -> None:
        """People behind the robot in one scan (through the detector's memory)."""
        limit = self.config.caught_up_m if self.waiting else self.config.behind_m
        behind = not (count > 0 and nearest_m is not None and nearest_m <= limit)
        if behind != self._behind:
            self._behind, self._since = behind, now
        self._observed_s = now

    def update(self, now: float) -> EscortEvent | None:
        """What to do now (call often, e.g. at 10 Hz); None = carry on."""
        c = self.config
        if self.ended or now - self.started_s < c.start_grace_s:
            return None
        if self._behind is None or now - self._observed_s > c.stale_s:
            return self._check_give_up(now)
        held = now - max(self._since, self.started_s + c.start_grace_s)
        if not self.waiting and self._behind and held >= c.lag_grace_s:
            self.waiting = True
            self._wait_started_s = self._reminded_s = now
            return EscortEvent.WAIT
        if self.waiting and not self._behind and now - self._since >= c.rejoin_s:
            self.waiting = False
            self.waited_s += now - self._wait_started_s
            return EscortEvent.GO_ON
        return self._check_give_up(now)

    def _check_give_up(self, now: float) -> EscortEvent | None:
        if not self.waiting:
            return None
        if now - self._wait_started_s >= self.config.give_up_s:
            self.ended, self.waiting = True, False
            self.waited_s += now - self._wait_started_s
            return EscortEvent.GIVE_UP
        if now - self._reminded_s >= self.config.remind_s:
            self._reminded_s = now
            return EscortEvent.REMIND
        return None
