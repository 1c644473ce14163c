"""The robot's task state machine, event by event."""

from __future__ import annotations

import pytest

from suwon_fleet.core.states import Command, RobotMode, TaskStatus, TaskType
from suwon_fleet.fleet.agent import ActiveTask, AgentLogic, Effect


def started(task_type: TaskType = TaskType.GO_TO_PLACE) -> AgentLogic:
    logic = AgentLogic()
    assert logic.start(ActiveTask("t1", task_type, "information_desk")) is Effect.NAVIGATE
    return logic


def test_task_runs_to_completion() -> None:
    logic = started()
    assert logic.mode is RobotMode.NAVIGATING
    logic.navigation_finished(True)
    task = logic.finish()
    assert task.status is TaskStatus.COMPLETED
    assert logic.mode is RobotMode.IDLE and not logic.busy


def test_dock_task_is_docking_mode() -> None:
    assert started(TaskType.DOCK).mode is RobotMode.DOCKING


def test_failed_navigation_fails_the_task() -> None:
    logic = started()
    logic.navigation_finished(False, "no path")
    assert logic.task.status is TaskStatus.FAILED and logic.task.message == "no path"


def test_pause_and_resume_keep_the_task() -> None:
    logic = started()
    assert logic.command(Command.PAUSE) is Effect.STOP
    assert logic.mode is RobotMode.PAUSED
    logic.navigation_finished(False, "canceled")  # the pause's own cancel must not fail it
    assert logic.task.status is TaskStatus.UNDERWAY
    assert logic.command(Command.RESUME) is Effect.NAVIGATE
    assert logic.mode is RobotMode.NAVIGATING


def test_estop_wins_and_holds_until_release() -> None:
    logic = started()
    assert logic.command(Command.ESTOP) is Effect.STOP
    for ignored in (Command.RESUME, Command.CANCEL, Command.PAUSE, Command.DOCK):
        assert logic.command(ignored) is Effect.STOP
        assert logic.mode is RobotMode.ESTOPPED
    with pytest.raises(RuntimeError, match="e-stopped"):
        AgentLogic.start(logic, ActiveTask("t2", TaskType.GO_TO_PLACE, "x"))
    logic.command(Command.RELEASE)
    assert logic.mode is RobotMode.PAUSED, "release does not drive off on its own"
    assert logic.task.status is TaskStatus.UNDERWAY, "nothing lost"
    assert logic.command(Command.RESUME) is Effect.NAVIGATE


def test_cancel_ends_the_task() -> None:
    logic = started()
    assert logic.command(Command.CANCEL) is Effect.STOP
    assert logic.finish().status is TaskStatus.CANCELED


def test_second_task_refused_while_busy() -> None:
    logic = started()
    with pytest.raises(RuntimeError, match="busy"):
        logic.start(ActiveTask("t2", TaskType.GO_TO_PLACE, "entrance"))


def test_a_tour_ends_whatever_the_mode_and_resume_does_not_navigate() -> None:
    logic = started(TaskType.RUN_TOUR)
    assert logic.mode is RobotMode.TOURING
    assert logic.command(Command.PAUSE) is Effect.STOP
    # The tour guide resumes its own tour; the agent has nowhere to navigate to.
    assert logic.command(Command.RESUME) is Effect.NAVIGATE
    assert logic.mode is RobotMode.TOURING
    logic.command(Command.PAUSE)
    logic.tour_finished(False, "low_battery: 3/6 stops narrated")  # ends even while paused
    task = logic.finish()
    assert task.status is TaskStatus.FAILED and logic.mode is RobotMode.IDLE


def test_a_tour_ended_during_an_estop_keeps_the_robot_estopped() -> None:
    logic = started(TaskType.RUN_TOUR)
    logic.command(Command.ESTOP)
    logic.tour_finished(True, "completed")
    assert logic.finish().status is TaskStatus.COMPLETED
    assert logic.mode is RobotMode.ESTOPPED
