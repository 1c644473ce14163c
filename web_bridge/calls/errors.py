"""Domain errors of the call system (the router turns them into problem details)."""

from __future__ import annotations

from suwon_web_bridge.calls.model import CallStatus


class CallError(Exception):
    """Base class: a request the call system refuses."""


class CallNotFound(CallError):
    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        super().__init__(f"no call {call_id!r}")


class InvalidTransition(CallError):
    def __init__(self, call_id: str, current: CallStatus, requested: CallStatus) -> None:
        self.call_id = call_id
        self.current = current
        self.requested = requested
        super().__init__(f"call {call_id} is {current.value}; it cannot become {requested.value}")


class IdempotencyConflict(CallError):
    """The same idempotency key / event id came back with a different body."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"key {key!r} was already used with a different request")


class WrongChannel(CallError):
    """A board action on a call that the City's call system handles (or the reverse)."""

    def __init__(self, call_id: str, channel: str) -> None:
        self.call_id = call_id
        self.channel = channel
        super().__init__(f"call {call_id} is handled by the {channel} channel")
