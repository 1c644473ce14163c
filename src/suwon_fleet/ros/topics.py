"""Fleet-level topic and service names, and their QoS, shared by publishers and subscribers."""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

FLEET_STATE = "/fleet/state"
TASK_UPDATES = "/fleet/task_updates"
SUBMIT_TASK = "/fleet/submit_task"
SEND_COMMAND = "/fleet/send_command"
ALERTS = "/fleet/alerts"

# Every task change, kept for late joiners (a restarted web bridge sees recent outcomes).
TASK_UPDATES_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                              durability=DurabilityPolicy.TRANSIENT_LOCAL)

# A robot's indicators (speech/listening, speech/speaking): the latest value, kept for late
# joiners, so a screen or a test that starts now knows whether the robot is talking.
INDICATOR_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL)
