"""Delivery of stored calls: adapters for the City's call system and the embedded board,
a circuit breaker, and the outbox worker that retries until the City has every call.

Retries live in the outbox (``attempts``, ``next_attempt_at`` in SQLite), not in memory, so
the backoff schedule and every undelivered call survive a restart. An adapter makes one
attempt per call; the worker decides when to try again (exponential backoff with jitter)
and when to give up (``max_attempts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import httpx

from suwon_web_bridge.calls import signing
from suwon_web_bridge.calls.model import Call, CallChange, CallEvent, CallStatus, Channel
from suwon_web_bridge.calls.settings import CallSystemSettings
from suwon_web_bridge.calls.store import CallStore, OutboxItem, OutboxKind

log = logging.getLogger(__name__)

# Awaited just before a request leaves (the worker persists the attempt there).
BeforeSend = Callable[[], Awaitable[None]]


class Outcome(StrEnum):
    DELIVERED = "delivered"  # the receiver has it (2xx, or an idempotent repeat)
    RETRY = "retry"  # transient: network, timeout, 5xx, 408, 429
    REJECTED = "rejected"  # permanent: the receiver refused this request (other 4xx)
    NOT_ATTEMPTED = "not_attempted"  # circuit open: nothing was sent


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    detail: str = ""
    retry_in_s: float | None = None  # Retry-After, or when an open circuit half-opens
    reference: str | None = None  # the receiver's ticket id, if it gives one


class CallSystemAdapter(Protocol):
    """Where calls go. ``before_send`` is called just before anything leaves the process,
    so the worker can persist the attempt first."""

    name: str

    async def deliver(self, call: Call, *, before_send: BeforeSend | None = None
                      ) -> DeliveryResult: ...

    async def cancel(self, call: Call, *, before_send: BeforeSend | None = None
                     ) -> DeliveryResult: ...

    async def aclose(self) -> None: ...


# ---------------------------------------------------------------------- circuit breaker
class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Stop hammering a City system that is down: after ``threshold`` consecutive failures
    the circuit opens; after ``cooldown_s`` one probe may go (half-open); its success closes
    the circuit, its failure opens it for another cool-down."""

    def __init__(self, threshold: int, cooldown_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False
        # Recent history, for logs and tests; bounded, as an outage may last for days.
        self.transitions: deque[BreakerState] = deque(maxlen=64)

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def allow(self) -> bool:
        """May a request go now? In half-open, only one probe at a time."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probe_in_flight:
            self._probe_in_flight = True
            self._note(BreakerState.HALF_OPEN)
            return True
        return False

    def retry_in_s(self) -> float:
        """Seconds until a request may go (0 when closed or a probe may start)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_s - self._clock())

    def record_success(self) -> None:
        self._failures = 0
        self._probe_in_flight = False
        if self._opened_at is not None:
            self._opened_at = None
            self._note(BreakerState.CLOSED)

    def record_failure(self) -> None:
        self._failures += 1
        probe_failed = self._probe_in_flight
        self._probe_in_flight = False
        if probe_failed or (self._opened_at is None and self._failures >= self.threshold):
            self._opened_at = self._clock()
            self._note(BreakerState.OPEN)
            log.warning("call system circuit open after %d failures; retry in %.1f s",
                        self._failures, self.cooldown_s)

    def _note(self, state: BreakerState) -> None:
        if not self.transitions or self.transitions[-1] is not state:
            self.transitions.append(state)


# ---------------------------------------------------------------------- adapters
_TRANSIENT_STATUS = frozenset({408, 425, 429})


