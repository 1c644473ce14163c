"""Gazebo (gz sim Harmonic) worlds and ros_gz_bridge configs from the sites' maps and files.

    python -m suwon_sim.gazebo.worldgen             # rewrite sim/gazebo/worlds + bridge
    python -m suwon_sim.gazebo.worldgen --out DIR   # write DIR/worlds and DIR/bridge instead
    python -m suwon_sim.gazebo.worldgen --check     # exit 1 if the committed files are stale

For every site in config/fleet.yaml it writes

* ``worlds/<site_id>.sdf`` (SDFormat 1.9): the gz-sim system plugins, a sun, a ground plane,
  the map's obstacles extruded as boxes, a marker per named place (``place_<id>``), a floor
  overlay per navigation zone (``zone_<id>``), and the site's robots included at their start
  poses (``model://suwon_robot`` named by robot id: spawned by the world itself, so
  ``gz sim <world>`` alone gives the whole site and the launch file needs no spawner);
* ``bridge/<site_id>_bridge.yaml``: the ros_gz_bridge config mapping each robot's Gazebo
  topics to the ROS topics the headless simulator publishes (sim/simulator_node.py).

Obstacles: the union of the boxes is exactly the occupied and unknown map cells (greedy
rectangle cover: from each uncovered cell, its run to the right, grown upwards while the whole
run stays blocked; boxes may overlap each other, never a free cell). One box per cell would be
~460,000 for the arboretum; this gives ~1,200. The boxes of one kind (walls, fence, planting)
are collision+visual pairs of one static model with one link: see _obstacle_model for why not
a model per box.

Heights come from SITE_STYLES. A map cannot tell a fence from a flower bed, so a site can give
the band along the map edge (its boundary fence) its own height: the arboretum's planted
ground is 0.6 m (below eye level, above the lidar), its fence 2.0 m; walls elsewhere 2.0 m.

Output is deterministic: the same maps, site files and fleet file give byte-identical files
(no absolute paths, no time stamps, fixed number formatting), so the generated files are
committed and tests/sim/test_gazebo.py checks they are up to date.
"""

from __future__ import annotations

import argparse
import math
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from transforms3d.euler import euler2mat, mat2euler

GAZEBO_DIR = Path(__file__).resolve().parent
MODELS_DIR = GAZEBO_DIR / "models"
ROBOT_MODEL = "suwon_robot"
ROBOT_MODEL_SDF = MODELS_DIR / ROBOT_MODEL / "model.sdf"

# Names inside models/suwon_robot/model.sdf that the Gazebo topics are scoped by.
ROBOT_LINK = "base_link"
LIDAR_SENSOR = "lidar"
CAMERA_SENSOR = "camera"
BATTERY = "battery"

SDF_VERSION = "1.9"
PLACE_PREFIX = "place_"
# Place markers carry these visibility flags; the robot's sensors mask them out (model.sdf).
MARKER_VISIBILITY_FLAGS = 2

Rgba = tuple[float, float, float, float]


@dataclass(frozen=True)
class ObstacleStyle:
    kind: str  # name of the static model holding these boxes
    height: float  # metres
    rgba: Rgba


@dataclass(frozen=True)
class SiteStyle:
    """How a site's map is extruded."""

    obstacles: ObstacleStyle = ObstacleStyle("walls", 2.0, (0.82, 0.81, 0.78, 1.0))
    # The band of this width along the map edge (the boundary fence) gets its own style.
    edge: ObstacleStyle | None = None
    edge_width: float = 0.0  # metres
    ground_rgba: Rgba = (0.72, 0.70, 0.66, 1.0)


