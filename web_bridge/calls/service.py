"""The call service: the one place that changes calls, and tells listeners when it does.

Routes, the outbox worker and the call board all go through it, so every status change is
stored (with its event) first and announced second.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from suwon_web_bridge.calls.delivery import CallSystemAdapter, OutboxWorker, build_adapters
from suwon_web_bridge.calls.errors import CallNotFound, WrongChannel
from suwon_web_bridge.calls.model import (
    OPEN,
    Call,
    CallChange,
    CallEvent,
    CallStatus,
    Channel,
    EventSource,
    NewCall,
)
from suwon_web_bridge.calls.settings import CallSystemSettings
from suwon_web_bridge.calls.store import CallStore

log = logging.getLogger(__name__)

# Called after every committed status change (creation included). May be sync or async;
# keep it quick: it runs on the event loop, before the request that caused it answers.
# Changes of one call arrive in order in practice; ``change.event.seq`` is the exact order.
CallListener = Callable[[CallChange], Awaitable[None] | None]

# What the board may do, and the status each action leads to.
BOARD_ACTIONS: Mapping[str, CallStatus] = {
    "accept": CallStatus.ACCEPTED,
    "decline": CallStatus.DECLINED,
    "arrived": CallStatus.ARRIVED,
    "close": CallStatus.CLOSED,
}


class CallService:
    """Create, answer and cancel calls; deliver them through the outbox worker."""

    def __init__(self, store: CallStore, settings: CallSystemSettings, *,
                 adapters: Mapping[Channel, CallSystemAdapter] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.adapters: Mapping[Channel, CallSystemAdapter] = (
            adapters if adapters is not None else build_adapters(settings))
        self.worker = OutboxWorker(store, self.adapters, settings, self._notify)
        self._listeners: list[CallListener] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start delivering (call from the app's lifespan, inside the event loop)."""
        self.worker.start()

    async def stop(self) -> None:
        """Stop the worker and close the adapters' HTTP clients. The store stays open
        (it is the caller's); undelivered calls wait in the outbox for the next start."""
        await self.worker.stop()
        for adapter in self.adapters.values():
            await adapter.aclose()

    # ------------------------------------------------------------------ listeners
    def add_listener(self, listener: CallListener) -> Callable[[], None]:
        """Call ``listener(change)`` after every status change; returns a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners \
            else None

    async def _notify(self, change: CallChange) -> None:
        for listener in list(self._listeners):
            try:
                result = listener(change)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # one broken listener must not hide the change from others
                log.exception("call listener %r failed", listener)

    # ------------------------------------------------------------------ robot side
    async def create(self, new: NewCall, *, idempotency_key: str | None = None
                     ) -> tuple[Call, bool]:
        """Store the call (with its outbox row) and wake delivery. Returns
        ``(call, created)``; a repeated ``idempotency_key`` returns the first call."""
        request_hash = _digest(asdict(new)) if idempotency_key is not None else None
        # Writes fsync (synchronous=FULL): off the event loop, so the bridge stays responsive.
        call, created = await asyncio.to_thread(
            self.store.create, new, self.settings.channel_for(new.site_id),
            request_key=idempotency_key, request_hash=request_hash)
        if created:
            await self._notify(CallChange(call, call.events[-1]))
            self.worker.wake()
        return call, created

    async def cancel(self, call_id: str, reason: str = "", *,
                     source: EventSource = EventSource.ROBOT) -> Call:
        """Withdraw a call; the City is told if it may already have it."""
        call, event = await asyncio.to_thread(
            self.store.transition, call_id, CallStatus.CANCELLED, source, {"reason": reason},
            fields={"reason": reason or None})
        await self._announce(call, event)
        self.worker.wake()
        return call

    # ------------------------------------------------------------------ reading
    def get(self, call_id: str) -> Call:
        return self.store.get(call_id)

    def list_calls(self, *, statuses: Sequence[CallStatus] = (), site_id: str | None = None,
                   robot_id: str | None = None, channel: Channel | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[Call], int]:
        return self.store.list_calls(statuses=statuses, site_id=site_id, robot_id=robot_id,
                                     channel=channel, limit=limit, offset=offset)

    def board_calls(self, site_id: str, limit: int = 200) -> list[Call]:
        """Open calls shown on ``site_id``'s board (delivered, accepted, arrived)."""
        calls, _ = self.store.list_calls(
            statuses=sorted(OPEN - {CallStatus.PENDING}), site_id=site_id,
            channel=Channel.BOARD, limit=limit)
        return calls

    # ------------------------------------------------------------------ answers
    async def apply_city_event(self, event_id: str, call_id: str, status: CallStatus,
                               payload: dict[str, Any]) -> tuple[Call, bool]:
        """Apply a verified City callback. Returns ``(call, duplicate)``: an event id seen
        before changes nothing."""
        call = self.store.get(call_id)
        if call.channel is not Channel.CITY:
            raise WrongChannel(call_id, call.channel.value)
        updated, event = await asyncio.to_thread(
            self.store.transition, call_id, status, EventSource.CITY,
            {"event_id": event_id, **payload}, fields=_answer_fields(status, payload),
            event_id=event_id, event_hash=_digest({"status": status.value, **payload}))
        await self._announce(updated, event)
        return updated, event is None

    async def board_action(self, site_id: str, call_id: str, action: str,
                           payload: dict[str, Any]) -> Call:
        """An official's action on the embedded board of ``site_id``."""
        status = BOARD_ACTIONS[action]
        call = self.store.get(call_id)
        if call.site_id != site_id:
            raise CallNotFound(call_id)  # another site's call: do not reveal it exists
        if call.channel is not Channel.BOARD:
            raise WrongChannel(call_id, call.channel.value)
        updated, event = await asyncio.to_thread(
            self.store.transition, call_id, status, EventSource.BOARD, payload,
            fields=_answer_fields(status, payload))
        await self._announce(updated, event)
        return updated

    async def _announce(self, call: Call, event: CallEvent | None) -> None:
        if event is not None:
            await self._notify(CallChange(call, event))


def _answer_fields(status: CallStatus, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Columns an answer sets on the call (the event keeps the full payload anyway)."""
    if status is CallStatus.ACCEPTED:
        return {"official_name": payload["official_name"],
                "eta_minutes": payload["eta_minutes"]}
    if status is CallStatus.DECLINED:
        return {"reason": payload.get("reason") or None}
    return {}


def _digest(value: Any) -> str:
    """A stable hash of a JSON-able value (to tell a true repeat from a reused key)."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
