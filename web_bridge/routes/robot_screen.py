"""The robot's own touch screen: a public page (it runs on the robot, facing visitors), the
route it polls, its buttons (heard like speech), and a docent's course suggestions.

Nothing here needs a login. The one thing it can start is a tour on its own robot, while that
robot is idle: the guest standing at the robot asks for it, as they could ask a person."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from suwon_fleet.core.sites import Site
from suwon_fleet.core.states import TaskType
from suwon_fleet.core.tours import INTEREST_LABELS, Interest
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.ratelimit import limit
from suwon_web_bridge.routes.deps import FleetDep, GatewayDep, get_gateway
from suwon_web_bridge.routes.sites import site_map_png
from suwon_web_bridge.schemas import RobotScreenOut, TaskAccepted, TaskCreate

router = APIRouter(tags=["robot screen"], dependencies=[Depends(limit("public"))])
PAGE = Path(__file__).resolve().parents[1] / "static" / "robot" / "index.html"


def _known(fleet, robot_id: str) -> None:
    if robot_id not in fleet.robots:
        raise Problem(404, "Unknown Robot", f"no robot {robot_id!r}; robots: "
                      + ", ".join(fleet.robots), "unknown-robot")


def _robot_state(gateway, robot_id: str) -> dict | None:
    """The robot's latest state in the fleet stream (None: not heard of yet)."""
    return next((r for r in (gateway.fleet() or {}).get("robots", [])
                 if r["robot_id"] == robot_id), None)


@router.get("/api/v1/robots/{robot_id}/screen", response_model=RobotScreenOut)
async def robot_screen(robot_id: str, fleet: FleetDep, gateway: GatewayDep) -> dict:
    _known(fleet, robot_id)
    site = fleet.sites[fleet.robots[robot_id].site]
    state = _robot_state(gateway, robot_id)
    place = site.places.get(state["current_place"]) if state else None
    grid = site.map
    return {
        "robot_id": robot_id, "site_id": site.site_id,
        "site_name_ko": site.name_ko, "site_name_en": site.name_en,
        "mode": state["mode"] if state else "offline",
        "battery_percent": state["battery_percent"] if state else None,
        "destination_ko": place.name_ko if place else "",
        "destination_en": place.name_en if place else "",
        "destination_xy": (place.x, place.y) if place else None,
        "pose": (state["x"], state["y"], state["yaw"]) if state else None,
        "path": state["path"] if state else [],
        "map": {"resolution": grid.resolution, "origin": grid.origin, "width": grid.cols,
                "height": grid.rows, "image_url": f"/api/v1/robots/{robot_id}/screen/map.png"},
        "heard": gateway.heard(robot_id),
        "card": gateway.card(robot_id),
        "said": gateway.said(robot_id),
        "listening": gateway.listening(robot_id),
        "role": "docent" if site.tours else "concierge",
        "tour": gateway.tour(robot_id) if site.tours else None,
    }