SITE_STYLES: dict[str, SiteStyle] = {
    # 시청 로비: walls, counters, benches and unmapped shafts, all 2 m.
    "city_hall": SiteStyle(ground_rgba=(0.78, 0.76, 0.72, 1.0)),
    # 일월수목원: planted ground (everything inside the fence but the carved-out paths),
    # buildings, benches and the pond at 0.6 m; the 0.3 m boundary fence at 2 m.
    "ilwol_arboretum": SiteStyle(
        obstacles=ObstacleStyle("planting", 0.6, (0.30, 0.52, 0.24, 1.0)),
        edge=ObstacleStyle("fence", 2.0, (0.40, 0.33, 0.26, 1.0)),
        edge_width=0.3,
        ground_rgba=(0.78, 0.72, 0.60, 1.0),
    ),
}
DEFAULT_STYLE = SiteStyle()

# Marker colours by place kind (suwon_fleet.core.sites.PlaceKind).
PLACE_COLOURS: dict[str, Rgba] = {
    "entrance": (0.10, 0.60, 0.20, 1.0),
    "exit": (0.10, 0.60, 0.20, 1.0),
    "desk": (0.00, 0.35, 0.70, 1.0),
    "counter": (0.00, 0.45, 0.80, 1.0),
    "office": (0.00, 0.35, 0.70, 1.0),
    "elevator": (0.50, 0.30, 0.70, 1.0),
    "restroom": (0.20, 0.60, 0.70, 1.0),
    "waiting": (0.95, 0.60, 0.10, 1.0),
    "dock": (0.90, 0.15, 0.15, 1.0),
    "facility": (0.60, 0.40, 0.20, 1.0),
    "building": (0.60, 0.40, 0.20, 1.0),
    "garden": (0.85, 0.30, 0.55, 1.0),
    "path": (0.90, 0.85, 0.20, 1.0),
    "rest_area": (0.95, 0.60, 0.10, 1.0),
    "viewpoint": (0.15, 0.45, 0.85, 1.0),
}
DEFAULT_PLACE_COLOUR: Rgba = (0.9, 0.9, 0.9, 1.0)
ZONE_PREFIX = "zone_"
ZONE_COLOURS: dict[str, Rgba] = {
    "keep_out": (0.90, 0.10, 0.10, 1.0),
    "speed_limit": (1.00, 0.80, 0.00, 1.0),
}


# --------------------------------------------------------------------------- obstacles
Rect = tuple[int, int, int, int]  # r0, r1, c0, c1: rows r0..r1-1, columns c0..c1-1


def cover_rectangles(mask: np.ndarray) -> list[Rect]:
    """Axis-aligned rectangles whose union is exactly the True cells of ``mask``.

    Greedy: scanning rows upwards, each cell not yet covered starts a rectangle: its run of
    blocked cells to the right, grown upwards while the whole run stays blocked. Rectangles may
    overlap (growing through covered cells makes them larger and fewer), which is harmless for
    static collision and invisible for same-coloured visuals.
    """
    mask = np.asarray(mask, dtype=bool)
    rows = mask.shape[0]
    covered = np.zeros_like(mask)
    rects: list[Rect] = []
    for r in range(rows):
        row = mask[r]
        if not row.any():
            continue
        # Run ends: for each column, the first non-blocked column at or after it.
        blocked_cols = np.flatnonzero(~np.append(row, False))
        for c0 in np.flatnonzero(row & ~covered[r]).tolist():
            if covered[r, c0]:
                continue
            c1 = int(blocked_cols[np.searchsorted(blocked_cols, c0)])
            r1 = r + 1
            while r1 < rows and mask[r1, c0:c1].all():
                r1 += 1
            covered[r:r1, c0:c1] = True
            rects.append((r, r1, c0, c1))
    return rects


@dataclass(frozen=True)
class Box:
    name: str  # unique within its style's model
    style: ObstacleStyle
    rect: Rect


