"""A database for one benchmark run: a SQLite file in a folder, or a throwaway PostgreSQL database, made on a
given server or on one started for the run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cartax.infra.throwaway import PRODUCTION_LIKE, ThrowawayPostgres, database_on


@contextmanager
def server(url: str | None, own: str | None, extra: Sequence[str] = ()) -> Iterator[str | None]:
    """The PostgreSQL server to make databases on: ``url``, or one started here with PostgreSQL's defaults
    (``own="default"``) or production-like settings (``"production"``), plus ``NAME=VALUE`` settings in
    ``extra``; None: SQLite."""
    if own is None:
        yield url
        return
    settings = dict(PRODUCTION_LIKE) if own == "production" else {}
    for item in extra:
        name, _, value = item.partition("=")
        settings[name] = value
    with ThrowawayPostgres.started(settings, prefix="cartax-bench-pg-") as postgres:
        shown = ", ".join(f"{name}={value}" for name, value in settings.items()) or "PostgreSQL's defaults"
        print(f"PostgreSQL of its own on port {postgres.port}: {shown}", flush=True)
        yield postgres.url


@contextmanager
def database(server: str | None, folder: Path, name: str) -> Iterator[str]:
    """A SQLite file ``name``.db in ``folder``, or a database made on the PostgreSQL ``server`` and dropped
    after the block."""
    if server is None:
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    with database_on(server, f"cartax_bench_{name}") as url:
        yield url


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
