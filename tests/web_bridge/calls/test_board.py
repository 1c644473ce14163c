"""The embedded call board over HTTP: token auth, per-site view, accept → arrived → close."""

from __future__ import annotations

import uuid

import pytest

from suwon_web_bridge.calls import CallStatus

from .conftest import (
    BOARD_TOKEN,
    OTHER_BOARD_TOKEN,
    BridgeFactory,
    call_body,
    make_settings,
    wait_for,
)

pytestmark = pytest.mark.anyio

HALL = {"X-Board-Token": BOARD_TOKEN}
ARBORETUM = {"X-Board-Token": OTHER_BOARD_TOKEN}


async def test_board_flow_accept_arrived_close(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url=None))
    client = bridge.client
    ids = [(await client.post("/api/v1/calls", json=call_body(**extra))).json()["call_id"]
           for extra in ({}, {"priority": "normal"},
                         {"site_id": "ilwol_arboretum", "robot_id": "docent_1"})]
    await wait_for(lambda: all(bridge.store.get(i).status is CallStatus.DELIVERED
                               for i in ids), what="on the boards")

    hall = (await client.get("/api/v1/calls/board", headers=HALL)).json()
    assert hall["site_id"] == "city_hall"
    assert {c["call_id"] for c in hall["calls"]} == set(ids[:2])
    arboretum = (await client.get("/api/v1/calls/board", headers=ARBORETUM)).json()
    assert [c["call_id"] for c in arboretum["calls"]] == [ids[2]]

    call_id = ids[0]
    board = f"/api/v1/calls/board/{call_id}"
    assert (await client.post(f"{board}/accept", headers=HALL, json={})).status_code == 422
    early = await client.post(f"{board}/close", headers=HALL)
    assert early.status_code == 409 and early.json()["current_status"] == "delivered"
    # Another site's board cannot see or touch this call.
    assert (await client.post(f"{board}/arrived", headers=ARBORETUM)).status_code == 404

    accepted = await client.post(f"{board}/accept", headers=HALL,
                                 json={"official_name": "정다산 주무관", "eta_minutes": 3})
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["official_name"],
            accepted.json()["eta_minutes"]) == ("accepted", "정다산 주무관", 3)
    assert (await client.post(f"{board}/arrived", headers=HALL)).json()["status"] == "arrived"
    assert (await client.post(f"{board}/close", headers=HALL)).json()["status"] == "closed"

    declined = await client.post(f"/api/v1/calls/board/{ids[1]}/decline", headers=HALL)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"

    hall = (await client.get("/api/v1/calls/board", headers=HALL)).json()
    assert hall["calls"] == []  # closed and declined calls leave the board
    detail = (await client.get(f"/api/v1/calls/{call_id}")).json()
    assert [(e["status"], e["source"]) for e in detail["events"]] == [
        ("pending", "robot"), ("delivered", "system"), ("accepted", "board"),
        ("arrived", "board"), ("closed", "board")]
    await bridge.heard(call_id, ["pending", "delivered", "accepted", "arrived", "closed"])


async def test_board_needs_a_valid_token(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url=None))
    client = bridge.client
    call_id = (await client.post("/api/v1/calls", json=call_body())).json()["call_id"]
    await wait_for(lambda: bridge.store.get(call_id).status is CallStatus.DELIVERED)
    for headers in ({}, {"X-Board-Token": "wrong"}, {"X-Board-Token": BOARD_TOKEN + "x"}):
        listing = await client.get("/api/v1/calls/board", headers=headers)
        assert listing.status_code == 401
        assert listing.headers["content-type"] == "application/problem+json"
        action = await client.post(f"/api/v1/calls/board/{call_id}/arrived", headers=headers)
        assert action.status_code == 401
    assert bridge.store.get(call_id).status is CallStatus.DELIVERED
    unknown = await client.post(f"/api/v1/calls/board/{uuid.uuid4()}/arrived", headers=HALL)
    assert unknown.status_code == 404


async def test_board_cannot_answer_a_city_call(make_bridge: BridgeFactory) -> None:
    # The City system handles city_hall; the board token still exists, but must not race it.
    bridge = await make_bridge(make_settings(url="http://127.0.0.1:9/calls"), start=False)
    call_id = (await bridge.client.post("/api/v1/calls", json=call_body())).json()["call_id"]
    response = await bridge.client.post(f"/api/v1/calls/board/{call_id}/accept", headers=HALL,
                                        json={"official_name": "김", "eta_minutes": 1})
    assert response.status_code == 409 and response.json()["channel"] == "city"


async def test_board_sites_use_the_board_even_with_a_city_url(
        make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url="http://127.0.0.1:9/calls",
                                             board_sites=frozenset({"ilwol_arboretum"})))
    body = call_body(site_id="ilwol_arboretum", robot_id="docent_1")
    call_id = (await bridge.client.post("/api/v1/calls", json=body)).json()["call_id"]
    await wait_for(lambda: bridge.store.get(call_id).status is CallStatus.DELIVERED)
    board = (await bridge.client.get("/api/v1/calls/board", headers=ARBORETUM)).json()
    assert [c["channel"] for c in board["calls"]] == ["board"]


async def test_board_page_and_assets_are_served(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url=None), start=False)
    client = bridge.client
    page = await client.get("/callboard/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "새빛민원실 호출판" in page.text and "Official call board" in page.text
    script = await client.get("/callboard/callboard.js")
    assert script.status_code == 200 and "X-Board-Token" in script.text
    assert "javascript" in script.headers["content-type"]
    assert (await client.get("/callboard/callboard.css")).status_code == 200
    assert (await client.get("/callboard/..%2Frouter.py")).status_code == 404
    assert (await client.get("/callboard/index.htm")).status_code == 404
    redirect = await client.get("/callboard")
    assert redirect.status_code == 307 and redirect.headers["location"] == "/callboard/"