def obstacle_boxes(grid, style: SiteStyle) -> list[Box]:
    """The boxes of a map (suwon_fleet.core.maps.OccupancyMap): occupied and unknown cells."""
    blocked = grid.blocked
    layers: list[tuple[ObstacleStyle, np.ndarray]] = []
    if style.edge is not None and style.edge_width > 0:
        band = np.zeros_like(blocked)
        k = max(1, round(style.edge_width / grid.resolution))
        band[:k, :] = band[-k:, :] = band[:, :k] = band[:, -k:] = True
        layers += [(style.edge, blocked & band), (style.obstacles, blocked & ~band)]
    else:
        layers.append((style.obstacles, blocked))
    boxes = []
    for obstacle_style, mask in layers:
        rects = cover_rectangles(mask)
        width = max(4, len(str(len(rects) - 1)))
        boxes += [Box(f"box_{i:0{width}d}", obstacle_style, rect)
                  for i, rect in enumerate(rects)]
    return boxes


# --------------------------------------------------------------------------- formatting
def _num(value: float) -> str:
    """Fixed formatting: at most 6 decimals, no trailing zeros, never '-0'."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _vec(*values: float) -> str:
    return " ".join(_num(v) for v in values)


def _rgba(rgba: Rgba) -> str:
    return _vec(*rgba)


def _rel(path: Path, parents: int) -> str:
    """The path's last folders and name (never absolute: output must not depend on where the
    checkout is)."""
    return "/".join(path.parts[-parents - 1:])


def _comment(text: str) -> str:
    return "<!-- " + text.replace("--", "- -") + " -->"


def _material(rgba: Rgba, indent: str) -> list[str]:
    r, g, b, a = rgba
    return [
        f"{indent}<material>",
        f"{indent}  <ambient>{_rgba(rgba)}</ambient>",
        f"{indent}  <diffuse>{_rgba(rgba)}</diffuse>",
        f"{indent}  <specular>{_rgba((r * 0.1, g * 0.1, b * 0.1, a))}</specular>",
        f"{indent}</material>",
    ]


# --------------------------------------------------------------------------- the world
@dataclass(frozen=True)
class Spawn:
    robot_id: str
    place: str
    x: float
    y: float
    yaw: float


def robot_spawns(fleet, site_id: str) -> list[Spawn]:
    """The site's robots at their start place (fleet.yaml ``start``, else ``home``), as the
    headless simulator places them."""
    site = fleet.sites[site_id]
    spawns = []
    for robot_id in fleet.robots_at(site_id):
        cfg = fleet.robots[robot_id]
        place_id = cfg.start or cfg.home
        place = site.places[place_id]
        spawns.append(Spawn(robot_id, place_id, place.x, place.y, place.yaw))
    return spawns


def _map_pose(grid, x: float, y: float) -> tuple[float, float, float]:
    """A point in the map image's frame (metres from the lower-left corner) to the map frame
    (= the Gazebo world frame), honouring the map origin and its yaw."""
    ox, oy, oyaw = grid.origin
    c, s = math.cos(oyaw), math.sin(oyaw)
    return ox + c * x - s * y, oy + s * x + c * y, oyaw


def world_sdf(fleet, site_id: str, style: SiteStyle | None = None) -> tuple[str, list[Box]]:
    """The world file's text and its obstacle boxes."""
    site = fleet.sites[site_id]
    grid = site.map
    style = style or SITE_STYLES.get(site_id, DEFAULT_STYLE)
    boxes = obstacle_boxes(grid, style)
    res = grid.resolution
    names = ["ground_plane", *{box.style.kind for box in boxes},
             *(PLACE_PREFIX + p for p in site.places), *(ZONE_PREFIX + z for z in site.zones),
             *fleet.robots_at(site_id)]
    if len(names) != len(set(names)):
        clashes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"{site_id}: model names clash in the world: {', '.join(clashes)}")
    out: list[str] = [
        '<?xml version="1.0" encoding="utf-8"?>',
        _comment(f"GENERATED by `python -m suwon_sim.gazebo.worldgen` from "
                 f"{_rel(site.map_path, 1)}, {_rel(site.source, 2)} and {_rel(fleet.source, 1)}."
                 " Do not edit: change those and regenerate."),
        _comment(f"{site.name_ko} / {site.name_en}: {grid.width_m:g} m x {grid.height_m:g} m "
                 f"map at {res:g} m/cell; world frame = map frame. Obstacle boxes: "
                 f"{len(boxes)}, place markers: {len(site.places)}, "
                 f"robots: {len(fleet.robots_at(site_id))}."),
        f'<sdf version="{SDF_VERSION}">',
        f"  <world name={quoteattr(site_id)}>",
        '    <physics name="1ms" type="ignored">',
        "      <max_step_size>0.001</max_step_size>",
        "      <real_time_factor>1.0</real_time_factor>",
        "    </physics>",
        '    <plugin filename="gz-sim-physics-system" name="gz::sim::systems::Physics"/>',
        '    <plugin filename="gz-sim-user-commands-system"'
        ' name="gz::sim::systems::UserCommands"/>',
        '    <plugin filename="gz-sim-scene-broadcaster-system"'
        ' name="gz::sim::systems::SceneBroadcaster"/>',
        '    <plugin filename="gz-sim-sensors-system" name="gz::sim::systems::Sensors">',
        "      <render_engine>ogre2</render_engine>",
        "    </plugin>",
        "",
        "    <scene>",
        "      <ambient>0.6 0.6 0.6 1</ambient>",
        "      <background>0.75 0.85 0.95 1</background>",
        "      <grid>false</grid>",
        "    </scene>",
        '    <light type="directional" name="sun">',
        "      <cast_shadows>true</cast_shadows>",
        f"      <pose>{_vec(grid.width_m / 2, grid.height_m / 2, 30, 0, 0, 0)}</pose>",
        "      <diffuse>0.8 0.8 0.8 1</diffuse>",
        "      <specular>0.2 0.2 0.2 1</specular>",
        "      <attenuation>",
        "        <range>1000</range>",
        "        <constant>0.9</constant>",
        "        <linear>0.01</linear>",
        "        <quadratic>0.001</quadratic>",
        "      </attenuation>",
        "      <direction>-0.5 0.1 -0.9</direction>",
        "    </light>",
        "",
    ]
    out += _ground(grid, style)
    out.append("")
    out.append("    " + _comment("Obstacles: the map's occupied and unknown cells, merged "
                                  "into boxes; one static model per kind."))
    kinds = list(dict.fromkeys(box.style for box in boxes))
    for kind in kinds:
        out += _obstacle_model(grid, kind, [box for box in boxes if box.style == kind])
    out.append("")
    out.append("    " + _comment("Named places (config/sites): visual markers only; no "
                                  "collision, hidden from the robots' sensors."))
    for place_id, place in site.places.items():
        out += _place_model(place_id, place)
    if site.zones:
        out.append("")
        out.append("    " + _comment("Navigation zones (config/sites): translucent floor "
                                      "overlays, for people only. Gazebo does not enforce "
                                      "them; the planner does."))
        for zone_id, zone in site.zones.items():
            out += _zone_model(zone_id, zone)
    out.append("")
    out.append("    " + _comment("The site's robots at their start poses (config/fleet.yaml)."))
    for spawn in robot_spawns(fleet, site_id):
        out += [
            "    <include>",
            f"      <uri>model://{ROBOT_MODEL}</uri>",
            f"      <name>{escape(spawn.robot_id)}</name>",
            f"      <pose>{_vec(spawn.x, spawn.y, 0, 0, 0, spawn.yaw)}</pose>",
            "    </include>",
        ]
    out += ["  </world>", "</sdf>", ""]
    return "\n".join(out), boxes


