"""Packaging for the Suwon robot fleet (ament_python on ROS 2 machines, editable in the venv).

Three import packages, each in the top-level folder that names its job:
  suwon_fleet        src/suwon_fleet  nodes and ROS-free logic (navigation, fleet, speech, ...)
  suwon_sim          sim/             headless multi-robot simulator (and Gazebo assets)
  suwon_web_bridge   web_bridge/      FastAPI bridge and the operators' dashboard
"""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "suwon_fleet"


def packages_under(folder: str, name: str) -> list[str]:
    return [name] + [f"{name}.{sub}" for sub in find_packages(folder)]


def data_files() -> list[tuple[str, list[str]]]:
    """Files a colcon install puts in share/suwon_fleet (the venv reads them from the checkout)."""
    share = f"share/{PACKAGE}"
    files = [
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (share, ["package.xml"]),
        (f"{share}/launch", glob("launch/*.py") + glob("sim/gazebo/launch/*.py")),
        (f"{share}/config", glob("config/*.yaml")),
        (f"{share}/config/sites", glob("config/sites/*.yaml")),
        (f"{share}/config/content", glob("config/content/*.yaml")),
        (f"{share}/maps", glob("maps/*.yaml") + glob("maps/*.pgm")),
    ]
    return [(dest, srcs) for dest, srcs in files if srcs]


setup(
    name=PACKAGE,
    version="0.1.0",
    packages=(
        packages_under("src/suwon_fleet", "suwon_fleet")
        + packages_under("sim", "suwon_sim")
        + packages_under("web_bridge", "suwon_web_bridge")
    ),
    package_dir={
        "suwon_fleet": "src/suwon_fleet",
        "suwon_sim": "sim",
        "suwon_web_bridge": "web_bridge",
    },
    package_data={
        "suwon_web_bridge": ["static/*", "static/robot/*", "static/callboard/*", "calls/README.md"],
        "suwon_sim": ["gazebo/worlds/*.sdf", "gazebo/models/suwon_robot/*",
                      "gazebo/bridge/*.yaml", "gazebo/README.md"],
    },
    data_files=data_files(),
    install_requires=["setuptools"],
    zip_safe=False,
    maintainer="Suwon Robot Fleet Team",
    maintainer_email="robotics@suwon.example.org",
    description="Fleet control stack for Suwon City's public service robots",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            # One executable per node (ros2 run suwon_fleet <name>).
            "simulator = suwon_sim.simulator_node:main",
            "navigation_server = suwon_fleet.navigation.server_node:main",
            "robot_agent = suwon_fleet.fleet.agent_node:main",
            "tour_guide = suwon_fleet.docent.tour_node:main",
            "concierge = suwon_fleet.concierge.concierge_node:main",
            "speech = suwon_fleet.speech.speech_node:main",
            "fleet_manager = suwon_fleet.fleet.manager_node:main",
            "web_bridge = suwon_web_bridge.main:main",
            # The project launcher: the whole fleet in simulation, without `ros2 launch`.
            "fleet_sim = suwon_fleet.launcher:main",
            # Admin CLI for dashboard users (argon2 hashes in the fleet database).
            "suwon_users = suwon_web_bridge.auth.cli:main",
        ],
    },
)
