"""Dependencies shared by the routers (overridable in tests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from suwon_fleet.core.sites import Fleet
from suwon_web_bridge.problems import Problem
from suwon_web_bridge.ros_gateway import RosGateway


def get_fleet(request: Request) -> Fleet:
    return request.app.state.fleet


def get_gateway(request: Request) -> RosGateway:
    gateway = request.app.state.gateway
    if gateway is None:
        raise Problem(503, "ROS Unavailable", "the bridge is running without ROS",
                      "ros-unavailable")
    return gateway


FleetDep = Annotated[Fleet, Depends(get_fleet)]
GatewayDep = Annotated[RosGateway, Depends(get_gateway)]
