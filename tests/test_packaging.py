"""The package is a proper ROS 2 package: colcon on a Jazzy robot builds what runs here."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from catkin_pkg.package import parse_package

from suwon_fleet.core.sites import load_fleet
from suwon_fleet.launch_plan import fleet_processes


def console_scripts(repo_root: Path) -> dict[str, str]:
    tree = ast.parse((repo_root / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and any(
                isinstance(k, ast.Constant) and k.value == "console_scripts" for k in node.keys):
            entries = node.values[0]
            return dict(e.value.split(" = ") for e in entries.elts)
    raise AssertionError("no console_scripts in setup.py")


@pytest.mark.parametrize("package", [".", "ros_ws/src/suwon_fleet_interfaces",
                                     "ros_ws/src/fallback/nav2_msgs"])
def test_package_xml_is_format_3(repo_root: Path, package: str) -> None:
    parsed = parse_package(repo_root / package / "package.xml")
    assert parsed.package_format == 3
    parsed.validate()


def test_ros_workspace_sees_the_top_level_package(repo_root: Path) -> None:
    link = repo_root / "ros_ws" / "src" / "suwon_fleet"
    assert link.is_symlink() and (link / "package.xml").resolve() == repo_root / "package.xml"


def test_every_console_script_has_a_main(repo_root: Path) -> None:
    for name, target in console_scripts(repo_root).items():
        module, func = target.split(":")
        assert callable(getattr(importlib.import_module(module), func)), name


def test_launch_plan_starts_every_node_once_per_robot(repo_root: Path) -> None:
    fleet = load_fleet()
    specs = fleet_processes(fleet)
    scripts = console_scripts(repo_root)
    labels = [s.label for s in specs]
    assert len(labels) == len(set(labels))
    for robot_id in fleet.robots:
        assert f"{robot_id}/robot_agent" in labels and f"{robot_id}/navigation_server" in labels
    for spec in specs:
        assert scripts[spec.executable].split(":")[0] == spec.module


def test_launch_file_uses_the_same_plan(repo_root: Path) -> None:
    source = (repo_root / "launch" / "fleet_sim.launch.py").read_text()
    ast.parse(source)
    assert "fleet_processes" in source and "generate_launch_description" in source
