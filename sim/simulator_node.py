"""ROS 2 node of the headless simulator: every robot of the fleet on its site's map.

Topic contract of Nav2's loopback simulator (so the stack cannot tell it from Gazebo +
ros_gz_bridge or a real base), per robot namespace:
  subscribes  cmd_vel (geometry_msgs/Twist), initialpose (PoseWithCovarianceStamped)
  publishes   odom (nav_msgs/Odometry, odom -> base_link, with configurable noise),
              tf (map -> odom -> base_link), tf_static (base_link -> base_scan),
              scan (sensor_msgs/LaserScan, 360 beams, 10 Hz), battery_state (1 Hz)
and globally /clock (sim time) and /sim/visitors/<site_id> (geometry_msgs/PoseArray: the
visitors, then any tour guests); for tests and demos /sim/<robot>/set_battery
(std_msgs/Float32, percent) sets a battery level, and /sim/<robot>/tour_group (std_msgs/String,
JSON, see guests.py) starts a group of guests following the robot, holds or splits it.
With ``guests_follow`` (the default), a robot that starts guiding a visitor gets one simulated
visitor following it once under way, and one that starts a tour a group of four, unless a test
or demo has already given it a group (the simulator watches each robot's robot_state for its
mode); they leave when the robot is done.

Physics runs on its own thread at ``physics_rate`` in sim time, paced to
``real_time_factor`` x wall time (0 = as fast as possible). Sim time starts at the wall time
of start-up, so stamps read like wall time at a factor of 1.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from array import array

from geometry_msgs.msg import Pose, PoseArray, PoseWithCovarianceStamped, TransformStamped, Twist
from nav_msgs.msg import Odometry
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from rclpy.time import Time
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import BatteryState, LaserScan
from std_msgs.msg import Float32, String
from suwon_fleet_interfaces.msg import RobotState
from tf2_msgs.msg import TFMessage

from suwon_fleet.core.geometry import Pose2D, compose, invert
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.core.states import RobotMode
from suwon_fleet.ros.conversions import pose_from_msg, pose_to_msg
from suwon_fleet.ros.lean_node import LeanNode
from suwon_fleet.ros.node_main import run_node
from suwon_fleet.ros.params import declare
from suwon_fleet.ros.tf_listener import TF_STATIC_QOS
from suwon_sim.guests import TourGroups
from suwon_sim.visitors import VisitorCrowd
from suwon_sim.world import OdomNoise, SimRobot, SiteWorld

# guests_follow: who follows a robot in each mode, and the modes that send them away
FOLLOW_AFTER_M = 1.5
AUTO_GROUP_SIZE = {RobotMode.GUIDING.value: 1, RobotMode.TOURING.value: 4}
ROBOT_DONE_MODES = {m.value for m in (RobotMode.IDLE, RobotMode.NAVIGATING, RobotMode.DOCKING,
                                      RobotMode.CHARGING, RobotMode.ERROR)}


class SimulatorNode(LeanNode):
    def __init__(self, parameter_overrides: list[Parameter] | None = None) -> None:
        super().__init__("simulator", parameter_overrides=parameter_overrides or [])
        fleet_file = declare(self, "fleet_file", "", "fleet.yaml to simulate; empty = the default")
        robots_param = declare(self, "robots", "", "comma-separated robot ids; empty = all")
        self.physics_rate = declare(self, "physics_rate", 100.0, "steps per sim second")
        # /clock and odometry rates cost every node a Python callback per message (rclpy),
        # so they are as low as the 20 Hz control loops allow: the idle fleet then takes a
        # fraction of a core instead of two (see bench/README.md).
        self.clock_rate = declare(self, "clock_rate", 20.0, "/clock messages per sim second")
        self.odom_rate = declare(self, "odom_rate", 20.0, "odometry and TF per sim second")
        self.scan_rate = declare(self, "scan_rate", 10.0, "laser scans per sim second")
        rtf = declare(self, "real_time_factor", -1.0,
                      "sim seconds per wall second; 0 = flat out; -1 = fleet.yaml's")
        visitors = declare(self, "visitors", -1, "visitors per site; -1 = fleet.yaml's")
        self.guests_follow = declare(self, "guests_follow", True,
                                     "simulated people follow robots that guide or give tours")
        self._auto_groups: set[str] = set()  # robots whose group this node started
        self._follow_from: dict[str, tuple[float, float]] = {}  # ...or is about to

        fleet = load_fleet(fleet_file or None)
        sim = fleet.simulation
        self.real_time_factor = sim.real_time_factor if rtf < 0 else rtf
        wanted = [r.strip() for r in robots_param.split(",") if r.strip()] or list(fleet.robots)
        self.worlds: dict[str, SiteWorld] = {}
        self.robots: dict[str, SimRobot] = {}
        self._lock = threading.Lock()
        self._pubs: dict[str, dict] = {}
        self._odom_msgs: dict[str, tuple[Odometry, TFMessage]] = {}
        self._visitor_pubs = {}
        noise = OdomNoise(sim.odom_noise_linear, sim.odom_noise_angular)
        for n, robot_id in enumerate(wanted):
            cfg = fleet.robots[robot_id]
            site = fleet.sites[cfg.site]
            world = self.worlds.get(site.site_id)
            if world is None:
                count = sim.visitors.get(site.site_id, 0) if visitors < 0 else visitors
                crowd = None
                if count:
                    spots = [(p.x, p.y) for p in site.places.values() if p.kind != "dock"]
                    crowd = VisitorCrowd(site.map, spots, count, seed=sim.seed)
                world = self.worlds[site.site_id] = SiteWorld(site.site_id, site.map)
                # The visitors, plus tour groups following robots on request.
                world.crowd = TourGroups(site.map, world.robots, crowd, seed=sim.seed)
                self._visitor_pubs[site.site_id] = self.create_publisher(
                    PoseArray, f"/sim/visitors/{site.site_id}", 10)
            start = site.places[cfg.start or cfg.home]
            dock = site.places[cfg.dock]
            robot = SimRobot(robot_id, site.site_id, Pose2D(start.x, start.y, start.yaw),
                             radius=cfg.radius, max_speed=cfg.max_speed,
                             max_angular_speed=cfg.max_angular_speed, dock=(dock.x, dock.y),
                             odom_noise=noise, rng=random.Random(sim.seed * 1000 + n))
            world.add_robot(robot)
            self.robots[robot_id] = robot
            self._add_robot_io(robot)

        self.clock_pub = self.create_publisher(Clock, "/clock", 10)
        self.sim_time = time.time()
        self._stop = threading.Event()
        self.steps = 0
        self._thread = threading.Thread(target=self._run, name="physics", daemon=True)
        self._thread.start()
        self.get_logger().info(
            f"simulating {len(self.robots)} robots on {len(self.worlds)} sites at "
            f"{self.real_time_factor or 'max'}x real time: "
            + ", ".join(f"{r.robot_id}@{r.site_id}" for r in self.robots.values()))

    def _add_robot_io(self, robot: SimRobot) -> None:
        ns = f"/{robot.robot_id}"

        def on_cmd(msg: Twist) -> None:
            with self._lock:
                robot.command(msg.linear.x, msg.angular.z)

        def on_initial_pose(msg: PoseWithCovarianceStamped) -> None:
            with self._lock:
                robot.pose = pose_from_msg(msg.pose.pose)
            self.get_logger().info(f"{robot.robot_id} placed at {robot.pose}")

        def on_set_battery(msg: Float32) -> None:  # a test and demo hook, like Gazebo's
            with self._lock:
                robot.battery_percent = max(0.0, min(100.0, float(msg.data)))

        def on_tour_group(msg: String) -> None:  # a test and demo hook: guests following
            try:
                data = json.loads(msg.data)
                with self._lock:
                    done = self.worlds[robot.site_id].crowd.command(robot.robot_id, data)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                self.get_logger().warning(f"tour_group for {robot.robot_id}: {exc!r}")
                return
            self.get_logger().info(f"tour group of {robot.robot_id}: {done}")

        def on_state(msg: RobotState) -> None:
            self._follow_mode(robot, msg.mode)

        if self.guests_follow:
            self.create_subscription(RobotState, f"{ns}/robot_state", on_state, 10)
        self.create_subscription(Twist, f"{ns}/cmd_vel", on_cmd, 10)
        self.create_subscription(String, f"/sim{ns}/tour_group", on_tour_group, 10)
        self.create_subscription(Float32, f"/sim{ns}/set_battery", on_set_battery, 10)
        self.create_subscription(PoseWithCovarianceStamped, f"{ns}/initialpose",
                                 on_initial_pose, 10)
        self._pubs[robot.robot_id] = {
            "odom": self.create_publisher(Odometry, f"{ns}/odom", 10),
            "tf": self.create_publisher(TFMessage, f"{ns}/tf", 10),
            "scan": self.create_publisher(LaserScan, f"{ns}/scan", qos_profile_sensor_data),
            "battery": self.create_publisher(BatteryState, f"{ns}/battery_state", 10),
        }
        odom = Odometry()
        odom.header.frame_id = "odom"
        odom.child_frame_id = "base_link"
        self._odom_msgs[robot.robot_id] = (odom, TFMessage(transforms=[
            _transform("map", "odom", Pose2D(0.0, 0.0, 0.0), odom.header.stamp),
            _transform("odom", "base_link", Pose2D(0.0, 0.0, 0.0), odom.header.stamp)]))
        static = self.create_publisher(TFMessage, f"{ns}/tf_static", TF_STATIC_QOS)
        static.publish(TFMessage(transforms=[
            _transform("base_link", "base_scan", Pose2D(0.0, 0.0, 0.0), self._stamp(time.time()))
        ]))

    # ---------------------------------------------------------------- the physics thread
    def _follow_mode(self, robot: SimRobot, mode: str) -> None:
        """Guests for a robot that starts leading people; gone when it stops (not on a
        pause: the people are still there).

        They fall in once the robot is under way (FOLLOW_AFTER_M from where it started): guests
        start in a queue behind the robot, and the people it leads stood in front of it (at its
        screen) while it often has to turn round to set off."""
        rid = robot.robot_id
        with self._lock:
            groups = self.worlds[robot.site_id].crowd
            has_group = rid in groups.groups
            if mode in AUTO_GROUP_SIZE and not has_group and rid not in self._auto_groups:
                start = self._follow_from.setdefault(rid, (robot.pose.x, robot.pose.y))
                if math.hypot(robot.pose.x - start[0], robot.pose.y - start[1]) < FOLLOW_AFTER_M:
                    return
                del self._follow_from[rid]
                groups.command(rid, {"size": AUTO_GROUP_SIZE[mode]})
                self._auto_groups.add(rid)
                done = f"{AUTO_GROUP_SIZE[mode]} simulated people follow {rid}"
            elif mode in ROBOT_DONE_MODES and (rid in self._auto_groups
                                               or rid in self._follow_from):
                self._follow_from.pop(rid, None)
                if rid not in self._auto_groups:
                    return
                self._auto_groups.discard(rid)
                if has_group:
                    groups.command(rid, {"size": 0})
                done = f"the people following {rid} have left"
            else:
                return
        self.get_logger().info(done)

    def _run(self) -> None:
        dt = 1.0 / self.physics_rate
        every = {name: max(1, round(self.physics_rate / rate)) for name, rate in
                 (("clock", self.clock_rate), ("odom", self.odom_rate),
                  ("scan", self.scan_rate), ("battery", 1.0), ("visitors", 5.0))}
        wall_start, sim_start = time.monotonic(), self.sim_time
        while not self._stop.is_set():
            with self._lock:
                for world in self.worlds.values():
                    world.step(dt)
                self.sim_time += dt
                self.steps += 1
                stamp = self._stamp(self.sim_time)
                if self.steps % every["clock"] == 0:
                    self.clock_pub.publish(Clock(clock=stamp))
                if self.steps % every["odom"] == 0:
                    self._publish_odometry(stamp)
                if self.steps % every["scan"] == 0:
                    self._publish_scans(stamp)
                if self.steps % every["battery"] == 0:
                    self._publish_battery(stamp)
                if self.steps % every["visitors"] == 0:
                    self._publish_visitors(stamp)
            if self.real_time_factor > 0:
                ahead = (self.sim_time - sim_start) / self.real_time_factor - (
                    time.monotonic() - wall_start)
                if ahead > 0:
                    time.sleep(ahead)

    def destroy_node(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        super().destroy_node()

    @staticmethod
    def _stamp(seconds: float):
        return Time(nanoseconds=int(seconds * 1e9)).to_msg()

    def _publish_odometry(self, stamp) -> None:
        # Hot path (robots x 50 Hz x real-time factor): messages are built once per robot
        # and updated in place; constructing them each time cost 70% of the simulator's CPU.
        for robot_id, robot in self.robots.items():
            odom, tf = self._odom_msgs[robot_id]
            odom.header.stamp = stamp
            _set_pose(odom.pose.pose, robot.odom)
            odom.twist.twist.linear.x = robot.linear
            odom.twist.twist.angular.z = robot.angular
            # A perfect localiser, as Nav2's loopback simulator: map -> odom absorbs the drift.
            map_to_odom, odom_to_base = tf.transforms
            _set_transform(map_to_odom, compose(robot.pose, invert(robot.odom)), stamp)
            _set_transform(odom_to_base, robot.odom, stamp)
            pubs = self._pubs[robot_id]
            pubs["odom"].publish(odom)
            pubs["tf"].publish(tf)

    def _publish_scans(self, stamp) -> None:
        for world in self.worlds.values():
            spec = world.lidar_spec
            for robot_id, ranges in world.scans(list(world.robots)).items():
                msg = LaserScan()
                msg.header.stamp = stamp
                msg.header.frame_id = "base_scan"
                msg.angle_min = spec.angle_min
                msg.angle_max = spec.angle_min + spec.angle_increment * (spec.beams - 1)
                msg.angle_increment = spec.angle_increment
                msg.scan_time = 1.0 / self.scan_rate
                msg.range_min = spec.range_min
                msg.range_max = spec.range_max
                msg.ranges = array("f", ranges.tobytes())  # no per-element checks
                self._pubs[robot_id]["scan"].publish(msg)

    def _publish_battery(self, stamp) -> None:
        for robot_id, robot in self.robots.items():
            msg = BatteryState()
            msg.header.stamp = stamp
            msg.percentage = robot.battery_percent / 100.0
            msg.voltage = 22.0 + 3.2 * robot.battery_percent / 100.0
            msg.current = math.nan
            msg.present = True
            msg.power_supply_status = (BatteryState.POWER_SUPPLY_STATUS_CHARGING if robot.charging
                                       else BatteryState.POWER_SUPPLY_STATUS_DISCHARGING)
            self._pubs[robot_id]["battery"].publish(msg)

    def _publish_visitors(self, stamp) -> None:
        for site_id, world in self.worlds.items():
            if world.crowd is None:
                continue
            msg = PoseArray()
            msg.header.stamp = stamp
            msg.header.frame_id = "map"
            msg.poses = [pose_to_msg(Pose2D(v.x, v.y, v.heading))
                         for v in world.crowd.visitors]
            self._visitor_pubs[site_id].publish(msg)


def _set_pose(msg: Pose, pose: Pose2D) -> None:
    msg.position.x = pose.x
    msg.position.y = pose.y
    msg.orientation.z = math.sin(pose.yaw / 2.0)
    msg.orientation.w = math.cos(pose.yaw / 2.0)


def _set_transform(msg: TransformStamped, pose: Pose2D, stamp) -> None:
    msg.header.stamp = stamp
    msg.transform.translation.x = pose.x
    msg.transform.translation.y = pose.y
    msg.transform.rotation.z = math.sin(pose.yaw / 2.0)
    msg.transform.rotation.w = math.cos(pose.yaw / 2.0)


def _transform(parent: str, child: str, pose: Pose2D, stamp) -> TransformStamped:
    msg = TransformStamped()
    msg.header.stamp = stamp
    msg.header.frame_id = parent
    msg.child_frame_id = child
    p: Pose = pose_to_msg(pose)
    msg.transform.translation.x = p.position.x
    msg.transform.translation.y = p.position.y
    msg.transform.rotation = p.orientation
    return msg


def main(args: list[str] | None = None) -> None:
    run_node(SimulatorNode, args)


if __name__ == "__main__":
    main()
