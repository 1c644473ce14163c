"""The one way every executable of the project runs its node (ros2/examples habit)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node

from suwon_fleet.core.errors import ConfigError


def run_node(make_node: Callable[[], Node], args: list[str] | None = None,
             threads: int = 1, events: bool = False) -> None:
    """Create the node, spin until Ctrl-C or shutdown, and clean up.

    ``threads`` > 1 uses a MultiThreadedExecutor, for nodes whose action servers run long
    execute callbacks beside their timers and subscriptions. ``events`` uses rclpy's
    EventsExecutor (one thread, events queued in C++), for nodes with many entities and only
    short callbacks: the default executors rebuild a wait set of every entity per callback,
    which at 50 robots cost the fleet manager a whole core.
    """
    # Jazzy's rclpy.init() is not yet a context manager (it is from Kilted on).
    rclpy.init(args=args)
    node = None
    try:
        node = make_node()
        if events:
            from rclpy.experimental import EventsExecutor

            executor = EventsExecutor()
            executor.add_node(node)
            try:
                executor.spin()
            finally:
                executor.shutdown(timeout_sec=2.0)
        elif threads > 1:
            executor = MultiThreadedExecutor(num_threads=threads)
            executor.add_node(node)
            try:
                executor.spin()
            finally:
                executor.shutdown(timeout_sec=2.0)
        else:
            rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except ConfigError as exc:
        # A bad config file is the operator's to fix: say which file and field, no traceback.
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
