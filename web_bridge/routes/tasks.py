"""Tasks: submit, list with filters, detail with history, cancel, pause, resume.

The fleet database (shared with the fleet manager, WAL) is the record: tasks finished before
the bridge started are listed too. The live ROS view adds progress between writes.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from suwon_fleet_interfaces.msg import RobotCommand, TaskRequest

from suwon_fleet.core.states import Command, TaskStatus, TaskType
from suwon_fleet.fleet.tasks import TaskRecord, TaskRejected, new_task
from suwon_web_bridge.auth.deps import Operator, Viewer
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.ros_gateway import GatewayUnavailable
from suwon_web_bridge.routes.deps import FleetDep, get_gateway
from suwon_web_bridge.schemas import CommandOut, TaskAccepted, TaskCreate, TaskDetailOut, TaskPage

router = APIRouter(tags=["tasks"])

_REJECTION_STATUS = {"unknown_site": 404, "unknown_place": 404, "unknown_robot": 404}


def _task_out(task: TaskRecord, live: dict | None) -> dict:
    out = {"task_id": task.task_id, "type": task.type, "site_id": task.site_id,
           "place": task.place, "robot_id": task.robot_id, "status": task.status,
           "message": task.message, "progress": min(1.0, max(0.0, task.progress)),
           "priority": task.priority, "submitted_at": task.submitted_at,
           "updated_at": task.updated_at, "requester": task.requester,
           "tour_id": task.tour_id, "attempt": task.attempt}
    if live and (live.get("updated_at") or 0) >= task.updated_at:
        out.update({k: live[k] for k in ("status", "robot_id", "message", "progress")})
    return out


def _live(request: Request) -> dict[str, dict]:
    gateway = request.app.state.gateway
    return {t["task_id"]: t for t in gateway.tasks()} if gateway else {}


def _find(request: Request, task_id: str) -> TaskRecord:
    task = request.app.state.store.task(task_id)
    if task is None:
        raise Problem(404, "Unknown Task", f"no task {task_id!r}", "unknown-task")
    return task


@router.post("/tasks", response_model=TaskAccepted, status_code=status.HTTP_202_ACCEPTED)
async def submit_task(user: Operator, body: TaskCreate, fleet: FleetDep,
                      request: Request) -> TaskAccepted:
    return await submit(request, fleet, body, user.username)


async def submit(request: Request, fleet, body: TaskCreate, requester: str) -> TaskAccepted:
    # Validate here too, with the same rules as the fleet manager, so the caller gets a
    # structured answer (nearest place names) without a round trip.
    try:
        record = new_task(fleet, body.type, body.site_id, body.place, body.robot_id,
                          body.tour_id, body.priority, requester)
    except TaskRejected as exc:
        raise Problem(_REJECTION_STATUS.get(exc.code, 422), exc.code.replace("_", " ").title(),
                      str(exc), exc.code.replace("_", "-"), suggestions=exc.suggestions) from exc
    gateway = get_gateway(request)  # after validation: a bad request is 4xx even without ROS
    task_request = TaskRequest(type=record.type.value, site_id=record.site_id, place=record.place,
                               robot_id=record.requested_robot, tour_id=record.tour_id,
                               priority=record.priority, requester=requester,
                               parameters_json=json.dumps({}))
    try:
        response = await gateway.submit_task(task_request)
    except GatewayUnavailable as exc:
        raise Problem(503, "Fleet Manager Unavailable", str(exc), "fleet-unavailable") from exc
    if not response.accepted:
        raise Problem(422, "Task Rejected", response.message, "task-rejected")
    return TaskAccepted(task_id=response.task_id, status=response.message)


@router.get("/tasks", response_model=TaskPage)
async def list_tasks(
    _user: Viewer, request: Request,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    robot_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[list[TaskStatus] | None, Query()] = None,
    type: Annotated[TaskType | None, Query()] = None,
    active: Annotated[bool | None, Query(description="only unfinished (or finished)")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,  # within SQLite integers
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    """Newest first."""
    statuses = list(status or [])
    if active is not None:  # unfinished (or finished) statuses, within any asked for
        wanted = [s for s in TaskStatus if s.is_terminal != active]
        statuses = [s for s in statuses if s in wanted] if statuses else wanted
        if not statuses:
            return {"total": 0, "offset": offset, "limit": limit, "items": []}
    total, page = request.app.state.store.task_page(
        site_id=site_id, robot_id=robot_id, statuses=statuses, type_=type, offset=offset,
        limit=limit)
    live = _live(request)
    return {"total": total, "offset": offset, "limit": limit,
            "items": [_task_out(t, live.get(t.task_id)) for t in page]}


@router.get("/tasks/{task_id}", response_model=TaskDetailOut)
async def get_task(_user: Viewer, task_id: str, request: Request) -> dict:
    task = _find(request, task_id)
    out = _task_out(task, _live(request).get(task_id))
    out["history"] = request.app.state.store.history(task_id)
    return out


async def send_command(request: Request, robot_id: str, command: Command, issuer: str,
                       task_id: str = "", reason: str = "") -> CommandOut:
    gateway = get_gateway(request)
    try:
        response = await gateway.send_command(RobotCommand(
            robot_id=robot_id, command=command.value, task_id=task_id, issuer=issuer,
            reason=reason))
    except GatewayUnavailable as exc:
        raise Problem(503, "Fleet Manager Unavailable", str(exc), "fleet-unavailable") from exc
    if not response.accepted:
        raise Problem(409, "Command Refused", response.message, "command-refused")
    return CommandOut(accepted=True, message=response.message)


@router.post("/tasks/{task_id}/cancel", response_model=CommandOut)
async def cancel_task(user: Operator, task_id: str, request: Request) -> CommandOut:
    task = _find(request, task_id)
    if task.status.is_terminal:
        raise Problem(409, "Task Finished", f"task {task_id} is already {task.status}",
                      "task-finished")
    return await send_command(request, task.robot_id, Command.CANCEL, user.username, task_id)


async def _on_its_robot(request: Request, task_id: str, command: Command, user) -> CommandOut:
    task = _find(request, task_id)
    live = _live(request).get(task_id)
    robot_id = (live or {}).get("robot_id") or task.robot_id
    current = TaskStatus((live or {}).get("status") or task.status)
    if current is not TaskStatus.UNDERWAY or not robot_id:
        raise Problem(409, "Task Not Running", f"task {task_id} is {current}; only a task "
                      "underway on a robot can be paused or resumed", "task-not-running")
    return await send_command(request, robot_id, command, user.username, task_id)


@router.post("/tasks/{task_id}/pause", response_model=CommandOut)
async def pause_task(user: Operator, task_id: str, request: Request) -> CommandOut:
    return await _on_its_robot(request, task_id, Command.PAUSE, user)


@router.post("/tasks/{task_id}/resume", response_model=CommandOut)
async def resume_task(user: Operator, task_id: str, request: Request) -> CommandOut:
    return await _on_its_robot(request, task_id, Command.RESUME, user)