def _ground(grid, style: SiteStyle) -> list[str]:
    margin = 10.0
    cx, cy, yaw = _map_pose(grid, grid.width_m / 2, grid.height_m / 2)
    size = _vec(grid.width_m + 2 * margin, grid.height_m + 2 * margin)
    geometry = ["<geometry>", "  <plane>", "    <normal>0 0 1</normal>",
                f"    <size>{size}</size>", "  </plane>", "</geometry>"]
    ind = "          "
    return [
        '    <model name="ground_plane">',
        "      <static>true</static>",
        f"      <pose>{_vec(cx, cy, 0, 0, 0, yaw)}</pose>",
        '      <link name="link">',
        '        <collision name="collision">',
        *[ind + line for line in geometry],
        "        </collision>",
        '        <visual name="visual">',
        "          <cast_shadows>false</cast_shadows>",
        *[ind + line for line in geometry],
        *_material(style.ground_rgba, ind),
        "        </visual>",
        "      </link>",
        "    </model>",
    ]


def _obstacle_model(grid, style: ObstacleStyle, boxes: list[Box]) -> list[str]:
    """One static model, one link, a collision and a visual per box.

    Not a model per box: sdformat copies its element schema into every element it parses, so
    each <model> costs megabytes; 1186 single-box models took `ign sdf -k` 36-49 s and 6.5 GB
    (gz sim parses with the same library), one model with the same boxes ~2 s and 1 GB."""
    res = grid.resolution
    h = style.height
    out = [
        f'    <model name="{style.kind}">',
        "      <static>true</static>",
        '      <link name="link">',
    ]
    for box in boxes:
        r0, r1, c0, c1 = box.rect
        x, y, yaw = _map_pose(grid, (c0 + c1) / 2 * res, (r0 + r1) / 2 * res)
        pose = f"<pose>{_vec(x, y, h / 2, 0, 0, yaw)}</pose>"
        geometry = f"<geometry><box><size>{_vec((c1 - c0) * res, (r1 - r0) * res, h)}</size>" \
                   "</box></geometry>"
        out += [
            f'        <collision name="{box.name}">{pose}{geometry}</collision>',
            f'        <visual name="{box.name}_visual">{pose}{geometry}',
            *_material(style.rgba, "          "),
            "        </visual>",
        ]
    out += ["      </link>", "    </model>"]
    return out


