"""Web bridge: WebSocket fan-out of fleet state, and HTTP throughput.

Processes, as in production: 50 robots publishing RobotState at 10 Hz (the robots process of
fleet_bench.py), the real fleet manager (FleetState at 10 Hz), and the real web bridge under
uvicorn. This process logs in and opens N dashboard WebSockets.

  latency   fleet state stamp (the manager's clock when it published) -> a client has the
            parsed message. Same machine, same clock.
  fan-out   measured with 1 client and with 50: the per-client cost should not grow.
  CPU       the bridge process's user+system time per wall second while streaming.
  HTTP      requests/s for GET /api/v1/tasks (500 tasks in the database), the civil-service
            search and the fleet state, with 16 concurrent keep-alive clients.

Reference (issue #7): rosbridge's published figures, 858 msg/s with p99 19.8 ms for one
client, and 5-6x slower with a second client. Target: p99 <= 50 ms at 50 robots x 50 clients,
and no per-client slowdown.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets
import yaml

from suwon_fleet.core import paths
from suwon_fleet.core.states import TaskStatus, TaskType
from suwon_fleet.fleet.store import FleetStore
from suwon_fleet.fleet.tasks import TaskRecord

ROBOTS = 50
CLIENTS = (1, 50)
STREAM_S = 15.0
HTTP_S = 8.0
HTTP_CONCURRENCY = 16
PASSWORD = "bench-password-1"
BENCH_DIR = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_fleet(root: Path) -> Path:
    shutil.copytree(paths.maps_dir(), root / "maps")
    shutil.copytree(paths.config_dir() / "sites", root / "config" / "sites")
    robots = {f"bot_{i:02d}": {"site": "city_hall", "home": "home_lobby_1",
                               "dock": "dock_lobby_1"} for i in range(ROBOTS)}
    path = root / "config" / "fleet.yaml"
    path.write_text(yaml.safe_dump({"fleet_name": "bench", "sites": ["city_hall"],
                                    "robots": robots,
                                    "policies": {"idle_return_s": 100000}}))
    return path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def stream(url: str, token: str, clients: int, seconds: float) -> list[list[float]]:
    """Open ``clients`` sockets at once; per client, the latencies (ms) of what it received."""
    latencies: list[list[float]] = [[] for _ in range(clients)]

    async def client(n: int) -> None:
        async with websockets.connect(url, subprotocols=["bearer", token],
                                      max_size=2**24) as ws:
            deadline = time.time() + seconds
            while time.time() < deadline:
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=max(0.01,
                                                                        deadline - time.time()))
                except TimeoutError:
                    break
                received = time.time()
                # Only the stamp is read: 50 clients parsing 30 kB each in this one process
                # would measure this process's CPU, not the bridge.
                start = raw.index('"stamp":') + 8
                stamp = float(raw[start:raw.index(",", start)])
                latencies[n].append((received - stamp) * 1000)
                if n == 0 and len(latencies[0]) == 1:
                    assert json.loads(raw)["data"]["stamp"] == stamp

    await asyncio.gather(*(client(n) for n in range(clients)))
    return latencies


async def http_load(base: str, token: str, path: str, seconds: float) -> tuple[float, float]:
    """Requests/s and p99 latency (ms) with HTTP_CONCURRENCY keep-alive clients."""
    done: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=HTTP_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                 timeout=30.0) as http:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                response = await http.get(path)
                response.raise_for_status()
                done.append((time.perf_counter() - t0) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(HTTP_CONCURRENCY)))
        elapsed = time.perf_counter() - start
    return len(done) / elapsed, percentile(done, 0.99)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fleet_file = write_fleet(root)
        database = root / "bench.db"
        store = FleetStore(database)  # a realistic history for the task list (all finished,
        for n in range(500):  # so the manager has nothing to resume)
            store.save_task(TaskRecord(f"t-{n:04d}", TaskType.GO_TO_PLACE, "city_hall",
                                       place="entrance", order=n,
                                       status=TaskStatus.COMPLETED))
        store.close()
        port = free_port()
        env = {**os.environ, "SUWON_BRIDGE_ADMIN_PASSWORD": PASSWORD,
               "SUWON_BRIDGE_DATABASE": str(database)}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        manager = subprocess.Popen(
            [sys.executable, "-m", "suwon_fleet.fleet.manager_node", "--ros-args",
             "-p", f"fleet_file:={fleet_file}", "-p", f"database:={database}"], **quiet)
        robots = subprocess.Popen([sys.executable, str(BENCH_DIR / "fleet_bench.py"),
                                   "--robots"], **quiet)
        profile = os.environ.get("WEB_BENCH_PROFILE")  # a path: cProfile the bridge
        prefix = ["-m", "cProfile", "-o", profile] if profile else []
        bridge = subprocess.Popen(
            [sys.executable, *prefix, "-m", "suwon_web_bridge.main", "--port", str(port),
             "--fleet-file", str(fleet_file)], env=env, **quiet)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    health = httpx.get(base + "/health", timeout=1).json()
                    if health["robots_online"] == ROBOTS:
                        break
                except (httpx.HTTPError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the fleet did not come up")
                time.sleep(0.5)
            token = httpx.post(base + "/api/v1/auth/token",
                               data={"username": "admin", "password": PASSWORD}).json()[
                "access_token"]
            url = base.replace("http", "ws") + "/api/v1/fleet/ws"
            results = {}
            for clients in CLIENTS:
                cpu0, wall0 = cpu_seconds(bridge.pid), time.monotonic()
                per_client = asyncio.run(stream(url, token, clients, STREAM_S))
                cpu = (cpu_seconds(bridge.pid) - cpu0) / (time.monotonic() - wall0)
                flat = [v for lat in per_client for v in lat[5:]]  # skip connection warm-up
                rates = [len(lat) / STREAM_S for lat in per_client]
                results[clients] = (statistics.median(flat), percentile(flat, 0.99),
                                    statistics.fmean(rates), sum(len(x) for x in per_client)
                                    / STREAM_S, cpu)
            task_rps, task_p99 = asyncio.run(http_load(base, token, "/api/v1/tasks?limit=50",
                                                       HTTP_S))
            health_rps, health_p99 = asyncio.run(http_load(base, token, "/api/v1/fleet",
                                                           HTTP_S))
            httpx.get(base + "/api/v1/search", params={"q": "여권"}, timeout=60,
                      headers={"Authorization": f"Bearer {token}"})  # builds the index
            search_rps, search_p99 = asyncio.run(http_load(
                base, token, "/api/v1/search?q=%EC%A3%BC%EB%AF%BC%20%EB%93%B1%EB%A1%9D%20"
                "%EB%93%B1%EB%B3%B8", HTTP_S))  # 주민 등록 등본
        finally:
            for process in (bridge, robots, manager):
                process.send_signal(2)
            for process in (bridge, robots, manager):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    print(f"\nWeb bridge: {ROBOTS} robots at 10 Hz -> fleet manager -> bridge -> dashboards\n")
    print(f"{'figure':<44}{'ours':>14}   reference")
    print("-" * 100)
    for clients, (median, p99, rate, total, cpu) in results.items():
        print(f"{f'{clients} client(s): state latency median / p99':<44}"
              f"{f'{median:.1f} / {p99:.1f} ms':>14}   "
              + ("rosbridge, 1 client: p99 19.8 ms" if clients == 1 else "target: p99 <= 50 ms"))
        print(f"{f'{clients} client(s): messages/s per client, all':<44}"
              f"{f'{rate:.1f} / {total:.0f}':>14}   "
              + ("rosbridge: 858 msg/s (small messages)" if clients == 1 else
                 "rosbridge: 5-6x slower per client with a 2nd client"))
        print(f"{f'{clients} client(s): bridge CPU (share of one core)':<44}"
              f"{f'{cpu * 100:.1f}%':>14}")
    print(f"{'GET /api/v1/tasks (500 in DB): req/s, p99':<44}"
          f"{f'{task_rps:.0f}, {task_p99:.0f} ms':>14}   {HTTP_CONCURRENCY} concurrent clients")
    print(f"{'GET /api/v1/search (Korean, spaced): req/s, p99':<44}"
          f"{f'{search_rps:.0f}, {search_p99:.0f} ms':>14}   {HTTP_CONCURRENCY} concurrent clients")
    print(f"{'GET /api/v1/fleet: req/s, p99':<44}"
          f"{f'{health_rps:.0f}, {health_p99:.0f} ms':>14}   {HTTP_CONCURRENCY} concurrent clients")
    one, many = results[CLIENTS[0]], results[CLIENTS[-1]]
    print(f"\nper-client rate with {CLIENTS[-1]} clients vs 1: {many[2] / one[2]:.2f}x "
          "(1.00 = no per-client slowdown)\n")


if __name__ == "__main__":
    main()
