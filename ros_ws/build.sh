#!/usr/bin/env bash
# Build the workspace on a robot or PC with ROS 2 Jazzy from apt (Ubuntu 24.04):
#   source /opt/ros/jazzy/setup.bash && ros_ws/build.sh && source ros_ws/install/setup.bash
# src/suwon_fleet links to the repository root (the ament_python package); the interfaces sit
# beside it. Each package in src/fallback/ (nav2_msgs, tf2_msgs) is skipped where ROS already
# has it, so a robot with Nav2 keeps its real messages.
set -euo pipefail
cd "$(dirname "$0")"
: "${ROS_DISTRO:?source /opt/ros/jazzy/setup.bash first}"
skip=()
for fallback in src/fallback/*/; do
  name="$(basename "$fallback")"
  if [[ -d "/opt/ros/${ROS_DISTRO}/share/${name}" ]]; then
    echo "using /opt/ros/${ROS_DISTRO}/share/${name}; skipping the fallback"
    skip+=("$name")
  fi
done
exec colcon build --symlink-install ${skip:+--packages-skip "${skip[@]}"} "$@"
