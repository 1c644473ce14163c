"""Pydantic models at the API boundary (requests and responses)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from suwon_fleet.core.states import RobotMode, TaskStatus, TaskType


class MapInfo(BaseModel):
    resolution: float
    origin: tuple[float, float, float]
    width: int
    height: int
    image_url: str


class PlaceOut(BaseModel):
    place_id: str
    name_ko: str
    name_en: str
    x: float
    y: float
    yaw: float
    kind: str
    aliases: list[str] = []


class SiteOut(BaseModel):
    site_id: str
    name_ko: str
    name_en: str
    robots: list[str]
    map: MapInfo
    places: list[PlaceOut]


class RobotOut(BaseModel):
    robot_id: str
    site_id: str
    mode: RobotMode
    x: float
    y: float
    yaw: float
    battery_percent: float
    charging: bool
    current_task_id: str
    current_place: str = Field(description="destination of the current task, if any")
    path: list[tuple[float, float]]
    errors: list[str]
    last_seen_s: float | None = Field(description="seconds since the robot last reported")


class TaskOut(BaseModel):
    task_id: str
    type: TaskType
    site_id: str
    place: str
    robot_id: str
    status: TaskStatus
    message: str
    progress: float = Field(ge=0, le=1)
    priority: int = 0
    submitted_at: float | None = None
    updated_at: float | None = None


class FleetOut(BaseModel):
    stamp: float
    fleet_name: str
    robots: list[RobotOut]
    active_tasks: list[TaskOut]
    visitors: dict[str, list[list[float]]] = Field(
        default_factory=dict, description="people walking about, per site: [x, y] in metres "
                                          "(simulation only)")


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: TaskType
    site_id: str = Field(min_length=1, max_length=64)
    place: str = Field("", max_length=128)
    robot_id: str = Field("", max_length=64)
    tour_id: str = Field("", max_length=64)
    priority: int = Field(0, ge=-10, le=10)


class TaskAccepted(BaseModel):
    task_id: str
    status: TaskStatus


class Health(BaseModel):
    status: str
    ros: bool
    fleet_manager: bool
    robots_online: int


class UtteranceOut(BaseModel):
    utterance_id: str
    kind: str = Field(description="dialogue, announcement, narration or notice")
    text_ko: str
    text_en: str
    language: str
    rate: float
    image: str
    stamp: float = Field(description="when it was said (seconds since the epoch)")


class TourScreenOut(BaseModel):
    """A docent's tour as its tour guide reports it (``/<robot>/tour/state``)."""

    tour_id: str
    course: dict[str, str] = Field(description="the course's name: ko, en")
    stop: int = Field(description="the stop under way, from 0")
    of: int = Field(description="stops in the course")
    phase: str = Field(description="starting, moving, waiting_for_group, narrating, dwelling, "
                                   "paused, detour, rating, finished, ...")
    time_left_s: float
    label: dict[str, str] = Field(description='"2/5 허브정원 · 남은 시간 약 12분": ko, en')
    stops_done: int = 0
    group: dict[str, float | int | None] = Field(
        default_factory=dict, description="guests seen following: count, nearest_m")
    finished: bool = False


class HeardOut(BaseModel):
    text: str = Field(description="the visitor's words as recognised, personal data redacted")
    source: str = Field(description="voice or touch")
    stamp: float = Field(description="when (seconds since the epoch)")


class AnswerCardOut(BaseModel):
    kind: str = Field(description="service, place, department, staff, hours, facility, search")
    id: str
    title_ko: str
    title_en: str
    lines_ko: list[str]
    lines_en: list[str]


class RobotScreenOut(BaseModel):
    """What the robot's own screen shows (public: the screen runs on the robot)."""

    robot_id: str
    site_id: str
    site_name_ko: str
    site_name_en: str
    mode: str
    battery_percent: float | None
    destination_ko: str = ""
    destination_en: str = ""
    destination_xy: tuple[float, float] | None = Field(None, description="map coordinates")
    pose: tuple[float, float, float] | None = Field(None, description="x, y, yaw on the map")
    path: list[tuple[float, float]] = Field([], description="the planned path, if moving")
    map: MapInfo = Field(description="the site map (image_url: public, for this screen)")
    heard: HeardOut | None = Field(None, description="the visitor's latest words, briefly")
    card: AnswerCardOut | None = Field(None, description="the answer on screen, if any")
    said: list[UtteranceOut] = Field(description="lately said, newest last")
    listening: bool = Field(False, description="the microphone is open (show the indicator)")
    role: Literal["concierge", "docent"] = Field(
        "concierge", description="docent where the site has tours: the screen shows tour buttons")
    tour: TourScreenOut | None = Field(None, description="the tour under way or just ended")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the token expires")
    username: str
    role: str = Field(description="viewer, operator or admin")
    display_name: str = ""


class UserOut(BaseModel):
    username: str
    role: str
    display_name: str = ""


class TaskEventOut(BaseModel):
    at: float
    status: str
    robot_id: str
    message: str


class TaskDetailOut(TaskOut):
    requester: str = ""
    tour_id: str = ""
    attempt: int = 0
    history: list[TaskEventOut] = Field(description="every status change, oldest first")


class TaskPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[TaskOut]


RobotCommandName = Literal["go_to_place", "start_tour", "dock", "estop", "release", "pause",
                           "resume", "cancel"]


class CommandIn(BaseModel):
    """A command for one robot. Conflicts resolve in this order: estop > release > cancel >
    pause > resume > dock; while e-stopped, only release is obeyed."""

    model_config = ConfigDict(extra="forbid")

    command: RobotCommandName
    place: str = Field("", max_length=128, description="go_to_place: where")
    tour_id: str = Field("", max_length=64, description="start_tour: which course")
    reason: str = Field("", max_length=200)


class CommandOut(BaseModel):
    accepted: bool
    message: str
    task_id: str = Field("", description="the task created (go_to_place, start_tour, dock)")


class AlertOut(BaseModel):
    alert_id: str
    at: float
    severity: str
    robot_id: str
    site_id: str
    code: str
    message_ko: str
    message_en: str
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None


class DayCount(BaseModel):
    day: str = Field(description="YYYY-MM-DD in the fleet's time zone")
    count: int


class StatsOut(BaseModel):
    """Workload figures the City uses to measure what the robots take off its staff."""

    days: int
    tasks_per_day: list[DayCount]
    tasks_by_type: dict[str, int]
    tasks_by_status: dict[str, int]
    alerts_per_day: list[DayCount]
    mean_task_seconds: float | None = Field(description="submitted -> completed")
    interactions_per_day: list[DayCount] = Field(description="visitor turns with a robot")
    intents: dict[str, int] = Field(description="what visitors asked for")
    calls_per_day: list[DayCount]
    calls_by_status: dict[str, int]
    mean_official_wait_s: float | None = Field(description="call made -> an official accepts")
    tour_ratings: dict[str, float] = Field(description="mean guest rating (1-5) per course")
    tours_rated: int


class ProblemOut(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str


def problem_responses(*codes: int) -> dict[int | str, dict]:
    """OpenAPI entries for the problem documents a route may answer with."""
    meaning = {400: "Bad request", 401: "Not logged in, or the token expired",
               403: "The role does not allow it", 404: "No such resource",
               409: "Not possible in the current state", 413: "Body too large",
               422: "Invalid request", 429: "Too many requests",
               503: "ROS, the fleet manager or the robot is not available"}
    return {code: {"model": ProblemOut, "description": meaning.get(code, "Problem"),
                   "content": {"application/problem+json": {}}} for code in codes}
