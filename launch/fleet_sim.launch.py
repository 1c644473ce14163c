"""ROS 2 launch file: the whole fleet in simulation, as `make demo` starts it without ROS launch.

    ros2 launch suwon_fleet fleet_sim.launch.py [fleet_file:=/path/to/fleet.yaml] [port:=8080]

The process list comes from suwon_fleet.launch_plan, the same list the project launcher uses.
"""

from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.launch_plan import command_line_arguments, fleet_processes


def _nodes(context, *args, **kwargs):
    fleet_file = LaunchConfiguration("fleet_file").perform(context)
    port = LaunchConfiguration("port").perform(context)
    fleet = load_fleet(fleet_file or None)
    nodes = []
    for spec in fleet_processes(fleet, fleet_file, web_port=int(port) if port else None):
        if spec.ros_node:
            nodes.append(Node(package="suwon_fleet", executable=spec.executable,
                              name=spec.name, namespace=spec.namespace or None,
                              parameters=[spec.parameters], output="screen", respawn=True,
                              respawn_delay=2.0))
        else:
            nodes.append(Node(package="suwon_fleet", executable=spec.executable,
                              arguments=command_line_arguments(spec), output="screen",
                              respawn=True, respawn_delay=2.0))
    return nodes


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([
        DeclareLaunchArgument("fleet_file", default_value="",
                              description="fleet.yaml; empty = the installed default"),
        DeclareLaunchArgument("port", default_value="", description="dashboard port"),
        OpaqueFunction(function=_nodes),
    ])
