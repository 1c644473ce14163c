"""Start the whole fleet in simulation, without `ros2 launch` (which is not on PyPI).

    fleet_sim [--port 8080] [--fleet-file config/fleet.yaml] [--no-respawn]

Starts the processes of launch_plan.fleet_processes, prefixes their output with their name,
respawns a process that dies (as launch_ros ``respawn=True`` does), waits until the dashboard
answers with every robot online, prints its URL, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from suwon_fleet.core.errors import ConfigError
from suwon_fleet.core.sites import load_fleet
from suwon_fleet.launch_plan import ProcessSpec, command_line_arguments, fleet_processes

READY_TIMEOUT_S = 120.0  # 11 processes load models and maps: slow on a busy 2-core machine
RESPAWN_DELAY_S = 2.0  # as launch_ros's respawn_delay in launch/fleet_sim.launch.py
STOP_GRACE_S = 5.0


class Supervisor:
    def __init__(self, specs: list[ProcessSpec], respawn: bool, env: dict[str, str],
                 respawn_delay: float = RESPAWN_DELAY_S) -> None:
        self.specs = specs
        self.respawn = respawn
        self.respawn_delay = respawn_delay
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._due: list[tuple[float, ProcessSpec]] = []  # respawns waiting for their time

    def start_all(self) -> None:
        for spec in self.specs:
            self._start(spec)

    def _start(self, spec: ProcessSpec) -> None:
        cmd = [sys.executable, "-m", spec.module, *command_line_arguments(spec)]
        # Children share the launcher's process group (a Ctrl-C or a group signal reaches
        # them all) and are told to die with the launcher, so a killed launcher leaves no
        # orphaned nodes behind.
        proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1,
                                preexec_fn=_die_with_parent)
        with self._lock:
            self.procs[spec.label] = proc
        threading.Thread(target=self._pump, args=(spec, proc), daemon=True).start()

    def _pump(self, spec: ProcessSpec, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(f"[{spec.label}] {line.rstrip()}", flush=True)
        code = proc.wait()
        if self.stopping.is_set():
            return
        print(f"[launcher] {spec.label} exited with code {code}", flush=True)
        if self.respawn:
            with self._lock:
                self._due.append((time.monotonic() + self.respawn_delay, spec))

    def respawn_due(self) -> None:
        """Restart dead nodes whose delay is over. Called from the main thread only: Linux
        ties a child's die-with-parent signal to the thread that started it."""
        now = time.monotonic()
        with self._lock:
            due = [spec for when, spec in self._due if when <= now]
            self._due = [(when, spec) for when, spec in self._due if when > now]
        for spec in due:
            if not self.stopping.is_set():
                print(f"[launcher] respawning {spec.label}", flush=True)
                self._start(spec)

    def stop_all(self) -> None:
        self.stopping.set()
        with self._lock:
            procs = list(self.procs.values())
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the launcher dies."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: Ctrl-C still reaches the whole process group


def wait_until_ready(url: str, robots: int, timeout_s: float,
                     supervisor: Supervisor | None = None) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if supervisor is not None:
            supervisor.respawn_due()
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                health = json.load(response)
            if health["fleet_manager"] and health["robots_online"] >= robots:
                return True
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    return False


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGINT and SIGTERM stop the fleet the same clean way


def main(args: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the Suwon fleet in simulation")
    parser.add_argument("--fleet-file", default="", help="default: config/fleet.yaml")
    parser.add_argument("--port", type=int, default=None, help="dashboard port (default 8080)")
    parser.add_argument("--host", default=None, help="dashboard host (default 127.0.0.1)")
    parser.add_argument("--no-respawn", action="store_true", help="do not restart dead nodes")
    parser.add_argument("--respawn-delay", type=float, default=RESPAWN_DELAY_S,
                        help="seconds before a dead node is restarted")
    parser.add_argument("--database", default=None,
                        help="the fleet manager's SQLite file (default: policies.database)")
    parser.add_argument("--real-time-factor", type=float, default=None,
                        help="simulation speed (default: fleet.yaml's; 0 = flat out)")
    options = parser.parse_args(args)

    try:
        fleet = load_fleet(options.fleet_file or None)
    except ConfigError as exc:
        sys.exit(f"fleet_sim: {exc}")
    host = options.host or fleet.web_bridge.host
    port = options.port or fleet.web_bridge.port
    specs = fleet_processes(fleet, options.fleet_file, web_port=port, web_host=host,
                            real_time_factor=options.real_time_factor,
                            database=options.database)

    env = dict(os.environ)
    # A simulation on one machine keeps its DDS traffic on this host unless told otherwise.
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("RCUTILS_COLORIZED_OUTPUT", "0")

    supervisor = Supervisor(specs, respawn=not options.no_respawn, env=env,
                            respawn_delay=options.respawn_delay)
    # Installed explicitly: a shell starting us in the background sets SIGINT to "ignore",
    # and Python then never raises KeyboardInterrupt, so Ctrl-C to the group would orphan us.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    print(f"[launcher] starting {len(specs)} processes: "
          + ", ".join(s.label for s in specs), flush=True)
    supervisor.start_all()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    try:
        if wait_until_ready(url, len(fleet.robots), READY_TIMEOUT_S, supervisor):
            print(f"\n  대시보드 · Dashboard: {url}/dashboard/   "
                  f"(ready in {time.monotonic() - started:.1f} s; Ctrl-C to stop)\n"
                  "  로그인 · Log in as admin: the password is printed once, at the first start; "
                  "reset it with `.venv/bin/suwon_users passwd admin`\n", flush=True)
        else:
            print(f"[launcher] not ready after {READY_TIMEOUT_S:.0f} s; dashboard should be at "
                  f"{url}/dashboard/ - see the log above", flush=True)
        while True:
            supervisor.respawn_due()
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("\n[launcher] stopping", flush=True)
    finally:
        supervisor.stop_all()


if __name__ == "__main__":
    main()
