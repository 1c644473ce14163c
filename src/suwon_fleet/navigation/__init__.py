"""Navigation: the built-in stand-in for Nav2.

errors.py       Nav2's error codes (ROS-free)
planner.py      global planner on an inflated grid (ROS-free)
controller.py   path-following controller and goal/progress checkers (ROS-free)
server_node.py  serves nav2_msgs NavigateToPose per robot namespace
navigator.py    Nav2 BasicNavigator-style client that never spins other nodes
"""
