"""Tasks, alerts and statistics read from the fleet database (the same SQLite file the fleet
manager writes), without a ROS graph: list filters, paging, history, acknowledgement, and the
4xx answers for what cannot be done."""

from __future__ import annotations

import sqlite3
import time

import pytest
from fastapi.testclient import TestClient

from suwon_fleet.core.states import TaskStatus, TaskType
from suwon_fleet.fleet.store import Alert, FleetStore
from suwon_fleet.fleet.tasks import TaskRecord
from suwon_web_bridge.app import create_app
from tests.web_bridge.test_api import bridge_settings, log_in

NOW = time.time()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = bridge_settings(tmp_path_factory.mktemp("records"))
    store = FleetStore(settings.database)  # as the fleet manager would have written them
    for n, (status, site, robot, task_type) in enumerate([
        (TaskStatus.COMPLETED, "city_hall", "lobby_1", TaskType.GO_TO_PLACE),
        (TaskStatus.FAILED, "city_hall", "lobby_1", TaskType.GUIDE_VISITOR),
        (TaskStatus.QUEUED, "city_hall", "", TaskType.GO_TO_PLACE),
        (TaskStatus.UNDERWAY, "ilwol_arboretum", "docent_1", TaskType.RUN_TOUR),
    ]):
        task = TaskRecord(f"t-{n}", task_type, site, place="entrance" if site == "city_hall"
                          else "greenhouse", submitted_at=NOW - 600 + n, order=n)
        store.save_task(task)
        if status is not TaskStatus.QUEUED:
            task.robot_id = robot
            task.set_status(TaskStatus.UNDERWAY)
            store.save_task(task)
        if status.is_terminal:
            task.set_status(status, "done" if status is TaskStatus.COMPLETED else "blocked")
            store.save_task(task)
    store.add_alert(Alert("a-1", NOW - 30, "warning", "lobby_1", "city_hall", "battery_low",
                          "배터리 부족", "battery low"))
    store.add_alert(Alert("a-2", NOW - 10, "critical", "docent_1", "ilwol_arboretum",
                          "robot_offline", "연결 끊김", "robot offline"))
    store.close()
    with sqlite3.connect(settings.database) as db:  # as the concierge and tour nodes write
        from suwon_fleet.concierge.concierge_node import INTERACTIONS_SCHEMA

        db.executescript(INTERACTIONS_SCHEMA)
        db.executemany("INSERT INTO concierge_interactions (at, robot_id, intent, source) "
                       "VALUES (?, 'lobby_1', ?, 'voice')",
                       [(NOW - 50, "where_is"), (NOW - 40, "affirm"), (NOW - 30, "where_is")])
    with TestClient(create_app(with_ros=False, settings=settings)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {log_in(test_client)}"
        yield test_client


def test_list_is_newest_first_with_total(client) -> None:
    page = client.get("/api/v1/tasks").json()
    assert page["total"] == 4
    assert [t["task_id"] for t in page["items"]] == ["t-3", "t-2", "t-1", "t-0"]


@pytest.mark.parametrize(("query", "expected"), [
    ("site_id=city_hall", {"t-0", "t-1", "t-2"}),
    ("robot_id=lobby_1", {"t-0", "t-1"}),
    ("status=completed&status=failed", {"t-0", "t-1"}),
    ("type=run_tour", {"t-3"}),
    ("active=true", {"t-2", "t-3"}),
    ("active=false&site_id=city_hall", {"t-0", "t-1"}),
])
def test_list_filters(client, query, expected) -> None:
    assert {t["task_id"] for t in client.get(f"/api/v1/tasks?{query}").json()["items"]} == expected


def test_list_pages(client) -> None:
    page = client.get("/api/v1/tasks?offset=1&limit=2").json()
    assert [t["task_id"] for t in page["items"]] == ["t-2", "t-1"]
    assert page["total"] == 4


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "status=flying",
                                   "type=teleport", "active=maybe"])
