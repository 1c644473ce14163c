"""The FastAPI application. Its lifespan creates the ROS gateway and tears it down.

Access: /health and the robot's own screen (/robot/<id>, /api/v1/robots/<id>/screen) are
public and rate-limited; everything else needs a token from POST /api/v1/auth/token, and
commands need the operator role (see auth/). CORS is closed unless origins are configured.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from suwon_fleet.core.sites import Fleet, load_fleet
from suwon_fleet.fleet.store import FleetStore
from suwon_web_bridge import problems
from suwon_web_bridge.auth import routes as auth_routes
from suwon_web_bridge.auth.deps import require
from suwon_web_bridge.auth.users import Role, UserStore
from suwon_web_bridge.calls import (
    CallService,
    CallStore,
    CallSystemSettings,
    make_calls_router,
)
from suwon_web_bridge.calls_ros import CallBridge
from suwon_web_bridge.ratelimit import RateLimiter
from suwon_web_bridge.ros_gateway import RosGateway
from suwon_web_bridge.routes import (
    alerts,
    commands,
    fleet,
    health,
    robot_screen,
    search,
    sites,
    stats,
    tasks,
)
from suwon_web_bridge.schemas import problem_responses
from suwon_web_bridge.settings import BridgeSettings

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger("suwon_web_bridge")


def create_app(fleet_config: Fleet | None = None, with_ros: bool = True,
               settings: BridgeSettings | None = None,
               call_settings: CallSystemSettings | None = None) -> FastAPI:
    """Build the app. Config and settings are checked now, so a bad one fails at start-up."""
    config = fleet_config or load_fleet(os.environ.get("SUWON_FLEET_FILE") or None)
    settings = settings or BridgeSettings.from_env(config)
    call_settings = call_settings or _call_settings(settings, config)
    calls = CallService(CallStore(settings.database), call_settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = (RosGateway(robot_ids=config.robots, site_ids=config.sites) if with_ros
                   else None)
        app.state.gateway = gateway
        bridge = None
        if gateway is not None:
            gateway.bind_loop(asyncio.get_running_loop())
            bridge = CallBridge(calls, gateway, asyncio.get_running_loop(), config)
        await calls.start()  # delivers what a previous run left in the outbox
        try:
            yield
        finally:
            await calls.stop()
            if bridge is not None:
                bridge.close()
            if gateway is not None:
                gateway.close()
            calls.store.close()
            app.state.users.close()
            app.state.store.close()

    app = FastAPI(
        title="Suwon robot fleet web bridge",
        description="수원시 공공 서비스 로봇 관제 API · fleet state, tasks, sites and places. "
                    "Log in with POST /api/v1/auth/token (OAuth2 password flow).",
        version="0.2.0",
        lifespan=lifespan,
        # Every route may answer with these problem documents (RFC 9457).
        responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
    )
    app.state.fleet = config
    app.state.settings = settings
    app.state.gateway = None
    app.state.users = UserStore(settings.database)
    app.state.store = FleetStore(settings.database)  # task history, alerts, audit (shared)
    app.state.calls = calls
    app.state.rate_limits = {
        "login": RateLimiter(settings.login_attempts_per_minute),
        "public": RateLimiter(settings.public_requests_per_minute),
    }
    _first_admin(app.state.users, settings)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"])
    problems.install(app)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        """Refuse oversized bodies before reading them (the API's bodies are small)."""
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return problems.problem_response(
                request, 413, "Body Too Large",
                f"request bodies are limited to {MAX_BODY_BYTES // 1024} KiB", "body-too-large")
        return await call_next(request)

    viewer = [Depends(require(Role.VIEWER))]
    app.include_router(health.router)
    app.include_router(robot_screen.router)
    app.include_router(auth_routes.router, prefix="/api/v1")
    app.include_router(fleet.router, prefix="/api/v1")  # checks its own roles (WebSocket)
    for module in (tasks, commands, alerts, stats, search):  # viewer reads, operator writes
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(sites.router, prefix="/api/v1", dependencies=viewer)
    app.include_router(make_calls_router(calls, read_access=require(Role.VIEWER),
                                         write_access=require(Role.OPERATOR)))

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard_slash() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    app.mount("/robot-static", StaticFiles(directory=STATIC_DIR / "robot"), name="robot-static")
    app.mount("/dashboard", StaticFiles(directory=STATIC_DIR, html=True), name="dashboard")
    return app


def _call_settings(settings: BridgeSettings, fleet: Fleet) -> CallSystemSettings:
    """SUWON_CALLS_* from the environment. In development, the call board of each site gets a
    token derived from the bridge's secret (stable across restarts), printed for the demo."""
    environ = dict(os.environ)
    development = settings.mode == "development"
    if development:
        environ.setdefault("SUWON_CALLS_DEVELOPMENT", "true")
    call_settings = CallSystemSettings.from_env(environ)
    if development and not call_settings.board_tokens:
        tokens = {site: hmac.new(settings.secret_key.encode(), f"board:{site}".encode(),
                                 hashlib.sha256).hexdigest()[:20] for site in fleet.sites}
        call_settings = CallSystemSettings.model_validate(
            {**call_settings.model_dump(), "board_tokens": tokens})
        for site, token in tokens.items():
            print(f"web_bridge: call board /callboard/ token for {site}: {token} "
                  "(development)", flush=True)
    return call_settings


def _first_admin(users: UserStore, settings: BridgeSettings) -> None:
    """Development only: with no user at all, create 'admin' so the demo can be used."""
    if settings.mode != "development" or users.count():
        return
    password = settings.admin_password or secrets.token_urlsafe(12)
    users.add("admin", password, Role.ADMIN, "관리자 · Administrator")
    if not settings.admin_password:
        print(f"web_bridge: created user 'admin' with password {password} "
              "(development mode; add real users with `suwon_users add`)", flush=True)
