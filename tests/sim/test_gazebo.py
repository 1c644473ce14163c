"""Gazebo assets (sim/gazebo): the generated worlds are valid SDFormat and up to date, have
walls exactly where the maps have obstacles, a marker per place and the site's robots at their
start poses; the robot model, the bridge configs and the launch file keep the topic contract of
the headless simulator."""

from __future__ import annotations

import ast
import math
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import yaml

from suwon_fleet.core.sites import Fleet, load_fleet
from suwon_sim.gazebo import worldgen
from suwon_sim.lidar import LidarSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
GAZEBO = REPO_ROOT / "sim" / "gazebo"
MODEL_SDF = GAZEBO / "models" / worldgen.ROBOT_MODEL / "model.sdf"
SDF_FILES = [*sorted(GAZEBO.glob("worlds/*.sdf")), MODEL_SDF]
IGN = shutil.which("ign")
needs_ign = pytest.mark.skipif(
    IGN is None, reason="`ign sdf` missing: apt-get install ignition-tools libsdformat12 "
                        "(scripts/setup.sh installs them)")


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_fleet()


@pytest.fixture(scope="module")
def worlds(fleet: Fleet) -> dict[str, ET.Element]:
    """The committed world files, parsed: site_id -> <world>."""
    parsed = {}
    for site_id in fleet.sites:
        world = ET.parse(GAZEBO / "worlds" / f"{site_id}.sdf").getroot().find("world")
        assert world is not None and world.get("name") == site_id
        parsed[site_id] = world
    return parsed


@pytest.fixture(scope="module")
def sdf_checks() -> dict[Path, tuple[int, str]]:
    """`ign sdf -k` of every SDF file, run in parallel once (the arboretum takes ~2 s)."""
    env = dict(os.environ, SDF_PATH=str(GAZEBO / "models"))
    procs = {path: subprocess.Popen([IGN, "sdf", "-k", str(path)], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, env=env)
             for path in SDF_FILES}
    results = {}
    for path, proc in procs.items():
        out, _ = proc.communicate(timeout=120)
        # ignition-tools' own notice on Debian, not about the file.
        lines = [ln for ln in out.splitlines() if "libignition-tools-backward" not in ln]
        results[path] = (proc.returncode, "\n".join(lines))
    return results


def _pose(element: ET.Element) -> tuple[float, ...]:
    text = element.findtext("pose") or "0 0 0 0 0 0"
    return tuple(float(v) for v in text.split())


