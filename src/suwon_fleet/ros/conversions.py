"""Conversions between ROS messages and the ROS-free types of suwon_fleet.core."""

from __future__ import annotations

from builtin_interfaces.msg import Duration, Time
from geometry_msgs.msg import Point, Pose, PoseStamped, Quaternion

from suwon_fleet.core.geometry import Pose2D, quaternion_to_yaw, yaw_to_quaternion


def pose_to_msg(pose: Pose2D) -> Pose:
    qx, qy, qz, qw = yaw_to_quaternion(pose.yaw)
    return Pose(position=Point(x=float(pose.x), y=float(pose.y), z=0.0),
                orientation=Quaternion(x=qx, y=qy, z=qz, w=qw))


def pose_from_msg(msg: Pose) -> Pose2D:
    q = msg.orientation
    return Pose2D(msg.position.x, msg.position.y, quaternion_to_yaw(q.x, q.y, q.z, q.w))


def pose_stamped(pose: Pose2D, stamp: Time, frame_id: str = "map") -> PoseStamped:
    msg = PoseStamped(pose=pose_to_msg(pose))
    msg.header.frame_id = frame_id
    msg.header.stamp = stamp
    return msg


def seconds_to_duration(seconds: float) -> Duration:
    seconds = max(0.0, seconds)
    whole = int(seconds)
    return Duration(sec=whole, nanosec=int((seconds - whole) * 1e9))


def duration_to_seconds(duration: Duration) -> float:
    return duration.sec + duration.nanosec * 1e-9


def seconds_to_time(seconds: float) -> Time:
    whole = int(seconds)
    return Time(sec=whole, nanosec=int((seconds - whole) * 1e9))


def time_to_seconds(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9
