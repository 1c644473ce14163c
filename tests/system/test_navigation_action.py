"""The navigation server through a Nav2-style client, as any Nav2 user would drive it."""

from __future__ import annotations

import math
import threading
import time

import pytest
import rclpy
from nav2_msgs.action import NavigateToPose
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.navigation.navigator import Navigator, TaskResult
from suwon_fleet.ros.conversions import pose_stamped

pytestmark = pytest.mark.ros

SITE = load_fleet().sites["ilwol_arboretum"]


@pytest.fixture(scope="module")
def navigator(fleet):
    context = Context()
    rclpy.init(context=context)
    node = Node("test_navigator", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    nav = Navigator(node, namespace="/docent_1")
    assert nav.waitUntilNav2Active(timeout_sec=20)
    yield nav, node
    executor.shutdown(timeout_sec=1)
    node.destroy_node()
    rclpy.shutdown(context=context)


def goal(node: Node, x: float, y: float, yaw: float = 0.0):
    return pose_stamped(Pose2D(x, y, yaw), node.get_clock().now().to_msg())


def test_goal_reached_within_half_a_metre(navigator) -> None:
    nav, node = navigator
    target = SITE.places["visitor_centre"]
    assert nav.goToPose(goal(node, target.x, target.y, target.yaw))
    feedback_seen = []
    deadline = time.monotonic() + 60
    while not nav.isTaskComplete() and time.monotonic() < deadline:
        if (fb := nav.getFeedback()) is not None:
            feedback_seen.append(fb)
        time.sleep(0.1)
    assert nav.getResult() is TaskResult.SUCCEEDED, nav.getResultMessage()
    assert nav.getResultMessage().error_code == NavigateToPose.Result.NONE
    last = feedback_seen[-1]
    assert last.distance_remaining < 1.0
    pose = last.current_pose.pose.position
    assert math.hypot(pose.x - target.x, pose.y - target.y) < 0.5 + 0.3
    assert feedback_seen[0].estimated_time_remaining.sec >= 0


def test_goal_inside_an_obstacle_fails_with_code_and_message(navigator) -> None:
    nav, node = navigator
    assert nav.goToPose(goal(node, 0.05, 0.05))  # the corner fence post
    assert nav.waitUntilTaskComplete(timeout_sec=10)
    assert nav.getResult() is TaskResult.FAILED
    result = nav.getResultMessage()
    assert result.error_code == 206  # Nav2 GOAL_OCCUPIED
    assert "obstacle" in result.error_msg


def test_cancel_in_the_middle_of_a_goal(navigator) -> None:
    nav, node = navigator
    target = SITE.places["rose_garden"]
    assert nav.goToPose(goal(node, target.x, target.y))
    time.sleep(1.5)
    assert not nav.isTaskComplete()
    nav.cancelTask()
    assert nav.waitUntilTaskComplete(timeout_sec=5)
    assert nav.getResult() is TaskResult.CANCELED


def test_get_path_waypoints_spin_backup_and_dock(navigator) -> None:
    """The rest of BasicNavigator's API against the built-in server."""
    nav, node = navigator
    cafe, restroom = SITE.places["cafe"], SITE.places["restroom"]
    path = nav.getPath(goal(node, 0, 0), goal(node, cafe.x, cafe.y))
    assert path is not None and len(path.poses) >= 2
    last = path.poses[-1].pose.position
    assert math.hypot(last.x - cafe.x, last.y - cafe.y) < 1e-6

    assert nav.followWaypoints([goal(node, cafe.x, cafe.y), goal(node, restroom.x, restroom.y)])
    assert nav.waitUntilTaskComplete(timeout_sec=90)
    assert nav.getResult() is TaskResult.SUCCEEDED, nav.getResultMessage()
    assert list(nav.getResultMessage().missed_waypoints) == []

    assert nav.spin(spin_dist=1.57)
    assert nav.waitUntilTaskComplete(timeout_sec=20)
    assert nav.getResult() is TaskResult.SUCCEEDED

    assert nav.backup(backup_dist=0.3, backup_speed=0.1)
    assert nav.waitUntilTaskComplete(timeout_sec=20)
    assert nav.getResult() is TaskResult.SUCCEEDED

    assert nav.dockRobotByID("no_such_dock")
    assert nav.waitUntilTaskComplete(timeout_sec=10)
    assert nav.getResult() is TaskResult.FAILED
    assert nav.getResultMessage().error_code == 901  # Nav2 DOCK_NOT_IN_DB

    assert nav.goThroughPoses([goal(node, cafe.x, cafe.y, cafe.yaw)])
    assert nav.waitUntilTaskComplete(timeout_sec=60)
    assert nav.getResult() is TaskResult.SUCCEEDED
