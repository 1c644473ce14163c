"""Declaring ROS parameters once, each with a default and a description."""

from __future__ import annotations

from typing import TypeVar

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node

T = TypeVar("T", str, int, float, bool)


def declare(node: Node, name: str, default: T, description: str) -> T:
    """Declare a parameter and return its value (overridden by --ros-args / params files)."""
    param = node.declare_parameter(name, default, ParameterDescriptor(description=description))
    return type(default)(param.value)