def _place_model(place_id: str, place) -> list[str]:
    colour = PLACE_COLOURS.get(place.kind, DEFAULT_PLACE_COLOUR)
    post: Rgba = (0.95, 0.95, 0.95, 1.0)
    # name: (pose in the place frame, geometry, colour); the arrow shows the arrival yaw.
    parts = [
        ("disc", (0, 0, 0.005), "<cylinder><radius>0.25</radius><length>0.01</length>"
                                "</cylinder>", colour),
        ("arrow", (0.2, 0, 0.012), "<box><size>0.4 0.06 0.01</size></box>", post),
        ("post", (0, 0, 0.75), "<cylinder><radius>0.02</radius><length>1.5</length>"
                               "</cylinder>", post),
        ("top", (0, 0, 1.6), "<sphere><radius>0.1</radius></sphere>", colour),
    ]
    out = [
        "    " + _comment(f"{place.name_ko} / {place.name_en} ({place.kind})"),
        f'    <model name="{PLACE_PREFIX}{place_id}">',
        "      <static>true</static>",
        f"      <pose>{_vec(place.x, place.y, 0, 0, 0, place.yaw)}</pose>",
        '      <link name="link">',
    ]
    for name, (px, py, pz), geometry, rgba in parts:
        out += [
            f'        <visual name="{name}">',
            f"          <pose>{_vec(px, py, pz, 0, 0, 0)}</pose>",
            "          <cast_shadows>false</cast_shadows>",
            f"          <visibility_flags>{MARKER_VISIBILITY_FLAGS}</visibility_flags>",
            f"          <geometry>{geometry}</geometry>",
            *_material(rgba, "          "),
            "        </visual>",
        ]
    out += ["      </link>", "    </model>"]
    return out


