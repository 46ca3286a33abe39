"""Alembic environment: the URL comes from :func:`cartax.infra.migrate.alembic_config`, never from a file.

A new migration is the next number in ``versions/`` (``0003_<what>.py`` with ``revision = "0003"`` and
``down_revision = "0002"``), written by hand with ``op`` calls and a downgrade that undoes them.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.pool import NullPool

from cartax.infra.db import make_engine
from cartax.infra.schema import combined_metadata

config = context.config
url = config.attributes["url"]


def run_offline() -> None:
    context.configure(url=url, target_metadata=combined_metadata(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=combined_metadata(),
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
