"""HTTP API of the official call system, the signed City callback, and the call board.

Routes (all under ``/api/v1/calls``, tag ``calls``):

    POST /api/v1/calls                      create (201 + Location)            write_access
    GET  /api/v1/calls                      list (status, site_id, robot_id)    read_access
    GET  /api/v1/calls/{id}                 detail with events                  read_access
    POST /api/v1/calls/{id}/cancel          cancel                              write_access
    POST /api/v1/calls/callback             City events (HMAC signed)           signature
    GET  /api/v1/calls/board                open calls of the board's site      X-Board-Token
    POST /api/v1/calls/board/{id}/accept    official accepts (name, ETA)        X-Board-Token
    POST /api/v1/calls/board/{id}/decline                                       X-Board-Token
    POST /api/v1/calls/board/{id}/arrived                                       X-Board-Token
    POST /api/v1/calls/board/{id}/close                                         X-Board-Token
    GET  /callboard/                        the call-board page (static)

Board auth: each site has its own token (``CallSystemSettings.board_tokens``); the page asks
for it once and sends it as ``X-Board-Token``. The token alone identifies the site, so a
board sees and changes only its own site's calls.
"""

# No "from __future__ import annotations": FastAPI must see the route annotations as
# objects, and some name dependencies local to make_calls_router.
import hmac
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError

from suwon_web_bridge.calls import signing
from suwon_web_bridge.calls.errors import (
    CallError,
    CallNotFound,
    IdempotencyConflict,
    InvalidTransition,
    WrongChannel,
)
from suwon_web_bridge.calls.model import CallStatus
from suwon_web_bridge.calls.schemas import (
    CALLBACK_ADAPTER,
    CALLBACK_STATUS,
    BoardAccept,
    BoardDecline,
    BoardOut,
    CallbackAccepted,
    CallbackDeclined,
    CallbackResult,
    CallCancel,
    CallCreate,
    CallDetail,
    CallOut,
    CallPage,
)
from suwon_web_bridge.calls.service import CallService
from suwon_web_bridge.problems import Problem

BOARD_DIR = Path(__file__).resolve().parent.parent / "static" / "callboard"
BOARD_TOKEN_HEADER = "X-Board-Token"
_BOARD_ASSETS = {"callboard.js": "text/javascript", "callboard.css": "text/css"}


def no_auth() -> None:
    """The default access check: everyone may (pass a role check to restrict)."""


def problem_for(exc: CallError) -> Problem:
    """The problem document for a refused call request."""
    if isinstance(exc, CallNotFound):
        return Problem(404, "Unknown Call", f"호출을 찾을 수 없습니다 · {exc}", "unknown-call")
    if isinstance(exc, InvalidTransition):
        return Problem(409, "Invalid Transition",
                       f"지금 상태에서는 할 수 없습니다 · {exc}", "invalid-transition",
                       current_status=exc.current.value, requested_status=exc.requested.value)
    if isinstance(exc, IdempotencyConflict):
        return Problem(409, "Idempotency Key Reused",
                       f"같은 키가 다른 내용으로 쓰였습니다 · {exc}", "idempotency-key-reused")
    if isinstance(exc, WrongChannel):
        return Problem(409, "Wrong Channel", f"다른 경로로 처리되는 호출입니다 · {exc}",
                       "wrong-channel", channel=exc.channel)
    return Problem(400, "Call Refused", str(exc), "call-refused")


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) more than ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> Problem:
    return Problem(413, "Payload Too Large", f"요청 본문이 너무 큽니다 · body over {limit} bytes",
                   "payload-too-large", max_bytes=limit)