def test_bad_list_queries_are_422(client, query) -> None:
    response = client.get(f"/api/v1/tasks?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_detail_has_the_whole_history(client) -> None:
    task = client.get("/api/v1/tasks/t-1").json()
    assert task["status"] == "failed" and task["message"] == "blocked"
    assert [e["status"] for e in task["history"]] == ["queued", "underway", "failed"]
    assert task["history"][1]["robot_id"] == "lobby_1"


def test_unknown_task_is_404(client) -> None:
    for path in ("/api/v1/tasks/t-404", "/api/v1/tasks/t-404/cancel"):
        call = client.get if path.endswith("404") else client.post
        assert call(path).status_code == 404


def test_what_cannot_be_done_is_409_with_the_reason(client) -> None:
    finished = client.post("/api/v1/tasks/t-0/cancel")
    assert finished.status_code == 409 and "completed" in finished.json()["detail"]
    queued = client.post("/api/v1/tasks/t-2/pause")
    assert queued.status_code == 409 and "queued" in queued.json()["detail"]


def test_cancelling_an_open_task_without_ros_is_503_not_500(client) -> None:
    response = client.post("/api/v1/tasks/t-2/cancel")
    assert response.status_code == 503


@pytest.mark.parametrize("body", [
    {"command": "fly"},
    {"command": "go_to_place"},
    {"command": "start_tour"},
    {"command": "estop", "extra": 1},
    {"command": "estop", "reason": "x" * 201},
])
def test_bad_commands_are_422(client, body) -> None:
    assert client.post("/api/v1/robots/lobby_1/commands", json=body).status_code == 422


def test_command_for_unknown_robot_is_404(client) -> None:
    response = client.post("/api/v1/robots/lobby_9/commands", json={"command": "estop"})
    assert response.status_code == 404 and "lobby_1" in response.json()["detail"]


def test_alerts_newest_first_filter_and_acknowledge_once(client) -> None:
    alerts = client.get("/api/v1/alerts").json()
    assert [a["alert_id"] for a in alerts] == ["a-2", "a-1"]
    assert [a["alert_id"] for a in client.get("/api/v1/alerts?site_id=city_hall").json()] == \
        ["a-1"]
    acked = client.post("/api/v1/alerts/a-1/acknowledge")
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "admin"
    again = client.post("/api/v1/alerts/a-1/acknowledge")
    assert again.status_code == 409 and "admin" in again.json()["detail"]
    assert [a["alert_id"] for a in client.get("/api/v1/alerts?unacknowledged=true").json()] == \
        ["a-2"]
    assert client.post("/api/v1/alerts/a-404/acknowledge").status_code == 404


def test_statistics_count_the_days_work(client) -> None:
    stats = client.get("/api/v1/stats?days=7").json()
    assert len(stats["tasks_per_day"]) == 7 and stats["tasks_per_day"][-1]["count"] == 4
    assert stats["tasks_by_type"] == {"go_to_place": 2, "guide_visitor": 1, "run_tour": 1}
    assert stats["tasks_by_status"]["completed"] == 1
    assert sum(d["count"] for d in stats["alerts_per_day"]) == 2
    assert stats["mean_task_seconds"] is not None and stats["mean_task_seconds"] >= 0
    assert client.get("/api/v1/stats?days=0").status_code == 422
    assert stats["interactions_per_day"][-1]["count"] == 3
    assert stats["intents"] == {"where_is": 2, "affirm": 1}
    assert stats["tours_rated"] == 0 and stats["tour_ratings"] == {}  # no tour node has run


def test_statistics_count_official_calls_and_the_wait_for_an_official(client) -> None:
    created = client.post("/api/v1/calls", json={
        "robot_id": "lobby_1", "site_id": "city_hall", "place_id": "waiting_area",
        "topic": {"text": "전입신고 문의", "service_id": None}})
    assert created.status_code == 201, created.text
    call_id = created.json()["call_id"]
    board = client.app.state.calls.settings.board_tokens["city_hall"].get_secret_value()
    time.sleep(0.3)
    accepted = client.post(f"/api/v1/calls/board/{call_id}/accept",
                           json={"official_name": "김민원", "eta_minutes": 2},
                           headers={"X-Board-Token": board})
    assert accepted.status_code == 200, accepted.text
    stats = client.get("/api/v1/stats?days=7").json()
    assert stats["calls_per_day"][-1]["count"] >= 1
    assert stats["calls_by_status"].get("accepted", 0) >= 1
    assert stats["mean_official_wait_s"] is not None and stats["mean_official_wait_s"] >= 0.3


def test_a_task_list_offset_beyond_any_database_is_refused(client) -> None:
    """Found by schemathesis: an offset SQLite cannot hold was a 500, not a 422."""
    response = client.get("/api/v1/tasks?offset=134207677263205072896")
    assert response.status_code == 422, response.text
