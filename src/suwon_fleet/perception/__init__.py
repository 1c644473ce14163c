"""What the robot's sensors say about people, free of ROS.

rear_people.py  the group following the robot: people-sized clusters behind it in a laser scan,
                and FollowerWatch, who is with a robot that leads people (used by the
                docent's tours and the lobby robot's escort)
"""
