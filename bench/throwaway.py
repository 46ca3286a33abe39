"""A database for one benchmark run: a SQLite file in a folder, or a throwaway PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def database(server: str | None, folder: Path, name: str) -> Iterator[str]:
    """A SQLite file ``name``.db in ``folder``, or a database made on the PostgreSQL ``server`` and dropped
    after the block."""
    if server is None:
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    database_name = f"cartax_bench_{name}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database_name}"'))
    try:
        yield make_url(server).set(database=database_name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))
        admin.dispose()
