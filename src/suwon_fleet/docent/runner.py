"""The tour runner: a state machine a RunTour action server drives, free of ROS.

Inputs are method calls: ``start``, ``on_arrived``, ``on_navigation_failed``,
``on_group_observation``, ``on_command``, ``on_battery``, ``on_pose``, ``on_speech_done``,
``on_rating`` and ``tick`` (call it often, e.g. at 5-10 Hz). Time comes from an injected clock,
so the runner never sleeps and tests drive it with a fake one. Outputs queue up as small
records for the node to carry out, taken with ``drain()``: ``NavigateTo`` / ``StopMoving`` for
the navigation, ``Say`` / ``StopSpeaking`` for text-to-speech, ``Screen`` and ``Progress`` for
the touch screen and the action feedback, ``AskRating``, and ``Finished`` with the result.

A tour: the intro, then for each stop: navigate there (holding still, and saying so, while the
group following the robot falls behind), wait for the group to gather, narrate, dwell; then the
farewell and a 1-5 rating. Guests may pause, resume, skip, repeat, go back, end the tour, or ask
for the restroom (a detour there and back to where the tour left off) at any time. A blocked
way is tried once more by another route, then the stop is skipped with an apology. A low
battery ends the tour at the nearest sensible stop; a critical one ends it at once. Staff
(operator) pause and end outrank guests: a guest cannot resume an operator's pause.

The laser cannot tell the group from other visitors, so one person is not taken for the group
that fell behind: the runner learns how many people usually stand round it (at the intro and
at its stops) and, held for the group or gathering them at a stop, goes on when that many (up
to ``gathered_count``) are round it, within catch-up distance; with fewer, only after
``gather_patience_s`` (a guest may have left the group). A visitor walking past the waiting
robot, or standing by it at a stop, no longer starts the narration while the group is still
taking photos further back.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import Site
from suwon_fleet.core.tours import Language, Text
from suwon_fleet.docent import phrases
from suwon_fleet.docent.planning import PlannedStop, Route, RouteBook, TourPlan

Point = tuple[float, float]


class Phase(StrEnum):
    READY = "ready"
    INTRO = "intro"
    NAVIGATING = "navigating"  # to a stop, or back to the tour
    HELD = "held"  # stopped on the way: the group fell behind
    GATHERING = "gathering"  # arrived; the group gathers round
    NARRATING = "narrating"
    DWELLING = "dwelling"
    PAUSED = "paused"
    DETOUR = "detour"  # on the way to a restroom or first aid
    AT_FACILITY = "at_facility"
    FAREWELL = "farewell"
    RATING = "rating"
    FINISHED = "finished"


class TourCommand(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"
    REPEAT = "repeat"
    PREVIOUS = "previous"
    END = "end"
    RESTROOM = "restroom"
    FIRST_AID = "first_aid"


class Source(StrEnum):
    GUEST = "guest"
    OPERATOR = "operator"


class EndReason(StrEnum):
    COMPLETED = "completed"
    ENDED_BY_GUEST = "ended_by_guest"
    ENDED_BY_OPERATOR = "ended_by_operator"
    LOW_BATTERY = "low_battery"  # ended early at a stop; handed over
    BATTERY_CRITICAL = "battery_critical"  # ended where it stood; handed over
    GROUP_LOST = "group_lost"


class GroupObservation(Protocol):
    """What the rear-people detector reports (perception.rear_people.RearGroup)."""

    @property
    def count(self) -> int: ...

    @property
    def nearest_m(self) -> float | None: ...


# --------------------------------------------------------------------------- outputs
@dataclass(frozen=True)
class NavigateTo:
    request_id: int  # echo it in on_arrived / on_navigation_failed
    target: str  # place id
    pose: Pose2D
    purpose: str  # stop, replan, resume, return, facility
    stop_index: int | None  # the tour stop this leads to (None: a facility)
    via: tuple[Point, ...] = ()  # waypoints to pass first (a re-planned way round a blockage)
    step_free: bool = False  # keep off stairs and steep slopes (site.step_free_barriers)


@dataclass(frozen=True)
class StopMoving:
    reason: str


@dataclass(frozen=True)
class Say:
    text: Text
    language: Language  # which of the two to speak; both: Korean, then English
    kind: str  # narration or announcement
    duration_s: float  # the estimate the runner times itself by


@dataclass(frozen=True)
class StopSpeaking:
    pass


@dataclass(frozen=True)
class Screen:
    title: Text
    body: Text | None = None
    image: str | None = None


@dataclass(frozen=True)
class Progress:
    stop: int  # 1-based
    of: int
    place: str
    name: Text
    phase: Phase
    time_left_s: float
    label: Text  # "2/6 Rose garden · about 20 min left"


@dataclass(frozen=True)
class AskRating:
    prompt: Text
    timeout_s: float


@dataclass
class StopOutcome:
    index: int
    place: str
    status: str  # narrated, skipped
    reason: str = ""  # for skipped: guest, blocked, low_battery, ended


@dataclass
class TourResult:
    course_id: str
    reason: EndReason
    started_at: float
    ended_at: float  # when the farewell ended (before the rating)
    estimate_s: float
    stops: list[StopOutcome]
    narrations: list[str]  # place ids in the order narrated (repeats included)
    rating: int | None = None
    handed_over: bool = False
    waited_for_group_s: float = 0.0
    replanning_s: float = 0.0  # from a blocked way to arriving (or giving up)
    detour_s: float = 0.0
    paused_s: float = 0.0

    @property
    def duration_s(self) -> float:
        return self.ended_at - self.started_at

    @property
    def narrated_places(self) -> list[str]:
        return [s.place for s in self.stops if s.status == "narrated"]


@dataclass(frozen=True)
class Finished:
    result: TourResult


Output = NavigateTo | StopMoving | Say | StopSpeaking | Screen | Progress | AskRating | Finished


@dataclass(frozen=True)
class RunnerConfig:
    wait_for_group: bool = True  # False: the reference that never waits (benchmarks)
    lag_distance_m: float = 6.0  # nearest follower farther than this: the group is behind
    catch_up_distance_m: float = 3.5  # ...and caught up again within this (hysteresis)
    lag_grace_s: float = 2.0  # behind this long before the robot holds
    rejoin_s: float = 1.0  # caught up this long before it goes on
    gathered_count: int = 2  # people round the robot that make the group (fewer if fewer follow)
    gather_patience_s: float = 45.0  # fewer than usual round it this long: go on with them
    observation_stale_s: float = 3.0  # older observations say nothing (sensor down)
    gather_reminder_s: float = 30.0  # at a stop with no group: call them once
    group_lost_s: float = 180.0  # nobody following this long: the tour ends
    facility_wait_s: float = 600.0  # at the restroom, then back to the tour anyway
    rating_timeout_s: float = 90.0
    battery_end_below: float = 25.0  # % (the fleet's dock_below): end at a sensible stop
    battery_critical: float = 12.0  # % (the fleet's critical): end now
    max_nav_attempts: int = 2  # the planned way, then one other
    speech_done_events: bool = False  # True: narration ends on on_speech_done


@dataclass
class _Leg:
    """The navigation under way."""

    request: NavigateTo
    start: Point
    live: bool = True  # False once told to stop: late results for it are ignored


class TourRunner:
    def __init__(self, plan: TourPlan, site: Site, clock: Callable[[], float],
                 routes: RouteBook | None = None, config: RunnerConfig = RunnerConfig(),
                 rating_sink: Callable[[TourResult], None] | None = None) -> None:
        self.plan = plan
        self.site = site
        self.clock = clock
        self.routes = routes
        self.config = config
        self.rating_sink = rating_sink
        self.phase = Phase.READY
        self.index = 0  # the stop under way (navigating to, or at)
        self.outbox: list[Output] = []
        self.result: TourResult | None = None
        self._deadline: float | None = None
        self._leg: _Leg | None = None
        self._request_ids = 0
        self._position: Point = (plan.start_pose.x, plan.start_pose.y)
        self._narrated_current = False  # the narration at self.index was heard to the end
        self._last_narrated: int | None = None
        self._arrived_at = 0.0
        self._stop_started_at = 0.0
        self._reminded = False
        self._attempts: dict[int, int] = {}
        self._replan_since: float | None = None
        # Group following: None = unknown (no fresh observation).
        self._behind: bool | None = None
        self._group_since = 0.0  # when _behind last changed
        self._last_obs_at = -math.inf
        self._last_with_us = 0.0
        self._held_since: float | None = None
        self._usual_counts: Counter[int] = Counter()  # people round it at the last stop
        self._here_since: float | None = None  # as many as usual within catch-up distance
        self._close_since: float | None = None  # anyone within catch-up distance
        # Pause, detour, battery.
        self._paused: tuple[Phase, float | None, Source] | None = None
        self._paused_since = 0.0
        self._return_index: int | None = None
        self._return_narrated = False
        self._detour_since: float | None = None
        self._detour_kind = "restroom"
        self._final_index: int | None = None  # low battery: the tour ends after this stop
        self._end_reason = EndReason.COMPLETED
        self._outcomes: dict[int, StopOutcome] = {}
        self._narrations: list[str] = []
        self._stats = {"waited": 0.0, "replanning": 0.0, "detour": 0.0, "paused": 0.0}
        self._started_at = 0.0
        self._ended_at: float | None = None

    # ----------------------------------------------------------------------- outputs
    def drain(self) -> list[Output]:
        """Take the outputs queued since the last call, oldest first."""
        out, self.outbox = self.outbox, []
        return out

    @property
    def stops(self) -> tuple[PlannedStop, ...]:
        return self.plan.stops

    @property
    def finished(self) -> bool:
        return self.phase is Phase.FINISHED

    @property
    def position(self) -> Point:
        """Where the runner believes the robot is (the last pose, arrival or start)."""
        return self._position

    @property
    def stops_done(self) -> int:
        """Stops narrated or skipped so far."""
        return len(self._outcomes)

    @property
    def outcomes(self) -> list[StopOutcome]:
        return [self._outcomes[i] for i in sorted(self._outcomes)]

    @property
    def narrations(self) -> list[str]:
        return list(self._narrations)

    @property
    def elapsed_s(self) -> float:
        return self.clock() - self._started_at if self.phase is not Phase.READY else 0.0

    def _say(self, text: Text, kind: str = "announcement") -> float:
        duration = self.plan.model.speech_s(text, self.plan.language)
        self.outbox.append(Say(text, self.plan.language, kind, duration))
        return duration

    def _progress(self) -> None:
        now = self.clock()
        n = len(self.stops)
        k = min(self.index, n - 1)
        stop = self.stops[k]
        left = self.plan.remaining_s(self.index, now - self._stop_started_at)
        self.outbox.append(Progress(
            k + 1, n, stop.place, stop.name, self.phase, left,
            phrases.progress(k + 1, n, stop.name, phrases.minutes(left))))

    def _navigate(self, index: int | None, target: str, pose: Pose2D, purpose: str,
                  via: tuple[Point, ...] = ()) -> None:
        self._request_ids += 1
        request = NavigateTo(self._request_ids, target, pose, purpose, index, via,
                             self.plan.step_free)
        self._leg = _Leg(request, self._position)
        self.outbox.append(request)

    def _stop_moving(self, reason: str) -> None:
        if self._leg is not None and self._leg.live:
            self._leg.live = False
            self.outbox.append(StopMoving(reason))

    # ----------------------------------------------------------------------- inputs
    def start(self) -> None:
        if self.phase is not Phase.READY:
            raise RuntimeError("the tour has already started")
        now = self.clock()
        self._started_at = self._stop_started_at = self._last_with_us = now
        course = self.plan.course
        self.outbox.append(Screen(Text(ko=course.name_ko, en=course.name_en),
                                  Text(ko=course.summary_ko or course.name_ko,
                                       en=course.summary_en or course.name_en)))
        self.phase = Phase.INTRO
        self._deadline = now + self._say(self.plan.intro)
        self._progress()

    def resume(self, index: int, outcomes: list[StopOutcome], narrations: list[str],
               elapsed_s: float) -> None:
        """Take up a tour that was interrupted before stop ``index`` (the robot's tour guide
        restarted): no introduction again, a word to the group and on to that stop."""
        if self.phase is not Phase.READY:
            raise RuntimeError("the tour has already started")
        now = self.clock()
        self._started_at = now - elapsed_s
        self._stop_started_at = self._last_with_us = now
        self._outcomes = {o.index: o for o in outcomes if 0 <= o.index < len(self.stops)}
        self._narrations = list(narrations)
        narrated = [o.index for o in outcomes if o.status == "narrated"]
        self._last_narrated = max(narrated) if narrated else None
        course = self.plan.course
        self.outbox.append(Screen(Text(ko=course.name_ko, en=course.name_en)))
        self.phase = Phase.NAVIGATING  # _go_to's farewell needs a started tour
        if index < len(self.stops):
            self._say(phrases.back_to_tour(self.stops[index].name))
        self._go_to(index, purpose="return")

    def on_arrived(self, request_id: int | None = None) -> None:
        """The navigation reached the requested pose."""
        leg = self._current_leg(request_id)
        if leg is None:
            return
        now = self.clock()
        self._leg = None
        self._position = (leg.request.pose.x, leg.request.pose.y)
        if leg.request.purpose == "facility":
            self.phase = Phase.AT_FACILITY
            self._deadline = now + self.config.facility_wait_s
            name = self._place_name(leg.request.target)
            self._say(phrases.at_facility(name))
            self.outbox.append(Screen(name, phrases.at_facility(name)))
            return
        if self._replan_since is not None:
            self._stats["replanning"] += now - self._replan_since
            self._replan_since = None
        if self._detour_since is not None:
            self._stats["detour"] += now - self._detour_since
            self._detour_since = None
        self.phase = Phase.GATHERING
        self._arrived_at = now
        self._reminded = False
        stop = self.stops[self.index]
        self.outbox.append(Screen(stop.name, None, stop.image))
        self._progress()

    def on_navigation_failed(self, request_id: int | None = None, reason: str = "",
                             pose: Point | None = None, blocked_at: Point | None = None
                             ) -> None:
        """The navigation gave up. ``pose``: where the robot stands; ``blocked_at``: where
        the way is blocked, if known (else taken 1.5 m ahead on the route)."""
        leg = self._current_leg(request_id)
        if leg is None:
            return
        now = self.clock()
        if pose is not None:
            self._position = pose
        self._leg = None
        if leg.request.purpose == "facility":
            self._say(phrases.no_facility(*phrases.FACILITY_NAMES[self._detour_kind]))
            self._return_to_tour()
            return
        index = self.index
        self._attempts[index] = self._attempts.get(index, 1) + 1
        if self._replan_since is None:
            self._replan_since = now
        stop = self.stops[index]
        if self._attempts[index] <= self.config.max_nav_attempts:
            # Round the blocked spot when the map has another way; else ask the navigation
            # to plan again from here (people who blocked the way may have moved on).
            route = self._other_route(leg, stop, blocked_at)
            via = tuple(route.path[1:-1]) if route is not None else ()
            self._say(phrases.replanning())
            self._navigate(index, stop.place, stop.pose, "replan", via)
            return
        self._stats["replanning"] += now - self._replan_since
        self._replan_since = None
        self._say(phrases.blocked_skip(stop.name))
        self._outcome(index, "skipped", "blocked")
        self._next_stop()

    def on_group_observation(self, obs: GroupObservation) -> None:
        """The group behind the robot (while moving) or round it (at a stop)."""
        now = self.clock()
        near = self.config.catch_up_distance_m if self._behind else self.config.lag_distance_m
        with_us = obs.count > 0 and obs.nearest_m is not None and obs.nearest_m <= near
        if self._behind is None or self._behind == with_us:
            self._behind = not with_us
            self._group_since = now
        self._last_obs_at = now
        if with_us:
            self._last_with_us = now
        close = obs.count > 0 and obs.nearest_m is not None and (
            obs.nearest_m <= self.config.catch_up_distance_m)
        if not close:
            self._close_since = None
        elif self._close_since is None:
            self._close_since = now
        if not (close and obs.count >= self._usual_count()):
            self._here_since = None
        elif self._here_since is None:
            self._here_since = now
        if obs.count > 0 and self.phase in (Phase.INTRO, Phase.NARRATING, Phase.DWELLING):
            self._usual_counts[obs.count] += 1  # the group round the robot, listening
        self._check_group(now)

    def on_pose(self, x: float, y: float) -> None:
        """Where the robot is (map frame): for detours, re-planning and the nearest stop."""
        self._position = (x, y)

    def on_speech_done(self) -> None:
        """The text-to-speech finished (with ``speech_done_events``, ends the narration)."""
        if self.config.speech_done_events and self.phase in (
                Phase.INTRO, Phase.NARRATING, Phase.FAREWELL):
            self._deadline = self.clock()
            self.tick()

    def on_battery(self, percent: float) -> None:
        if self.phase in (Phase.READY, Phase.FAREWELL, Phase.RATING, Phase.FINISHED):
            return
        if percent <= self.config.battery_critical:
            self._stop_moving("battery critical")
            self.outbox.append(StopSpeaking())
            self._say(phrases.battery_critical())
            self._say(phrases.handover())
            self._end_reason = EndReason.BATTERY_CRITICAL
            self._mark_rest_skipped(self.index, "low_battery")
            self._finish(handed_over=True)
        elif percent <= self.config.battery_end_below and self._final_index is None:
            self._end_early()

    def on_command(self, command: TourCommand | str, source: Source | str = Source.GUEST
                   ) -> None:
        command, source = TourCommand(command), Source(source)
        if self.phase in (Phase.READY, Phase.FINISHED):
            return
        if self._paused and self._paused[2] is Source.OPERATOR and source is Source.GUEST:
            self._say(phrases.paused(by_operator=True))  # staff hold the tour
            return
        if self.phase in (Phase.FAREWELL, Phase.RATING):
            if command is TourCommand.END and self.phase is Phase.RATING:
                self._finish()  # no rating, thank you
            return
        handler = {
            TourCommand.PAUSE: self._pause, TourCommand.RESUME: self._resume,
            TourCommand.SKIP: self._skip, TourCommand.REPEAT: self._repeat,
            TourCommand.PREVIOUS: self._previous, TourCommand.END: self._end,
            TourCommand.RESTROOM: lambda s: self._detour("restroom"),
            TourCommand.FIRST_AID: lambda s: self._detour("first_aid"),
        }[command]
        handler(source)

    def on_rating(self, stars: int) -> None:
        if not 1 <= int(stars) <= 5:
            raise ValueError(f"a rating is 1 to 5 stars, got {stars}")
        if self.phase is not Phase.RATING:
            return
        self._say(phrases.thanks_for_rating())
        self._finish(rating=int(stars))

    def tick(self, now: float | None = None) -> None:
        """Advance timers. ``now`` defaults to the clock (pass the same clock's time)."""
        now = self.clock() if now is None else now
        phase = self.phase
        due = self._deadline is not None and now >= self._deadline
        if phase is Phase.INTRO and due:
            self._deadline = None
            self._go_to(0)
        elif phase is Phase.GATHERING:
            self._gathering(now)
        elif phase is Phase.NARRATING and due:
            self._narrated_current = True
            self._outcome(self.index, "narrated")
            self.phase = Phase.DWELLING
            self._deadline = now + self.stops[self.index].dwell_s
        elif phase is Phase.DWELLING and due:
            self._deadline = None
            self._next_stop()
        elif phase is Phase.AT_FACILITY and due:
            self._return_to_tour()
        elif phase is Phase.FAREWELL and due:
            self._ended_at = now
            self.phase = Phase.RATING
            self._deadline = now + self.config.rating_timeout_s
            self._say(phrases.ask_rating())
            self.outbox.append(AskRating(phrases.ask_rating(), self.config.rating_timeout_s))
        elif phase is Phase.RATING and due:
            self._finish()
        elif phase in (Phase.NAVIGATING, Phase.HELD):
            self._check_group(now)

    # ----------------------------------------------------------------------- the tour
    def _current_leg(self, request_id: int | None) -> _Leg | None:
        leg = self._leg
        if leg is None or not leg.live or self.phase not in (Phase.NAVIGATING, Phase.HELD,
                                                              Phase.DETOUR):
            return None
        if request_id is not None and request_id != leg.request.request_id:
            return None  # a result for a goal given up since
        return leg

    def _go_to(self, index: int, purpose: str = "stop") -> None:
        """Set off for stop ``index`` (or the farewell after the last)."""
        now = self.clock()
        if index >= len(self.stops) or (self._final_index is not None and
                                        index > self._final_index):
            self._farewell()
            return
        self.index = index
        self._narrated_current = False
        self._attempts.pop(index, None)
        self._stop_started_at = now
        stop = self.stops[index]
        self.phase = Phase.NAVIGATING
        self._navigate(index, stop.place, stop.pose, purpose)
        if purpose == "stop":
            self._say(phrases.heading_to(stop.name, index + 1, len(self.stops)))
        self.outbox.append(Screen(stop.name, phrases.heading_to(stop.name, index + 1,
                                                                len(self.stops)), stop.image))
        self._progress()

    def _next_stop(self) -> None:
        self._go_to(self.index + 1)

    def _gathering(self, now: float) -> None:
        settled = now - self._arrived_at >= self.plan.stops[self.index].settle_s
        if settled and (not self.config.wait_for_group or self._gathered(now, self._arrived_at)):
            self._narrate()
            return
        if not self._reminded and now - self._arrived_at >= self.config.gather_reminder_s:
            self._reminded = True
            self._say(phrases.gather_reminder())
        self._check_lost(now)

    def _narrate(self) -> None:
        stop = self.stops[self.index]
        self.phase = Phase.NARRATING
        self._usual_counts.clear()  # counted afresh at each stop: the group may change
        self._narrated_current = False
        self._last_narrated = self.index
        self._narrations.append(stop.place)
        duration = self._say(stop.narration, "narration")
        self.outbox.append(Screen(stop.name, stop.narration, stop.image))
        wait = duration * 2.0 if self.config.speech_done_events else duration
        self._deadline = self.clock() + wait
        self._progress()

    def _farewell(self) -> None:
        now = self.clock()
        if self._detour_since is not None:
            self._stats["detour"] += now - self._detour_since
            self._detour_since = None
        self.phase = Phase.FAREWELL
        self._leg = None
        if self._end_reason is EndReason.LOW_BATTERY:
            self._say(phrases.handover())
        self.outbox.append(Screen(Text(ko="감사합니다", en="Thank you"), self.plan.farewell))
        self._deadline = now + self._say(self.plan.farewell)

    def _finish(self, rating: int | None = None, handed_over: bool | None = None) -> None:
        now = self.clock()
        if self._paused is not None:
            self._stats["paused"] += now - self._paused_since
            self._paused = None
        self.phase = Phase.FINISHED
        self._deadline = None
        self._leg = None
        ended = self._ended_at if self._ended_at is not None else now
        result = TourResult(
            course_id=self.plan.course_id, reason=self._end_reason,
            started_at=self._started_at, ended_at=ended, estimate_s=self.plan.total_s,
            stops=[self._outcomes[i] for i in sorted(self._outcomes)],
            narrations=list(self._narrations), rating=rating,
            handed_over=bool(handed_over) or self._end_reason in (
                EndReason.LOW_BATTERY, EndReason.BATTERY_CRITICAL),
            waited_for_group_s=self._stats["waited"], replanning_s=self._stats["replanning"],
            detour_s=self._stats["detour"], paused_s=self._stats["paused"])
        self.result = result
        if rating is not None and self.rating_sink is not None:
            self.rating_sink(result)
        self.outbox.append(Finished(result))

    def _outcome(self, index: int, status: str, reason: str = "") -> None:
        current = self._outcomes.get(index)
        if current is not None and current.status == "narrated" and status == "skipped":
            return  # heard once already: a later skip does not undo it
        self._outcomes[index] = StopOutcome(index, self.stops[index].place, status, reason)

    def _mark_rest_skipped(self, after: int, reason: str) -> None:
        for i in range(after, len(self.stops)):
            if i not in self._outcomes:
                self._outcome(i, "skipped", reason)

    # ----------------------------------------------------------------------- the group
    def _group_behind(self, now: float) -> bool:
        """Known (fresh observations) to be behind."""
        return bool(self._behind) and now - self._last_obs_at <= self.config.observation_stale_s

    def _usual_count(self) -> int:
        """How many people round the robot make its group: as many as stood round it at the
        last stop (or the intro) as it spoke, up to gathered_count (1 before it has seen
        them). The upper quartile of the counts: people hide behind one another more often
        than strangers stop by."""
        seen = self._usual_counts.total()
        if not seen:
            return 1
        rank, usual = 3 * (seen - 1) // 4, 1
        for usual in sorted(self._usual_counts):
            rank -= self._usual_counts[usual]
            if rank < 0:
                break
        return max(1, min(self.config.gathered_count, usual))

    def _gathered(self, now: float, waiting_since: float, for_s: float = 0.0) -> bool:
        """Is the group (not just anyone) round the robot? As many people as usual, the nearest
        within catch-up distance, for ``for_s``; or fewer for gather_patience_s since the robot
        began waiting. Without fresh observations (the sensor is down) it does not wait."""
        cfg = self.config
        if now - self._last_obs_at > cfg.observation_stale_s:
            return True
        if self._here_since is not None and now - self._here_since >= for_s:
            return True
        return self._close_since is not None and (
            now - max(self._close_since, waiting_since) >= cfg.gather_patience_s)

    def _check_group(self, now: float) -> None:
        if not self.config.wait_for_group:
            return
        behind = self._group_behind(now)
        if self.phase is Phase.NAVIGATING and behind and (
                now - self._group_since >= self.config.lag_grace_s):
            self._stop_moving("group behind")
            self.phase = Phase.HELD
            self._held_since = now
            self._say(phrases.wait_for_group())
            self.outbox.append(Screen(phrases.wait_for_group()))
            self._progress()
        elif self.phase is Phase.HELD and self._gathered(
                now, self._held_since if self._held_since is not None else now,
                self.config.rejoin_s):
            self._rejoin(now, announce=True)
        self._check_lost(now)

    def _rejoin(self, now: float, announce: bool) -> None:
        if self._held_since is not None:
            self._stats["waited"] += now - self._held_since
            self._held_since = None
        if announce:
            self._say(phrases.group_caught_up())
        self._resume_leg()

    def _resume_leg(self) -> None:
        """Send the navigation of the stop under way again (after a hold or a pause)."""
        assert self._leg is not None
        request = self._leg.request
        self.phase = Phase.DETOUR if request.purpose == "facility" else Phase.NAVIGATING
        self._navigate(request.stop_index, request.target, request.pose,
                       request.purpose if request.purpose != "stop" else "resume", request.via)

    def _check_lost(self, now: float) -> None:
        if not self.config.wait_for_group or self.phase not in (
                Phase.NAVIGATING, Phase.HELD, Phase.GATHERING):
            return
        if self._group_behind(now) and now - self._last_with_us > self.config.group_lost_s:
            self._stop_moving("group lost")
            self._say(phrases.group_lost())
            self._end_reason = EndReason.GROUP_LOST
            self._mark_rest_skipped(self.index, "group_lost")
            if self._held_since is not None:
                self._stats["waited"] += now - self._held_since
                self._held_since = None
            self._finish()

    # ----------------------------------------------------------------------- commands
    def _pause(self, source: Source) -> None:
        now = self.clock()
        if self._paused is not None:
            if source is Source.OPERATOR:  # staff take over a guest's pause
                self._paused = (self._paused[0], self._paused[1], source)
            return
        if self.phase in (Phase.NAVIGATING, Phase.HELD, Phase.DETOUR):
            self._stop_moving("paused")
        if self.phase in (Phase.INTRO, Phase.NARRATING):
            self.outbox.append(StopSpeaking())
        remaining = None if self._deadline is None else max(0.0, self._deadline - now)
        if self.phase is Phase.HELD and self._held_since is not None:
            self._stats["waited"] += now - self._held_since
            self._held_since = None
        self._paused = (self.phase, remaining, source)
        self._paused_since = now
        self.phase = Phase.PAUSED
        self._deadline = None
        self._say(phrases.paused(source is Source.OPERATOR))
        self.outbox.append(Screen(phrases.paused(source is Source.OPERATOR)))
        self._progress()

    def _resume(self, source: Source) -> None:
        now = self.clock()
        if self.phase is Phase.AT_FACILITY:
            self._return_to_tour()
            return
        if self.phase is Phase.HELD:  # "go on": the guests know best where their group is
            self._rejoin(now, announce=False)
            return
        if self._paused is None:
            return
        phase, remaining, _ = self._paused
        self._paused = None
        self._stats["paused"] += now - self._paused_since
        self._say(phrases.resumed())
        if phase in (Phase.NAVIGATING, Phase.HELD, Phase.DETOUR):
            self._resume_leg()
        elif phase is Phase.INTRO:
            self._go_to(0)
        elif phase is Phase.NARRATING:
            self._narrate()  # speech cannot resume mid-sentence: from the top
        elif phase is Phase.GATHERING:
            self.phase = phase
            self._arrived_at = now
        else:
            self.phase = phase
            self._deadline = None if remaining is None else now + remaining
        self._progress()

    def _skip(self, source: Source) -> None:
        if self._paused is not None:
            self._stats["paused"] += self.clock() - self._paused_since
            self._paused = None
        if self.phase in (Phase.DETOUR, Phase.AT_FACILITY):
            if self._return_index is not None:  # return past the stop we left
                self._outcome(self._return_index, "skipped", "guest")
                self._return_narrated = True
            return
        if self.phase is Phase.INTRO:  # skip the introduction
            self.outbox.append(StopSpeaking())
            self._deadline = None
            self._go_to(0)
            return
        if self._held_since is not None:
            self._stats["waited"] += self.clock() - self._held_since
            self._held_since = None
        self._stop_moving("skip")
        self.outbox.append(StopSpeaking())
        stop = self.stops[self.index]
        if not self._narrated_current:
            self._say(phrases.skipped(stop.name))
            self._outcome(self.index, "skipped", "guest")
        if self._final_index is not None and self.index >= self._final_index:
            self._farewell()
            return
        self._next_stop()

    def _repeat(self, source: Source) -> None:
        if self.phase in (Phase.GATHERING, Phase.NARRATING, Phase.DWELLING):
            if self.phase is Phase.NARRATING:
                self.outbox.append(StopSpeaking())
            self._narrate()
        elif self._last_narrated is not None:
            stop = self.stops[self._last_narrated]
            self._narrations.append(stop.place)
            self._say(stop.narration, "narration")  # on the move: just say it again
        else:
            self._say(phrases.nothing_to_repeat())

    def _previous(self, source: Source) -> None:
        if self.phase not in (Phase.NAVIGATING, Phase.HELD, Phase.GATHERING, Phase.NARRATING,
                              Phase.DWELLING, Phase.PAUSED):
            return
        if self.index == 0:
            self._say(phrases.first_stop())
            return
        if self._paused is not None:
            self._stats["paused"] += self.clock() - self._paused_since
            self._paused = None
        self._stop_moving("previous")
        self.outbox.append(StopSpeaking())
        if self._held_since is not None:
            self._stats["waited"] += self.clock() - self._held_since
            self._held_since = None
        target = self.index - 1
        self._say(phrases.previous(self.stops[target].name))
        self._go_to(target, purpose="return")

    def _end(self, source: Source) -> None:
        now = self.clock()
        self._stop_moving("tour ended")
        self.outbox.append(StopSpeaking())
        if self._held_since is not None:
            self._stats["waited"] += now - self._held_since
            self._held_since = None
        if source is Source.OPERATOR:
            self._say(phrases.ended_by_operator())
            self._end_reason = EndReason.ENDED_BY_OPERATOR
            self._mark_rest_skipped(self.index, "ended")
            self._finish()
            return
        self._say(phrases.ended_by_guest())
        self._end_reason = EndReason.ENDED_BY_GUEST
        if self._narrated_current:
            self._mark_rest_skipped(self.index + 1, "ended")
        else:
            self._mark_rest_skipped(self.index, "ended")
        if self._paused is not None:
            self._stats["paused"] += now - self._paused_since
            self._paused = None
        self._farewell()

    def _detour(self, kind: str) -> None:
        if self.phase in (Phase.DETOUR, Phase.AT_FACILITY):
            return
        now = self.clock()
        target = self._nearest_facility(kind)
        name_ko, name_en = phrases.FACILITY_NAMES[kind]
        if target is None:
            self._say(phrases.no_facility(name_ko, name_en))
            return
        place_id, metres = target
        self._detour_kind = kind
        if self._paused is not None:
            self._stats["paused"] += now - self._paused_since
            self._paused = None
        if self._held_since is not None:
            self._stats["waited"] += now - self._held_since
            self._held_since = None
        self._stop_moving("detour")
        self.outbox.append(StopSpeaking())
        # Where the tour picks up: the stop under way, or the next once it was heard.
        self._return_index = self.index
        self._return_narrated = self._narrated_current and self.phase is not Phase.INTRO
        self._detour_since = now
        place = self.site.places[place_id]
        name = Text(ko=place.name_ko, en=place.name_en)
        self._say(phrases.facility_detour(name, metres))
        self.phase = Phase.DETOUR
        self._navigate(None, place_id, place.pose, "facility")
        self.outbox.append(Screen(name, phrases.facility_detour(name, metres)))

    def _return_to_tour(self) -> None:
        index = self._return_index if self._return_index is not None else self.index
        if self._return_narrated:
            index += 1
        self._return_index = None
        self._return_narrated = False
        if index >= len(self.stops) or (self._final_index is not None and
                                        index > self._final_index):
            self._farewell()
            return
        self._say(phrases.back_to_tour(self.stops[index].name))
        self._go_to(index, purpose="return")

    def _end_early(self) -> None:
        """Low battery: finish at the nearest of the stops still ahead (the one under way
        when the group is there already), then hand over."""
        phase = self._paused[0] if self._paused is not None else self.phase
        if phase in (Phase.GATHERING, Phase.NARRATING, Phase.DWELLING):
            final = self.index
        else:
            first = self._return_index if phase in (
                Phase.DETOUR, Phase.AT_FACILITY) and self._return_index is not None else (
                self.index)
            final = min(range(first, len(self.stops)),
                        key=lambda i: self._distance_to(self.stops[i].pose))
        self._final_index = final
        self._end_reason = EndReason.LOW_BATTERY
        for i in range(self.index, len(self.stops)):
            if i != final and i not in self._outcomes:
                self._outcome(i, "skipped", "low_battery")
        self._say(phrases.low_battery(self.stops[final].name))
        if phase in (Phase.DETOUR, Phase.AT_FACILITY):
            self._return_index = final
            self._return_narrated = False
        elif phase in (Phase.NAVIGATING, Phase.HELD) and final != self.index:
            if self._paused is None:
                self._stop_moving("low battery")
                self._go_to(final, purpose="return")
            else:  # paused: resuming sets off for the final stop instead
                self.index = final
                self._narrated_current = False
                stop = self.stops[final]
                self._leg = _Leg(NavigateTo(0, stop.place, stop.pose, "return", final,
                                            (), self.plan.step_free), self._position, False)

    # ----------------------------------------------------------------------- routes
    def _distance_to(self, pose: Pose2D) -> float:
        if self.routes is not None:
            route = self.routes.route(self._position, (pose.x, pose.y), self.plan.step_free)
            if route is not None:
                return route.length_m
            return math.inf
        return math.hypot(pose.x - self._position[0], pose.y - self._position[1])

    def _nearest_facility(self, kind: str) -> tuple[str, float] | None:
        best: tuple[str, float] | None = None
        for place_id in self.site.facilities.get(kind, []):
            place = self.site.places[place_id]
            d = self._distance_to(place.pose)
            if math.isfinite(d) and (best is None or d < best[1]):
                best = (place_id, d)
        return best

    def _other_route(self, leg: _Leg, stop: PlannedStop, blocked_at: Point | None
                     ) -> Route | None:
        """Another way to the stop, round the blocked spot; None if there is none."""
        if self.routes is None:
            return None
        goal = (stop.pose.x, stop.pose.y)
        planned = self.routes.route(leg.start, goal, self.plan.step_free)
        if planned is None:
            return None
        spot, heading = planned.point_ahead(blocked_at or self._position,
                                            0.0 if blocked_at else 1.5)
        if math.hypot(spot[0] - goal[0], spot[1] - goal[1]) < 1.0:
            return None  # the stop itself is blocked
        return self.routes.detour(self._position, goal, spot, heading, self.plan.step_free)

    def _place_name(self, place_id: str) -> Text:
        place = self.site.places[place_id]
        return Text(ko=place.name_ko, en=place.name_en)


@dataclass
class FakeClock:
    """A clock tests and benchmarks advance by hand."""

    now: float = 0.0
    calls: int = field(default=0, repr=False)

    def __call__(self) -> float:
        self.calls += 1
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now
