"""Suwon robot fleet: ROS 2 nodes and the ROS-free logic they wrap.

core/        sites, maps, fleet config, geometry, state vocabularies (no ROS)
navigation/  planner and controller (no ROS), navigation server node, Nav2-style navigator client
fleet/       robot agent and dispatch logic (no ROS), agent and fleet manager nodes
ros/         message conversions and node helpers shared by the nodes
launcher.py  starts the whole fleet in simulation without `ros2 launch`
"""
