"""Which processes make up the fleet in simulation, derived from config/fleet.yaml.

Both the project launcher (launcher.py, no ROS launch needed) and the ROS 2 launch file
(launch/fleet_sim.launch.py) start exactly this list, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from suwon_fleet.concierge.content import SITE_ID as CONCIERGE_SITE
from suwon_fleet.core.sites import Fleet


@dataclass(frozen=True)
class ProcessSpec:
    name: str  # node name, also the label in logs
    executable: str  # console_script in setup.py (ros2 run suwon_fleet <executable>)
    module: str  # python -m <module> runs the same main()
    namespace: str = ""
    parameters: dict[str, str | int | float | bool] = field(default_factory=dict)
    ros_node: bool = True  # false for processes without ROS arguments of their own

    @property
    def label(self) -> str:
        return f"{self.namespace.strip('/')}/{self.name}" if self.namespace else self.name

    def ros_arguments(self) -> list[str]:
        args = ["--ros-args"]
        if self.namespace:
            args += ["-r", f"__ns:={self.namespace}"]
        for key, value in self.parameters.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            args += ["-p", f"{key}:={text}"]
        return args


def fleet_processes(fleet: Fleet, fleet_file: str = "", web_port: int | None = None,
                    web_host: str | None = None, real_time_factor: float | None = None,
                    database: str | None = None) -> list[ProcessSpec]:
    common: dict[str, str | int | float | bool] = {"fleet_file": fleet_file} if fleet_file else {}
    sim_params = dict(common)
    if real_time_factor is not None:
        sim_params["real_time_factor"] = float(real_time_factor)
    specs = [ProcessSpec("simulator", "simulator", "suwon_sim.simulator_node",
                         parameters=sim_params)]
    # Everything but the simulator runs on its /clock, so tests and demos can run faster or
    # slower than real time without the nodes noticing.
    common["use_sim_time"] = True
    for robot_id in fleet.robots:
        params = {"robot_id": robot_id, **common}
        specs.append(ProcessSpec("navigation_server", "navigation_server",
                                 "suwon_fleet.navigation.server_node", f"/{robot_id}", params))
        specs.append(ProcessSpec("robot_agent", "robot_agent", "suwon_fleet.fleet.agent_node",
                                 f"/{robot_id}", params))
        if fleet.sites[fleet.robots[robot_id].site].tours:  # a docent: it gives tours
            tour_params = dict(params)
            if database:
                tour_params["database"] = database  # ratings beside the fleet's tasks
            specs.append(ProcessSpec("tour_guide", "tour_guide",
                                     "suwon_fleet.docent.tour_node", f"/{robot_id}",
                                     tour_params))
        # Ears, voice and conversation keep wall time: people speak in real time whatever
        # the simulation's pace, and not following /clock spares each a callback per tick.
        human_params = {**params, "use_sim_time": False}
        # Ears and voice: audio from the simulator's microphone topic, a silent speaker.
        specs.append(ProcessSpec("speech", "speech", "suwon_fleet.speech.speech_node",
                                 f"/{robot_id}", human_params))
        if fleet.robots[robot_id].site == CONCIERGE_SITE:  # a lobby robot: it talks
            concierge_params = dict(human_params)
            if database:
                concierge_params["database"] = database  # redacted transcripts, counts
            specs.append(ProcessSpec("concierge", "concierge",
                                     "suwon_fleet.concierge.concierge_node", f"/{robot_id}",
                                     concierge_params))
    manager_params = dict(common)
    if database:
        manager_params["database"] = database
    specs.append(ProcessSpec("fleet_manager", "fleet_manager", "suwon_fleet.fleet.manager_node",
                             parameters=manager_params))
    bridge_args: dict[str, str | int] = {}
    if web_port is not None:
        bridge_args["port"] = web_port
    if web_host is not None:
        bridge_args["host"] = web_host
    if fleet_file:
        bridge_args["fleet-file"] = fleet_file
    if database:
        bridge_args["database"] = database  # one database: tasks, alerts, users, calls
    specs.append(ProcessSpec("web_bridge", "web_bridge", "suwon_web_bridge.main",
                             parameters=bridge_args, ros_node=False))
    return specs


def command_line_arguments(spec: ProcessSpec) -> list[str]:
    """Arguments after the executable: ROS arguments, or --key value for the web bridge."""
    if spec.ros_node:
        return spec.ros_arguments()
    args: list[str] = []
    for key, value in spec.parameters.items():
        args += [f"--{key}", str(value)]
    return args
