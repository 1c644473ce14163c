"""Civil-service search: the same service the lobby robots use (embedded Korean-aware search,
or the City's app with the embedded one as fallback; see concierge/search_service.py)."""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from suwon_fleet.concierge.search_service import SearchService, search_service_from_env
from suwon_web_bridge.auth.deps import Viewer

router = APIRouter(tags=["search"])
_build_lock = threading.Lock()


class SearchHitOut(BaseModel):
    kind: Literal["service", "department", "staff"]
    id: str
    score: float = Field(ge=0, le=1)
    title_ko: str
    title_en: str
    summary_ko: str
    summary_en: str


class SearchOut(BaseModel):
    query: str
    source: str = Field(description="embedded, city, or embedded after the City app failed")
    results: list[SearchHitOut]


def search_service(request: Request) -> SearchService:
    """Built on first use: loading the content and the Korean analyser takes a second."""
    service = getattr(request.app.state, "search", None)
    if service is None:
        with _build_lock:
            service = getattr(request.app.state, "search", None)
            if service is None:
                service = request.app.state.search = search_service_from_env()
    return service


@router.get("/search", response_model=SearchOut)
def search(_user: Viewer, request: Request,
           q: Annotated[str, Query(min_length=1, max_length=100,
                                   description="e.g. 주민등록등본, 가족 관계, 여권 재발급")],
           limit: Annotated[int, Query(ge=1, le=20)] = 5) -> dict:
    # A plain def: FastAPI runs it in its thread pool, so a slow City app never blocks others.
    answer = search_service(request).search(q, limit)
    return {"query": q, "source": answer.source,
            "results": [asdict(hit) for hit in answer.hits]}
