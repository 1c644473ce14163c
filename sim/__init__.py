"""Headless multi-robot simulator (import name ``suwon_sim``).

world.py           ROS-free kinematics: diff-drive robots on any map_server map, collisions,
                   battery
simulator_node.py  the ROS 2 node: cmd_vel in; odom and battery_state out, per robot namespace
"""
