"""Fixtures shared by every test suite.

This directory is on ``sys.path`` while testing (pytest puts a root ``conftest.py``'s directory there), so
shared factories such as ``registry_factories`` are imported by name from any test.

Databases — every integration test runs on SQLite and on PostgreSQL by asking for one of these:

- ``db_url``: an empty database (no tables) for this test, parametrised ``sqlite`` / ``postgresql``.
  SQLite is a file in the test's ``tmp_path``; PostgreSQL is this worker's throwaway database, emptied
  before the test.
- ``migrated_db_url``: the same, upgraded to the head migration.
- ``db_engine``: an engine on ``migrated_db_url``, disposed after the test.
- ``postgres_url`` (session): this worker's throwaway database on 127.0.0.1:5432 (user postgres, trust
  auth; override with ``CARTAX_TEST_POSTGRES_URL``), created on first use and dropped at the end.

The PostgreSQL variants carry the ``postgres`` mark. When the server cannot be reached they are skipped
with the reason, except when ``CI=true``: then they fail, because CI must test both databases.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cartax.infra import make_engine, upgrade
from cartax.infra.throwaway import database_on

POSTGRES_ADMIN_URL = os.environ.get(
    "CARTAX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    _postgres_admin().dispose()  # reachable, or skipped (failed under CI) with the reason
    with database_on(POSTGRES_ADMIN_URL, f"cartax_test_{worker_id}") as url:
        yield url


def _postgres_admin() -> Engine:
    admin = create_engine(
        POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        admin.dispose()
        reason = (
            f"PostgreSQL is not reachable at {make_url(POSTGRES_ADMIN_URL).render_as_string()} ({error.orig})"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(reason)
    return admin


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cartax.db'}"
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def migrated_db_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def db_engine(migrated_db_url: str) -> Iterator[Engine]:
    engine = make_engine(migrated_db_url)
    yield engine
    engine.dispose()
