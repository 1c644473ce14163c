"""A Node whose publishers and subscriptions come without rclpy's default QoS-event handlers.

rclpy gives every publisher and subscription two event handlers (incompatible QoS and
incompatible type) that only log a warning, and its executors rebuild the wait set with all
of them at every wake-up, in Python. For a node woken 50-100 times a second by /clock, TF,
scans and its control loop that was most of its idle CPU (py-spy; bench/README.md). Nodes
that need the warnings can pass ``event_callbacks`` themselves.
"""

from __future__ import annotations

from rclpy.event_handler import PublisherEventCallbacks, SubscriptionEventCallbacks
from rclpy.node import Node


class LeanNode(Node):
    def create_subscription(self, *args, **kwargs):
        kwargs.setdefault("event_callbacks",
                          SubscriptionEventCallbacks(use_default_callbacks=False))
        return super().create_subscription(*args, **kwargs)

    def create_publisher(self, *args, **kwargs):
        kwargs.setdefault("event_callbacks", PublisherEventCallbacks(use_default_callbacks=False))
        return super().create_publisher(*args, **kwargs)
