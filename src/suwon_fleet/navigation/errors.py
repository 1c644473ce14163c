"""Nav2 (Jazzy) error codes, so clients see the numbers they would see from real Nav2."""

from __future__ import annotations

from enum import IntEnum


class NavError(IntEnum):
    NONE = 0
    # nav2_msgs/action/NavigateToPose result
    UNKNOWN = 9000
    TIMEOUT = 9003
    # ComputePathToPose (planner server)
    PLANNER_UNKNOWN = 200
    START_OUTSIDE_MAP = 203
    GOAL_OUTSIDE_MAP = 204
    START_OCCUPIED = 205
    GOAL_OCCUPIED = 206
    PLANNER_TIMEOUT = 207
    NO_VALID_PATH = 208
    # FollowPath (controller server)
    CONTROLLER_UNKNOWN = 100
    PATIENCE_EXCEEDED = 104
    FAILED_TO_MAKE_PROGRESS = 105


class NavigationFailure(Exception):
    def __init__(self, code: NavError, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code.name} ({int(code)}): {message}")
