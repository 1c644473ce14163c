"""The robot's own touch screen: a public page (it runs on the robot, facing visitors) and
the one read-only route it polls. Nothing here needs a login or can move a robot."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from suwon_web_bridge.problems import Problem
from suwon_web_bridge.ratelimit import limit
from suwon_web_bridge.routes.deps import FleetDep, GatewayDep
from suwon_web_bridge.schemas import RobotScreenOut

router = APIRouter(tags=["robot screen"], dependencies=[Depends(limit("public"))])
PAGE = Path(__file__).resolve().parents[1] / "static" / "robot" / "index.html"


def _known(fleet, robot_id: str) -> None:
    if robot_id not in fleet.robots:
        raise Problem(404, "Unknown Robot", f"no robot {robot_id!r}; robots: "
                      + ", ".join(fleet.robots), "unknown-robot")


@router.get("/api/v1/robots/{robot_id}/screen", response_model=RobotScreenOut)
async def robot_screen(robot_id: str, fleet: FleetDep, gateway: GatewayDep) -> dict:
    _known(fleet, robot_id)
    site = fleet.sites[fleet.robots[robot_id].site]
    state = next((r for r in (gateway.fleet() or {}).get("robots", [])
                  if r["robot_id"] == robot_id), None)
    place = site.places.get(state["current_place"]) if state else None
    return {
        "robot_id": robot_id, "site_id": site.site_id,
        "site_name_ko": site.name_ko, "site_name_en": site.name_en,
        "mode": state["mode"] if state else "offline",
        "battery_percent": state["battery_percent"] if state else None,
        "destination_ko": place.name_ko if place else "",
        "destination_en": place.name_en if place else "",
        "said": gateway.said(robot_id),
        "listening": gateway.listening(robot_id),
        "role": "docent" if site.tours else "concierge",
        "tour": gateway.tour(robot_id) if site.tours else None,
    }


class ScreenInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=100,
                      description="the words of the button, as if spoken (e.g. 화장실 어디예요)")


@router.post("/api/v1/robots/{robot_id}/screen/input", status_code=202)
async def screen_input(robot_id: str, body: ScreenInput, fleet: FleetDep,
                       gateway: GatewayDep) -> dict:
    """A tap on the robot's screen: the concierge hears it exactly like speech."""
    _known(fleet, robot_id)
    gateway.touch(robot_id, body.text.strip())
    return {"accepted": True}


@router.post("/api/v1/robots/{robot_id}/screen/listen", status_code=202)
async def screen_listen(robot_id: str, fleet: FleetDep, gateway: GatewayDep) -> dict:
    """Push-to-talk: the robot starts listening now, without waiting for a voice."""
    _known(fleet, robot_id)
    gateway.push_to_talk(robot_id)
    return {"accepted": True}


@router.get("/robot/{robot_id}", include_in_schema=False)
async def robot_screen_page(robot_id: str, fleet: FleetDep) -> FileResponse:
    _known(fleet, robot_id)
    return FileResponse(PAGE, media_type="text/html")
