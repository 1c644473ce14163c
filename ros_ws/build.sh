#!/usr/bin/env bash
# Build the workspace on a robot or PC with ROS 2 Jazzy from apt (Ubuntu 24.04):
#   source /opt/ros/jazzy/setup.bash && ros_ws/build.sh && source ros_ws/install/setup.bash
# src/suwon_fleet links to the repository root (the ament_python package); the interfaces sit
# beside it. The fallback nav2_msgs is skipped where Nav2's own nav2_msgs is installed, so a
# robot with Nav2 keeps its real messages.
set -euo pipefail
cd "$(dirname "$0")"
: "${ROS_DISTRO:?source /opt/ros/jazzy/setup.bash first}"
skip=()
if [[ -d "/opt/ros/${ROS_DISTRO}/share/nav2_msgs" ]]; then
  echo "Nav2 found: using /opt/ros/${ROS_DISTRO}/share/nav2_msgs, skipping the fallback"
  skip=(--packages-skip nav2_msgs)
fi
exec colcon build --symlink-install "${skip[@]}" "$@"
