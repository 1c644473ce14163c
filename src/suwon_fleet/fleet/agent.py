"""A robot's task state machine, free of ROS so it can be tested tick by tick.

The agent node feeds it events (a task arrives, navigation finished, an operator command) and
carries out the effect it returns. Command precedence when commands conflict:
estop > release > cancel > pause > resume > dock; while e-stopped only release is obeyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto

from suwon_fleet.core.states import Command, RobotMode, TaskStatus, TaskType


class Effect(Enum):
    NONE = auto()
    NAVIGATE = auto()  # send (or re-send) the navigation goal for the active task
    STOP = auto()  # cancel navigation and hold still


@dataclass
class ActiveTask:
    task_id: str
    type: TaskType
    place: str
    status: TaskStatus = TaskStatus.UNDERWAY
    message: str = ""


_MOVING_MODE = {
    TaskType.GO_TO_PLACE: RobotMode.NAVIGATING,
    TaskType.GUIDE_VISITOR: RobotMode.GUIDING,
    TaskType.RUN_TOUR: RobotMode.TOURING,
    TaskType.DOCK: RobotMode.DOCKING,
    TaskType.CALL_OFFICIAL: RobotMode.WAITING,
}


class AgentLogic:
    def __init__(self) -> None:
        self.mode = RobotMode.IDLE
        self.task: ActiveTask | None = None
        self._mode_before_pause = RobotMode.IDLE

    @property
    def busy(self) -> bool:
        return self.task is not None

    def start(self, task: ActiveTask) -> Effect:
        if self.mode is RobotMode.ESTOPPED:
            raise RuntimeError("the robot is e-stopped; an operator must release it first")
        if self.task is not None:
            raise RuntimeError(f"busy with task {self.task.task_id}")
        self.task = task
        self.mode = _MOVING_MODE[task.type]
        return Effect.NAVIGATE

    def navigation_finished(self, succeeded: bool, message: str = "") -> Effect:
        """Navigation for the active task ended (not because of pause/e-stop)."""
        if self.task is None or self.mode in (RobotMode.PAUSED, RobotMode.ESTOPPED):
            return Effect.NONE
        self.task.status = TaskStatus.COMPLETED if succeeded else TaskStatus.FAILED
        self.task.message = message
        self.mode = RobotMode.IDLE if succeeded else RobotMode.ERROR
        return Effect.NONE

    def tour_finished(self, succeeded: bool, message: str = "") -> Effect:
        """The tour guide ended the active tour task. Unlike a navigation, a tour ends
        whatever the mode: a critical battery ends it even while an operator holds it."""
        if self.task is None or self.task.status is not TaskStatus.UNDERWAY:
            return Effect.NONE
        self.task.status = TaskStatus.COMPLETED if succeeded else TaskStatus.FAILED
        self.task.message = message
        if self.mode is not RobotMode.ESTOPPED:
            self.mode = RobotMode.IDLE
        return Effect.NONE

    def finish(self) -> ActiveTask | None:
        """Hand back the finished task and become available again."""
        task, self.task = self.task, None
        if self.mode not in (RobotMode.ESTOPPED,):
            self.mode = RobotMode.IDLE
        return task

    def command(self, command: Command) -> Effect:
        if self.mode is RobotMode.ESTOPPED and command is not Command.RELEASE:
            return Effect.STOP  # keep holding: nothing but release moves an e-stopped robot
        if command is Command.ESTOP:
            self.mode = RobotMode.ESTOPPED
            return Effect.STOP
        if command is Command.RELEASE:
            if self.mode is not RobotMode.ESTOPPED:
                return Effect.NONE
            self.mode = RobotMode.PAUSED if self.task else RobotMode.IDLE
            self._mode_before_pause = _MOVING_MODE[self.task.type] if self.task else RobotMode.IDLE
            return Effect.NONE  # stays paused: an operator resumes explicitly
        if command is Command.CANCEL:
            if self.task is None:
                return Effect.NONE
            self.task.status = TaskStatus.CANCELED
            self.task.message = "canceled by operator"
            self.mode = RobotMode.IDLE
            return Effect.STOP
        if command is Command.PAUSE:
            if self.task is None or self.mode is RobotMode.PAUSED:
                return Effect.NONE
            self._mode_before_pause = self.mode
            self.mode = RobotMode.PAUSED
            return Effect.STOP
        if command is Command.RESUME:
            if self.mode is not RobotMode.PAUSED or self.task is None:
                return Effect.NONE
            self.mode = self._mode_before_pause
            return Effect.NAVIGATE
        return Effect.NONE  # dock arrives as a task from the fleet manager