def _zone_model(zone_id: str, zone) -> list[str]:
    rule = "keep out" if zone.kind == "keep_out" else f"max {zone.max_speed:g} m/s"
    points = "".join(f"<point>{_vec(x, y)}</point>" for x, y in zone.polygon)
    return [
        "    " + _comment(f"{zone.name_ko} / {zone.name_en} ({rule})"),
        f'    <model name="{ZONE_PREFIX}{zone_id}">',
        "      <static>true</static>",
        '      <link name="link">',
        '        <visual name="visual">',
        "          <cast_shadows>false</cast_shadows>",
        "          <transparency>0.6</transparency>",
        f"          <visibility_flags>{MARKER_VISIBILITY_FLAGS}</visibility_flags>",
        f"          <geometry><polyline>{points}<height>0.004</height></polyline></geometry>",
        *_material(ZONE_COLOURS.get(zone.kind, DEFAULT_PLACE_COLOUR), "          "),
        "        </visual>",
        "      </link>",
        "    </model>",
    ]


# --------------------------------------------------------------------------- the bridge
@dataclass(frozen=True)
class BridgedTopic:
    ros: str
    gz: str
    ros_type: str
    gz_type: str
    direction: str  # GZ_TO_ROS or ROS_TO_GZ
    lazy: bool = False
    note: str = ""


def robot_topics(world: str, robot_id: str) -> list[BridgedTopic]:
    """One robot's topics: ROS names as the headless simulator's, Gazebo names as the robot
    model's systems and sensors publish them (scoped by world, model = robot id, link)."""
    ns = f"/{robot_id}"
    link = f"/world/{world}/model/{robot_id}/link/{ROBOT_LINK}/sensor"
    return [
        BridgedTopic(f"{ns}/cmd_vel", f"/model/{robot_id}/cmd_vel",
                     "geometry_msgs/msg/Twist", "gz.msgs.Twist", "ROS_TO_GZ"),
        BridgedTopic(f"{ns}/odom", f"/model/{robot_id}/odometry",
                     "nav_msgs/msg/Odometry", "gz.msgs.Odometry", "GZ_TO_ROS",
                     note="odom -> base_link, wheel odometry"),
        BridgedTopic(f"{ns}/tf", f"/model/{robot_id}/tf",
                     "tf2_msgs/msg/TFMessage", "gz.msgs.Pose_V", "GZ_TO_ROS",
                     note="odom -> base_link only; map -> odom is a static transform"),
        BridgedTopic(f"{ns}/scan", f"{link}/{LIDAR_SENSOR}/scan",
                     "sensor_msgs/msg/LaserScan", "gz.msgs.LaserScan", "GZ_TO_ROS",
                     note="frame base_scan"),
        BridgedTopic(f"{ns}/battery_state", f"/model/{robot_id}/battery/{BATTERY}/state",
                     "sensor_msgs/msg/BatteryState", "gz.msgs.BatteryState", "GZ_TO_ROS"),
        BridgedTopic(f"{ns}/joint_states", f"/world/{world}/model/{robot_id}/joint_state",
                     "sensor_msgs/msg/JointState", "gz.msgs.Model", "GZ_TO_ROS",
                     note="Gazebo only"),
        BridgedTopic(f"{ns}/camera/image_raw", f"{link}/{CAMERA_SENSOR}/image",
                     "sensor_msgs/msg/Image", "gz.msgs.Image", "GZ_TO_ROS", lazy=True,
                     note="Gazebo only; frame camera_optical_frame"),
        BridgedTopic(f"{ns}/camera/camera_info", f"{link}/{CAMERA_SENSOR}/camera_info",
                     "sensor_msgs/msg/CameraInfo", "gz.msgs.CameraInfo", "GZ_TO_ROS",
                     lazy=True, note="Gazebo only"),
    ]


CLOCK = BridgedTopic("/clock", "/clock", "rosgraph_msgs/msg/Clock", "gz.msgs.Clock",
                     "GZ_TO_ROS", note="sim time; every node runs with use_sim_time")

