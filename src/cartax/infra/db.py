"""Engines and sessions: SQLite (the embedded default) or PostgreSQL through psycopg 3.

SQLite is set up to behave like a server database where it matters: foreign keys enforced, WAL so that
readers never wait for the writer, a busy timeout instead of immediate "database is locked" errors, and
transactions that take the write lock when they begin (``BEGIN IMMEDIATE``), so two writers queue up
rather than one failing half-way when it upgrades a read lock.

SQLite's own defaults suit a small file: a 2 MB page cache per connection and every page read through a
system call. The platform's files hold millions of rows whose indexes are written at random keys, so each
connection gets a larger page cache (``SQLITE_CACHE_KIB``), reads the file through a memory map
(``SQLITE_MMAP_BYTES``; pages the operating system already holds cost no copy) and keeps its temporary
tables and sorts in memory. Pages are only taken as they are used, so a small database stays small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 256 * 1024
SQLITE_MMAP_BYTES = 4 * 1024**3


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url``; ``postgresql://`` means psycopg 3 and a SQLite file's folder is created."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **options)
    return create_engine(parsed, pool_pre_ping=True, **options)


def normalise_url(url: str | URL) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (a unit of work reads what it wrote)."""
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_engine(url: URL, **options: Any) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.execute("PRAGMA temp_store = MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
