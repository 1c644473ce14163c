"""Fleet management.

tasks.py         task records, validation and dispatch choice (ROS-free)
agent.py         a robot's task state machine (ROS-free)
agent_node.py    robot agent node, one per robot namespace
manager_node.py  fleet manager node: registry, dispatch, fleet state
"""
