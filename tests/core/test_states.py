"""The ROS-free vocabularies agree with the message constants, word for word."""

from __future__ import annotations

from suwon_fleet_interfaces.msg import RobotCommand, RobotState, TaskRequest, TaskState

from suwon_fleet.core.states import Command, RobotMode, TaskStatus, TaskType


def constants(msg_type, prefix: str) -> set[str]:
    return {getattr(msg_type, name) for name in dir(msg_type) if name.startswith(prefix)}


def test_vocabularies_match_interfaces() -> None:
    assert constants(RobotState, "MODE_") == {m.value for m in RobotMode}
    assert constants(TaskRequest, "TYPE_") == {t.value for t in TaskType}
    assert constants(TaskState, "STATUS_") == {s.value for s in TaskStatus}
    assert constants(RobotCommand, "COMMAND_") == {c.value for c in Command}


def test_open_rmf_task_states() -> None:
    assert {s.value for s in TaskStatus} == {
        "uninitialized", "blocked", "error", "failed", "queued", "standby", "underway",
        "delayed", "skipped", "canceled", "killed", "completed"}
