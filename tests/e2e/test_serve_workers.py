"""`cartax serve --workers N`: several server processes on one port in services mode; refused in the
embedded mode, which relays events inside its one process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CARTAX = Path(sys.executable).with_name("cartax")
PATIENCE_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_two_workers_serve_one_port_in_services_mode(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CARTAX_DATA_DIR": str(tmp_path),
        "CARTAX_ENVIRONMENT": "test",
        "CARTAX_EVENT_BUS": "nats",  # the web processes serve; relaying is another process's work
    }
    subprocess.run([str(CARTAX), "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True)
    server = subprocess.Popen(
        [str(CARTAX), "serve", "--workers", "2", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + PATIENCE_SECONDS
        while time.monotonic() < deadline:
            assert server.poll() is None, server.communicate()[1]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        workers = [pid for pid in _children(server.pid) if "spawn_main" in _cmdline(pid)]
        assert len(workers) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=PATIENCE_SECONDS)
    assert server.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err


def test_several_workers_are_refused_in_the_embedded_mode(tmp_path: Path) -> None:
    env = {**os.environ, "CARTAX_DATA_DIR": str(tmp_path), "CARTAX_ENVIRONMENT": "test"}
    env.pop("CARTAX_EVENT_BUS", None)
    done = subprocess.run(
        [str(CARTAX), "serve", "--workers", "2"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=PATIENCE_SECONDS,
    )
    assert done.returncode == 2
    assert "CARTAX_EVENT_BUS=nats" in done.stderr
