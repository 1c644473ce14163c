"""Docent tours with real processes: the launcher's docent fleet, guests following in the sim.

One fleet (docent_1 alone at the arboretum, tests/system/docent_fleet.py) at REAL_TIME_FACTOR
x real time serves four short tours in turn, each from a known start (the robot is placed
there through the simulator's initialpose) with four simulated guests behind it:

* through the RunTour action: the group stops for a photo (the robot holds for it, then goes
  on), one guest lags (the tour goes on), staff pause it (a guest cannot resume it); every
  stop is narrated in order, the rating is stored, the estimate holds within 15%;
* as a fleet task, run by the robot agent, with Korean voice commands: pause, resume, skip,
  repeat, and an utterance it does not understand (a polite re-ask, the tour goes on); the
  tour guide is killed mid-tour and takes the tour up again once respawned;
* a stop closed off by a crowd: tried twice, then skipped with an apology; repeat and skip
  from the screen;
* the step-free course: the robot's driven path never enters the stairs or the steep slopes.
"""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import time

import pytest

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.docent.legs import near_polygon, route_touches
from suwon_fleet.docent.planning import RouteBook
from tests.system.docent_fleet import BLOCKING_CROWD, DocentFleet, Visitor

pytestmark = [pytest.mark.ros, pytest.mark.own_fleet]

REAL_TIME_FACTOR = 3.0
ESTIMATE_TOLERANCE = 0.15
RESPAWN_DELAY_S = 1.0  # the launcher brings a killed node back after this


@pytest.fixture(scope="module")
def docent(tmp_path_factory):
    fleet = DocentFleet(tmp_path_factory.mktemp("docent"), REAL_TIME_FACTOR,
                        respawn_delay=RESPAWN_DELAY_S)
    visitor = Visitor()
    visitor.site = load_fleet(fleet.root / "config" / "fleet.yaml").sites["ilwol_arboretum"]
    visitor.fleet = fleet
    yield visitor
    visitor.close()
    assert fleet.stop(), "nodes still running 15 s after Ctrl-C:\n" + fleet.log()


def begin(v: Visitor, place: str, guests: int = 4) -> Pose2D:
    """The robot idle at ``place`` with a group of guests right behind it."""
    v.wait(lambda: v.pose() is not None, 30, "the robot's state")
    if v.state() and not v.state().get("finished"):
        v.operator("cancel")  # a test that failed left its tour running
    v.wait(lambda: not v.state() or v.state().get("finished"), 30, "no tour under way")
    spot = v.site.places[place]
    v.guests(size=0)
    v.teleport(Pose2D(spot.x, spot.y, spot.yaw))
    v.guests(size=guests)
    time.sleep(0.3)
    v.clear()
    return v.wait(v.pose, 5, "the robot's state")


def phase(v: Visitor, stop: int | None = None) -> str:
    state = v.state()
    if not state or (stop is not None and state.get("stop") != stop):
        return ""
    return state.get("phase", "")


def standing_still(v: Visitor, wall_s: float = 1.0) -> float:
    """How far the robot moves in ``wall_s``."""
    before = v.pose()
    time.sleep(wall_s)
    after = v.pose()
    return math.hypot(after.x - before.x, after.y - before.y)


