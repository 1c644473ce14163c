"""A tour between the robot's I/O and the runner (docent/session.py), on a fake clock.

Scans are real ray casts on the arboretum map (the simulator's lidar) with people as
circles, so the rear-people detector sees what it sees on the robot.
"""

from __future__ import annotations

import math

import numpy as np

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.planning import RouteBook, plan_tour
from suwon_fleet.docent.runner import FakeClock, Phase, RunnerConfig
from suwon_fleet.docent.session import (
    CancelDrive,
    Done,
    Drive,
    Hush,
    SessionConfig,
    Speak,
    Status,
    TourSession,
)
from suwon_fleet.perception.rear_people import Scan
from suwon_sim.lidar import Lidar

SITE = load_fleet().sites["ilwol_arboretum"]
ROUTES = RouteBook(SITE)
LIDAR = Lidar(SITE.map)
NO_WAITING = SessionConfig(runner=RunnerConfig(wait_for_group=False))


def session(course: str = "highlights_30", config: SessionConfig = NO_WAITING,
            pose: Pose2D | None = None) -> tuple[TourSession, FakeClock]:
    clock = FakeClock(1000.0)
    plan = plan_tour(SITE, course, "spring", "ko", ROUTES)
    s = TourSession(SITE, plan, clock, ROUTES, config)
    s.pose = pose or plan.start_pose
    return s, clock


def of(outputs: list, kind: type) -> list:
    return [o for o in outputs if isinstance(o, kind)]


def scan(pose: Pose2D, people: list[tuple[float, float]]) -> Scan:
    circles = np.array([(x, y, 0.25) for x, y in people]).reshape(-1, 3)
    spec = LIDAR.spec
    return Scan(spec.angle_min, spec.angle_increment,
                LIDAR.scan(pose.x, pose.y, pose.yaw, circles), spec.range_min, spec.range_max)


def advance(s: TourSession, clock: FakeClock, seconds: float, step: float = 0.1,
            people=None) -> list:
    """Tick the session for ``seconds``; ``people(pose)`` gives who the laser sees."""
    out = []
    for _ in range(round(seconds / step)):
        clock.advance(step)
        if people is not None:
            s.on_scan(scan(s.pose, people(s.pose)), s.pose)
        s.tick()
        out += s.drain()
    return out


def behind(pose: Pose2D, metres: float = 1.5) -> list[tuple[float, float]]:
    return [(pose.x - metres * math.cos(pose.yaw), pose.y - metres * math.sin(pose.yaw))]


def test_away_from_the_meeting_point_it_goes_there_before_the_intro() -> None:
    home = SITE.places["home_docent_1"]
    s, _clock = session(pose=Pose2D(home.x, home.y, home.yaw))
    s.start()
    out = s.drain()
    first = of(out, Drive)[0]
    assert first.request_id == 0 and first.purpose == "position"
    assert (first.poses[-1].x, first.poses[-1].y) == (s.plan.start_pose.x, s.plan.start_pose.y)
    assert "출발 장소" in of(out, Speak)[0].text.ko
    assert of(out, Status)[-1].phase == "moving"
    s.on_drive_done(0, "succeeded")
    out = s.drain()
    assert "안녕하세요" in of(out, Speak)[0].text.ko  # the intro, at the meeting point
    assert s.runner.phase is Phase.INTRO


def test_legs_go_at_the_courses_pace_and_step_free_legs_get_waypoints() -> None:
    s, clock = session("wheelchair")
    s.start()
    s.drain()
    drives = of(advance(s, clock, s.plan.intro_s + 0.5), Drive)
    assert drives and drives[0].pace == 0.6  # the wheelchair course's own pace
    s.pose = drives[0].poses[-1]
    s.on_drive_done(drives[0].request_id, "succeeded")
    out = s.drain() + advance(s, clock, s.plan.stops[0].at_stop_s + 1.0)
    second = of(out, Drive)[0]  # rose garden -> herb garden: round the steep slope
    assert len(second.poses) >= 2 and second.poses[-1] == s.plan.stops[1].pose


def test_estop_holds_the_tour_until_released_and_resumed_by_staff() -> None:
    s, clock = session()
    s.start()
    s.drain()
    drive = of(advance(s, clock, s.plan.intro_s + 0.5), Drive)[0]
    s.on_operator("estop")
    out = s.drain()
    assert of(out, CancelDrive) and "운영자" in of(out, Speak)[0].text.ko
    s.on_drive_done(drive.request_id, "failed", "emergency stop")  # not a blocked way
    assert s.on_heard("continue") is None and not of(s.drain(), Drive)  # nobody but staff
    s.on_operator("resume")
    assert not of(s.drain(), Drive)  # released first
    s.on_operator("release")
    s.on_operator("resume")
    again = of(s.drain(), Drive)
    assert again and again[0].poses[-1] == drive.poses[-1]
    assert s.runner.phase is Phase.NAVIGATING


