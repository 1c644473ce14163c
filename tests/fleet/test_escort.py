"""The escort's rules, tick by tick: lead, wait for a visitor who falls behind, go on, give up."""

from __future__ import annotations

from suwon_fleet.fleet.escort import EscortConfig, EscortEvent, EscortMonitor

CONFIG = EscortConfig()


def run(monitor: EscortMonitor, start: float, end: float, nearest: float | None,
        step: float = 0.1) -> list[tuple[float, EscortEvent]]:
    """Feed one observation per step (None = nobody behind) and collect the events."""
    events = []
    for i in range(round((end - start) / step)):
        t = round(start + i * step, 6)
        monitor.observe(t, 0 if nearest is None else 1, nearest)
        event = monitor.update(t)
        if event is not None:
            events.append((round(t, 1), event))
    return events


def test_a_follower_is_led_without_stopping() -> None:
    m = EscortMonitor(0.0)
    assert run(m, 0.0, 120.0, 1.5) == []
    assert not m.waiting and m.waited_s == 0.0


def test_nobody_behind_during_the_start_grace_is_not_judged() -> None:
    m = EscortMonitor(0.0)
    assert run(m, 0.0, CONFIG.start_grace_s - 0.1, None) == []
    # Falls in behind just in time: never waits.
    assert run(m, CONFIG.start_grace_s - 0.1, 60.0, 1.8) == []


def test_falls_behind_then_catches_up() -> None:
    m = EscortMonitor(0.0)
    run(m, 0.0, 20.0, 1.5)
    events = run(m, 20.0, 30.0, 6.0)  # stopped to read a sign, 6 m back
    assert events == [(20.0 + CONFIG.lag_grace_s, EscortEvent.WAIT)]
    assert m.waiting
    # 3 m is nearer than behind_m but not caught up yet (hysteresis): still waiting
    assert run(m, 30.0, 35.0, 3.0) == []
    events = run(m, 35.0, 40.0, 2.0)
    assert events == [(35.0 + CONFIG.rejoin_s, EscortEvent.GO_ON)]
    assert not m.waiting and abs(m.waited_s - (35.0 + CONFIG.rejoin_s - 22.0)) < 0.2


def test_one_bad_scan_does_not_stop_the_robot() -> None:
    m = EscortMonitor(0.0)
    run(m, 0.0, 20.0, 1.5)
    assert run(m, 20.0, 21.0, None) == []  # under lag_grace_s
    assert run(m, 21.0, 40.0, 1.5) == []


def test_waiting_reminds_then_gives_up() -> None:
    m = EscortMonitor(0.0)
    events = run(m, 0.0, 200.0, None)
    kinds = [e for _, e in events]
    wait_at = CONFIG.start_grace_s + CONFIG.lag_grace_s
    assert events[0] == (wait_at, EscortEvent.WAIT)
    assert kinds.count(EscortEvent.REMIND) == int(CONFIG.give_up_s // CONFIG.remind_s) - (
        1 if CONFIG.give_up_s % CONFIG.remind_s == 0 else 0)
    assert events[-1] == (wait_at + CONFIG.give_up_s, EscortEvent.GIVE_UP)
    assert m.ended and run(m, 200.0, 210.0, 1.0) == []


def test_a_silent_laser_keeps_the_current_state() -> None:
    m = EscortMonitor(0.0)
    run(m, 0.0, 20.0, 1.5)
    assert all(m.update(t / 10) is None for t in range(200, 600))  # no scans for 40 s
    assert not m.waiting
