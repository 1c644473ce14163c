"""Veteran-official call system (새빛민원실 호출): a lobby robot calls an official for a visitor.

Store first (SQLite), deliver through an outbox (City call system over HTTP, or the embedded
call board), take answers back as signed callbacks or board actions, and tell listeners
about every status change. No ROS here; the bridge wires it in::

    store = CallStore("var/calls.db")
    service = CallService(store, CallSystemSettings.from_env())
    app.include_router(make_calls_router(service, read_access=..., write_access=...))
    # lifespan: await service.start() … await service.stop(); store.close()
"""

from suwon_web_bridge.calls.delivery import (
    CallSystemAdapter,
    CircuitBreaker,
    EmbeddedCallBoard,
    HttpCallSystemAdapter,
    OutboxWorker,
)
from suwon_web_bridge.calls.model import (
    Call,
    CallChange,
    CallEvent,
    CallStatus,
    Channel,
    EventSource,
    NewCall,
    Priority,
)
from suwon_web_bridge.calls.router import make_calls_router, no_auth
from suwon_web_bridge.calls.service import CallListener, CallService
from suwon_web_bridge.calls.settings import CallSystemSettings
from suwon_web_bridge.calls.store import CallStore

__all__ = [
    "Call",
    "CallChange",
    "CallEvent",
    "CallListener",
    "CallService",
    "CallStatus",
    "CallStore",
    "CallSystemAdapter",
    "CallSystemSettings",
    "Channel",
    "CircuitBreaker",
    "EmbeddedCallBoard",
    "EventSource",
    "HttpCallSystemAdapter",
    "NewCall",
    "OutboxWorker",
    "Priority",
    "make_calls_router",
    "no_auth",
]
