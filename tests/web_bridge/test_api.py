"""The HTTP API without a ROS graph: sites, places, maps and error answers (RFC 9457)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from suwon_web_bridge.app import create_app
from suwon_web_bridge.settings import BridgeSettings
from tests.conftest import ADMIN_PASSWORD


def bridge_settings(tmp_path, **overrides) -> BridgeSettings:
    values = {"secret_key": "k" * 40, "database": str(tmp_path / "bridge.db"),
              "admin_password": ADMIN_PASSWORD, **overrides}
    return BridgeSettings(**values)


def log_in(client: TestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
    response = client.post("/api/v1/auth/token",
                           data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = bridge_settings(tmp_path_factory.mktemp("api"))
    with TestClient(create_app(with_ros=False, settings=settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {log_in(test_client)}"
        yield test_client


def test_sites_list_places_and_map_geometry(client: TestClient) -> None:
    sites = {s["site_id"]: s for s in client.get("/api/v1/sites").json()}
    assert set(sites) == {"city_hall", "ilwol_arboretum"}
    hall = sites["city_hall"]
    assert hall["robots"] == ["lobby_1"]
    assert hall["map"]["width"] == 800 and hall["map"]["height"] == 480
    assert any(p["place_id"] == "information_desk" for p in hall["places"])


def test_map_image_is_the_site_map(client: TestClient) -> None:
    response = client.get("/api/v1/sites/city_hall/map.png")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (800, 480)


def test_place_lookup_by_korean_name(client: TestClient) -> None:
    response = client.get("/api/v1/sites/city_hall/places/정문 출입구")
    assert response.status_code == 200
    assert response.json()["place_id"] == "entrance"


def test_unknown_place_is_a_problem_with_suggestions(client: TestClient) -> None:
    response = client.get("/api/v1/sites/city_hall/places/restroom_mal")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Unknown Place"
    assert body["suggestions"][0] == "restroom_male"
    assert body["instance"].endswith("/places/restroom_mal")


def test_unknown_site_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/sites/busan").status_code == 404


@pytest.mark.parametrize("body", [
    {"type": "teleport", "site_id": "city_hall"},
    {"type": "go_to_place"},
    {"type": "go_to_place", "site_id": "city_hall", "place": "x", "colour": "red"},
    {"type": "go_to_place", "site_id": "city_hall", "priority": 99},
])
def test_malformed_task_requests_are_422_with_fields(client: TestClient, body: dict) -> None:
    response = client.post("/api/v1/tasks", json=body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"] and problem["detail"]


def test_unknown_place_task_is_404_before_reaching_ros(client: TestClient) -> None:
    response = client.post("/api/v1/tasks", json={"type": "go_to_place", "site_id": "city_hall",
                                                  "place": "elevater"})
    assert response.status_code == 404
    assert "elevator_lobby" in response.json()["suggestions"]


def test_valid_task_without_ros_is_503_not_500(client: TestClient) -> None:
    response = client.post("/api/v1/tasks", json={"type": "go_to_place", "site_id": "city_hall",
                                                  "place": "entrance"})
    assert response.status_code == 503
    assert response.json()["title"] == "ROS Unavailable"


def test_health_is_degraded_without_ros(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "degraded"


def test_dashboard_is_served(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "dashboard.js" in page.text
    assert client.get("/openapi.json").json()["info"]["title"]


def test_oversized_body_is_413_problem(client: TestClient) -> None:
    response = client.post("/api/v1/tasks", content=b"{" + b" " * 70_000 + b"}",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_malformed_json_is_422_problem(client: TestClient) -> None:
    response = client.post("/api/v1/tasks", content=b'{"type": "go_to_place",',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_tours_of_the_arboretum_in_season(client: TestClient) -> None:
    tours = {t["tour_id"]: t for t in client.get("/api/v1/sites/ilwol_arboretum/tours").json()}
    assert {"highlights_30", "wheelchair"} <= set(tours)
    assert tours["wheelchair"]["accessible"] and tours["highlights_30"]["minutes"] == 30
    assert all(stop["name_ko"] for stop in tours["highlights_30"]["stops"])
    assert client.get("/api/v1/sites/city_hall/tours").json() == []


def test_a_docent_screen_suggests_courses_that_fit_the_guest(client: TestClient) -> None:
    url = "/api/v1/robots/docent_1/screen/tours"
    spring_morning = "2026-05-13T10:00:00+09:00"  # a Wednesday: open
    hour = client.get(url, params={"minutes": 60, "at": spring_morning}).json()
    half = client.get(url, params={"minutes": 30, "at": spring_morning}).json()
    assert hour["suggestions"] and all(s["minutes"] <= 61 for s in hour["suggestions"])
    offered = {s["tour_id"] for s in hour["suggestions"]}
    assert {s["tour_id"] for s in half["suggestions"]} <= offered
    assert "full_60" in half["excluded"] and half["excluded"]["full_60"]["en"]
    step_free = client.get(url, params={"minutes": 120, "step_free": "true", "at": spring_morning,
                                        "interests": ["flowers", "kids"]}).json()
    # The course designed step-free ranks first for a wheelchair, and says why.
    assert step_free["suggestions"][0]["tour_id"] == "wheelchair", step_free
    for suggestion in step_free["suggestions"]:
        assert all(r["ko"] and r["en"] for r in suggestion["reasons"])
    night = client.get(url, params={"at": "2026-05-13T23:00:00+09:00"}).json()
    assert not night["suggestions"] and night["notice"]["en"]  # closed: said so, politely


def test_course_suggestions_refuse_bad_answers_with_a_reason(client: TestClient) -> None:
    bad_interest = client.get("/api/v1/robots/docent_1/screen/tours?interests=shopping")
    assert bad_interest.status_code == 422
    assert client.get("/api/v1/robots/docent_1/screen/tours?minutes=-5").status_code == 422
    lobby = client.get("/api/v1/robots/lobby_1/screen/tours")
    assert lobby.status_code == 409 and "no tours" in lobby.json()["detail"]
    assert client.get("/api/v1/robots/nobody/screen/tours").status_code == 404
    unknown = client.post("/api/v1/robots/docent_1/screen/tour", json={"tour_id": "moon_walk"})
    assert unknown.status_code == 404 and "highlights_30" in unknown.json()["detail"]
    extra = client.post("/api/v1/robots/docent_1/screen/tour",
                        json={"tour_id": "highlights_30", "robot_id": "lobby_1"})
    assert extra.status_code == 422