@router.get("/api/v1/robots/{robot_id}/screen/map.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def robot_screen_map(robot_id: str, fleet: FleetDep) -> Response:
    """The robot's site map for its screen (the dashboard's copy needs a login)."""
    _known(fleet, robot_id)
    png = site_map_png(fleet.sites[fleet.robots[robot_id].site])
    return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=300"})


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


class TextOut(BaseModel):
    ko: str
    en: str


class CourseSuggestion(BaseModel):
    tour_id: str
    name: TextOut
    minutes: int = Field(description="this guest's estimate, in whole minutes")
    starts_at: datetime
    ends_at: datetime
    reasons: list[TextOut]


class CourseSuggestions(BaseModel):
    season: str
    notice: TextOut | None = Field(None, description="closed today, opens later, ...")
    suggestions: list[CourseSuggestion] = Field(description="best first")
    excluded: dict[str, TextOut] = Field(description="course id -> why it is not offered")


_ROUTE_BOOKS: dict[str, object] = {}


def _routes(site: Site):
    """Legs planned once per site: every suggestion after the first reuses them."""
    from suwon_fleet.docent.planning import RouteBook

    if site.site_id not in _ROUTE_BOOKS:
        _ROUTE_BOOKS[site.site_id] = RouteBook(site)
    return _ROUTE_BOOKS[site.site_id]


def _docent_site(fleet, robot_id: str) -> Site:
    _known(fleet, robot_id)
    site = fleet.sites[fleet.robots[robot_id].site]
    if not site.tours:
        raise Problem(409, "Not A Docent", f"{robot_id} is at {site.site_id}, which has no "
                      "tours", "not-a-docent")
    return site


@router.get("/api/v1/robots/{robot_id}/screen/tours", response_model=CourseSuggestions)
def suggest_courses(  # sync: route planning runs in the thread pool, not on the event loop
        robot_id: str, fleet: FleetDep,
        minutes: Annotated[float, Query(gt=0, le=480, description="time the guest has")] = 60,
        step_free: Annotated[bool, Query(description="wheelchair, pram, walking aid")] = False,
        interests: Annotated[list[Interest], Query(
            description=f"any of {', '.join(INTEREST_LABELS)}")] = [],  # noqa: B006
        language: Literal["ko", "en", "both"] = "ko",
        at: Annotated[datetime | None, Query(
            description="plan for this time (ISO 8601; default now)")] = None,
) -> CourseSuggestions:
    """The courses to offer this guest now, ranked, each with its reasons (docent robots)."""
    from suwon_fleet.docent.recommend import GuestAnswers, recommend

    site = _docent_site(fleet, robot_id)
    answers = GuestAnswers(minutes_available=minutes, step_free=step_free,
                           interests=frozenset(interests), language=language)
    result = recommend(site, answers, at or datetime.now().astimezone(), _routes(site))
    return CourseSuggestions(
        season=result.season,
        notice=result.notice.model_dump() if result.notice else None,
        suggestions=[CourseSuggestion(
            tour_id=s.course_id, name=s.name.model_dump(), minutes=round(s.estimate_s / 60),
            starts_at=s.starts_at, ends_at=s.ends_at,
            reasons=[r.model_dump() for r in s.reasons]) for s in result.suggestions],
        excluded={k: v.model_dump() for k, v in result.excluded.items()})


class ScreenTour(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tour_id: str = Field(min_length=1, max_length=64)


@router.post("/api/v1/robots/{robot_id}/screen/tour", response_model=TaskAccepted,
             status_code=202)
async def start_tour_from_screen(robot_id: str, body: ScreenTour, fleet: FleetDep,
                                 request: Request) -> TaskAccepted:
    """A guest at the robot starts a course on it: only this robot, only while it is idle."""
    from suwon_web_bridge.routes.tasks import submit

    site = _docent_site(fleet, robot_id)
    if body.tour_id not in site.tours:
        raise Problem(404, "Unknown Tour", f"no course {body.tour_id!r} at {site.site_id}; "
                      "courses: " + ", ".join(site.tours), "unknown-tour")
    gateway = get_gateway(request)  # after validation: a bad request is 4xx even without ROS
    state = _robot_state(gateway, robot_id)
    if state is None or state["mode"] != "idle":
        mode = state["mode"] if state else "offline"
        raise Problem(409, "Robot Busy", f"{robot_id} is {mode}: a tour starts from the "
                      "screen only while the robot is idle", "robot-busy")
    return await submit(request, fleet, TaskCreate(
        type=TaskType.RUN_TOUR, site_id=site.site_id, robot_id=robot_id,
        tour_id=body.tour_id, priority=5), f"screen:{robot_id}")


@router.get("/robot/{robot_id}", include_in_schema=False)
async def robot_screen_page(robot_id: str, fleet: FleetDep) -> FileResponse:
    _known(fleet, robot_id)
    return FileResponse(PAGE, media_type="text/html")
