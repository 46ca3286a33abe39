"""The web application on a fixed clock, through FastAPI's TestClient (in process, no port)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cartax.bootstrap import Platform, bootstrap
from cartax.settings import Environment, Settings
from cartax.web import create_app

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    settings = Settings(
        environment=Environment.TEST,
        data_dir=tmp_path,
        krds_dir=REPO / "node_modules" / "krds-uiux",
    )
    return bootstrap(settings, clock=lambda: NOW)


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as test_client:
        yield test_client
