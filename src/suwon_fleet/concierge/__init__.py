"""The lobby concierge brain, ROS-free: civil-service content, Korean search, intents,
dialogue and transcript privacy. Nodes and the web bridge wrap these plain classes."""