def test_words_it_does_not_understand_get_a_polite_reask_and_the_tour_goes_on() -> None:
    s, clock = session()
    s.start()
    s.drain()
    advance(s, clock, s.plan.intro_s + 0.5)
    assert s.on_heard("blah blah") is None
    out = s.drain()
    assert "잘 알아듣지 못했어요" in of(out, Speak)[0].text.ko
    assert not of(out, CancelDrive) and s.runner.phase is Phase.NAVIGATING


def test_a_whole_tour_to_its_rating_with_done_after_the_last_status() -> None:
    s, clock = session()
    s.start()
    out = s.drain()
    rated = False
    for _ in range(20000):
        for drive in of(out, Drive):
            s.pose = drive.poses[-1]
            s.on_drive_done(drive.request_id, "succeeded")
        if not rated and s.runner.phase is Phase.RATING:
            assert s.on_heard("좋았어요") is None  # not a number of stars: asked again
            assert "1점부터 5점" in of(s.drain(), Speak)[0].text.ko
            assert s.on_heard("네 개요") == 4
            rated = True
        out = s.drain() + advance(s, clock, 1.0, step=1.0)
        if s.finished:
            break
    out += s.drain()
    assert s.finished and isinstance(out[-1], Done) and isinstance(out[-2], Status)
    assert out[-2].phase == "finished" and out[-2].stops_done == len(s.plan.stops)
    done = out[-1]
    assert done.success and done.result.rating == 4
    assert done.result.narrated_places == [stop.place for stop in s.plan.stops]
    assert of(out, Hush) == []


def test_the_group_is_looked_for_behind_while_walking_and_all_round_while_held() -> None:
    s, clock = session(config=SessionConfig())
    s.start()
    s.drain()
    advance(s, clock, s.plan.intro_s + 0.5, people=behind)
    assert s.runner.phase is Phase.NAVIGATING
    s.pose = Pose2D(60.0, 30.0, math.pi / 2)  # walking north on the main axis
    out = advance(s, clock, 2.0, people=behind)
    assert s.runner.phase is Phase.NAVIGATING and not of(out, CancelDrive)
    # Right beside the robot (guests letting it pass as it turns back) is with it...
    out = advance(s, clock, 4.0, people=lambda p: [(p.x + 1.5, p.y)])
    assert s.runner.phase is Phase.NAVIGATING and not of(out, CancelDrive)
    # ...three metres to the side is not following it: nobody behind, so it holds.
    aside = lambda p: [(p.x + 3.0, p.y)]  # noqa: E731
    out = advance(s, clock, 3.0, people=aside)  # 0.5 s to lose sight, 2 s of grace
    assert s.runner.phase is Phase.HELD and of(out, CancelDrive)
    # Held, it looks all round: guests who caught up within 3.5 m count, wherever they stand.
    out = advance(s, clock, 2.0, people=aside)
    assert s.runner.phase is Phase.NAVIGATING and of(out, Drive)


def test_a_restarted_tour_guide_takes_the_tour_up_where_it_was(tmp_path) -> None:
    from suwon_fleet.docent.progress import ProgressStore

    s, clock = session()
    s.start()
    out = s.drain()
    for _ in range(5000):  # until the first two stops are done
        for drive in of(out, Drive):
            s.pose = drive.poses[-1]
            s.on_drive_done(drive.request_id, "succeeded")
        out = s.drain() + advance(s, clock, 1.0, step=1.0)
        if s.runner.stops_done == 2:
            break
    saved = s.progress("highlights_30", "spring")
    assert saved.next_stop == 2 and len(saved.narrations) == 2
    store = ProgressStore(tmp_path / "fleet.db", "docent_1")
    store.save(saved)
    # The tour guide dies here; its successor finds the record and carries on.
    again = ProgressStore(tmp_path / "fleet.db", "docent_1").load(max_age_s=600)
    assert again == saved.__class__(**{**saved.__dict__, "updated_at": again.updated_at})
    s2, clock2 = session(pose=s.pose)
    s2.start(resume=again)
    out = s2.drain()
    assert "투어로 돌아갈게요" in of(out, Speak)[0].text.ko  # no second introduction
    assert of(out, Drive)[0].poses[-1] == s2.plan.stops[2].pose
    for _ in range(20000):
        for drive in of(out, Drive):
            s2.pose = drive.poses[-1]
            s2.on_drive_done(drive.request_id, "succeeded")
        if s2.runner.phase is Phase.RATING:
            s2.on_heard("5")
        out = s2.drain() + advance(s2, clock2, 1.0, step=1.0)
        if s2.finished:
            break
    result = s2.done.result
    assert result.narrations == [stop.place for stop in s2.plan.stops]  # each once
    assert result.duration_s > saved.elapsed_s
    store.clear()
    assert store.load(max_age_s=600) is None
