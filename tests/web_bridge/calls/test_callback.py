"""Signed callbacks from the City call system: authenticity, replay, idempotency, errors."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest

from suwon_web_bridge.calls import CallService, CallStatus, CallStore
from suwon_web_bridge.calls.model import Channel

from .city_call_system import CityCallSystem, UvicornThread, callback_event, signed_callback
from .conftest import (
    SECRET,
    Bridge,
    BridgeFactory,
    bridge_app,
    call_body,
    free_port,
    make_settings,
    new_call,
    wait_for,
)

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


async def test_city_answers_drive_a_call_to_closed_over_real_http(
        city: CityCallSystem, tmp_path: Path) -> None:
    """Robot → bridge → City → signed callbacks → bridge, all over real sockets."""
    city.start()
    store = CallStore(tmp_path / "e2e.db")
    service = CallService(store, make_settings(url=city.url))
    changes = []
    service.add_listener(changes.append)
    server = UvicornThread(bridge_app(service, lifespan=True), free_port())
    server.start()  # its lifespan starts the outbox worker on the server's loop
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as robot:
            created = await robot.post("/api/v1/calls", json=call_body())
            assert created.status_code == 201
            call_id = created.json()["call_id"]
            await wait_for(lambda: call_id in city.state.calls, what="City has the call")
            await wait_for(lambda: store.get(call_id).status is CallStatus.DELIVERED,
                           what="delivered")

            accepted = await city.send_event(server.base_url, call_id, "accepted",
                                             official_name="김민원 주무관", eta_minutes=5)
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["duplicate"] is False
            assert accepted.json()["call"]["official_name"] == "김민원 주무관"
            for kind in ("arrived", "closed"):
                answer = await city.send_event(server.base_url, call_id, kind)
                assert answer.status_code == 200 and answer.json()["call"]["status"] == kind

            detail = (await robot.get(f"/api/v1/calls/{call_id}")).json()
    finally:
        server.stop()
        store.close()
    assert detail["status"] == "closed" and detail["eta_minutes"] == 5
    assert [(e["status"], e["source"]) for e in detail["events"]] == [
        ("pending", "robot"), ("delivered", "system"), ("accepted", "city"),
        ("arrived", "city"), ("closed", "city")]
    assert detail["events"][2]["payload"]["official_name"] == "김민원 주무관"
    assert [c.event.status.value for c in changes] == [
        "pending", "delivered", "accepted", "arrived", "closed"]
    assert changes[2].previous_status is CallStatus.DELIVERED


async def delivered_city_call(make_bridge: BridgeFactory) -> tuple[Bridge, str]:
    """A bridge (no worker) holding one City call marked delivered."""
    bridge = await make_bridge(make_settings(url="http://127.0.0.1:9/calls"), start=False)
    call, _ = await bridge.service.create(new_call())
    bridge.store.outbox_done(bridge.store.outbox(call.call_id)[0])
    assert bridge.store.get(call.call_id).status is CallStatus.DELIVERED
    return bridge, call.call_id


async def test_forged_missing_tampered_or_stale_signatures_are_401(
        make_bridge: BridgeFactory) -> None:
    bridge, call_id = await delivered_city_call(make_bridge)
    client = bridge.client
    event = callback_event(call_id, "accepted", official_name="박", eta_minutes=3)
    raw = json.dumps(event).encode()

    forged = await signed_callback(client, "not-the-shared-secret-at-all", event)
    missing = await client.post("/api/v1/calls/callback", content=raw,
                                headers={"Content-Type": "application/json"})
    tampered = await signed_callback(
        client, SECRET, event, body=raw.replace(b'"eta_minutes": 3', b'"eta_minutes": 1'),
        signature=await _signature_of(raw))
    stale = await signed_callback(client, SECRET, event, timestamp=time.time() - 301)
    future = await signed_callback(client, SECRET, event, timestamp=time.time() + 301)
    garbage = await signed_callback(client, SECRET, event, signature="sha256=00")
    for response in (forged, missing, tampered, stale, future, garbage):
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["title"] == "Invalid Signature"
    assert "replay window" in stale.json()["detail"]
    assert bridge.store.get(call_id).status is CallStatus.DELIVERED  # nothing applied
    assert bridge.statuses(call_id) == ["pending"]


async def _signature_of(raw: bytes) -> str:
    from suwon_web_bridge.calls import signing
    return signing.sign_headers(SECRET, raw)[signing.SIGNATURE_HEADER]


async def test_duplicate_event_is_applied_once(make_bridge: BridgeFactory) -> None:
    bridge, call_id = await delivered_city_call(make_bridge)
    event = callback_event(call_id, "accepted", event_id="city-evt-1",
                           official_name="이수원", eta_minutes=7)
    first = await signed_callback(bridge.client, SECRET, event)
    second = await signed_callback(bridge.client, SECRET, event)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert second.json()["call"]["status"] == "accepted"
    stored = bridge.store.get(call_id)
    assert [e.status.value for e in stored.events].count("accepted") == 1
    assert bridge.statuses(call_id).count("accepted") == 1  # listeners told once

    reused = await signed_callback(bridge.client, SECRET,
                                   {**event, "official_name": "다른 사람"})
    assert reused.status_code == 409 and reused.json()["title"] == "Idempotency Key Reused"


async def test_invalid_transition_is_409_and_changes_nothing(
        make_bridge: BridgeFactory) -> None:
    bridge, call_id = await delivered_city_call(make_bridge)
    response = await signed_callback(bridge.client, SECRET, callback_event(call_id, "closed"))
    assert response.status_code == 409 and response.headers["content-type"] == PROBLEM
    assert response.json()["current_status"] == "delivered"
    stored = bridge.store.get(call_id)
    assert stored.status is CallStatus.DELIVERED and len(stored.events) == 2
    # The refused event id was not consumed: after the right steps it may still apply.
    for kind, extra in (("accepted", {"official_name": "최", "eta_minutes": 1}),
                        ("arrived", {})):
        assert (await signed_callback(bridge.client, SECRET,
                                      callback_event(call_id, kind, **extra))).status_code == 200
    retry = await signed_callback(bridge.client, SECRET, callback_event(call_id, "closed"))
    assert retry.status_code == 200 and retry.json()["call"]["status"] == "closed"


async def test_bad_callback_bodies_are_4xx_problems(make_bridge: BridgeFactory) -> None:
    bridge, call_id = await delivered_city_call(make_bridge)
    client = bridge.client
    cases = {
        400: [b'{"event_id": "e1", "call_id": ', b"\xff\xfe not utf-8", b""],
        422: [json.dumps(callback_event(call_id, "accepted", official_name="김",
                                        eta_minutes="soon")).encode(),
              json.dumps(callback_event(call_id, "accepted", eta_minutes=3)).encode(),
              json.dumps(callback_event(call_id, "accepted", official_name="김",
                                        eta_minutes=-1)).encode(),
              json.dumps(callback_event(call_id, "teleported")).encode(),
              json.dumps(callback_event("not-a-uuid", "arrived")).encode(),
              json.dumps({**callback_event(call_id, "arrived"), "event_id": ""}).encode(),
              json.dumps([1, 2, 3]).encode(),
              b"42"],
        404: [json.dumps(callback_event(str(uuid.uuid4()), "arrived")).encode()],
        413: [json.dumps(callback_event(call_id, "declined", reason="x" * 20_000)).encode()],
    }
    for expected, bodies in cases.items():
        for raw in bodies:
            response = await signed_callback(client, SECRET, None, body=raw)
            assert response.status_code == expected, (raw[:60], response.text)
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["status"] == expected
    # Too big is refused before the signature is even looked at.
    unsigned = await client.post("/api/v1/calls/callback", content=b"x" * 20_000)
    assert unsigned.status_code == 413
    assert bridge.store.get(call_id).status is CallStatus.DELIVERED


async def test_answer_before_delivery_confirmation_is_accepted(
        make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url="http://127.0.0.1:9/calls"), start=False)
    call, _ = await bridge.service.create(new_call())
    response = await signed_callback(
        bridge.client, SECRET,
        callback_event(call.call_id, "declined", reason="담당자 부재 · nobody available"))
    assert response.status_code == 200
    stored = bridge.store.get(call.call_id)
    assert stored.status is CallStatus.DECLINED and stored.reason.startswith("담당자")
    assert bridge.store.due_outbox() == []  # no point delivering any more


async def test_a_board_call_cannot_be_answered_by_the_city(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url=None), start=False)
    call, _ = await bridge.service.create(new_call())
    assert call.channel is Channel.BOARD
    response = await signed_callback(bridge.client, SECRET,
                                     callback_event(call.call_id, "arrived"))
    assert response.status_code == 409 and response.json()["title"] == "Wrong Channel"
