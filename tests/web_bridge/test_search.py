"""Civil-service search through the API: the embedded Korean-aware search, and the City's
search app (a real HTTP stand-in) with fallback to the embedded search when it fails."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient

from suwon_fleet.concierge.search_service import (
    CityAppSearch,
    EmbeddedSearch,
    search_service_from_env,
)
from suwon_web_bridge.app import create_app
from tests.conftest import free_port
from tests.web_bridge.calls.city_call_system import UvicornThread
from tests.web_bridge.test_api import bridge_settings, log_in


@pytest.fixture(scope="module")
def embedded() -> EmbeddedSearch:
    return EmbeddedSearch()


@pytest.fixture(scope="module")
def client(tmp_path_factory, embedded):
    app = create_app(with_ros=False, settings=bridge_settings(tmp_path_factory.mktemp("s")))
    app.state.search = embedded  # the module's one copy: loading it takes a second
    with TestClient(app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {log_in(test_client)}"
        yield test_client


def test_search_finds_the_service_despite_spacing_and_typos(client) -> None:
    for query in ("주민등록등본", "주민 등록 등본", "주민등록등븐"):
        body = client.get("/api/v1/search", params={"q": query}).json()
        assert body["source"] == "embedded"
        top = body["results"][0]
        assert top["kind"] == "service" and "등본" in top["title_ko"], (query, top)


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "가" * 101}, {"q": "여권", "limit": 0}])
def test_bad_queries_are_422(client, params) -> None:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_search_needs_a_token(client) -> None:
    assert client.get("/api/v1/search", params={"q": "여권"},
                      headers={"Authorization": ""}).status_code == 401


class CityApp:
    """A stand-in for the City's search app that can answer, fail, stall or talk nonsense."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.keys: list[str | None] = []
        self.app = FastAPI()

        @self.app.get("/search")
        async def search(request: Request, q: str, limit: int = 5):
            self.keys.append(request.headers.get("x-api-key"))
            if self.mode == "error":
                return JSONResponse({"detail": "down"}, status_code=503)
            if self.mode == "slow":
                time.sleep(1.0)
            if self.mode == "garbage":
                return PlainTextResponse("<html>maintenance</html>")
            return {"results": [{"kind": "service", "id": "city-1", "score": 0.9,
                                 "title_ko": f"시청 앱: {q}", "summary_ko": "시청 앱 결과"}]}


@pytest.fixture(scope="module")
def city():
    stand_in = CityApp()
    server = UvicornThread(stand_in.app, free_port())
    server.start()
    yield stand_in, f"http://127.0.0.1:{server.port}/search"
    server.stop()


def test_city_app_answers_when_up(city, embedded) -> None:
    stand_in, url = city
    stand_in.mode = "ok"
    service = CityAppSearch(url, embedded, key="k-123", timeout_s=0.5)
    answer = service.search("여권", 3)
    assert answer.source == "city"
    assert answer.hits[0].title_ko == "시청 앱: 여권" and answer.hits[0].title_en == ""
    assert stand_in.keys[-1] == "k-123"
    service.close()


@pytest.mark.parametrize("mode", ["error", "slow", "garbage"])
def test_city_app_failure_falls_back_to_embedded(city, embedded, mode) -> None:
    stand_in, url = city
    stand_in.mode = mode
    service = CityAppSearch(url, embedded, timeout_s=0.3)
    answer = service.search("인감증명서", 3)
    assert answer.source.startswith("embedded (city app failed")
    assert "인감" in answer.hits[0].title_ko
    service.close()


def test_city_app_down_falls_back(embedded) -> None:
    service = CityAppSearch(f"http://127.0.0.1:{free_port()}/search", embedded, timeout_s=0.3)
    assert service.search("여권", 1).source.startswith("embedded (city app failed")
    service.close()


def test_environment_picks_the_adapter(embedded) -> None:
    assert search_service_from_env({}, embedded) is embedded
    chosen = search_service_from_env({"SUWON_SEARCH_URL": "http://127.0.0.1:9/search",
                                      "SUWON_SEARCH_TIMEOUT_S": "0.2"}, embedded)
    assert isinstance(chosen, CityAppSearch) and chosen.url.endswith("/search")


def test_the_concierge_answers_from_the_same_service(city, embedded) -> None:
    """The lobby robot's dialogue falls back to the City's app for what its intents miss, and
    to the embedded search when the app is down."""
    from suwon_fleet.concierge.dialogue import DialogueManager, ManualClock, ShowAnswer
    from suwon_fleet.concierge.intents import Intent

    stand_in, url = city
    service = CityAppSearch(url, embedded, timeout_s=0.5)
    dm = DialogueManager(embedded.content, clock=ManualClock(), search=service)
    question = Intent("unknown", 0.0, {}, "", "건강보험 자격 확인")
    stand_in.mode = "ok"
    reply = dm.handle(question)
    assert reply.intent == "search" and "시청 앱: 건강보험 자격 확인" in reply.text_ko
    assert isinstance(reply.action, ShowAnswer) and reply.action.kind == "search"
    assert reply.action.lines_ko == ("시청 앱 결과",)

    stand_in.mode = "error"
    reply = dm.handle(Intent("unknown", 0.0, {}, "", "어린이집 입소 문의"))
    assert reply.intent == "search" and "보육아동과" in reply.text_ko
    service.close()
