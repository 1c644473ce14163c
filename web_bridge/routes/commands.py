"""Operator commands for one robot: go to a place, start a tour, dock, e-stop, release,
pause, resume, cancel. Moving commands become tasks (queued, persisted, tracked); the rest go
to the robot through the fleet manager, which writes each to the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request

from suwon_fleet.core.states import Command, TaskType
from suwon_web_bridge.auth.deps import Operator
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.routes.deps import FleetDep
from suwon_web_bridge.routes.tasks import send_command, submit
from suwon_web_bridge.schemas import CommandIn, CommandOut, TaskCreate

router = APIRouter(tags=["commands"])


@router.post("/robots/{robot_id}/commands", response_model=CommandOut)
async def command_robot(user: Operator, robot_id: str, body: CommandIn, fleet: FleetDep,
                        request: Request) -> CommandOut:
    if robot_id not in fleet.robots:
        raise Problem(404, "Unknown Robot", f"no robot {robot_id!r}; robots: "
                      + ", ".join(fleet.robots), "unknown-robot")
    site_id = fleet.robots[robot_id].site
    if body.command in ("go_to_place", "start_tour"):
        if body.command == "go_to_place" and not body.place:
            raise Problem(422, "Invalid Request", "go_to_place needs a place", "invalid-request")
        if body.command == "start_tour" and not body.tour_id:
            raise Problem(422, "Invalid Request", "start_tour needs a tour_id", "invalid-request")
        task_type = TaskType.GO_TO_PLACE if body.command == "go_to_place" else TaskType.RUN_TOUR
        accepted = await submit(request, fleet, TaskCreate(
            type=task_type, site_id=site_id, place=body.place, robot_id=robot_id,
            tour_id=body.tour_id, priority=5), user.username)
        return CommandOut(accepted=True, message=str(accepted.status), task_id=accepted.task_id)
    return await send_command(request, robot_id, Command(body.command), user.username,
                              reason=body.reason)
