"""Tasks: submit, list, detail."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, status
from suwon_fleet_interfaces.msg import TaskRequest

from suwon_fleet.fleet.tasks import TaskRejected, new_task
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.ros_gateway import GatewayUnavailable
from suwon_web_bridge.routes.deps import FleetDep, GatewayDep, get_gateway
from suwon_web_bridge.schemas import TaskAccepted, TaskCreate, TaskOut

router = APIRouter(tags=["tasks"])

_REJECTION_STATUS = {"unknown_site": 404, "unknown_place": 404, "unknown_robot": 404}


@router.post("/tasks", response_model=TaskAccepted, status_code=status.HTTP_202_ACCEPTED)
async def submit_task(body: TaskCreate, fleet: FleetDep, request: Request) -> TaskAccepted:
    # Validate here too, with the same rules as the fleet manager, so the caller gets a
    # structured answer (nearest place names) without a round trip.
    try:
        record = new_task(fleet, body.type, body.site_id, body.place, body.robot_id,
                          body.tour_id, body.priority, "api")
    except TaskRejected as exc:
        raise Problem(_REJECTION_STATUS.get(exc.code, 422), exc.code.replace("_", " ").title(),
                      str(exc), exc.code.replace("_", "-"), suggestions=exc.suggestions) from exc
    gateway = get_gateway(request)  # after validation: a bad request is 4xx even without ROS
    task_request = TaskRequest(type=record.type.value, site_id=record.site_id, place=record.place,
                          robot_id=record.requested_robot, tour_id=record.tour_id,
                          priority=record.priority, requester="api",
                          parameters_json=json.dumps({}))
    try:
        response = await gateway.submit_task(task_request)
    except GatewayUnavailable as exc:
        raise Problem(503, "Fleet Manager Unavailable", str(exc), "fleet-unavailable") from exc
    if not response.accepted:
        raise Problem(422, "Task Rejected", response.message, "task-rejected")
    return TaskAccepted(task_id=response.task_id, status=response.message)


@router.get("/tasks", response_model=list[TaskOut])
async def list_tasks(gateway: GatewayDep, site_id: str | None = None,
                     status: str | None = None, robot_id: str | None = None) -> list[dict]:
    tasks = gateway.tasks()
    if site_id:
        tasks = [t for t in tasks if t["site_id"] == site_id]
    if status:
        tasks = [t for t in tasks if t["status"] == status]
    if robot_id:
        tasks = [t for t in tasks if t["robot_id"] == robot_id]
    return sorted(tasks, key=lambda t: t["submitted_at"] or 0, reverse=True)


@router.get("/tasks/{task_id}", response_model=TaskOut)
async def get_task(task_id: str, gateway: GatewayDep) -> dict:
    task = gateway.task(task_id)
    if task is None:
        raise Problem(404, "Unknown Task", f"no task {task_id!r}", "unknown-task")
    return task
