"""Log in (OAuth2 password flow) and see who you are."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from suwon_web_bridge.auth import tokens
from suwon_web_bridge.auth.deps import Viewer
from suwon_web_bridge.auth.users import UserStore
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.ratelimit import limit
from suwon_web_bridge.schemas import TokenOut, UserOut

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut, dependencies=[Depends(limit("login"))])
async def log_in(form: Annotated[OAuth2PasswordRequestForm, Depends()],
                 request: Request) -> TokenOut:
    users: UserStore = request.app.state.users
    user = users.authenticate(form.username, form.password)
    if user is None:
        raise Problem(401, "Login Failed", "wrong username or password "
                      "(아이디 또는 비밀번호가 틀렸습니다)", "login-failed",
                      headers={"WWW-Authenticate": "Bearer"})
    settings = request.app.state.settings
    token, lifetime = tokens.issue(settings.secret_key, user.username, user.role,
                                   settings.token_minutes)
    return TokenOut(access_token=token, expires_in=int(lifetime), username=user.username,
                    role=user.role.label, display_name=user.display_name)


@router.get("/me", response_model=UserOut)
async def who_am_i(user: Viewer) -> UserOut:
    return UserOut(username=user.username, role=user.role.label,
                   display_name=user.display_name)
