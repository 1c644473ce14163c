"""The call API over HTTP: create, list, detail, cancel; validation and problem details."""

from __future__ import annotations

import uuid

import pytest
from fastapi import Header

from suwon_web_bridge.problems import Problem

from .conftest import BridgeFactory, call_body, make_settings, wait_for

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


async def test_create_answers_201_with_location_and_stores_first(
        make_bridge: BridgeFactory) -> None:
    # No worker running and the City unreachable: the call must still be stored.
    bridge = await make_bridge(make_settings(url="http://127.0.0.1:9/calls"), start=False)
    response = await bridge.client.post("/api/v1/calls", json=call_body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"http://bridge.test/api/v1/calls/{body['call_id']}"
    assert body["status"] == "pending" and body["priority"] == "urgent"
    assert body["topic"] == {"text": "여권 재발급 · passport reissue", "service_id": "passport"}
    assert [e["status"] for e in body["events"]] == ["pending"]
    stored = bridge.store.get(body["call_id"])
    assert stored.visitor_language == "en" and stored.note.startswith("휠체어")
    assert bridge.store.outbox(body["call_id"])[0].state.value == "pending"

    detail = await bridge.client.get(response.headers["location"])
    assert detail.status_code == 200 and detail.json()["call_id"] == body["call_id"]


async def test_create_with_idempotency_key_is_safe_to_retry(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(), start=False)
    headers = {"Idempotency-Key": "lobby_1-20260101-0001"}
    first = await bridge.client.post("/api/v1/calls", json=call_body(), headers=headers)
    again = await bridge.client.post("/api/v1/calls", json=call_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["call_id"] == again.json()["call_id"]
    changed = await bridge.client.post("/api/v1/calls", json=call_body(note="다름"),
                                       headers=headers)
    assert changed.status_code == 409 and changed.json()["title"] == "Idempotency Key Reused"
    assert bridge.store.list_calls()[1] == 1


async def test_list_filters_and_pages(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(), start=False)
    ids = []
    for robot, site in [("lobby_1", "city_hall"), ("lobby_2", "city_hall"),
                        ("docent_1", "ilwol_arboretum")]:
        response = await bridge.client.post("/api/v1/calls",
                                            json=call_body(robot_id=robot, site_id=site))
        ids.append(response.json()["call_id"])
    await bridge.client.post(f"/api/v1/calls/{ids[0]}/cancel", json={"reason": "test"})

    page = (await bridge.client.get("/api/v1/calls", params={"site_id": "city_hall"})).json()
    assert page["total"] == 2 and {c["call_id"] for c in page["items"]} == set(ids[:2])
    page = (await bridge.client.get("/api/v1/calls", params={"robot_id": "docent_1"})).json()
    assert [c["call_id"] for c in page["items"]] == [ids[2]]
    page = (await bridge.client.get("/api/v1/calls",
                                    params=[("status", "pending"), ("status", "cancelled")])
            ).json()
    assert page["total"] == 3
    page = (await bridge.client.get("/api/v1/calls", params={"status": "cancelled"})).json()
    assert [c["call_id"] for c in page["items"]] == [ids[0]]
    page = (await bridge.client.get("/api/v1/calls", params={"limit": 1, "offset": 1})).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 1, 1, 1)
    assert "events" not in page["items"][0]


async def test_cancel_and_invalid_transition(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url=None))  # embedded board: delivers at once
    call_id = (await bridge.client.post("/api/v1/calls", json=call_body())).json()["call_id"]
    await wait_for(lambda: bridge.store.get(call_id).status.value == "delivered")
    cancelled = await bridge.client.post(f"/api/v1/calls/{call_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert [e["status"] for e in cancelled.json()["events"]] == [
        "pending", "delivered", "cancelled"]

    again = await bridge.client.post(f"/api/v1/calls/{call_id}/cancel")
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    problem = again.json()
    assert problem["title"] == "Invalid Transition"
    assert (problem["current_status"], problem["requested_status"]) == ("cancelled",
                                                                         "cancelled")
    assert len(bridge.store.get(call_id).events) == 3  # nothing written by the refusal


