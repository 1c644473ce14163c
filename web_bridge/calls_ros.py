"""Official calls over ROS: robots create calls through a service, and hear back on
/<robot>/official_call. The call system itself (calls/) knows nothing of ROS.

  service    /web_bridge/create_official_call (CreateOfficialCall): store first, then answer;
             the robot's request_id is the idempotency key, so a retry after a lost answer
             returns the same call instead of making a second one
  publishes  /<robot>/official_call (OfficialCallUpdate, transient local): every change
"""

from __future__ import annotations

import asyncio
import logging

from suwon_fleet_interfaces.msg import OfficialCallUpdate
from suwon_fleet_interfaces.srv import CreateOfficialCall

from suwon_fleet.core.sites import Fleet
from suwon_fleet.ros.conversions import seconds_to_time
from suwon_web_bridge.calls import CallChange, CallService, NewCall, Priority
from suwon_web_bridge.calls.errors import CallError
from suwon_web_bridge.ros_gateway import RosGateway

CREATE_TIMEOUT_S = 5.0
log = logging.getLogger("suwon_web_bridge.calls")


class CallBridge:
    def __init__(self, calls: CallService, gateway: RosGateway,
                 loop: asyncio.AbstractEventLoop, fleet: Fleet) -> None:
        self._fleet = fleet
        self._calls = calls
        self._gateway = gateway
        self._loop = loop
        gateway.set_call_handler(self._create)  # runs on the ROS spin thread
        self._remove_listener = calls.add_listener(self._changed)  # runs on the event loop

    def close(self) -> None:
        self._remove_listener()

    def _create(self, request: CreateOfficialCall.Request) -> tuple[bool, str, str]:
        if not request.request_id:
            return False, "", "request_id is required (it makes retries safe)"
        robot = self._fleet.robots.get(request.robot_id)
        if robot is None or robot.site != request.site_id:
            return False, "", f"unknown robot {request.robot_id!r} at {request.site_id!r}"
        if request.place_id not in self._fleet.sites[robot.site].places:
            return False, "", f"unknown place {request.place_id!r} at {request.site_id}"
        try:
            priority = Priority(request.priority or "normal")
            new = NewCall(robot_id=request.robot_id, site_id=request.site_id,
                          place_id=request.place_id, topic=request.topic,
                          service_id=request.service_id or None,
                          visitor_language=request.visitor_language or "ko",
                          note=request.note, priority=priority)
            future = asyncio.run_coroutine_threadsafe(
                self._calls.create(new, idempotency_key=f"robot:{request.request_id}"),
                self._loop)
            call, created = future.result(timeout=CREATE_TIMEOUT_S)
        except (CallError, ValueError) as exc:
            return False, "", str(exc)
        except TimeoutError:
            return False, "", f"the call was not stored within {CREATE_TIMEOUT_S:.0f} s"
        return True, call.call_id, "created" if created else "already created"

    def _changed(self, change: CallChange) -> None:
        call = change.call
        update = OfficialCallUpdate(
            stamp=seconds_to_time(change.event.at), call_id=call.call_id,
            robot_id=call.robot_id, status=call.status.value,
            official_name=call.official_name or "",
            eta_minutes=call.eta_minutes if call.eta_minutes is not None else -1,
            reason=call.reason or call.last_error or "")
        self._gateway.publish_call_update(update)
