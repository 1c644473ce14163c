"""A small planar TF listener: the robot's pose in the map from its TF tree.

tf2_ros is not on PyPI, so the nodes read TF themselves. Mobile robots' frames are planar,
so each transform is kept as (x, y, yaw); a lookup walks from the child frame up to the
target frame composing transforms (map -> odom -> base_link, or any longer chain such as
base_footprint). It subscribes to the robot's own ``tf`` and ``tf_static`` (relative names:
in a robot's namespace, as Nav2's multi-robot set-ups and the simulator publish them).
"""

from __future__ import annotations

import threading

from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from tf2_msgs.msg import TFMessage

from suwon_fleet.core.geometry import Pose2D, compose, quaternion_to_yaw

TF_STATIC_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL)
TF_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)


class PlanarTfListener:
    def __init__(self, node: Node, callback_group=None) -> None:
        self._lock = threading.Lock()
        self._parents: dict[str, tuple[str, Pose2D]] = {}
        node.create_subscription(TFMessage, "tf", self._on_tf, TF_QOS,
                                 callback_group=callback_group)
        node.create_subscription(TFMessage, "tf_static", self._on_tf, TF_STATIC_QOS,
                                 callback_group=callback_group)

    def _on_tf(self, msg: TFMessage) -> None:
        with self._lock:
            for t in msg.transforms:
                q = t.transform.rotation
                self._parents[t.child_frame_id.lstrip("/")] = (
                    t.header.frame_id.lstrip("/"),
                    Pose2D(t.transform.translation.x, t.transform.translation.y,
                           quaternion_to_yaw(q.x, q.y, q.z, q.w)))

    def lookup(self, target: str, source: str) -> Pose2D | None:
        """Pose of frame ``source`` in frame ``target``, or None if not (yet) connected."""
        with self._lock:
            chain: list[Pose2D] = []
            frame = source
            for _ in range(32):  # no real TF tree is deeper; guards against cycles
                if frame == target:
                    pose = Pose2D(0.0, 0.0, 0.0)
                    for step in reversed(chain):
                        pose = compose(pose, step)
                    return pose
                link = self._parents.get(frame)
                if link is None:
                    return None
                frame, transform = link
                chain.append(transform)
        return None
