"""Delivery to a real (stand-in) City system over HTTP: outages, retries, restarts, breaker."""

from __future__ import annotations

import sqlite3
from itertools import pairwise
from pathlib import Path

import pytest

from suwon_web_bridge.calls import CallService, CallStatus, CallStore
from suwon_web_bridge.calls.delivery import BreakerState, HttpCallSystemAdapter
from suwon_web_bridge.calls.model import Channel
from suwon_web_bridge.calls.store import OutboxKind, OutboxState

from .city_call_system import CityCallSystem
from .conftest import BridgeFactory, make_settings, new_call, wait_for

pytestmark = pytest.mark.anyio


def city_adapter(service: CallService) -> HttpCallSystemAdapter:
    adapter = service.adapters[Channel.CITY]
    assert isinstance(adapter, HttpCallSystemAdapter)
    return adapter


async def test_city_down_then_up_loses_nothing_and_delivers_each_call_once(
        city: CityCallSystem, make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url=city.url))
    ids = [(await bridge.service.create(new_call(i)))[0].call_id for i in range(8)]

    # The City is down: the worker tries until the breaker opens; every call is stored
    # (seen by another connection) and none is delivered.
    breaker = city_adapter(bridge.service).breaker
    await wait_for(lambda: BreakerState.OPEN in breaker.transitions, what="breaker open")
    assert sum(bridge.store.get(i).delivery_attempts for i in ids) >= 3
    with sqlite3.connect(bridge.store.path) as db:
        rows = db.execute("SELECT call_id, status FROM calls").fetchall()
    assert sorted(rows) == sorted((i, "pending") for i in ids)
    errors = [bridge.store.get(i).last_error or "" for i in ids]
    assert sum("ConnectError" in e for e in errors) >= 3  # the failures that opened it

    city.start()
    await wait_for(lambda: all(bridge.store.get(i).status is CallStatus.DELIVERED
                               for i in ids), what="all delivered")
    assert set(city.state.calls) == set(ids)  # zero loss, nothing extra, one call per key
    assert set(city.state.keys()) == set(ids)  # every request carried its call's key
    for call_id in ids:
        body = city.state.calls[call_id]
        assert body["call_id"] == call_id and body["topic"]["service_id"] == "jeonip"
        await bridge.heard(call_id, ["pending", "delivered"])
        delivered = bridge.store.get(call_id).events[-1]
        assert delivered.source.value == "system"
        assert delivered.payload["reference"] == f"CITY-{call_id}"
    assert all(o.state is OutboxState.DONE for o in bridge.store.outbox())
    assert city.state.bad_signatures == 0  # our POSTs are signed


async def test_lost_response_is_retried_and_the_city_keeps_one_call(
        city: CityCallSystem, make_bridge: BridgeFactory) -> None:
    city.state.slow_next, city.state.delay_s = 1, 1.2  # stores it, answers after our timeout
    city.start()
    bridge = await make_bridge(make_settings(url=city.url, timeout_s=0.3))
    call, _ = await bridge.service.create(new_call())
    await wait_for(lambda: bridge.store.get(call.call_id).status is CallStatus.DELIVERED,
                   what="delivery after the timeout")
    keys = city.state.keys()
    assert len(keys) >= 2 and set(keys) == {call.call_id}  # sent again, same key
    assert list(city.state.calls) == [call.call_id]  # kept once
    stored = bridge.store.get(call.call_id)
    assert stored.delivery_attempts == len(keys) == stored.events[-1].payload["attempt"]


async def test_restart_resumes_pending_deliveries(
        city: CityCallSystem, make_bridge: BridgeFactory, tmp_path: Path) -> None:
    db = tmp_path / "restart.db"
    first = await make_bridge(make_settings(url=city.url), db=db)
    tried = [(await first.service.create(new_call(i)))[0].call_id for i in range(3)]
    await wait_for(lambda: all(first.store.get(i).delivery_attempts >= 1 for i in tried),
                   what="attempts while down")
    await first.service.stop()
    # Created while no worker runs (e.g. during shutdown): still stored, still owed.
    untried = (await first.service.create(new_call(9)))[0].call_id
    first.store.close()

    city.start()
    second = await make_bridge(make_settings(url=city.url), db=db)  # same file, new objects
    everything = [*tried, untried]
    await wait_for(lambda: all(second.store.get(i).status is CallStatus.DELIVERED
                               for i in everything), what="delivery after restart")
    assert set(city.state.calls) == set(everything) == set(city.state.keys())
    assert all(second.store.get(i).delivery_attempts >= 2 for i in tried)  # counts carried on
    assert second.store.get(untried).delivery_attempts == 1


