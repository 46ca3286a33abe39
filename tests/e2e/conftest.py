"""The web application on a fixed clock, through FastAPI's TestClient (in process, no port).

The client speaks https (``__Host-`` cookies are Secure) and behaves like a browser that has loaded a
page: it holds the CSRF cookie and sends its value in ``X-CSRF-Token``, as the pages' scripts do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cartax.bootstrap import Platform, bootstrap
from cartax.settings import Environment, Settings
from cartax.web import create_app
from cartax.web.csrf import CSRF_COOKIE
from web_factories import World, make_world

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BASE_URL = "https://testserver"


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    settings = Settings(
        environment=Environment.TEST,
        data_dir=tmp_path,
        krds_dir=REPO / "node_modules" / "krds-uiux",
        public_url=BASE_URL,
    )
    return bootstrap(settings, clock=lambda: NOW)


def browser(client: TestClient) -> TestClient:
    """``client`` after loading a page: it holds the CSRF cookie and echoes it in ``X-CSRF-Token``."""
    client.get("/")
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    return client


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform), base_url=BASE_URL) as test_client:
        yield browser(test_client)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    """The platform on SQLite and on PostgreSQL, behind the app, with nobody signed in yet."""
    built = make_world(db_url, tmp_path)
    yield built
    built.services.close()