INVALID_CREATES = [
    {"priority": "critical"},                       # not an enum value
    {"robot_id": ""},                               # too short
    {"robot_id": "로봇 1"},                         # not an id
    {"topic": {"text": "x" * 201}},                 # too long
    {"topic": "passport"},                          # wrong type
    {"topic": {"text": 42}},                        # wrong type
    {"visitor_language": "english"},                # not a language tag
    {"note": "n" * 501},
    {"colour": "red"},                              # unknown field
    {"site_id": None},
]


async def test_invalid_create_is_422_problem(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(), start=False)
    for change in INVALID_CREATES:
        response = await bridge.client.post("/api/v1/calls", json=call_body(**change))
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"], change
    assert bridge.store.list_calls()[1] == 0


async def test_malformed_oversized_and_unknown_are_4xx_problems(
        make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(), start=False)
    client = bridge.client
    malformed = await client.post("/api/v1/calls", content=b'{"robot_id": ',
                                  headers={"Content-Type": "application/json"})
    assert malformed.status_code == 422 and malformed.headers["content-type"] == PROBLEM

    big = await client.post("/api/v1/calls", json=call_body(note="가" * 20_000))
    assert big.status_code == 413 and big.json()["max_bytes"] == 16_384

    unknown = await client.get(f"/api/v1/calls/{uuid.uuid4()}")
    assert unknown.status_code == 404 and unknown.json()["title"] == "Unknown Call"
    assert (await client.post(f"/api/v1/calls/{uuid.uuid4()}/cancel")).status_code == 404
    not_an_id = await client.get("/api/v1/calls/not-a-uuid")
    assert not_an_id.status_code == 422 and not_an_id.headers["content-type"] == PROBLEM
    assert (await client.get("/api/v1/calls", params={"limit": 0})).status_code == 422
    assert (await client.get("/api/v1/calls", params={"status": "lost"})).status_code == 422
    assert (await client.post("/api/v1/calls", json=call_body(),
                              headers={"Idempotency-Key": "x" * 129})).status_code == 422
    assert bridge.store.list_calls()[1] == 0


async def test_access_dependencies_guard_the_routes(make_bridge: BridgeFactory) -> None:
    def operator_only(x_role: str | None = Header(None)) -> None:
        if x_role != "operator":
            raise Problem(403, "Forbidden", "operators only", "forbidden")

    def anyone_signed_in(x_role: str | None = Header(None)) -> None:
        if x_role is None:
            raise Problem(401, "Unauthorized", "sign in", "unauthorized")

    bridge = await make_bridge(make_settings(), start=False, read_access=anyone_signed_in,
                               write_access=operator_only)
    client = bridge.client
    assert (await client.post("/api/v1/calls", json=call_body())).status_code == 403
    denied = await client.post("/api/v1/calls", json=call_body(), headers={"X-Role": "viewer"})
    assert denied.status_code == 403
    created = await client.post("/api/v1/calls", json=call_body(),
                                headers={"X-Role": "operator"})
    assert created.status_code == 201
    assert (await client.get("/api/v1/calls")).status_code == 401
    assert (await client.get("/api/v1/calls", headers={"X-Role": "viewer"})).status_code == 200
    assert bridge.store.list_calls()[1] == 1


async def test_openapi_documents_the_routes(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(), start=False)
    schema = (await bridge.client.get("/openapi.json")).json()
    paths = schema["paths"]
    assert {"/api/v1/calls", "/api/v1/calls/{call_id}", "/api/v1/calls/callback",
            "/api/v1/calls/board", "/api/v1/calls/board/{call_id}/accept"} <= set(paths)
    assert paths["/api/v1/calls"]["post"]["tags"] == ["calls"]
    assert paths["/api/v1/calls/board"]["get"]["tags"] == ["call board"]
    priority = schema["components"]["schemas"]["Priority"]
    assert set(priority["enum"]) == {"normal", "urgent"}
