"""Test-wide set-up: every test session gets its own DDS domain, kept on this host.

This runs before any test module imports rclpy, and child processes inherit it, so parallel
or leftover sessions never see each other's nodes.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

import pytest

os.environ["ROS_DOMAIN_ID"] = str(random.Random(os.getpid()).randint(1, 101))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.pop("ROS_LOCALHOST_ONLY", None)  # deprecated; when set, rcl ignores the above

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
