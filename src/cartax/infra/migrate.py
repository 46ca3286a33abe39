"""Alembic, driven from code: migrations numbered 0001, 0002, … in ``cartax/infra/migrations``.

One linear history with a single head; every migration has a downgrade, and the test suite runs
upgrade → downgrade → upgrade on SQLite and PostgreSQL.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from cartax.infra.db import make_engine, normalise_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | URL) -> Config:
    """A configuration without an ini file; ``env.py`` reads the URL from ``attributes``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = normalise_url(url)
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``; a database already at the head is only looked at
    (every command that opens the database calls this first, and Alembic would load every migration)."""
    if revision == "head" and current_revision(url) == head_revision():
        return
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Go back to ``revision`` (a number such as ``0001``, ``-1`` for one step, or ``base`` for none)."""
    command.downgrade(alembic_config(url), revision)


def heads() -> list[str]:
    return list(_heads())


@cache
def _heads() -> tuple[str, ...]:
    # The migrations shipped with the code do not change while it runs.
    return tuple(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def head_revision() -> str:
    """The single head of the migration history (more than one is a mistake to fix, not to choose from)."""
    found = heads()
    if len(found) != 1:
        raise RuntimeError(
            f"the migrations have {len(found)} heads ({', '.join(found)}); they must form one line"
        )
    return found[0]


def current_revision(url: str | URL) -> str | None:
    """The revision the database is at, or None for a database no migration has touched."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
