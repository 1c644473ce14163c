"""Nav2 (Jazzy) error codes, so clients see the numbers they would see from real Nav2.

In Jazzy, NavigateToPose's result carries the code of the server that failed: the planner
(ComputePathToPose, 200-208) or the controller (FollowPath, 100-107); 0 is success.
"""

from __future__ import annotations

from enum import IntEnum


class NavError(IntEnum):
    NONE = 0
    # FollowPath (controller server)
    CONTROLLER_UNKNOWN = 100
    CONTROLLER_TF_ERROR = 102
    INVALID_PATH = 103
    PATIENCE_EXCEEDED = 104
    FAILED_TO_MAKE_PROGRESS = 105
    NO_VALID_CONTROL = 106
    # ComputePathToPose (planner server)
    PLANNER_UNKNOWN = 200
    PLANNER_TF_ERROR = 202
    START_OUTSIDE_MAP = 203
    GOAL_OUTSIDE_MAP = 204
    START_OCCUPIED = 205
    GOAL_OCCUPIED = 206
    PLANNER_TIMEOUT = 207
    NO_VALID_PATH = 208
    # Spin and BackUp (behavior server)
    SPIN_TIMEOUT = 701
    SPIN_COLLISION_AHEAD = 703
    BACKUP_TIMEOUT = 711
    BACKUP_COLLISION_AHEAD = 714
    # DockRobot / UndockRobot (docking server)
    DOCK_NOT_IN_DB = 901
    FAILED_TO_STAGE = 903
    FAILED_TO_CONTROL = 905


class NavigationFailure(Exception):
    def __init__(self, code: NavError, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code.name} ({int(code)}): {message}")
