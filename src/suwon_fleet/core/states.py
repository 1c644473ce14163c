"""The fleet's vocabularies: robot modes, task types and statuses, operator commands.

The values are the string constants of suwon_fleet_interfaces (RobotState.MODE_*,
TaskRequest.TYPE_*, TaskState.STATUS_*, RobotCommand.COMMAND_*); a test keeps both in step.
Task statuses are Open-RMF's.
"""

from __future__ import annotations

from enum import StrEnum


class RobotMode(StrEnum):
    IDLE = "idle"
    NAVIGATING = "navigating"
    GUIDING = "guiding"
    TOURING = "touring"
    WAITING = "waiting"
    DOCKING = "docking"
    CHARGING = "charging"
    PAUSED = "paused"
    ESTOPPED = "estopped"
    ERROR = "error"
    OFFLINE = "offline"


class TaskType(StrEnum):
    GO_TO_PLACE = "go_to_place"
    GUIDE_VISITOR = "guide_visitor"
    RUN_TOUR = "run_tour"
    DOCK = "dock"
    CALL_OFFICIAL = "call_official"


class TaskStatus(StrEnum):
    UNINITIALIZED = "uninitialized"
    BLOCKED = "blocked"
    ERROR = "error"
    FAILED = "failed"
    QUEUED = "queued"
    STANDBY = "standby"
    UNDERWAY = "underway"
    DELAYED = "delayed"
    SKIPPED = "skipped"
    CANCELED = "canceled"
    KILLED = "killed"
    COMPLETED = "completed"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {TaskStatus.FAILED, TaskStatus.SKIPPED, TaskStatus.CANCELED, TaskStatus.KILLED,
     TaskStatus.COMPLETED, TaskStatus.ERROR}
)


class Command(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    ESTOP = "estop"
    RELEASE = "release"
    DOCK = "dock"


# Words for people, Korean first (robot screen, dashboard, logs).
MODE_LABELS: dict[RobotMode, tuple[str, str]] = {
    RobotMode.IDLE: ("대기", "idle"),
    RobotMode.NAVIGATING: ("이동 중", "navigating"),
    RobotMode.GUIDING: ("안내 중", "guiding"),
    RobotMode.TOURING: ("해설 투어 중", "touring"),
    RobotMode.WAITING: ("기다리는 중", "waiting"),
    RobotMode.DOCKING: ("충전소로 이동", "docking"),
    RobotMode.CHARGING: ("충전 중", "charging"),
    RobotMode.PAUSED: ("일시 정지", "paused"),
    RobotMode.ESTOPPED: ("비상 정지", "e-stopped"),
    RobotMode.ERROR: ("오류", "error"),
    RobotMode.OFFLINE: ("연결 끊김", "offline"),
}