def _rpy_close(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(math.isclose(x, y, abs_tol=1e-4) for x, y in zip(a, b, strict=True))


# --------------------------------------------------------------------------- validity
@needs_ign
@pytest.mark.parametrize("path", SDF_FILES, ids=lambda p: str(p.relative_to(GAZEBO)))
def test_sdf_files_pass_ign_sdf_check(path: Path, sdf_checks) -> None:
    returncode, output = sdf_checks[path]
    assert returncode == 0, output[:2000]
    assert "error" not in output.lower(), output[:2000]
    assert "Valid." in output


def test_every_site_has_a_world_and_a_bridge(fleet: Fleet) -> None:
    assert {p.stem for p in GAZEBO.glob("worlds/*.sdf")} == set(fleet.sites)
    assert {p.name for p in GAZEBO.glob("bridge/*.yaml")} == {
        f"{site_id}_bridge.yaml" for site_id in fleet.sites}


def test_committed_files_are_up_to_date(fleet: Fleet, tmp_path: Path) -> None:
    generated = worldgen.generate(fleet)
    written = worldgen.write(tmp_path, generated)
    assert len(written) == 2 * len(fleet.sites)
    for path in written:
        rel = path.relative_to(tmp_path)
        committed = GAZEBO / rel
        assert committed.is_file() and committed.read_bytes() == path.read_bytes(), (
            f"{committed.relative_to(REPO_ROOT)} is out of date: "
            "run python -m suwon_sim.gazebo.worldgen")
    again = worldgen.generate(fleet)
    assert [g.files for g in again] == [g.files for g in generated], "not deterministic"


def test_worlds_use_sdformat_1_9_and_the_harmonic_systems(worlds) -> None:
    for site_id in worlds:
        root = ET.parse(GAZEBO / "worlds" / f"{site_id}.sdf").getroot()
        assert root.get("version") == "1.9"
        world = worlds[site_id]
        plugins = {p.get("filename"): p.get("name") for p in world.findall("plugin")}
        assert plugins == {
            "gz-sim-physics-system": "gz::sim::systems::Physics",
            "gz-sim-user-commands-system": "gz::sim::systems::UserCommands",
            "gz-sim-scene-broadcaster-system": "gz::sim::systems::SceneBroadcaster",
            "gz-sim-sensors-system": "gz::sim::systems::Sensors",
        }
        sensors = world.find("plugin[@filename='gz-sim-sensors-system']")
        assert sensors.findtext("render_engine") == "ogre2"
        assert world.find("light[@type='directional']") is not None
        assert world.find("model[@name='ground_plane']/link/collision/geometry/plane") is not None


# --------------------------------------------------------------------------- obstacles
def test_cover_rectangles_is_exact_on_random_masks() -> None:
    rng = np.random.default_rng(3)
    for density in (0.1, 0.5, 0.9):
        mask = rng.random((40, 60)) < density
        raster = np.zeros_like(mask)
        for r0, r1, c0, c1 in worldgen.cover_rectangles(mask):
            assert mask[r0:r1, c0:c1].all(), "a rectangle covers a free cell"
            raster[r0:r1, c0:c1] = True
        assert (raster == mask).all()


@pytest.mark.parametrize("site_id", ["city_hall", "ilwol_arboretum"])
def test_walls_are_exactly_where_the_map_has_obstacles(site_id: str, fleet: Fleet,
                                                       worlds) -> None:
    grid = fleet.sites[site_id].map
    assert grid.origin == (0.0, 0.0, 0.0), "the rasteriser below assumes an unrotated map"
    res = grid.resolution
    raster = np.zeros((grid.rows, grid.cols), dtype=bool)
    boxes = 0
    for model in worlds[site_id].findall("model"):
        for link in model.findall("link"):
            visuals = {v.get("name"): v for v in link.findall("visual")}
            for collision in link.findall("collision"):
                size_text = collision.findtext("geometry/box/size")
                if size_text is None:
                    continue
                assert model.findtext("static") == "true" and _pose(model) == (0,) * 6
                sx, sy, sz = (float(v) for v in size_text.split())
                x, y, z, roll, pitch, yaw = _pose(collision)
                assert (roll, pitch, yaw) == (0, 0, 0) and math.isclose(z, sz / 2)
                visual = visuals[collision.get("name") + "_visual"]
                assert _pose(visual) == _pose(collision)
                assert visual.findtext("geometry/box/size") == size_text
                c0, c1 = round((x - sx / 2) / res), round((x + sx / 2) / res)
                r0, r1 = round((y - sy / 2) / res), round((y + sy / 2) / res)
                assert 0 <= r0 < r1 <= grid.rows and 0 <= c0 < c1 <= grid.cols
                assert math.isclose(c0 * res, x - sx / 2, abs_tol=1e-6)
                assert math.isclose(r0 * res, y - sy / 2, abs_tol=1e-6)
                raster[r0:r1, c0:c1] = True
                boxes += 1
    blocked = grid.blocked
    covered = (raster & blocked).sum() / blocked.sum()
    spill = (raster & ~blocked).sum() / (~blocked).sum()
    assert covered == 1.0 and spill == 0.0, f"{covered=:.4%} of obstacles, {spill=:.4%} of free"
    assert boxes < 5000


def test_arboretum_fence_is_tall_and_planting_low(worlds) -> None:
    world = worlds["ilwol_arboretum"]
    heights = {}
    for model in world.findall("model"):
        sizes = [c.findtext("geometry/box/size") for c in model.findall("link/collision")]
        if sizes and all(sizes):
            heights[model.get("name")] = {float(s.split()[2]) for s in sizes}
    assert heights == {"fence": {2.0}, "planting": {0.6}}


# --------------------------------------------------------------------------- places, robots
@pytest.mark.parametrize("site_id", ["city_hall", "ilwol_arboretum"])
def test_every_place_and_zone_has_a_marker(site_id: str, fleet: Fleet, worlds) -> None:
    world = worlds[site_id]
    site = fleet.sites[site_id]
    markers = {m.get("name"): m for m in world.findall("model")
               if m.get("name", "").startswith(worldgen.PLACE_PREFIX)}
    assert set(markers) == {f"place_{place_id}" for place_id in site.places}
    for place_id, place in site.places.items():
        marker = markers[f"place_{place_id}"]
        assert marker.findtext("static") == "true"
        assert _rpy_close(_pose(marker), (place.x, place.y, 0, 0, 0, place.yaw))
        assert marker.find(".//collision") is None, "markers must not be obstacles"
        visuals = marker.findall("link/visual")
        assert visuals and all(v.findtext("visibility_flags") == "2" for v in visuals)
    zones = {m.get("name"): m for m in world.findall("model")
             if m.get("name", "").startswith(worldgen.ZONE_PREFIX)}
    assert set(zones) == {f"zone_{zone_id}" for zone_id in site.zones}
    for zone_id, zone in site.zones.items():
        overlay = zones[f"zone_{zone_id}"]
        assert overlay.find(".//collision") is None
        points = [tuple(float(v) for v in p.text.split())
                  for p in overlay.findall("link/visual/geometry/polyline/point")]
        assert points == [tuple(p) for p in zone.polygon]


@pytest.mark.parametrize("site_id", ["city_hall", "ilwol_arboretum"])
def test_the_sites_robots_are_in_the_world_at_their_start_poses(site_id: str, fleet: Fleet,
                                                                 worlds) -> None:
    site = fleet.sites[site_id]
    includes = worlds[site_id].findall("include")
    assert [i.findtext("name") for i in includes] == fleet.robots_at(site_id)
    for include in includes:
        cfg = fleet.robots[include.findtext("name")]
        start = site.places[cfg.start or cfg.home]
        assert include.findtext("uri") == "model://suwon_robot"
        assert _rpy_close(_pose(include), (start.x, start.y, 0, 0, 0, start.yaw))
    spawns = worldgen.spawned_robots(GAZEBO / "worlds" / f"{site_id}.sdf")
    assert [s.robot_id for s in spawns] == fleet.robots_at(site_id)


# --------------------------------------------------------------------------- robot model
def test_robot_model_matches_the_headless_simulator() -> None:
    model = ET.parse(MODEL_SDF).getroot().find("model")
    assert ET.parse(MODEL_SDF).getroot().get("version") == "1.9"
    base = model.find(f"link[@name='{worldgen.ROBOT_LINK}']")
    radius = float(base.findtext("collision/geometry/cylinder/radius"))
    assert math.isclose(radius, 0.25)

    lidar = base.find(f"sensor[@name='{worldgen.LIDAR_SENSOR}']")
    spec = LidarSpec()
    assert lidar.get("type") == "gpu_lidar" and lidar.findtext("topic") is None
    assert float(lidar.findtext("update_rate")) == 10
    horizontal = lidar.find("lidar/scan/horizontal")
    samples = int(horizontal.findtext("samples"))
    lo, hi = float(horizontal.findtext("min_angle")), float(horizontal.findtext("max_angle"))
    assert samples == spec.beams
    assert math.isclose(lo, spec.angle_min, abs_tol=1e-5)
    assert math.isclose((hi - lo) / (samples - 1), spec.angle_increment, rel_tol=1e-5)
    assert float(lidar.findtext("lidar/range/min")) == spec.range_min
    assert float(lidar.findtext("lidar/range/max")) == spec.range_max
    assert lidar.findtext("gz_frame_id") == "base_scan"

    camera = base.find(f"sensor[@name='{worldgen.CAMERA_SENSOR}']")
    assert camera.get("type") == "camera" and camera.findtext("topic") is None
    # The place markers (visibility_flags 2) are invisible to both sensors.
    for mask in (lidar.findtext("lidar/visibility_mask"),
                 camera.findtext("camera/visibility_mask")):
        assert int(mask) & worldgen.MARKER_VISIBILITY_FLAGS == 0

    plugins = {p.get("filename"): p for p in model.findall("plugin")}
    drive = plugins["gz-sim-diff-drive-system"]
    assert drive.get("name") == "gz::sim::systems::DiffDrive"
    # No topic overrides: scoped /model/<robot>/... names keep robots apart (see model.sdf).
    for tag in ("topic", "odom_topic", "tf_topic"):
        assert drive.find(tag) is None, tag
    assert (drive.findtext("frame_id"), drive.findtext("child_frame_id")) == ("odom", "base_link")
    joints = {j.get("name"): j for j in model.findall("joint")}
    assert {drive.findtext("left_joint"), drive.findtext("right_joint")} <= set(joints)
    assert "gz-sim-joint-state-publisher-system" in plugins
    battery = plugins["gz-sim-linearbatteryplugin-system"]
    assert battery.findtext("battery_name") == worldgen.BATTERY

    frames = {f.child: f for f in worldgen.sensor_frames(MODEL_SDF)}
    assert frames["base_scan"].xyz == (0.0, 0.0, 0.48)
    optical = frames["camera_optical_frame"]
    assert _rpy_close(optical.rpy, (-math.pi / 2, 0.0, -math.pi / 2))


# --------------------------------------------------------------------------- bridge, launch
def _simulator_robot_topics() -> set[str]:
    """The per-robot topics sim/simulator_node.py publishes or subscribes (f"{ns}/<name>")."""
    source = (REPO_ROOT / "sim" / "simulator_node.py").read_text(encoding="utf-8")
    return set(re.findall(r'f"\{ns\}/(\w+)"', source))


@pytest.mark.parametrize("site_id", ["city_hall", "ilwol_arboretum"])
def test_bridge_keeps_the_headless_simulators_topics(site_id: str, fleet: Fleet) -> None:
    entries = yaml.safe_load((GAZEBO / "bridge" / f"{site_id}_bridge.yaml").read_text())
    by_ros = {e["ros_topic_name"]: e for e in entries}
    assert len(by_ros) == len(entries), "a ROS topic is bridged twice"
    assert by_ros["/clock"]["direction"] == "GZ_TO_ROS"
    assert by_ros["/clock"]["ros_type_name"] == "rosgraph_msgs/msg/Clock"
    simulator = _simulator_robot_topics()
    assert {"cmd_vel", "odom", "tf", "scan", "battery_state"} <= simulator
    # initialpose goes to a localiser in Gazebo; tf_static comes from the launch file.
    # robot_state: the simulator only reads it to send simulated people after robots that lead
    # (guests_follow); Gazebo has no such people.
    expected = simulator - {"initialpose", "tf_static", "robot_state"}
    for robot_id in fleet.robots_at(site_id):
        ns = f"/{robot_id}"
        bridged = {t.removeprefix(ns + "/") for t in by_ros if t.startswith(ns + "/")}
        assert expected <= bridged, f"not bridged for {robot_id}: {expected - bridged}"
        assert by_ros[f"{ns}/cmd_vel"]["direction"] == "ROS_TO_GZ"
        assert by_ros[f"{ns}/cmd_vel"]["gz_type_name"] == "gz.msgs.Twist"
        assert by_ros[f"{ns}/odom"]["ros_type_name"] == "nav_msgs/msg/Odometry"
        assert by_ros[f"{ns}/tf"]["ros_type_name"] == "tf2_msgs/msg/TFMessage"
        assert by_ros[f"{ns}/tf"]["gz_type_name"] == "gz.msgs.Pose_V"
        assert by_ros[f"{ns}/scan"]["ros_type_name"] == "sensor_msgs/msg/LaserScan"
        assert by_ros[f"{ns}/scan"]["gz_topic_name"] == (
            f"/world/{site_id}/model/{robot_id}/link/base_link/sensor/lidar/scan")
        for name in ("odom", "tf", "scan", "battery_state", "camera/image_raw"):
            assert by_ros[f"{ns}/{name}"]["direction"] == "GZ_TO_ROS"


def test_launch_file_is_valid_python_with_a_launch_description() -> None:
    tree = ast.parse((GAZEBO / "launch" / "gazebo_sim.launch.py").read_text(encoding="utf-8"))
    functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert "generate_launch_description" in functions
    transforms = worldgen.static_transforms(worldgen.Spawn("r", "home", 1.0, 2.0, 0.5))
    assert transforms[0] == worldgen.StaticTransform("map", "odom", (1.0, 2.0, 0.0),
                                                     (0.0, 0.0, 0.5))
