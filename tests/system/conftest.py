"""A real fleet for system tests: the project launcher starts every node as its own process.

Started once per session (about 3 s) on a free port, in this session's own DDS domain.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port

READY_TIMEOUT_S = 60.0


@dataclass
class RunningFleet:
    url: str
    process: subprocess.Popen
    log_path: Path

    def get(self, path: str) -> dict | list:
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return json.load(response)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFleet]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("fleet") / "launcher.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "suwon_fleet.launcher", "--port", str(port), "--no-respawn"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ))
    running = RunningFleet(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while "Dashboard:" not in running.log():
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("fleet did not start:\n" + running.log()[-4000:])
        time.sleep(0.2)
    yield running
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()
