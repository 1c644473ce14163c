"""ROS 2 launch file: one site in Gazebo (gz sim Harmonic) instead of the headless simulator.

    ros2 launch sim/gazebo/launch/gazebo_sim.launch.py site:=city_hall [gui:=false]

Ubuntu 24.04 + ROS 2 Jazzy: ``sudo apt-get install ros-jazzy-ros-gz`` (gz sim Harmonic, the
ros_gz_bridge and ros_gz_sim). Starts, for the site:

* gz sim with worlds/<site>.sdf (ros_gz_sim's gz_sim.launch.py; ``-r`` runs at once, ``-s``
  without the GUI when gui:=false), with GZ_SIM_RESOURCE_PATH pointing at models/ so the
  world's ``model://suwon_robot`` includes resolve;
* ros_gz_bridge's parameter_bridge with bridge/<site>_bridge.yaml: per robot /<robot>/cmd_vel
  in; odom, tf, scan, battery_state, joint_states, camera out; /clock out;
* per robot, static transforms on /<robot>/tf_static (see below).

Then start the rest of the fleet on sim time as usual, without the headless ``simulator``
(the navigation servers, agents, fleet manager and web bridge of launch/fleet_sim.launch.py).

map -> odom: the headless simulator publishes it as a perfect localiser would. Gazebo's diff
drive only publishes odom -> base_link, from wheel odometry that starts at identity where the
robot spawns; the world frame is the map frame, so a static map -> odom equal to the robot's
spawn pose (read from the world file) is exact until the wheels slip. For long runs replace it
with a localiser (Nav2 AMCL on /<robot>/scan against the site's map). The other static
transforms, base_link -> base_scan and base_link -> camera_optical_frame, are read from the
robot model (its sensors' poses and gz_frame_id).
"""

from __future__ import annotations

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch.actions import (
    AppendEnvironmentVariable,
    DeclareLaunchArgument,
    IncludeLaunchDescription,
    OpaqueFunction,
)
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription
from suwon_sim.gazebo import worldgen


def _assets_dir() -> Path:
    """sim/gazebo/ of the checkout this file is in, else the installed package's."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "worlds").is_dir() else worldgen.GAZEBO_DIR


def _num(value: float) -> str:
    return f"{value + 0.0:.6f}"  # + 0.0 turns -0.0 into 0.0


def _static_tf(namespace: str, tf: worldgen.StaticTransform) -> Node:
    x, y, z = tf.xyz
    roll, pitch, yaw = tf.rpy
    return Node(
        package="tf2_ros",
        executable="static_transform_publisher",
        name=f"static_tf_{tf.parent}_to_{tf.child}",
        namespace=namespace,
        arguments=["--x", _num(x), "--y", _num(y), "--z", _num(z),
                   "--roll", _num(roll), "--pitch", _num(pitch), "--yaw", _num(yaw),
                   "--frame-id", tf.parent, "--child-frame-id", tf.child],
        # Each robot's TF lives in its namespace (/<robot>/tf, /<robot>/tf_static), as the
        # headless simulator publishes it and Nav2 multi-robot set-ups expect.
        remappings=[("/tf", "tf"), ("/tf_static", "tf_static")],
        parameters=[{"use_sim_time": True}],
        output="log",
    )


def _setup(context, *args, **kwargs):
    site = LaunchConfiguration("site").perform(context)
    gui = LaunchConfiguration("gui").perform(context).strip().lower() in ("1", "true", "yes")
    assets = _assets_dir()
    world = assets / "worlds" / f"{site}.sdf"
    bridge = assets / "bridge" / f"{site}_bridge.yaml"
    if not world.is_file() or not bridge.is_file():
        known = sorted(p.stem for p in (assets / "worlds").glob("*.sdf"))
        raise RuntimeError(f"no Gazebo world for site {site!r} in {assets}; sites: "
                           f"{', '.join(known)} (regenerate: python -m suwon_sim.gazebo.worldgen)")

    gz_args = f"-r -v 3 {world}" + ("" if gui else " -s")
    gz_sim_launch = Path(get_package_share_directory("ros_gz_sim")) / "launch" / "gz_sim.launch.py"
    actions = [
        AppendEnvironmentVariable("GZ_SIM_RESOURCE_PATH", str(assets / "models")),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(str(gz_sim_launch)),
            launch_arguments={"gz_args": gz_args, "gz_version": "8",
                              "on_exit_shutdown": "true"}.items(),
        ),
        Node(
            package="ros_gz_bridge",
            executable="parameter_bridge",
            name=f"gz_bridge_{site}",
            parameters=[{"config_file": str(bridge), "use_sim_time": True}],
            output="screen",
        ),
    ]
    for spawn in worldgen.spawned_robots(world):
        for tf in worldgen.static_transforms(spawn, assets / "models" / worldgen.ROBOT_MODEL
                                             / "model.sdf"):
            actions.append(_static_tf(f"/{spawn.robot_id}", tf))
    return actions


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([
        DeclareLaunchArgument("site", default_value="city_hall",
                              description="site id: worlds/<site>.sdf, bridge/<site>_bridge.yaml"),
        DeclareLaunchArgument("gui", default_value="true",
                              description="false: run the gz sim server only (headless)"),
        OpaqueFunction(function=_setup),
    ])
