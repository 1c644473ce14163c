"""Who is calling: FastAPI dependencies for tokens and roles, over HTTP and WebSocket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, WebSocket
from fastapi.security import OAuth2PasswordBearer

from suwon_web_bridge.auth import tokens
from suwon_web_bridge.auth.users import Role, User, UserStore
from suwon_web_bridge.problems import Problem

# auto_error off: a missing token must become our problem document, not FastAPI's bare 401.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
WS_SUBPROTOCOL = "bearer"  # browsers can't set headers on a WebSocket: ["bearer", token]


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, "unauthorized",
                   headers={"WWW-Authenticate": "Bearer"})


def user_from_token(app, token: str | None) -> User:
    if not token:
        raise _unauthorized("log in first: send 'Authorization: Bearer <token>' "
                            "(POST /api/v1/auth/token)")
    try:
        claims = tokens.verify(app.state.settings.secret_key, token)
    except tokens.InvalidToken as exc:
        raise _unauthorized(str(exc)) from None
    users: UserStore = app.state.users
    user = users.get(claims.username)
    if user is None or user.disabled:
        raise _unauthorized("this account no longer exists or is disabled")
    return user  # the role is read from the database, so a demotion takes effect at once


def current_user(request: Request,
                 token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    return user_from_token(request.app, token)


def require(role: Role) -> Callable[..., User]:
    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role < role:
            raise Problem(403, "Forbidden", f"this needs the {role.label} role; "
                          f"{user.username} is {user.role.label}", "forbidden")
        return user

    check.__name__ = f"require_{role.label}"
    return check


def websocket_token(websocket: WebSocket) -> tuple[str | None, str | None]:
    """The token from the subprotocol pair ["bearer", token] or the ``token`` query parameter,
    and the subprotocol to accept with."""
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",")]
    if len(offered) >= 2 and offered[0] == WS_SUBPROTOCOL:
        return offered[1], WS_SUBPROTOCOL
    return websocket.query_params.get("token"), None


Viewer = Annotated[User, Depends(require(Role.VIEWER))]
Operator = Annotated[User, Depends(require(Role.OPERATOR))]
Admin = Annotated[User, Depends(require(Role.ADMIN))]
