"""The load test's journey, run once for real so the scenario cannot rot: a small district seeded as the
load test seeds it (``bench/load/seed.py``), the platform served on a port, and Locust running
``bench/load/locustfile.py`` with a few people and one officer for a few seconds. Every step of the
journey must answer as a browser expects (Locust counts anything else as a failure) and every person
must have asked for their refund. Timings are not looked at."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import uvicorn

from cartax.bootstrap import Platform, bootstrap, connect
from cartax.cases import case_status
from cartax.settings import Environment, Settings
from cartax.web import create_app

REPO = Path(__file__).resolve().parents[2]
LOCUST = Path(sys.executable).with_name("locust")
JOURNEY = [
    "GET /l/[token]",
    "GET /refunds/[case] (signed out)",
    "GET /verify",
    "POST /verify (code)",
    "GET /login/citizen",
    "POST /demo-oidc/authorize (choice)",
    "GET /login/callback",
    "GET / (back to the refund)",
    "GET /refunds/[case]",
    "GET /refunds/[case]/account",
    "POST /refunds/[case]/account (answer)",
    "GET /refunds/[case]/check",
    "POST /refunds/[case]/accept",
    "GET /refunds/[case]/done",
    "GET /refunds/[case]/status",
    "GET /refunds/[case]/status/events",
    "GET /refunds/[case]/notice.pdf",
    "GET /console/login",
    "POST /console/login (sign in)",
]
PEOPLE = 3


def _seed_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_seed", REPO / "bench" / "load" / "seed.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Platform, str, Path]]:
    """A seeded district on SQLite, served on a free port; (platform, base URL, fixture file)."""
    monkeypatch.setenv("CARTAX_NOTIFY_DISTRICT_BURST", "100000")  # every message goes out at once
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        environment=Environment.TEST,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'cartax.db'}",
        krds_dir=REPO / "node_modules" / "krds-uiux",
        public_url=base,
        demo_identities=1000,
    )
    platform = bootstrap(settings)
    seed = _seed_module()
    seed.prepare(platform, 1000)
    services = connect(platform)
    try:
        seed.notify_everyone(services)
        fixture = {
            "district": seed.DISTRICT,
            "citizens": seed.citizens(platform, services),
            "officers": seed.add_officers(platform, services)[:1],
        }
    finally:
        services.close()
    assert len(fixture["citizens"]) > 5 + PEOPLE  # beyond the five the demo provider offers by default
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(fixture))
    app = create_app(platform)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the platform did not start"
        assert time.monotonic() < deadline, "the platform did not start in time"
        time.sleep(0.05)
    yield platform, base, path
    server.should_exit = True
    thread.join(30)


def test_every_step_of_the_load_journey_succeeds_and_every_person_asks_for_their_refund(
    served: tuple[Platform, str, Path], tmp_path: Path
) -> None:
    platform, base, fixture = served
    people = json.loads(fixture.read_text())["citizens"]
    env = {
        **os.environ,
        "LOAD_FIXTURE": str(fixture),
        "LOAD_STEPS": str(PEOPLE * 4),  # requests/s: PEOPLE people at 4 requests/s each
        "LOAD_USER_RATE": "4",
        "LOAD_STEP_SECONDS": "9",
        "LOAD_OFFICERS": "1",
        "LOAD_OFFICER_SHARE": "0.1",
        "LOAD_VERIFY_SHARE": "1",
        "LOAD_STREAM_SECONDS": "1",
        "LOAD_FIRST_PERSON": str(len(people) - PEOPLE),  # the last ones: CARTAX_DEMO_IDENTITIES at work
    }
    done = subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(REPO / "bench" / "load" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "--host",
            base,
            "--csv",
            str(tmp_path / "locust"),
            "--loglevel",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    with (tmp_path / "locust_stats.csv").open() as handle:
        stats = {f"{row['Type']} {row['Name']}": row for row in csv.DictReader(handle)}
    failed = {name: row["Failure Count"] for name, row in stats.items() if row["Failure Count"] != "0"}
    assert failed == {}, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    missing = [step for step in JOURNEY if int(stats.get(step, {}).get("Request Count", 0)) == 0]
    assert missing == []
    assert any(name.startswith("GET /console") and name != "GET /console/login" for name in stats)
    assert int(stats["POST /refunds/[case]/accept"]["Request Count"]) == PEOPLE  # once per person
    services = connect(platform)
    try:
        states = {str(case_status(services.cases.reader, p["case"]).state) for p in people[-PEOPLE:]}
    finally:
        services.close()
    assert states <= {"accepted", "approved", "paid", "reconciled"}, states
