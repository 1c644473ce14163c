"""Request and response models of the call API (validated lengths, patterns, enums)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from suwon_web_bridge.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    Channel,
    EventSource,
    NewCall,
    Priority,
)

IDENT = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
# BCP 47, simplified: ko, en, zh-Hans, pt-BR, ...
LANGUAGE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"


class _Strict(BaseModel):
    # Unknown fields are refused so a typo ("prority") is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Topic(_Strict):
    text: str = Field(min_length=1, max_length=200,
                      description="무엇을 도와드릴까요 · what the visitor needs (free text)")
    service_id: str | None = Field(None, min_length=1, max_length=64, pattern=IDENT,
                                   description="civil-service (민원 사무) id, if known")


class CallCreate(_Strict):
    robot_id: str = Field(min_length=1, max_length=64, pattern=IDENT)
    site_id: str = Field(min_length=1, max_length=64, pattern=IDENT)
    place_id: str = Field(min_length=1, max_length=128, pattern=IDENT,
                          description="where the visitor waits (a place of the site)")
    topic: Topic
    visitor_language: str = Field("ko", min_length=2, max_length=35, pattern=LANGUAGE)
    note: str = Field("", max_length=500)
    priority: Priority = Priority.NORMAL

    def to_new_call(self) -> NewCall:
        return NewCall(robot_id=self.robot_id, site_id=self.site_id, place_id=self.place_id,
                       topic=self.topic.text, service_id=self.topic.service_id,
                       visitor_language=self.visitor_language, note=self.note,
                       priority=self.priority)


class CallCancel(_Strict):
    reason: str = Field("", max_length=300)


class BoardAccept(_Strict):
    official_name: str = Field(min_length=1, max_length=60, description="담당 공무원 이름")
    eta_minutes: int = Field(ge=0, le=240, description="도착 예정(분) · ETA in minutes")


class BoardDecline(_Strict):
    reason: str = Field("", max_length=300)


class CallEventOut(BaseModel):
    seq: int
    at: datetime
    status: CallStatus
    previous_status: CallStatus | None
    source: EventSource
    payload: dict[str, Any]

    @classmethod
    def of(cls, event: CallEvent) -> CallEventOut:
        return cls(seq=event.seq, at=_dt(event.at), status=event.status,
                   previous_status=event.previous_status, source=event.source,
                   payload=event.payload)


class TopicOut(BaseModel):
    text: str
    service_id: str | None


class CallOut(BaseModel):
    call_id: str
    robot_id: str
    site_id: str
    place_id: str
    topic: TopicOut
    visitor_language: str
    note: str
    priority: Priority
    channel: Channel
    status: CallStatus
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    official_name: str | None
    eta_minutes: int | None
    reason: str | None
    delivery_attempts: int
    last_error: str | None

    @classmethod
    def of(cls, call: Call) -> CallOut:
        return cls(**cls._fields(call))

    @staticmethod
    def _fields(call: Call) -> dict[str, Any]:
        return dict(
            call_id=call.call_id, robot_id=call.robot_id, site_id=call.site_id,
            place_id=call.place_id, topic=TopicOut(text=call.topic, service_id=call.service_id),
            visitor_language=call.visitor_language, note=call.note, priority=call.priority,
            channel=call.channel, status=call.status, created_at=_dt(call.created_at),
            updated_at=_dt(call.updated_at),
            delivered_at=_dt(call.delivered_at) if call.delivered_at else None,
            official_name=call.official_name, eta_minutes=call.eta_minutes, reason=call.reason,
            delivery_attempts=call.delivery_attempts, last_error=call.last_error)


class CallDetail(CallOut):
    events: list[CallEventOut] = Field(description="every status change, oldest first")

    @classmethod
    def of(cls, call: Call) -> CallDetail:
        return cls(**cls._fields(call), events=[CallEventOut.of(e) for e in call.events])


class CallPage(BaseModel):
    items: list[CallOut]
    total: int = Field(description="calls matching the filters")
    limit: int
    offset: int


class BoardOut(BaseModel):
    site_id: str
    calls: list[CallOut]
    server_time: datetime


# --------------------------------------------------------------------- City callbacks
class _CallbackBase(BaseModel):
    # Extra fields are ignored: the City may add fields without breaking us.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=128, pattern=IDENT,
                          description="unique per event; repeats are ignored")
    call_id: uuid.UUID
    occurred_at: datetime | None = None


class CallbackAccepted(_CallbackBase):
    type: Literal["accepted"]
    official_name: str = Field(min_length=1, max_length=60)
    eta_minutes: int = Field(ge=0, le=240)


class CallbackDeclined(_CallbackBase):
    type: Literal["declined"]
    reason: str = Field("", max_length=300)


class CallbackArrived(_CallbackBase):
    type: Literal["arrived"]


class CallbackClosed(_CallbackBase):
    type: Literal["closed"]


CallbackEvent = Annotated[CallbackAccepted | CallbackDeclined | CallbackArrived |
                          CallbackClosed, Field(discriminator="type")]
CALLBACK_ADAPTER: TypeAdapter[CallbackEvent] = TypeAdapter(CallbackEvent)

CALLBACK_STATUS = {"accepted": CallStatus.ACCEPTED, "declined": CallStatus.DECLINED,
                   "arrived": CallStatus.ARRIVED, "closed": CallStatus.CLOSED}


class CallbackResult(BaseModel):
    call: CallOut
    duplicate: bool = Field(description="true when this event id was already applied")


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