BRIDGE_HEADER = """\
# ros_gz_bridge config (parameter_bridge --ros-args -p config_file:=<this file>) for the
# {site} world (worlds/{site}.sdf). GENERATED by `python -m suwon_sim.gazebo.worldgen` from
# config/fleet.yaml: do not edit, regenerate.
#
# ROS topic names are the headless simulator's (sim/simulator_node.py), per robot namespace,
# so the rest of the stack cannot tell which simulator runs:
#   /<robot>/cmd_vel (in), odom, tf, scan (360 beams, 10 Hz), battery_state; /clock.
# What differs in Gazebo:
# * map -> odom: the headless simulator is a perfect localiser and publishes map -> odom on
#   /<robot>/tf. Gazebo only knows odom -> base_link (wheel odometry). gazebo_sim.launch.py
#   publishes a static map -> odom at each robot's spawn pose on /<robot>/tf_static, exact
#   while the wheels do not slip; run a localiser (Nav2 AMCL on /<robot>/scan and the site's
#   map) instead for long runs, and drop the static transform.
# * base_link -> base_scan is 0.48 m up (headless: 0) and base_link -> camera_optical_frame
#   exists; both are static transforms from gazebo_sim.launch.py.
# * /<robot>/initialpose is not bridged: Gazebo cannot teleport a robot from ROS this way
#   (use `gz service -s /world/{site}/set_pose`); a localiser takes it instead.
# * battery_state drains while driving but does not charge at the dock.
# * /sim/visitors/<site> does not exist: no walking visitors in Gazebo.
# * Gazebo only: /<robot>/joint_states, /<robot>/camera/image_raw and camera_info (lazy:
#   bridged only while someone subscribes).
"""


def bridge_yaml(fleet, site_id: str) -> str:
    lines = [BRIDGE_HEADER.format(site=site_id)]
    groups = [("simulation clock", [CLOCK])]
    groups += [(f"robot {robot_id}", robot_topics(site_id, robot_id))
               for robot_id in fleet.robots_at(site_id)]
    for title, topics in groups:
        lines.append(f"# --- {title}")
        for t in topics:
            if t.note:
                lines.append(f"# {t.note}")
            lines += [
                f"- ros_topic_name: {t.ros}",
                f"  gz_topic_name: {t.gz}",
                f"  ros_type_name: {t.ros_type}",
                f"  gz_type_name: {t.gz_type}",
                f"  direction: {t.direction}",
            ]
            if t.lazy:
                lines.append("  lazy: true")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- static TF
@dataclass(frozen=True)
class StaticTransform:
    parent: str
    child: str
    xyz: tuple[float, float, float]
    rpy: tuple[float, float, float]


# ROS optical frame (z forward, x right, y down) relative to a Gazebo camera (x forward).
_OPTICAL = euler2mat(-math.pi / 2, 0.0, -math.pi / 2, "sxyz")


def _pose(text: str | None) -> tuple[float, ...]:
    values = [float(v) for v in (text or "").split()] or [0.0] * 6
    return tuple(values + [0.0] * (6 - len(values)))


def sensor_frames(model_sdf: Path = ROBOT_MODEL_SDF) -> list[StaticTransform]:
    """base_link -> each sensor's frame (its gz_frame_id), read from the robot model.

    Camera frames are ROS optical frames (the image is published in them)."""
    model = ET.parse(model_sdf).getroot().find("model")
    assert model is not None, f"{model_sdf}: no <model>"
    frames = []
    for link in model.findall("link"):
        for sensor in link.findall("sensor"):
            frame = sensor.findtext("gz_frame_id")
            if not frame:
                continue
            if any(_pose(link.findtext("pose"))):
                raise ValueError(f"{model_sdf}: link {link.get('name')} with sensors must be "
                                 "at the model origin")
            x, y, z, roll, pitch, yaw = _pose(sensor.findtext("pose"))
            if sensor.get("type") in ("camera", "depth_camera", "rgbd_camera"):
                rot = euler2mat(roll, pitch, yaw, "sxyz") @ _OPTICAL
                roll, pitch, yaw = (float(a) for a in mat2euler(rot, "sxyz"))
            frames.append(StaticTransform(link.get("name", ""), frame, (x, y, z),
                                          (roll, pitch, yaw)))
    return frames


