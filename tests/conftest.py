"""Test-wide set-up.

Every test session gets its own DDS domain, kept on this host. This runs before any test
module imports rclpy, and child processes inherit it, so parallel or leftover sessions never
see each other's nodes. The ``fleet`` fixture starts a real fleet for system and browser
tests: the project launcher runs every node as its own process, once per session (~3 s).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ["ROS_DOMAIN_ID"] = str(random.Random(os.getpid()).randint(1, 101))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.pop("ROS_LOCALHOST_ONLY", None)  # deprecated; when set, rcl ignores the above

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules with a fleet of their own run first, so that fleet is stopped before the
    shared one starts: two fleets at once starve a 2-core CI machine."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("own_fleet") else 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT

READY_TIMEOUT_S = 120.0  # 11 processes load models and maps: slow on a busy 2-core machine
# The nodes run on the simulator's clock, so the test fleet can live faster than real time.
TEST_REAL_TIME_FACTOR = 2.0


ADMIN_PASSWORD = "test-admin-password"  # the fleet fixture's bridge creates 'admin' with it
BOARD_TOKENS = {"city_hall": "test-board-city-hall", "ilwol_arboretum": "test-board-arboretum"}


@dataclass
class RunningFleet:
    url: str
    process: subprocess.Popen
    log_path: Path
    _token: str = ""

    @property
    def token(self) -> str:
        """An admin's access token (logged in once, through the real login route)."""
        if not self._token:
            form = urllib.parse.urlencode({"username": "admin", "password": ADMIN_PASSWORD})
            request = urllib.request.Request(self.url + "/api/v1/auth/token", form.encode(),
                                             method="POST")
            with urllib.request.urlopen(request, timeout=10) as response:
                self._token = json.load(response)["access_token"]
        return self._token

    def request(self, path: str, body: dict | None = None,
                method: str | None = None) -> urllib.request.Request:
        """An authenticated request (JSON body if given)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        return urllib.request.Request(self.url + path, data=data, headers=headers,
                                      method=method or ("POST" if body is not None else "GET"))

    def get(self, path: str) -> dict | list:
        with urllib.request.urlopen(self.request(path), timeout=5) as response:
            return json.load(response)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def yaml_robots(fleet_file: Path) -> list[str]:
    import yaml

    return list(yaml.safe_load(fleet_file.read_text(encoding="utf-8"))["robots"])


def shipped_fleet_without_idle_return(root: Path) -> Path:
    """config/fleet.yaml as shipped, except that idle robots never drive home by themselves:
    tests that drive a robot directly would otherwise see their goal preempted by it."""
    import shutil

    import yaml

    from suwon_fleet.core import paths

    shutil.copytree(paths.maps_dir(), root / "maps")
    shutil.copytree(paths.config_dir() / "sites", root / "config" / "sites")
    config = yaml.safe_load(paths.fleet_config_path().read_text(encoding="utf-8"))
    config.setdefault("policies", {})["idle_return_s"] = 1e6
    fleet_file = root / "config" / "fleet.yaml"
    fleet_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return fleet_file


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    port = free_port()
    root = tmp_path_factory.mktemp("fleet")
    log_path = root / "launcher.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "suwon_fleet.launcher", "--port", str(port), "--no-respawn",
         "--fleet-file", str(shipped_fleet_without_idle_return(root)),
         "--real-time-factor", str(TEST_REAL_TIME_FACTOR),
         "--database", str(log_path.parent / "fleet.db")],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "SUWON_BRIDGE_ADMIN_PASSWORD": ADMIN_PASSWORD,
             "SUWON_BRIDGE_MODE": "development",
             "SUWON_CALLS_BOARD_TOKENS": json.dumps(BOARD_TOKENS)})
    running = RunningFleet(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    robots = len(yaml_robots(root / "config" / "fleet.yaml"))
    # Ready means every process has loaded: the speech nodes (vosk model, grammar) and the
    # concierge (Korean analyser) take the CPU for a while after the robots are online, and
    # a robot driven meanwhile is starved of control cycles on a 2-core machine.
    while ("Dashboard:" not in running.log()
           or running.log().count("]: speech for ") < robots):
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("fleet did not start:\n" + running.log()[-4000:])
        time.sleep(0.2)
    yield running
    # Ctrl-C to the whole process group, as a terminal would: every node must stop cleanly.
    os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + 15
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftover = _group_alive(process.pid)
    if leftover:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    log.close()
    assert not leftover, "nodes still running 15 s after Ctrl-C:\n" + running.log()[-3000:]


def node_pid(pgid: int, module: str, namespace: str = "") -> int:
    """The process id of a fleet node started by the launcher in process group ``pgid``, by
    its module (and robot namespace, when several robots run the same module)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode().split("\0")
            group = os.getpgid(int(entry.name))
        except (OSError, ProcessLookupError):
            continue
        if group == pgid and module in cmdline and (
                not namespace or f"__ns:=/{namespace}" in cmdline):
            return int(entry.name)
    raise LookupError(f"no {module} {namespace}".rstrip())


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Zombies (exited, not yet reaped) count as gone.
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False
