"""ROS 2 node of the headless simulator: every robot of the fleet on its site's map.

Per robot, in its namespace (the topic contract of Nav2's loopback simulator):
  subscribes  cmd_vel (geometry_msgs/Twist)
  publishes   odom (nav_msgs/Odometry, odom -> base_link; odom is aligned with map here),
              battery_state (sensor_msgs/BatteryState)
"""

from __future__ import annotations

import math

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import BatteryState

from suwon_fleet.core.geometry import Pose2D
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.ros.conversions import pose_to_msg
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare
from suwon_sim.world import SimRobot, SiteWorld


class SimulatorNode(Node):
    def __init__(self) -> None:
        super().__init__("simulator")
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml to simulate; empty = the default")
        self.physics_rate = declare(self, "physics_rate", 50.0, "integration steps per second")
        odom_rate = declare(self, "odom_rate", 20.0, "odometry messages per second")
        robots_param = declare(self, "robots", "", "comma-separated robot ids; empty = all")

        fleet = load_fleet(fleet_file or None)
        wanted = [r.strip() for r in robots_param.split(",") if r.strip()] or list(fleet.robots)
        self.worlds: dict[str, SiteWorld] = {}
        self.robots: dict[str, SimRobot] = {}
        self._odom_pubs = {}
        self._battery_pubs = {}
        for robot_id in wanted:
            cfg = fleet.robots[robot_id]
            site = fleet.sites[cfg.site]
            world = self.worlds.get(site.site_id)
            if world is None:
                world = self.worlds[site.site_id] = SiteWorld(site.site_id, site.map)
            start = site.places[cfg.start or cfg.home]
            dock = site.places[cfg.dock]
            robot = SimRobot(robot_id, site.site_id, Pose2D(start.x, start.y, start.yaw),
                             radius=cfg.radius, max_speed=cfg.max_speed,
                             max_angular_speed=cfg.max_angular_speed, dock=(dock.x, dock.y))
            world.add_robot(robot)
            self.robots[robot_id] = robot
            self.create_subscription(
                Twist, f"/{robot_id}/cmd_vel",
                lambda msg, r=robot: r.command(msg.linear.x, msg.angular.z), 10)
            self._odom_pubs[robot_id] = self.create_publisher(
                Odometry, f"/{robot_id}/odom", qos_profile_sensor_data)
            self._battery_pubs[robot_id] = self.create_publisher(
                BatteryState, f"/{robot_id}/battery_state", 10)

        self.create_timer(1.0 / self.physics_rate, self._step)
        self.create_timer(1.0 / odom_rate, self._publish_odom)
        self.create_timer(1.0, self._publish_battery)
        self.get_logger().info(
            f"simulating {len(self.robots)} robots on {len(self.worlds)} sites: "
            + ", ".join(f"{r.robot_id}@{r.site_id}" for r in self.robots.values()))

    def _step(self) -> None:
        for world in self.worlds.values():
            world.step(1.0 / self.physics_rate)

    def _publish_odom(self) -> None:
        stamp = self.get_clock().now().to_msg()
        for robot_id, robot in self.robots.items():
            msg = Odometry()
            msg.header.stamp = stamp
            msg.header.frame_id = "odom"
            msg.child_frame_id = "base_link"
            msg.pose.pose = pose_to_msg(robot.pose)
            msg.twist.twist.linear.x = robot.linear
            msg.twist.twist.angular.z = robot.angular
            self._odom_pubs[robot_id].publish(msg)

    def _publish_battery(self) -> None:
        stamp = self.get_clock().now().to_msg()
        for robot_id, robot in self.robots.items():
            msg = BatteryState()
            msg.header.stamp = stamp
            msg.percentage = robot.battery_percent / 100.0
            msg.voltage = 22.0 + 3.2 * robot.battery_percent / 100.0
            msg.current = math.nan
            msg.present = True
            msg.power_supply_status = (BatteryState.POWER_SUPPLY_STATUS_CHARGING if robot.charging
                                       else BatteryState.POWER_SUPPLY_STATUS_DISCHARGING)
            self._battery_pubs[robot_id].publish(msg)


def main(args: list[str] | None = None) -> None:
    run_node(SimulatorNode, args)


if __name__ == "__main__":
    main()