def make_calls_router(service: CallService, *, read_access: Callable[..., Any] = no_auth,
                      write_access: Callable[..., Any] = no_auth,
                      serve_board_page: bool = True) -> APIRouter:
    """Build the router. ``read_access``/``write_access`` are FastAPI dependencies (e.g. role
    checks) applied to the robot/operator routes; the callback and the board carry their
    own authentication. Include it without a prefix: paths are absolute."""
    settings = service.settings
    limit = settings.max_body_bytes
    router = APIRouter()
    reads = [Depends(read_access)]
    writes = [Depends(write_access)]

    async def limit_body(request: Request) -> None:
        # FastAPI has read the body by now (it parses before dependencies); refuse big ones
        # anyway so the limit holds for every route, not only the callback.
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        if len(await request.body()) > limit:
            raise _too_large(limit)

    def board_site(token: Annotated[str | None, Header(alias=BOARD_TOKEN_HEADER)] = None
                   ) -> str:
        """The site whose board token was sent (401 otherwise)."""
        found = None
        for site, expected in settings.board_tokens.items():
            # Compare with every token, constant-time, so timing reveals nothing.
            if token is not None and hmac.compare_digest(
                    token.encode(), expected.get_secret_value().encode()):
                found = site
        if found is None:
            raise Problem(401, "Board Token Required",
                          f"올바른 호출판 토큰이 필요합니다 · a valid {BOARD_TOKEN_HEADER} "
                          "header is required", "board-token-required")
        return found

    board_site_dep = Annotated[str, Depends(board_site)]
    limited = [Depends(limit_body)]

    # Literal paths first: "/board" and "/callback" must not be read as a call id.
    @router.post("/api/v1/calls/callback", response_model=CallbackResult, tags=["calls"],
                 summary="City call system event (signed) · 시청 호출 시스템 응답",
                 responses={401: {"description": "missing, forged or stale signature"}})
    async def city_callback(request: Request) -> CallbackResult:
        """An answer from the City call system, signed with the shared secret.

        Headers: ``X-Suwon-Timestamp`` (Unix seconds, within the replay window) and
        ``X-Suwon-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``. Body:
        ``{"event_id", "call_id", "type": "accepted"|"declined"|"arrived"|"closed"}`` plus
        ``official_name`` and ``eta_minutes`` (accepted) or ``reason`` (declined). A repeated
        ``event_id`` is answered 200 with ``duplicate: true`` and changes nothing.
        """
        body = await read_limited_body(request, limit)
        try:
            signing.verify(settings.shared_secret.get_secret_value(),
                           request.headers.get(signing.TIMESTAMP_HEADER),
                           request.headers.get(signing.SIGNATURE_HEADER), body,
                           settings.callback_tolerance_s, now=time.time())
        except signing.SignatureError as exc:
            raise Problem(401, "Invalid Signature", f"서명이 올바르지 않습니다 · {exc}",
                          "invalid-signature") from exc
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Problem(400, "Malformed JSON", f"JSON 형식 오류 · {exc}",
                          "malformed-json") from exc
        try:
            event = CALLBACK_ADAPTER.validate_python(document)
        except ValidationError as exc:
            errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                      for e in exc.errors()]
            raise Problem(422, "Invalid Request",
                          "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                          "invalid-request", errors=errors) from exc
        payload: dict[str, Any] = {}
        if isinstance(event, CallbackAccepted):
            payload = {"official_name": event.official_name, "eta_minutes": event.eta_minutes}
        elif isinstance(event, CallbackDeclined):
            payload = {"reason": event.reason}
        if event.occurred_at is not None:
            payload["occurred_at"] = event.occurred_at.isoformat()
        try:
            call, duplicate = await service.apply_city_event(
                event.event_id, str(event.call_id), CALLBACK_STATUS[event.type], payload)
        except CallError as exc:
            raise problem_for(exc) from exc
        return CallbackResult(call=CallOut.of(call), duplicate=duplicate)

    @router.get("/api/v1/calls/board", response_model=BoardOut, tags=["call board"],
                summary="Open calls of this board's site · 호출판 목록")
    async def board_list(site: board_site_dep) -> BoardOut:
        return BoardOut(site_id=site, calls=[CallOut.of(c) for c in service.board_calls(site)],
                        server_time=datetime.now(UTC))

    async def _board(site: str, call_id: uuid.UUID, action: str, payload: dict) -> CallOut:
        try:
            return CallOut.of(await service.board_action(site, str(call_id), action, payload))
        except CallError as exc:
            raise problem_for(exc) from exc

    @router.post("/api/v1/calls/board/{call_id}/accept", response_model=CallOut,
                 tags=["call board"], dependencies=limited, summary="수락 · Accept")
    async def board_accept(call_id: uuid.UUID, body: BoardAccept, site: board_site_dep) -> CallOut:
        return await _board(site, call_id, "accept", body.model_dump())

    @router.post("/api/v1/calls/board/{call_id}/decline", response_model=CallOut,
                 tags=["call board"], dependencies=limited, summary="거절 · Decline")
    async def board_decline(call_id: uuid.UUID, site: board_site_dep,
                            body: BoardDecline | None = None) -> CallOut:
        return await _board(site, call_id, "decline", (body or BoardDecline()).model_dump())

    @router.post("/api/v1/calls/board/{call_id}/arrived", response_model=CallOut,
                 tags=["call board"], summary="도착 · Arrived")
    async def board_arrived(call_id: uuid.UUID, site: board_site_dep) -> CallOut:
        return await _board(site, call_id, "arrived", {})

    @router.post("/api/v1/calls/board/{call_id}/close", response_model=CallOut,
                 tags=["call board"], summary="종료 · Close")
    async def board_close(call_id: uuid.UUID, site: board_site_dep) -> CallOut:
        return await _board(site, call_id, "close", {})

    @router.post("/api/v1/calls", response_model=CallDetail, status_code=201, tags=["calls"],
                 dependencies=[*writes, *limited],
                 summary="Call an official · 민원실 공무원 호출",
                 responses={200: {"description": "repeat of an earlier Idempotency-Key"}})
    async def create_call(body: CallCreate, request: Request, response: Response,
                          idempotency_key: Annotated[str | None, Header(
                              min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")] = None,
                          ) -> CallDetail:
        try:
            call, created = await service.create(body.to_new_call(),
                                                 idempotency_key=idempotency_key)
        except CallError as exc:
            raise problem_for(exc) from exc
        response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        response.headers["Location"] = str(request.url_for("get_call", call_id=call.call_id))
        return CallDetail.of(call)

    @router.get("/api/v1/calls", response_model=CallPage, tags=["calls"], dependencies=reads,
                summary="List calls · 호출 목록")
    async def list_calls(
            status_: Annotated[list[CallStatus] | None, Query(alias="status")] = None,
            site_id: Annotated[str | None, Query(max_length=64)] = None,
            robot_id: Annotated[str | None, Query(max_length=64)] = None,
            limit_: Annotated[int, Query(alias="limit", ge=1, le=200)] = 50,
            offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> CallPage:
        calls, total = service.list_calls(statuses=status_ or (), site_id=site_id,
                                          robot_id=robot_id, limit=limit_, offset=offset)
        return CallPage(items=[CallOut.of(c) for c in calls], total=total, limit=limit_,
                        offset=offset)

    @router.get("/api/v1/calls/{call_id}", response_model=CallDetail, tags=["calls"],
                dependencies=reads, name="get_call", summary="Call with its events · 호출 상세")
    async def get_call(call_id: uuid.UUID) -> CallDetail:
        try:
            return CallDetail.of(service.get(str(call_id)))
        except CallError as exc:
            raise problem_for(exc) from exc

    @router.post("/api/v1/calls/{call_id}/cancel", response_model=CallDetail, tags=["calls"],
                 dependencies=[*writes, *limited], summary="Cancel · 호출 취소")
    async def cancel_call(call_id: uuid.UUID, body: CallCancel | None = None) -> CallDetail:
        try:
            call = await service.cancel(str(call_id), (body or CallCancel()).reason)
        except CallError as exc:
            raise problem_for(exc) from exc
        return CallDetail.of(call)

    if serve_board_page:
        @router.get("/callboard", include_in_schema=False)
        async def board_page_slash() -> RedirectResponse:
            return RedirectResponse("/callboard/")

        @router.get("/callboard/", include_in_schema=False)
        async def board_page() -> FileResponse:
            return FileResponse(BOARD_DIR / "index.html", media_type="text/html")

        @router.get("/callboard/{asset}", include_in_schema=False)
        async def board_asset(asset: str) -> FileResponse:
            # A fixed list, so no path from the URL ever reaches the file system.
            if asset not in _BOARD_ASSETS:
                raise Problem(404, "Not Found", f"no asset {asset!r}", "not-found")
            return FileResponse(BOARD_DIR / asset, media_type=_BOARD_ASSETS[asset])

    return router