def first_occurrences(items: list[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def ratings(v: Visitor) -> list[tuple]:
    with sqlite3.connect(v.fleet.database) as db:
        return db.execute("SELECT course_id, rating, reason, stops_narrated FROM tour_ratings "
                          "ORDER BY id").fetchall()


def test_tour_waits_for_its_group_narrates_every_stop_in_order_and_keeps_its_estimate(
        docent) -> None:
    v = docent
    home = begin(v, "home_docent_1")
    _, result, feedback = v.run_tour("test_short")

    # Leg 1: once under way, the whole group stops for a photo. The robot holds, says so,
    # and goes on once they have caught up.
    v.wait(lambda: phase(v, 0) == "moving" and math.hypot(
        v.pose().x - home.x, v.pose().y - home.y) > 3.0, 40, "under way to stop 1")
    v.guests(hold_s=25)
    held = v.wait_said("I will wait a moment for everyone", 30, after=len(v.sayings()))
    v.wait(lambda: phase(v, 0) == "waiting_for_group", 5, "holding")
    time.sleep(0.4)  # braking
    assert standing_still(v) < 0.05, "the robot keeps going without its group"
    v.wait_said("Everyone is here", 40, after=held)
    v.wait(lambda: phase(v, 0) == "moving", 10, "on the way again")

    # Leg 2: one guest lags behind; the others follow, so the robot goes on.
    v.wait(lambda: phase(v, 1) == "moving", 60, "under way to stop 2")
    leg2 = len(v.sayings())
    v.guests(straggler_s=20)
    arrived = v.wait_said("This is the herb garden", 60, after=leg2)
    assert not any("wait a moment" in s for s in v.sayings()[leg2:arrived]), v.sayings()

    # Leg 3: staff pause the tour; a guest cannot resume it, staff can.
    v.wait(lambda: phase(v, 2) == "moving", 30, "under way to stop 3")
    v.operator("pause")
    paused = v.wait_said("Staff have paused", 10)
    v.wait(lambda: phase(v, 2) == "paused", 5, "paused")
    time.sleep(0.4)
    assert standing_still(v) < 0.05, "the robot moves while staff hold the tour"
    v.say("continue", source="touch")
    v.wait_said("Staff have paused", 10, after=paused + 1)
    assert phase(v, 2) == "paused"
    v.operator("resume")
    v.wait(lambda: phase(v, 2) in ("moving", "waiting_for_group", "narrating"), 10, "resumed")

    v.wait(lambda: phase(v) == "rating", 90, "asked for a rating")
    v.say("rating:4", source="touch")
    answer = v.wait(lambda: result.done() and result.result(), 30, "the tour's result").result
    assert answer.success and answer.stops_completed == 3 and answer.stops_skipped == 0, answer

    assert first_occurrences(v.narrations()) == [
        "This is the main junction.", "This is the herb garden.", "Ahead is the greenhouse."]
    assert {f.phase for f in feedback} >= {"narrating", "moving", "waiting_for_group", "paused"}
    assert feedback[-1].total_stops == 3
    assert ratings(v)[-1] == ("test_short", 4, "completed", 3)

    # The estimate told to the guests against the tour's simulated length, without the time
    # the guests themselves took (the photo stop and the staff's pause).
    final = v.wait(lambda: v.state().get("result"), 10, "the final state")
    net = final["duration_s"] - final["waited_for_group_s"] - final["paused_s"]
    assert final["waited_for_group_s"] > 5.0
    assert abs(net - final["estimate_s"]) <= ESTIMATE_TOLERANCE * final["estimate_s"], final


def test_tour_as_a_fleet_task_obeys_korean_voice_commands(docent) -> None:
    v = docent
    begin(v, "home_docent_1")
    task_id = v.submit_tour("test_short")
    v.wait(lambda: any(mode == "touring" for _, _, mode in v.poses), 20, "the agent touring")

    v.wait(lambda: phase(v, 0) == "moving", 30, "under way to stop 1")
    v.say("잠깐 멈춰 주세요")
    v.wait_said("The tour is paused", 10)
    v.wait(lambda: phase(v, 0) == "paused", 5, "paused")
    time.sleep(0.4)
    assert standing_still(v) < 0.05
    before = len(v.sayings())
    v.say("오늘 점심 메뉴가 뭐예요")  # not a tour command: asked again, politely
    v.wait_said("Sorry, I did not catch that", 10, after=before)
    assert phase(v, 0) == "paused"
    v.say("계속해 주세요")
    v.wait_said("Let us carry on", 10)
    v.wait(lambda: phase(v, 0) in ("moving", "waiting_for_group"), 10, "going on")

    # The tour guide is killed on the way to stop 2: respawned, sent its goal again by the
    # agent, it takes the tour up where it was (no second introduction), and the task goes on.
    v.wait(lambda: phase(v, 1) == "moving", 60, "under way to stop 2")
    os.kill(v.fleet.pid_of("suwon_fleet.docent.tour_node"), signal.SIGKILL)
    v.wait_said("Back to the tour: on to the Herb garden", 40)

    v.wait(lambda: phase(v, 1) == "dwelling", 60, "the herb garden described")
    v.say("다시 한 번 설명해 주세요")
    v.wait(lambda: v.narrations().count("This is the herb garden.") == 2, 10, "said again")

    v.wait(lambda: phase(v, 2) == "moving", 30, "under way to stop 3")
    v.say("다음으로 넘어가 주세요")
    v.wait_said("We will skip the Exhibition greenhouse", 10)

    v.wait(lambda: phase(v) == "rating", 60, "asked for a rating")
    v.say("다섯 점이요")
    done = v.wait(lambda: (t := v.task(task_id)) is not None and t.status in (
        "completed", "failed", "canceled") and t, 30, "the task finished")
    assert done.status == "completed", done.message
    assert v.narrations() == ["This is the main junction.", "This is the herb garden.",
                              "This is the herb garden."]
    assert sum("Hello, I am the docent robot" in s for s in v.sayings()) == 1
    assert ratings(v)[-1] == ("test_short", 5, "completed", 2)
    # The agent relays the tour as its task's progress: "k/n stop, m min left".
    messages = [f.message for f in v.task_feedback]
    assert any(m.startswith("1/3 중앙길 갈림길 · Main axis junction, ") and m.endswith("min left")
               for m in messages), messages[:5]
    assert any(m.startswith("3/3 전시온실 · Exhibition greenhouse") for m in messages)
    progress = [f.progress for f in v.task_feedback]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    v.wait(lambda: v.poses[-1][2] == "idle", 10, "the agent idle again")


def test_a_course_chosen_by_korean_voice_starts_as_a_fleet_task(docent) -> None:
    """No tour under way: the guest asks for a recommendation, answers the robot's questions,
    hears the best course with its reasons, says yes, and the tour starts as a fleet task."""
    v = docent
    assert v.tours.wait_for_server(timeout_sec=30), "no tour guide"  # it hears the guest
    begin(v, "home_docent_1")
    with v.lock:
        before = set(v.tasks)
    v.say("코스 추천해 주세요")
    v.wait_said("How much time do you have", 10)
    v.say("삼십 분이요")
    v.wait_said("wheelchair", 10)
    v.say("아니요")
    offered = v.wait_said("I recommend the", 30)
    offer = v.sayings()[offered]
    v.say("네")

    def new_task():
        with v.lock:
            return next((t for k, t in v.tasks.items() if k not in before), None)

    task = v.wait(new_task, 20, "the chosen course as a fleet task")
    assert task.request.type == "run_tour" and task.request.requester == "voice:docent_1"
    assert v.site.tours[task.request.tour_id].name_en in offer, (task.request.tour_id, offer)
    v.wait(lambda: any(mode == "touring" for _, _, mode in v.poses), 20, "the agent touring")
    v.operator("cancel")
    v.wait(lambda: (t := v.task(task.task_id)) is not None and t.status in (
        "completed", "failed", "canceled"), 30, "the tour ended")


def test_between_tours_a_guest_is_walked_to_the_restroom(docent) -> None:
    v = docent
    assert v.tours.wait_for_server(timeout_sec=30), "no tour guide"
    begin(v, "home_docent_1")
    with v.lock:
        before = set(v.tasks)
    v.say("화장실 어디예요")
    v.wait_said("Shall I take you?", 10)
    v.say("네")

    def finished():
        with v.lock:
            task = next((t for k, t in v.tasks.items() if k not in before), None)
        return task if task and task.status in ("completed", "failed", "canceled") else None

    task = v.wait(finished, 90, "the walk to the restroom")
    assert task.request.type == "guide_visitor" and task.request.place == "restroom"
    assert task.status == "completed", task.message
    v.wait_said("Here we are: Restrooms", 10)


def test_a_stop_closed_off_by_a_crowd_is_skipped_with_an_apology(docent) -> None:
    v = docent
    begin(v, "home_docent_1")
    v.guests(**BLOCKING_CROWD)  # in the visitor centre's door: no way to the first aid room
    try:
        _, result, _ = v.run_tour("test_blocked")
        v.wait(lambda: phase(v, 0) == "dwelling", 60, "the visitor centre described")
        v.say("repeat", source="touch")
        v.wait(lambda: v.narrations().count("This is the visitor centre.") == 2, 10,
               "said again")
        v.wait_said("The path is blocked, so we will take another way", 60)
        v.wait_said("the way to the First aid room is blocked", 60)
        v.wait(lambda: phase(v, 2) == "moving", 10, "on to the next stop")
        v.say("skip", source="touch")
        v.wait_said("We will skip the Main gate", 10)
        v.wait(lambda: phase(v) == "rating", 30, "asked for a rating")
        v.say("end", source="touch")  # no rating, thanks
        answer = v.wait(lambda: result.done() and result.result(), 30, "result").result
    finally:
        v.guests(crowd_at=None)
    assert answer.success and answer.stops_completed == 1 and answer.stops_skipped == 2, answer
    final = v.wait(lambda: v.state().get("result"), 10, "the final state")
    assert [(s["place"], s["status"], s["reason"]) for s in final["stops"]] == [
        ("visitor_centre", "narrated", ""), ("first_aid", "skipped", "blocked"),
        ("main_gate", "skipped", "guest")]
    assert final["replanning_s"] > 0 and final["rating"] is None


def test_step_free_course_never_drives_through_stairs_or_steep_slopes(docent) -> None:
    v = docent
    site = v.site
    barriers = site.step_free_barriers
    rose, herb = site.places["rose_garden"], site.places["herb_garden"]
    # The test means something: the shortest way from the rose garden to the herb garden
    # climbs the steep east slope.
    direct = RouteBook(site).route((rose.x, rose.y), (herb.x, herb.y))
    assert route_touches(direct, barriers, margin=0.0)

    begin(v, "rose_garden")
    _, result, _ = v.run_tour("test_step_free")
    v.wait(lambda: phase(v) == "rating", 150, "asked for a rating")
    v.say("5")
    answer = v.wait(lambda: result.done() and result.result(), 30, "result").result
    assert answer.success and answer.stops_completed == 1, answer
    assert v.narrations() == ["Here is the herb garden."]
    with v.lock:
        driven = [pose for _, pose, _ in v.poses]
    assert len(driven) > 100
    radius = load_fleet(v.fleet.root / "config" / "fleet.yaml").robots["docent_1"].radius
    # The robot's centre keeps out of every zone, and its body all but a few centimetres
    # (pure pursuit cuts corners a little inside the planned clearance).
    inside = [(round(p.x, 1), round(p.y, 1)) for p in driven
              for poly in barriers if near_polygon(p.x, p.y, poly, radius - 0.1)]
    assert not inside, f"the robot entered a stairs/steep zone at {inside[:5]}"
    assert min(math.hypot(p.x - herb.x, p.y - herb.y) for p in driven) < 0.5
