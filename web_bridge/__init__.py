"""FastAPI web bridge and operators' dashboard (import name ``suwon_web_bridge``).

app.py          the FastAPI application; its lifespan owns the ROS gateway
ros_gateway.py  one rclpy node on its own spin thread; hands data to asyncio safely
schemas.py      pydantic models at the API boundary
problems.py     RFC 9457 problem-details errors
routes/         one router per resource, under /api/v1
static/         the dashboard (plain HTML/JS/CSS, no build step)
main.py         the executable: uvicorn serving the app
"""
