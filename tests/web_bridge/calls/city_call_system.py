"""A stand-in for the City's call system, served for real by uvicorn on a local port.

It receives calls (checking our signature, recording every Idempotency-Key and keeping one
call per key), can be told to fail, refuse or answer slowly, and sends signed callbacks back
to the bridge as the real system would. Also ``UvicornThread``, to serve any ASGI app.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from suwon_web_bridge.calls import signing


@dataclass
class Received:
    """One request as it arrived (duplicates included)."""

    at: float
    path: str
    key: str | None
    body: dict[str, Any]


@dataclass
class CityState:
    """What the stand-in has seen, and how it should behave. Shared with the test thread."""

    secret: str
    fail_next: int = 0  # answer ``fail_status`` to this many more requests
    always_fail: bool = False
    fail_status: int = 503
    reject_status: int | None = None  # a permanent refusal (e.g. 422) for every call
    slow_next: int = 0  # record, then answer this many more requests after ``delay_s``
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → first body
    cancels: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self, path_suffix: str = "/calls") -> list[str | None]:
        with self.lock:
            return [r.key for r in self.received if r.path.endswith(path_suffix)]


def create_city_app(state: CityState) -> FastAPI:
    """The stand-in's HTTP API: ``POST /calls`` and ``POST /calls/{id}/cancel``."""
    app = FastAPI(title="Stand-in City call system")

    async def receive(request: Request) -> tuple[bytes, dict[str, Any]] | JSONResponse:
        body = await request.body()
        try:
            signing.verify(state.secret, request.headers.get(signing.TIMESTAMP_HEADER),
                           request.headers.get(signing.SIGNATURE_HEADER), body, 300)
        except signing.SignatureError as exc:
            with state.lock:
                state.bad_signatures += 1
            return JSONResponse({"error": str(exc)}, status_code=401)
        return body, json.loads(body)

    def behave() -> tuple[int | None, float]:
        """This request's fate: a failure status (or None) and a delay."""
        with state.lock:
            if state.always_fail or state.fail_next > 0:
                state.fail_next = max(0, state.fail_next - 1)
                return state.fail_status, 0.0
            if state.reject_status is not None:
                return state.reject_status, 0.0
            if state.slow_next > 0:
                state.slow_next -= 1
                return None, state.delay_s
            return None, 0.0

    @app.post("/calls")
    async def new_call(request: Request) -> JSONResponse:
        got = await receive(request)
        if isinstance(got, JSONResponse):
            return got
        _, body = got
        key = request.headers.get("Idempotency-Key")
        failure, delay = behave()
        with state.lock:
            state.received.append(Received(time.time(), "/calls", key, body))
            if failure is not None:
                return JSONResponse({"error": "unavailable"}, status_code=failure)
            duplicate = key in state.calls
            if not duplicate:
                state.calls[key] = body  # stored before answering, as a real system would
        if delay:
            await asyncio.sleep(delay)  # the caller times out, though we have the call
        return JSONResponse({"reference": f"CITY-{key}", "duplicate": duplicate},
                            status_code=200 if duplicate else 201)

    @app.post("/calls/{call_id}/cancel")
    async def cancel(call_id: str, request: Request) -> JSONResponse:
        got = await receive(request)
        if isinstance(got, JSONResponse):
            return got
        _, body = got
        key = request.headers.get("Idempotency-Key")
        failure, _ = behave()
        with state.lock:
            state.received.append(Received(time.time(), f"/calls/{call_id}/cancel", key, body))
            if failure is not None:
                return JSONResponse({"error": "unavailable"}, status_code=failure)
            if call_id not in state.calls:
                return JSONResponse({"error": "unknown call"}, status_code=404)
            state.cancels.setdefault(key, body)
        return JSONResponse({"cancelled": call_id})

    return app


class UvicornThread:
    """Serve an ASGI app on 127.0.0.1:``port`` from a background thread."""

    def __init__(self, app: Any, port: int) -> None:
        self.port = port
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                    log_level="warning", lifespan="auto"))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._thread is not None:
            self.server.should_exit = True
            self._thread.join(timeout=10)
            self._thread = None


class CityCallSystem:
    """The stand-in on a fixed port, which may be down (not started) for a while."""

    def __init__(self, secret: str, port: int) -> None:
        self.state = CityState(secret)
        self.port = port
        self._server: UvicornThread | None = None

    @property
    def url(self) -> str:
        """Where the bridge POSTs calls (valid even while the stand-in is down)."""
        return f"http://127.0.0.1:{self.port}/calls"

    def start(self) -> None:
        self._server = UvicornThread(create_city_app(self.state), self.port)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    async def send_event(self, bridge_base_url: str, call_id: str, type_: str, *,
                         event_id: str | None = None, **fields: Any) -> httpx.Response:
        """Send a signed callback to a bridge served over real HTTP."""
        async with httpx.AsyncClient(base_url=bridge_base_url) as client:
            return await signed_callback(client, self.state.secret,
                                         callback_event(call_id, type_, event_id, **fields))


def callback_event(call_id: str, type_: str, event_id: str | None = None,
                   **fields: Any) -> dict[str, Any]:
    """A callback document as the City sends it."""
    return {"event_id": event_id or f"evt-{uuid.uuid4()}", "call_id": call_id, "type": type_,
            **fields}


async def signed_callback(client: httpx.AsyncClient, secret: str, event: dict[str, Any] | None,
                          *, body: bytes | None = None, timestamp: float | None = None,
                          signature: str | None = None) -> httpx.Response:
    """POST a callback signed with ``secret`` (``body``/``timestamp``/``signature`` override
    the honest values, to forge or replay)."""
    raw = body if body is not None else json.dumps(event, ensure_ascii=False).encode()
    headers = signing.sign_headers(secret, raw, now=timestamp)
    if signature is not None:
        headers[signing.SIGNATURE_HEADER] = signature
    headers["Content-Type"] = "application/json"
    return await client.post("/api/v1/calls/callback", content=raw, headers=headers)
