"""The FastAPI application. Its lifespan creates the ROS gateway and tears it down."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from suwon_fleet.core.sites import Fleet, load_fleet
from suwon_web_bridge import problems
from suwon_web_bridge.ros_gateway import RosGateway
from suwon_web_bridge.routes import fleet, health, robot_screen, sites, tasks

STATIC_DIR = Path(__file__).parent / "static"


def create_app(fleet_config: Fleet | None = None, with_ros: bool = True) -> FastAPI:
    """Build the app. The fleet config is loaded now, so a bad file fails at start-up."""
    config = fleet_config or load_fleet(os.environ.get("SUWON_FLEET_FILE") or None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = RosGateway(robot_ids=config.robots) if with_ros else None
        try:
            yield
        finally:
            if app.state.gateway is not None:
                app.state.gateway.close()

    app = FastAPI(
        title="Suwon robot fleet web bridge",
        description="수원시 공공 서비스 로봇 관제 API · fleet state, tasks, sites and places",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.fleet = config
    app.state.gateway = None
    problems.install(app)
    app.include_router(health.router)
    app.include_router(robot_screen.router)
    for module in (fleet, sites, tasks):
        app.include_router(module.router, prefix="/api/v1")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard_slash() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    app.mount("/robot-static", StaticFiles(directory=STATIC_DIR / "robot"), name="robot-static")
    app.mount("/dashboard", StaticFiles(directory=STATIC_DIR, html=True), name="dashboard")
    return app