def spawned_robots(world_sdf_path: Path) -> list[Spawn]:
    """The robots a world file includes, with their poses (as the launch file needs them)."""
    world = ET.parse(world_sdf_path).getroot().find("world")
    assert world is not None, f"{world_sdf_path}: no <world>"
    spawns = []
    for include in world.findall("include"):
        if include.findtext("uri") != f"model://{ROBOT_MODEL}":
            continue
        x, y, _, _, _, yaw = _pose(include.findtext("pose"))
        spawns.append(Spawn(include.findtext("name") or ROBOT_MODEL, "", x, y, yaw))
    return spawns


def static_transforms(spawn: Spawn, model_sdf: Path = ROBOT_MODEL_SDF) -> list[StaticTransform]:
    """A robot's static TF in Gazebo: map -> odom at its spawn pose, then its sensor frames.

    The diff drive's odometry starts at identity where the robot spawns, and the world frame
    is the map frame, so map -> odom = the spawn pose."""
    return [StaticTransform("map", "odom", (spawn.x, spawn.y, 0.0), (0.0, 0.0, spawn.yaw)),
            *sensor_frames(model_sdf)]


# --------------------------------------------------------------------------- files
@dataclass(frozen=True)
class Generated:
    site_id: str
    files: dict[str, str]  # path relative to the output folder -> text
    boxes: list[Box]


def generate(fleet=None) -> list[Generated]:
    """Every site's generated files, in memory."""
    if fleet is None:
        from suwon_fleet.core.sites import load_fleet

        fleet = load_fleet()
    result = []
    for site_id in fleet.sites:
        text, boxes = world_sdf(fleet, site_id)
        result.append(Generated(site_id, {
            f"worlds/{site_id}.sdf": text,
            f"bridge/{site_id}_bridge.yaml": bridge_yaml(fleet, site_id),
        }, boxes))
    return result


def write(out_dir: Path, generated: list[Generated]) -> list[Path]:
    written = []
    for gen in generated:
        for rel, text in gen.files.items():
            path = out_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
            written.append(path)
    return written


def stale_files(out_dir: Path, generated: list[Generated]) -> list[str]:
    """Generated files that are missing or differ from what the inputs give now."""
    stale = []
    for gen in generated:
        for rel, text in gen.files.items():
            path = out_dir / rel
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                stale.append(rel)
    return stale


def summary(gen: Generated) -> str:
    kinds: dict[str, int] = {}
    for box in gen.boxes:
        kinds[box.style.kind] = kinds.get(box.style.kind, 0) + 1
    detail = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    return f"{gen.site_id}: {len(gen.boxes)} boxes ({detail})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m suwon_sim.gazebo.worldgen",
        description="Generate the Gazebo worlds and ros_gz_bridge configs of every site.")
    parser.add_argument("--out", type=Path, default=GAZEBO_DIR,
                        help="folder for worlds/ and bridge/ (default: %(default)s)")
    parser.add_argument("--fleet-file", default=None, help="fleet.yaml (default: the project's)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the files in --out are out of date")
    args = parser.parse_args(argv)

    from suwon_fleet.core.sites import load_fleet

    generated = generate(load_fleet(args.fleet_file))
    if args.check:
        stale = stale_files(args.out, generated)
        for rel in stale:
            print(f"out of date: {args.out / rel}", file=sys.stderr)
        if stale:
            print("regenerate with: python -m suwon_sim.gazebo.worldgen", file=sys.stderr)
            return 1
        print("Gazebo worlds and bridge configs are up to date")
        return 0
    for path in write(args.out, generated):
        print(f"wrote {path}")
    for gen in generated:
        print(summary(gen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
