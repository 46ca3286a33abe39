"""POST /api/v1/calc through a real server: uvicorn in its own process, an asyncio client beside it.

Whole-stack figures (HTTP parsing, JSON, the engine, the response) on one uvicorn worker; the client
shares the machine with the server, as in docs/benchmarks.md. Prints requests per second and latency
percentiles for one client in a loop and for concurrent clients, and the server's own CPU time per request
(from /proc), which does not depend on what else the machine is doing: 1 / that is what one core can serve.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from cartax.rules.contract import EXAMPLE_REQUEST

REQUEST = dict(EXAMPLE_REQUEST)
WARM_UP = 300
SEQUENTIAL = 2000
CONCURRENT = 4000
CLIENTS = 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, data_dir: str) -> subprocess.Popen[bytes]:
    cartax = Path(sys.executable).with_name("cartax")
    env = {**os.environ, "CARTAX_DATA_DIR": data_dir, "CARTAX_ENVIRONMENT": "development"}
    server = subprocess.Popen(
        [str(cartax), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/ready").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.terminate()
    raise SystemExit("the server did not become ready")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(base: str, total: int, clients: int) -> tuple[float, list[float]]:
    body = json.dumps(REQUEST).encode()
    headers = {"content-type": "application/json"}
    latencies: list[float] = []
    remaining = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:

        async def worker() -> None:
            for _ in remaining:
                started = time.perf_counter()
                response = await client.post("/api/v1/calc", content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or response.json()["totals"]["payable"] != 250970:
                    raise SystemExit(f"unexpected answer: {response.status_code} {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - started, latencies


def measure(label: str, base: str, pid: int, total: int, clients: int) -> None:
    cpu_before = cpu_seconds(pid)
    elapsed, latencies = asyncio.run(run(base, total, clients))
    cpu_per_request = (cpu_seconds(pid) - cpu_before) / total
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{label}: {total} requests in {elapsed:.2f} s = {total / elapsed:,.0f} req/s; "
        f"latency p50 {cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms; "
        f"server CPU {cpu_per_request * 1000:.2f} ms/request (one core: {1 / cpu_per_request:,.0f} req/s)"
    )


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(port, data_dir)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(run(base, WARM_UP, 4))
            measure("1 client", base, server.pid, SEQUENTIAL, 1)
            measure(f"{CLIENTS} clients", base, server.pid, CONCURRENT, CLIENTS)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