async def test_circuit_breaker_opens_then_half_opens_with_one_probe(
        city: CityCallSystem, make_bridge: BridgeFactory) -> None:
    city.state.always_fail = True  # up, but answering 503
    city.start()
    settings = make_settings(url=city.url, breaker_threshold=3, breaker_cooldown_s=0.5)
    bridge = await make_bridge(settings)
    breaker = city_adapter(bridge.service).breaker
    call, _ = await bridge.service.create(new_call())
    await wait_for(lambda: list(breaker.transitions) == [BreakerState.OPEN], what="open")
    assert len(city.state.keys()) == 3 == breaker.consecutive_failures

    # While open, new calls are not sent at all (and no attempt is counted).
    more = [(await bridge.service.create(new_call(i)))[0].call_id for i in (1, 2)]
    await wait_for(lambda: BreakerState.HALF_OPEN in breaker.transitions, what="half-open")
    await wait_for(lambda: breaker.transitions[-1] is BreakerState.OPEN, what="probe failed")
    times = [r.at for r in city.state.received]
    attempts = sum(bridge.store.get(i).delivery_attempts for i in [call.call_id, *more])
    # One probe per cool-down, nothing in between; attempts counted are exactly the
    # requests sent (calls held back by the open circuit count nothing).
    assert len(times) >= 4 and attempts == len(times)
    assert all(later - earlier >= 0.45 for earlier, later in pairwise(times[2:]))

    city.state.always_fail = False
    everything = [call.call_id, *more]
    await wait_for(lambda: all(bridge.store.get(i).status is CallStatus.DELIVERED
                               for i in everything), what="delivered after recovery")
    assert list(breaker.transitions) == [BreakerState.OPEN, BreakerState.HALF_OPEN,
                                   BreakerState.OPEN, BreakerState.HALF_OPEN,
                                   BreakerState.CLOSED]
    assert set(city.state.calls) == set(everything)


async def test_gives_up_after_max_attempts_and_says_so(
        city: CityCallSystem, make_bridge: BridgeFactory) -> None:
    city.state.always_fail = True
    city.start()
    bridge = await make_bridge(make_settings(url=city.url, max_attempts=3,
                                             breaker_threshold=100))
    call, _ = await bridge.service.create(new_call())
    await wait_for(lambda: bridge.store.get(call.call_id).status is CallStatus.FAILED,
                   what="failed")
    assert city.state.keys() == [call.call_id] * 3
    failed = bridge.store.get(call.call_id)
    assert failed.delivery_attempts == 3 and "503" in (failed.last_error or "")
    await bridge.heard(call.call_id, ["pending", "failed"])
    assert bridge.store.outbox(call.call_id)[0].state is OutboxState.FAILED


async def test_a_refusal_is_not_retried(city: CityCallSystem,
                                        make_bridge: BridgeFactory) -> None:
    city.state.reject_status = 422
    city.start()
    bridge = await make_bridge(make_settings(url=city.url))
    call, _ = await bridge.service.create(new_call())
    await wait_for(lambda: bridge.store.get(call.call_id).status is CallStatus.FAILED,
                   what="failed")
    assert city.state.keys() == [call.call_id]
    assert "422" in (bridge.store.get(call.call_id).last_error or "")


async def test_cancel_tells_the_city_once(city: CityCallSystem,
                                          make_bridge: BridgeFactory) -> None:
    city.start()
    bridge = await make_bridge(make_settings(url=city.url))
    call, _ = await bridge.service.create(new_call())
    await wait_for(lambda: bridge.store.get(call.call_id).status is CallStatus.DELIVERED,
                   what="delivered")
    await bridge.heard(call.call_id, ["pending", "delivered"])
    cancelled = await bridge.service.cancel(call.call_id, "방문객이 떠남 · visitor left")
    assert cancelled.status is CallStatus.CANCELLED
    await wait_for(lambda: bridge.store.outbox(call.call_id)[-1].state is OutboxState.DONE,
                   what="cancel delivered")
    assert city.state.keys("/cancel") == [f"{call.call_id}:cancel"]
    assert city.state.cancels[f"{call.call_id}:cancel"]["reason"].startswith("방문객")
    assert [(o.kind, o.state) for o in bridge.store.outbox(call.call_id)] == [
        (OutboxKind.DELIVER, OutboxState.DONE), (OutboxKind.CANCEL, OutboxState.DONE)]
    await bridge.heard(call.call_id, ["pending", "delivered", "cancelled"])


async def test_embedded_board_delivery_needs_no_city(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(url=None))
    call, _ = await bridge.service.create(new_call())
    assert call.channel is Channel.BOARD
    await wait_for(lambda: bridge.store.get(call.call_id).status is CallStatus.DELIVERED,
                   what="on the board")
    assert [c.call_id for c in bridge.service.board_calls("city_hall")] == [call.call_id]
    assert bridge.service.board_calls("ilwol_arboretum") == []


async def test_outbox_rows_survive_in_sqlite(tmp_path: Path) -> None:
    store = CallStore(tmp_path / "calls.db")
    call, _ = store.create(new_call(), Channel.CITY)
    store.close()
    reopened = CallStore(tmp_path / "calls.db")
    try:
        due = reopened.due_outbox()
        assert [(o.call_id, o.kind, o.state) for o in due] == [
            (call.call_id, OutboxKind.DELIVER, OutboxState.PENDING)]
    finally:
        reopened.close()


async def test_calls_stay_owed_when_their_channel_is_no_longer_configured(
        make_bridge: BridgeFactory, tmp_path: Path) -> None:
    db = tmp_path / "reconfigured.db"
    before = await make_bridge(make_settings(url="http://127.0.0.1:9/calls"), db=db,
                               start=False)
    call, _ = await before.service.create(new_call())
    before.store.close()
    after = await make_bridge(make_settings(url=None), db=db)  # City URL removed
    await wait_for(lambda: after.store.get(call.call_id).last_error, what="error noted")
    stored = after.store.get(call.call_id)
    assert stored.status is CallStatus.PENDING and "no adapter" in (stored.last_error or "")
    assert stored.delivery_attempts == 0
    assert after.store.outbox(call.call_id)[0].state is OutboxState.PENDING
