"""Sites, their places and map images (all derived from config/ and maps/)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from suwon_fleet.core.sites import Fleet, Site
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.routes.deps import FleetDep
from suwon_web_bridge.schemas import MapInfo, PlaceOut, SiteOut

router = APIRouter(tags=["sites"])


def site_or_404(fleet: Fleet, site_id: str) -> Site:
    if site_id not in fleet.sites:
        raise Problem(404, "Unknown Site", f"no site {site_id!r}; sites: "
                      + ", ".join(fleet.sites), "unknown-site")
    return fleet.sites[site_id]


def _site_out(fleet: Fleet, site: Site) -> SiteOut:
    grid = site.map
    return SiteOut(
        site_id=site.site_id, name_ko=site.name_ko, name_en=site.name_en,
        robots=fleet.robots_at(site.site_id),
        map=MapInfo(resolution=grid.resolution, origin=grid.origin, width=grid.cols,
                    height=grid.rows, image_url=f"/api/v1/sites/{site.site_id}/map.png"),
        places=[PlaceOut(place_id=pid, name_ko=p.name_ko, name_en=p.name_en, x=p.x, y=p.y,
                         yaw=p.yaw, kind=p.kind, aliases=p.aliases)
                for pid, p in site.places.items()],
    )


@router.get("/sites", response_model=list[SiteOut])
async def list_sites(fleet: FleetDep) -> list[SiteOut]:
    return [_site_out(fleet, site) for site in fleet.sites.values()]


@router.get("/sites/{site_id}", response_model=SiteOut)
async def get_site(site_id: str, fleet: FleetDep) -> SiteOut:
    return _site_out(fleet, site_or_404(fleet, site_id))


@router.get("/sites/{site_id}/places/{place}", response_model=PlaceOut)
async def get_place(site_id: str, place: str, fleet: FleetDep) -> PlaceOut:
    site = site_or_404(fleet, site_id)
    place_id = site.find_place(place)
    if place_id is None:
        suggestions = site.suggest(place)
        raise Problem(404, "Unknown Place", f"no place {place!r} at {site_id}"
                      + (f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""),
                      "unknown-place", suggestions=suggestions)
    p = site.places[place_id]
    return PlaceOut(place_id=place_id, name_ko=p.name_ko, name_en=p.name_en, x=p.x, y=p.y,
                    yaw=p.yaw, kind=p.kind, aliases=p.aliases)


_PNG_CACHE: dict[str, bytes] = {}


def site_map_png(site: Site) -> bytes:
    key = str(site.map_path)
    if key not in _PNG_CACHE:
        buffer = io.BytesIO()
        site.map.to_image().save(buffer, format="PNG", optimize=True)
        _PNG_CACHE[key] = buffer.getvalue()
    return _PNG_CACHE[key]


@router.get("/sites/{site_id}/map.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
async def get_map_image(site_id: str, fleet: FleetDep) -> Response:
    png = site_map_png(site_or_404(fleet, site_id))
    return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=300"})


class TourStopOut(BaseModel):
    place_id: str
    name_ko: str
    name_en: str
    dwell_s: float


class TourOut(BaseModel):
    tour_id: str
    name_ko: str
    name_en: str
    summary_ko: str
    summary_en: str
    minutes: int = Field(description="advertised length")
    accessible: bool = Field(description="step-free: no stairs or steep paths")
    stops: list[TourStopOut] = Field(description="this season's stops, in order")


@router.get("/sites/{site_id}/tours", response_model=list[TourOut])
async def list_tours(site_id: str, fleet: FleetDep) -> list[TourOut]:
    """The site's courses (from its site file), with the stops of the current season."""
    from suwon_fleet.core.tours import season_of

    site = site_or_404(fleet, site_id)
    season = season_of(datetime.now(ZoneInfo(site.timezone)).date())
    tours = []
    for tour_id, course in site.tours.items():
        stops = [TourStopOut(place_id=stop.place, name_ko=site.places[stop.place].name_ko,
                             name_en=site.places[stop.place].name_en, dwell_s=stop.dwell_s)
                 for stop in course.stops_for(season)]
        tours.append(TourOut(tour_id=tour_id, name_ko=course.name_ko, name_en=course.name_en,
                             summary_ko=course.summary_ko, summary_en=course.summary_en,
                             minutes=course.minutes, accessible=course.accessible,
                             stops=stops))
    return tours