class HttpCallSystemAdapter:
    """POSTs calls to the City's call system as signed JSON.

    ``POST {url}`` with the call (``Idempotency-Key: <call id>``); a cancellation is
    ``POST {url}/{call id}/cancel`` (``Idempotency-Key: <call id>:cancel``). Both are signed
    like callbacks (see ``signing``) so the City can check they come from us.
    """

    name = "city-http"

    def __init__(self, url: str, secret: str, *, timeout_s: float, breaker: CircuitBreaker,
                 client: httpx.AsyncClient | None = None, max_retry_after_s: float = 300.0
                 ) -> None:
        self.url = url.rstrip("/")
        self.breaker = breaker
        self._secret = secret
        self._timeout_s = timeout_s
        self._client = client
        self._owns_client = client is None
        self._max_retry_after_s = max_retry_after_s

    async def deliver(self, call: Call, *, before_send: BeforeSend | None = None
                      ) -> DeliveryResult:
        return await self._post(self.url, call.call_id, call.to_delivery_payload(),
                                before_send, missing_is_done=False)

    async def cancel(self, call: Call, *, before_send: BeforeSend | None = None
                     ) -> DeliveryResult:
        # 404: the City never had it, so there is nothing left to cancel.
        return await self._post(f"{self.url}/{call.call_id}/cancel", f"{call.call_id}:cancel",
                                {"call_id": call.call_id, "reason": call.reason or ""},
                                before_send, missing_is_done=True)

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    async def _post(self, url: str, key: str, payload: dict, before_send: BeforeSend | None,
                    missing_is_done: bool) -> DeliveryResult:
        if not self.breaker.allow():
            return DeliveryResult(Outcome.NOT_ATTEMPTED, "circuit open",
                                  retry_in_s=self.breaker.retry_in_s())
        if self._client is None:
            self._client = httpx.AsyncClient()
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key,
                   **signing.sign_headers(self._secret, body)}
        if before_send is not None:
            await before_send()
        try:
            response = await self._client.post(url, content=body, headers=headers,
                                               timeout=self._timeout_s)
        except httpx.TimeoutException as exc:
            self.breaker.record_failure()
            return DeliveryResult(Outcome.RETRY, f"timeout after {self._timeout_s} s: {exc!r}")
        except httpx.HTTPError as exc:
            self.breaker.record_failure()
            return DeliveryResult(Outcome.RETRY, f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if status < 300 or (missing_is_done and status == 404):
            self.breaker.record_success()
            reference = None
            with contextlib.suppress(ValueError, AttributeError):
                reference = response.json().get("reference")
            return DeliveryResult(Outcome.DELIVERED, f"HTTP {status}", reference=reference)
        if status >= 500 or status in _TRANSIENT_STATUS:
            self.breaker.record_failure()
            return DeliveryResult(Outcome.RETRY, f"HTTP {status}",
                                  retry_in_s=self._retry_after(response))
        # Any other 4xx: the City is up and answered, but refuses this request; repeating
        # it would not help.
        self.breaker.record_success()
        return DeliveryResult(Outcome.REJECTED, f"HTTP {status}: {response.text[:200]}")

    def _retry_after(self, response: httpx.Response) -> float | None:
        try:
            value = float(response.headers.get("Retry-After", ""))
        except ValueError:
            return None
        return min(max(value, 0.0), self._max_retry_after_s)


class EmbeddedCallBoard:
    """For sites without a City system: delivery means the call shows on the call board
    (``/callboard/``), where officials answer it. Nothing leaves the process."""

    name = "embedded-board"

    async def deliver(self, call: Call, *, before_send: BeforeSend | None = None
                      ) -> DeliveryResult:
        if before_send is not None:
            await before_send()
        return DeliveryResult(Outcome.DELIVERED, "visible on the call board")

    async def cancel(self, call: Call, *, before_send: BeforeSend | None = None
                     ) -> DeliveryResult:
        # The board lists open calls only, so a cancelled call simply disappears.
        return DeliveryResult(Outcome.DELIVERED, "removed from the call board")

    async def aclose(self) -> None:
        return None


def build_adapters(settings: CallSystemSettings, client: httpx.AsyncClient | None = None
                   ) -> dict[Channel, CallSystemAdapter]:
    """The adapters the settings ask for: always the board; the City system if a URL is set."""
    adapters: dict[Channel, CallSystemAdapter] = {Channel.BOARD: EmbeddedCallBoard()}
    if settings.url is not None:
        adapters[Channel.CITY] = HttpCallSystemAdapter(
            str(settings.url), settings.shared_secret.get_secret_value(),
            timeout_s=settings.timeout_s,
            breaker=CircuitBreaker(settings.breaker_threshold, settings.breaker_cooldown_s),
            client=client)
    return adapters


# ---------------------------------------------------------------------- outbox worker
Notify = Callable[[CallChange], Awaitable[None]]


class OutboxWorker:
    """Delivers due outbox rows until each is done or given up. One worker per database
    file: rows are not leased, so two workers on one file could both send a row (the
    Idempotency-Key still makes the City keep one)."""

    # Never re-check sooner than this, so a misbehaving adapter cannot spin the loop.
    MIN_DELAY_S = 0.01

    def __init__(self, store: CallStore, adapters: Mapping[Channel, CallSystemAdapter],
                 settings: CallSystemSettings, notify: Notify, *,
                 rng: Callable[[], float] = random.random) -> None:
        self.store = store
        self.adapters = adapters
        self.settings = settings
        self._notify = notify
        self._rng = rng
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the loop on the running event loop (rows left by a previous run go first)."""
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="calls-outbox-worker")

    def wake(self) -> None:
        """Something new is due now (a call was created or cancelled)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop the loop; an attempt in flight is abandoned and retried on the next start
        (the Idempotency-Key keeps the City from getting it twice)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> int:
        """Attempt every row due now; returns how many were handled."""
        items = self.store.due_outbox(limit=self.settings.worker_concurrency * 4)
        if not items:
            return 0
        gate = asyncio.Semaphore(self.settings.worker_concurrency)

        async def one(item: OutboxItem) -> None:
            async with gate:
                await self._process(item)

        await asyncio.gather(*(one(item) for item in items))
        return len(items)

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before looking, so a wake() during this pass is not lost.
            self._wake.clear()
            try:
                handled = await self.run_once()
            except Exception:  # a bug or a database hiccup must not end delivery for good
                log.exception("outbox worker pass failed")
                handled = 0
            if handled:
                continue
            delay = self.settings.worker_poll_s
            next_due = self.store.next_due_at()
            if next_due is not None:
                delay = min(delay, max(self.MIN_DELAY_S, next_due - time.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _process(self, item: OutboxItem) -> None:
        call = self.store.get(item.call_id)
        if item.kind is OutboxKind.DELIVER and call.status is not CallStatus.PENDING:
            # Answered or cancelled meanwhile; the transition normally closed the row already.
            await self._finish(await asyncio.to_thread(self.store.outbox_done, item))
            return
        adapter = self.adapters.get(call.channel)
        if adapter is None:
            # A configuration change (e.g. the City URL removed) must not fail calls that
            # were accepted under the old one: keep them owed and say so loudly.
            error = f"no adapter for channel {call.channel.value}"
            log.error("call %s cannot be delivered: %s", call.call_id, error)
            await asyncio.to_thread(self.store.outbox_retry, item, error,
                                    time.time() + max(5.0, self.settings.worker_poll_s))
            return
        attempts: list[int] = []

        async def before_send() -> None:
            attempts.append(await asyncio.to_thread(self.store.begin_attempt, item))

        send = adapter.deliver if item.kind is OutboxKind.DELIVER else adapter.cancel
        try:
            result = await send(call, before_send=before_send)
        except Exception as exc:  # an adapter bug is a failed attempt, not a dead worker
            log.exception("adapter %s failed on call %s", adapter.name, call.call_id)
            result = DeliveryResult(Outcome.RETRY, f"{type(exc).__name__}: {exc}")
        attempt = attempts[-1] if attempts else item.attempts
        sent = dataclasses.replace(item, attempts=attempt)
        now = time.time()
        if result.outcome is Outcome.DELIVERED:
            await self._finish(await asyncio.to_thread(
                self.store.outbox_done, sent,
                {"adapter": adapter.name, "attempt": attempt, "reference": result.reference,
                 "detail": result.detail}))
        elif result.outcome is Outcome.NOT_ATTEMPTED:
            await asyncio.to_thread(self.store.outbox_postpone, item,
                                    now + max(self.MIN_DELAY_S, result.retry_in_s or 0.0))
        elif result.outcome is Outcome.REJECTED or attempt >= self.settings.max_attempts:
            log.warning("giving up %s of call %s after %d attempts: %s", item.kind.value,
                        call.call_id, attempt, result.detail)
            await self._finish(await asyncio.to_thread(self.store.outbox_failed, sent,
                                                       result.detail))
        else:
            delay = self.settings.backoff_s(attempt, self._rng())
            if result.retry_in_s is not None:
                delay = max(delay, result.retry_in_s)  # honour the City's Retry-After
            await asyncio.to_thread(self.store.outbox_retry, sent, result.detail, now + delay)

    async def _finish(self, outcome: tuple[Call, CallEvent | None]) -> None:
        call, event = outcome
        if event is not None:
            await self._notify(CallChange(call, event))
