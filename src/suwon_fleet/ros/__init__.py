"""Shared ROS 2 glue: message conversions and the standard node entry point."""
