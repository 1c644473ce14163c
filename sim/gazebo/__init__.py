"""Gazebo (gz sim Harmonic) assets generated from the project's own maps and site files.

worldgen.py   ROS-free generator: worlds/<site_id>.sdf and bridge/<site_id>_bridge.yaml
models/       suwon_robot (diff drive, 360-degree gpu_lidar, RGB camera, battery)
launch/       gazebo_sim.launch.py: gz sim + ros_gz_bridge + static TF for one site
"""
