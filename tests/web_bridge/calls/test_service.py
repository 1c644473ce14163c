"""The service's listener hook, and the settings' refusals."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import ValidationError

from suwon_web_bridge.calls import CallChange, CallStatus, CallSystemSettings
from suwon_web_bridge.calls.model import Channel, EventSource

from .conftest import FAST, SECRET, BridgeFactory, make_settings, new_call, wait_for

pytestmark = pytest.mark.anyio


async def test_listeners_hear_every_change_even_if_one_breaks(
        make_bridge: BridgeFactory, caplog: pytest.LogCaptureFixture) -> None:
    bridge = await make_bridge(make_settings(url=None))
    heard_sync: list[tuple[str, str | None, str]] = []
    heard_async: list[str] = []

    def robot(change: CallChange) -> None:  # e.g. publish to the robot over ROS
        previous = change.previous_status.value if change.previous_status else None
        heard_sync.append((change.call.status.value, previous, change.event.source.value))

    async def dashboard(change: CallChange) -> None:  # e.g. push to a websocket
        await asyncio.sleep(0)
        heard_async.append(change.call.status.value)

    def broken(change: CallChange) -> None:
        raise RuntimeError("listener bug")

    bridge.service.add_listener(broken)
    bridge.service.add_listener(robot)
    remove = bridge.service.add_listener(dashboard)
    with caplog.at_level(logging.ERROR):
        call, _ = await bridge.service.create(new_call())
        await wait_for(lambda: len(heard_sync) == 2, what="delivered heard")
        await bridge.service.board_action("city_hall", call.call_id, "accept",
                                          {"official_name": "한", "eta_minutes": 2})
        remove()
        await bridge.service.board_action("city_hall", call.call_id, "arrived", {})
    assert heard_sync == [("pending", None, "robot"), ("delivered", "pending", "system"),
                          ("accepted", "delivered", "board"), ("arrived", "accepted", "board")]
    assert heard_async == ["pending", "delivered", "accepted"]  # removed before "arrived"
    assert "listener bug" in caplog.text
    # The change each listener got is the stored truth.
    assert bridge.store.get(call.call_id).status is CallStatus.ARRIVED


async def test_a_repeated_create_is_not_announced_twice(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(), start=False)
    first, created = await bridge.service.create(new_call(), idempotency_key="k")
    again, created_again = await bridge.service.create(new_call(), idempotency_key="k")
    assert created and not created_again and first.call_id == again.call_id
    assert bridge.statuses(first.call_id) == ["pending"]


async def test_cancel_is_announced_with_its_reason(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(make_settings(), start=False)
    call, _ = await bridge.service.create(new_call())
    await bridge.service.cancel(call.call_id, "visitor left", source=EventSource.ROBOT)
    change = bridge.changes[-1]
    assert change.event.status is CallStatus.CANCELLED
    assert change.event.payload == {"reason": "visitor left"}
    assert change.call.reason == "visitor left"


@pytest.mark.parametrize("secret", ["", "changeme", "secret", "short-secret"])
def test_settings_refuse_empty_default_or_short_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="shared_secret"):
        CallSystemSettings(shared_secret=secret)
    assert CallSystemSettings(shared_secret=secret, development=True).development


def test_settings_refuse_weak_or_shared_board_tokens() -> None:
    with pytest.raises(ValidationError, match="board token of site 'city_hall'"):
        CallSystemSettings(shared_secret=SECRET, board_tokens={"city_hall": "1234"})
    with pytest.raises(ValidationError, match="must differ"):
        CallSystemSettings(shared_secret=SECRET, board_tokens={"a": "x" * 20, "b": "x" * 20})
    with pytest.raises(ValidationError, match="backoff_cap_s"):
        CallSystemSettings(shared_secret=SECRET, backoff_base_s=10, backoff_cap_s=1)
    with pytest.raises(ValidationError):
        CallSystemSettings(shared_secret=SECRET, max_attempts=0)
    with pytest.raises(ValidationError):
        CallSystemSettings(shared_secret=SECRET, url="ftp://city.example/calls")
    assert "s3cret" not in repr(CallSystemSettings(**FAST))  # secrets never printed


def test_settings_from_environment() -> None:
    settings = CallSystemSettings.from_env({
        "SUWON_CALLS_URL": "https://calls.suwon.example/api/calls",
        "SUWON_CALLS_SHARED_SECRET": SECRET,
        "SUWON_CALLS_MAX_ATTEMPTS": "7",
        "SUWON_CALLS_BREAKER_COOLDOWN_S": "12.5",
        "SUWON_CALLS_BOARD_TOKENS": '{"ilwol_arboretum": "arboretum-board-token-0001"}',
        "SUWON_CALLS_BOARD_SITES": "ilwol_arboretum, ",
        "UNRELATED": "x"})
    assert str(settings.url) == "https://calls.suwon.example/api/calls"
    assert settings.max_attempts == 7 and settings.breaker_cooldown_s == 12.5
    assert settings.channel_for("city_hall") is Channel.CITY
    assert settings.channel_for("ilwol_arboretum") is Channel.BOARD
    assert CallSystemSettings.from_env({"SUWON_CALLS_DEVELOPMENT": "true"}).url is None
    with pytest.raises(ValidationError):
        CallSystemSettings.from_env({})  # no secret, not development


def test_backoff_is_exponential_capped_and_jittered() -> None:
    settings = make_settings(backoff_base_s=1.0, backoff_cap_s=30.0)
    assert [settings.backoff_s(n, 1.0) for n in (1, 2, 3, 4, 5, 6, 9)] == [
        1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert settings.backoff_s(3, 0.0) == 2.0  # jitter keeps at least half the delay
