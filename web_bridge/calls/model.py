"""The official call (새빛민원실 호출): statuses, allowed transitions, and the records.

A call is what a lobby robot raises when a visitor needs a person: it is stored first, then
delivered to the City's call system (or shown on the embedded call board), and the official's
answers come back as events. Plain dataclasses; no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class CallStatus(StrEnum):
    PENDING = "pending"  # stored, not yet delivered
    DELIVERED = "delivered"  # the City system (or the board) has it
    ACCEPTED = "accepted"  # an official is coming (name, ETA)
    DECLINED = "declined"  # nobody can come; the robot sends the visitor to the desk
    ARRIVED = "arrived"  # the official is with the visitor
    CLOSED = "closed"  # handled
    FAILED = "failed"  # delivery gave up (attempts exhausted or refused)
    CANCELLED = "cancelled"  # the robot / visitor withdrew the call

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({CallStatus.DECLINED, CallStatus.CLOSED, CallStatus.FAILED,
                      CallStatus.CANCELLED})
OPEN = frozenset(CallStatus) - TERMINAL

# Allowed moves. The City may answer before our delivery confirmation arrives (the POST
# reached it, the response was lost, the outbox will retry), so accepted/declined are also
# accepted straight from pending: the answer itself proves delivery.
TRANSITIONS: dict[CallStatus, frozenset[CallStatus]] = {
    CallStatus.PENDING: frozenset({CallStatus.DELIVERED, CallStatus.ACCEPTED,
                                   CallStatus.DECLINED, CallStatus.FAILED,
                                   CallStatus.CANCELLED}),
    CallStatus.DELIVERED: frozenset({CallStatus.ACCEPTED, CallStatus.DECLINED,
                                     CallStatus.CANCELLED}),
    # An official who accepted may still withdraw (declined) or the visitor may leave.
    CallStatus.ACCEPTED: frozenset({CallStatus.ARRIVED, CallStatus.DECLINED,
                                    CallStatus.CANCELLED}),
    CallStatus.ARRIVED: frozenset({CallStatus.CLOSED}),
    CallStatus.DECLINED: frozenset(),
    CallStatus.CLOSED: frozenset(),
    CallStatus.FAILED: frozenset(),
    CallStatus.CANCELLED: frozenset(),
}


def can_move(current: CallStatus, new: CallStatus) -> bool:
    """True when ``current → new`` is an allowed status change."""
    return new in TRANSITIONS[current]


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Channel(StrEnum):
    """Where a call is delivered: the City's call system or the embedded call board."""

    CITY = "city"
    BOARD = "board"


class EventSource(StrEnum):
    """Who caused a status change (kept in the event history)."""

    ROBOT = "robot"  # the robot / API client that raised the call
    SYSTEM = "system"  # the bridge itself (delivery worker)
    CITY = "city"  # a signed callback from the City's call system
    BOARD = "board"  # an official on the embedded call board


@dataclass(frozen=True)
class NewCall:
    """What a robot asks for; the store adds id, status and timestamps."""

    robot_id: str
    site_id: str
    place_id: str
    topic: str
    service_id: str | None = None
    visitor_language: str = "ko"
    note: str = ""
    priority: Priority = Priority.NORMAL


@dataclass(frozen=True)
class CallEvent:
    """One status change in a call's history."""

    seq: int
    call_id: str
    at: float
    status: CallStatus
    previous_status: CallStatus | None
    source: EventSource
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """A call as stored (timestamps are Unix seconds)."""

    call_id: str
    robot_id: str
    site_id: str
    place_id: str
    topic: str
    service_id: str | None
    visitor_language: str
    note: str
    priority: Priority
    channel: Channel
    status: CallStatus
    created_at: float
    updated_at: float
    delivered_at: float | None = None
    official_name: str | None = None
    eta_minutes: int | None = None
    reason: str | None = None
    delivery_attempts: int = 0
    last_error: str | None = None
    events: tuple[CallEvent, ...] = ()

    def to_delivery_payload(self) -> dict[str, Any]:
        """The document sent to the City's call system (stable, versioned field names)."""
        return {
            "call_id": self.call_id,
            "robot_id": self.robot_id,
            "site_id": self.site_id,
            "place_id": self.place_id,
            "topic": {"text": self.topic, "service_id": self.service_id},
            "visitor_language": self.visitor_language,
            "note": self.note,
            "priority": self.priority.value,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class CallChange:
    """What listeners receive: the call after the change and the event that changed it."""

    call: Call
    event: CallEvent

    @property
    def previous_status(self) -> CallStatus | None:
        return self.event.previous_status
