"""`cartax serve` starts a real server on the port it is given and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cartax.settings import Settings

CARTAX = Path(sys.executable).with_name("cartax")
KRDS = Path(__file__).resolve().parents[2] / "node_modules" / "krds-uiux"
PATIENCE_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, server: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[1]
        try:
            return httpx.get(url)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}")


def test_serve_answers_on_the_port_from_the_environment_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CARTAX_PORT": str(port),
        "CARTAX_DATA_DIR": str(tmp_path),
        "CARTAX_ENVIRONMENT": "test",
    }
    server = subprocess.Popen(
        [str(CARTAX), "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        response = _wait_ready(f"http://127.0.0.1:{port}/api/v1/health", server)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=PATIENCE_SECONDS)
    # uvicorn shuts down gracefully, then ends by the signal it caught (exit status -SIGTERM).
    assert server.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err
    assert f"http://127.0.0.1:{port}" in out


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    env = {**os.environ, "CARTAX_ENVIRONMENT": "production", "CARTAX_DATA_DIR": str(tmp_path)}
    secrets = [name for name, field in Settings.model_fields.items() if "Secret" in str(field.annotation)]
    env.update({f"CARTAX_{name.upper()}": f"real-secret-{name}-{'x' * 32}" for name in secrets})
    done = subprocess.run(
        [str(CARTAX), "serve", "--demo"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "--demo is for development" in done.stderr


def test_bad_settings_are_reported_not_traced(tmp_path: Path) -> None:
    env = {**os.environ, "CARTAX_PORT": "eighty", "CARTAX_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(CARTAX), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "settings are not valid" in done.stderr
    assert "Traceback" not in done.stderr
