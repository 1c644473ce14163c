"""The store: calls, events and outbox rows are written together or not at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from suwon_web_bridge.calls import CallStatus, CallStore
from suwon_web_bridge.calls.errors import CallNotFound, IdempotencyConflict, InvalidTransition
from suwon_web_bridge.calls.model import Channel, EventSource
from suwon_web_bridge.calls.store import OutboxKind, OutboxState

from .conftest import new_call


@pytest.fixture
def store(tmp_path: Path):
    s = CallStore(tmp_path / "calls.db")
    yield s
    s.close()


def raw(path: Path, sql: str, *params: object) -> list[tuple]:
    """Read with a separate connection: what another process would see."""
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchall()


def test_create_writes_call_event_and_outbox_in_one_go(store: CallStore) -> None:
    call, created = store.create(new_call(), Channel.CITY)
    assert created and call.status is CallStatus.PENDING
    assert raw(store.path, "PRAGMA journal_mode") == [("wal",)]
    assert raw(store.path, "SELECT status, channel FROM calls WHERE call_id = ?",
               call.call_id) == [("pending", "city")]
    assert raw(store.path, "SELECT status, previous_status, source FROM call_events "
               "WHERE call_id = ?", call.call_id) == [("pending", None, "robot")]
    assert raw(store.path, "SELECT kind, state, attempts FROM outbox WHERE call_id = ?",
               call.call_id) == [("deliver", "pending", 0)]


def test_a_failure_inside_create_leaves_nothing_behind(store: CallStore) -> None:
    # A real SQLite failure on the last insert of the transaction (the outbox row).
    with sqlite3.connect(store.path) as db:
        db.execute("CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox "
                   "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk says no"):
        store.create(new_call(), Channel.CITY)
    assert raw(store.path, "SELECT COUNT(*) FROM calls") == [(0,)]
    assert raw(store.path, "SELECT COUNT(*) FROM call_events") == [(0,)]
    # The connection is usable again afterwards (the transaction was rolled back).
    with sqlite3.connect(store.path) as db:
        db.execute("DROP TRIGGER refuse_outbox")
    assert store.create(new_call(), Channel.CITY)[1]


def test_invalid_transition_changes_nothing(store: CallStore) -> None:
    call, _ = store.create(new_call(), Channel.CITY)
    with pytest.raises(InvalidTransition) as info:
        store.transition(call.call_id, CallStatus.ARRIVED, EventSource.CITY)
    assert info.value.current is CallStatus.PENDING
    after = store.get(call.call_id)
    assert after.status is CallStatus.PENDING and len(after.events) == 1
    with pytest.raises(CallNotFound):
        store.transition("no-such-call", CallStatus.CLOSED, EventSource.CITY)


def test_answer_before_delivery_confirmation_stops_delivery(store: CallStore) -> None:
    call, _ = store.create(new_call(), Channel.CITY)
    accepted, event = store.transition(
        call.call_id, CallStatus.ACCEPTED, EventSource.CITY, {"official_name": "김민원"},
        fields={"official_name": "김민원", "eta_minutes": 4}, event_id="e1", event_hash="h")
    assert event is not None and event.previous_status is CallStatus.PENDING
    assert accepted.official_name == "김민원" and accepted.eta_minutes == 4
    assert accepted.delivered_at is not None
    assert [o.state for o in store.outbox(call.call_id)] == [OutboxState.DONE]
    # The same event id again: no change; with another body: a conflict.
    again, none = store.transition(call.call_id, CallStatus.ACCEPTED, EventSource.CITY,
                                   event_id="e1", event_hash="h")
    assert none is None and len(again.events) == 2
    with pytest.raises(IdempotencyConflict):
        store.transition(call.call_id, CallStatus.ARRIVED, EventSource.CITY, event_id="e1",
                         event_hash="other")


def test_cancel_queues_a_city_cancel_only_if_the_city_may_have_it(store: CallStore) -> None:
    untried, _ = store.create(new_call(1), Channel.CITY)
    store.transition(untried.call_id, CallStatus.CANCELLED, EventSource.ROBOT)
    assert [(o.kind, o.state) for o in store.outbox(untried.call_id)] == [
        (OutboxKind.DELIVER, OutboxState.DROPPED)]

    tried, _ = store.create(new_call(2), Channel.CITY)
    store.begin_attempt(store.outbox(tried.call_id)[0])  # a POST left, answer unknown
    store.transition(tried.call_id, CallStatus.CANCELLED, EventSource.ROBOT)
    assert [(o.kind, o.state) for o in store.outbox(tried.call_id)] == [
        (OutboxKind.DELIVER, OutboxState.DROPPED), (OutboxKind.CANCEL, OutboxState.PENDING)]
    assert store.get(tried.call_id).delivery_attempts == 1


def test_idempotent_create_per_robot(store: CallStore) -> None:
    first, created = store.create(new_call(), Channel.CITY, request_key="k1", request_hash="a")
    again, created_again = store.create(new_call(), Channel.CITY, request_key="k1",
                                        request_hash="a")
    assert created and not created_again and again.call_id == first.call_id
    with pytest.raises(IdempotencyConflict):
        store.create(new_call(), Channel.CITY, request_key="k1", request_hash="b")
    # Another robot may use the same key for its own call.
    other, created_other = store.create(new_call(robot_id="lobby_2"), Channel.CITY,
                                        request_key="k1", request_hash="a")
    assert created_other and other.call_id != first.call_id
    assert store.list_calls()[1] == 2


def test_list_filters_and_pages_newest_first(store: CallStore) -> None:
    ids = [store.create(new_call(i, robot_id=f"r{i % 2}"), Channel.CITY, now=1000 + i)[0].call_id
           for i in range(5)]
    page, total = store.list_calls(limit=2)
    assert total == 5 and [c.call_id for c in page] == [ids[4], ids[3]]
    page, total = store.list_calls(robot_id="r0", limit=10, offset=1)
    assert total == 3 and [c.call_id for c in page] == [ids[2], ids[0]]
    store.transition(ids[1], CallStatus.CANCELLED, EventSource.ROBOT)
    page, total = store.list_calls(statuses=[CallStatus.CANCELLED])
    assert total == 1 and page[0].call_id == ids[1] and page[0].events == ()
