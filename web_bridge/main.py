"""Executable: serve the web bridge with uvicorn (``ros2 run suwon_fleet web_bridge``)."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from suwon_fleet.core.errors import ConfigError


def main(args: list[str] | None = None) -> None:
    from rclpy.utilities import remove_ros_args

    argv = remove_ros_args(args if args is not None else sys.argv)[1:]
    parser = argparse.ArgumentParser(description="Suwon fleet web bridge and dashboard")
    parser.add_argument("--host", default=None, help="default: web_bridge.host in fleet.yaml")
    parser.add_argument("--port", type=int, default=None, help="default: web_bridge.port")
    parser.add_argument("--fleet-file", default=None, help="default: config/fleet.yaml")
    parser.add_argument("--database", default=None,
                        help="SQLite file shared with the fleet manager (default: "
                             "SUWON_BRIDGE_DATABASE, else policies.database)")
    options = parser.parse_args(argv)
    if options.fleet_file:
        os.environ["SUWON_FLEET_FILE"] = options.fleet_file
    if options.database:
        os.environ["SUWON_BRIDGE_DATABASE"] = options.database

    from suwon_fleet.core.sites import load_fleet
    from suwon_web_bridge.app import create_app
    from suwon_web_bridge.settings import UnsafeSettings

    try:
        fleet = load_fleet(options.fleet_file)
        app = create_app(fleet)
    except ConfigError as exc:
        sys.exit(f"web_bridge: {exc}")
    except (UnsafeSettings, ValueError) as exc:  # pydantic wraps the validators' errors
        sys.exit(f"web_bridge: refusing to start: {exc}")
    host = options.host or fleet.web_bridge.host
    port = options.port or fleet.web_bridge.port
    # No per-message deflate: compressing the fleet state again for every client cost more
    # CPU and latency than the bandwidth it saves on a site network (bench/web_bench.py).
    uvicorn.run(app, host=host, port=port, log_level="warning", ws_per_message_deflate=False)


if __name__ == "__main__":
    main()
