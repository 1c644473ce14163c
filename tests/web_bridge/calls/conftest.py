"""Fixtures for the call system: settings, the stand-in City system, a bridge to test."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from suwon_web_bridge import problems
from suwon_web_bridge.calls import (
    CallChange,
    CallService,
    CallStore,
    CallSystemSettings,
    make_calls_router,
)
from suwon_web_bridge.calls.model import NewCall

from .city_call_system import CityCallSystem

SECRET = "s3cret-shared-with-suwon-city-hall"
BOARD_TOKEN = "board-token-city-hall-0123456789"
OTHER_BOARD_TOKEN = "board-token-arboretum-0123456789"

# Fast, but the same shape as production: exponential backoff, breaker, timeouts. The
# timeout is generous so a loaded test machine does not turn answers into lost responses.
FAST = dict(shared_secret=SECRET, timeout_s=2.0, max_attempts=50, backoff_base_s=0.05,
            backoff_cap_s=0.2, breaker_threshold=3, breaker_cooldown_s=0.4, worker_poll_s=0.05,
            board_tokens={"city_hall": BOARD_TOKEN, "ilwol_arboretum": OTHER_BOARD_TOKEN})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_settings(**overrides: Any) -> CallSystemSettings:
    return CallSystemSettings(**{**FAST, **overrides})


def new_call(n: int = 0, **overrides: Any) -> NewCall:
    values: dict[str, Any] = dict(robot_id="lobby_1", site_id="city_hall",
                                  place_id="information_desk",
                                  topic=f"전입신고 문의 {n} · moving-in report",
                                  service_id="jeonip", visitor_language="ko", note="")
    return NewCall(**{**values, **overrides})


def call_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "robot_id": "lobby_1", "site_id": "city_hall", "place_id": "information_desk",
        "topic": {"text": "여권 재발급 · passport reissue", "service_id": "passport"},
        "visitor_language": "en", "note": "휠체어 이용 · wheelchair user", "priority": "urgent"}
    body.update(overrides)
    return body


async def wait_for(predicate: Callable[[], Any], timeout_s: float = 10.0,
                   what: str = "condition") -> Any:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
def city() -> Iterator[CityCallSystem]:
    """The stand-in, on a reserved port, NOT started (tests decide when it comes up)."""
    system = CityCallSystem(SECRET, free_port())
    yield system
    system.stop()


def bridge_app(service: CallService, *, lifespan: bool = False, **router_kw: Any) -> FastAPI:
    """A minimal bridge: problem details + the calls router (+ the worker if ``lifespan``)."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(lifespan=run if lifespan else None)
    problems.install(app)
    app.include_router(make_calls_router(service, **router_kw))
    return app


@dataclass
class Bridge:
    """A running call service, its app and an HTTP client on it (ASGI transport)."""

    store: CallStore
    service: CallService
    app: FastAPI
    client: httpx.AsyncClient
    changes: list[CallChange] = field(default_factory=list)

    def statuses(self, call_id: str) -> list[str]:
        """The statuses listeners heard for ``call_id``, in order."""
        return [c.event.status.value for c in self.changes if c.call.call_id == call_id]

    async def heard(self, call_id: str, expected: list[str]) -> None:
        """Wait until listeners heard exactly ``expected``: a worker's change is committed
        (visible in the store) a moment before the listeners are called."""
        await wait_for(lambda: len(self.statuses(call_id)) >= len(expected),
                       what=f"listeners to hear {expected}")
        assert self.statuses(call_id) == expected


BridgeFactory = Callable[..., Awaitable[Bridge]]


@pytest.fixture
async def make_bridge(tmp_path: Path) -> AsyncIterator[BridgeFactory]:
    """Build bridges on ``tmp_path/calls.db`` (started unless ``start=False``); all are
    stopped and closed at the end."""
    made: list[Bridge] = []

    async def make(settings: CallSystemSettings | None = None, *, start: bool = True,
                   db: Path | None = None, **router_kw: Any) -> Bridge:
        store = CallStore(db or tmp_path / "calls.db")
        service = CallService(store, settings or make_settings())
        app = bridge_app(service, **router_kw)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://bridge.test")
        bridge = Bridge(store, service, app, client)
        service.add_listener(bridge.changes.append)
        if start:
            await service.start()
        made.append(bridge)
        return bridge

    yield make
    for bridge in made:
        await bridge.client.aclose()
        await bridge.service.stop()
        bridge.store.close()
