"""A database for one benchmark run: a SQLite file in a folder, or a throwaway PostgreSQL database."""

from __future__ import annotations

import shutil
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


@contextmanager
def copy_of(url: str, name: str) -> Iterator[str]:
    """A copy of the database at ``url`` (no connection may be open on it): a copy of the SQLite file
    beside it, or a PostgreSQL database made from it as a template; removed after the block."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = Path(parsed.database or "")
        target = source.with_name(f"{name}.db")
        shutil.copyfile(source, target)
        try:
            yield parsed.set(database=str(target)).render_as_string(hide_password=False)
        finally:
            target.unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    database_name = f"{parsed.database}_{name}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database_name}" TEMPLATE "{parsed.database}"'))
    try:
        yield parsed.set(database=database_name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))
        admin.dispose()
