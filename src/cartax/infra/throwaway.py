"""A PostgreSQL server of one's own: ``initdb`` in a temporary directory, its own port, removed afterwards;
and a throwaway database on any server (:func:`database_on`), for the tests and the benchmarks.

For the crash drill (which restarts its server in immediate mode) and for benchmarks that need a server
configured as production runs one (:data:`PRODUCTION_LIKE`), so that a shared server is never stopped or
reconfigured. The server runs as the ``postgres`` user when started by root (``initdb`` refuses root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess  # nosec B404 - PostgreSQL's own programs, argument lists of our own
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PRODUCTION_LIKE: Mapping[str, str] = {
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "maintenance_work_mem": "1GB",
    "wal_buffers": "64MB",
    "max_wal_size": "8GB",
    "min_wal_size": "1GB",
    "checkpoint_timeout": "30min",
    "checkpoint_completion_target": "0.9",
    "wal_compression": "on",
}
"""Settings of a server sized for the payout tables on a machine of 24 GB (written into the benchmark's
report with its figures): shared buffers that hold the working set of a million payments, WAL and
checkpoints spaced so that a large booking does not checkpoint several times (each checkpoint makes every
page's next change write the whole page into the WAL). Durability is unchanged: ``fsync`` and
``synchronous_commit`` keep their defaults."""


@contextmanager
def database_on(server_url: str, prefix: str, **engine_options: Any) -> Iterator[str]:
    """A database made on the PostgreSQL server that ``server_url`` reaches (a URL of any of its databases)
    under a fresh name starting with ``prefix``, and dropped with everything in it after the block; yields
    its URL. ``engine_options`` go to the administrative connection (a ``connect_timeout``, say)."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", **engine_options)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def pg_bin(name: str) -> str:
    """The path of PostgreSQL's program ``name`` (the newest installed version's)."""
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    located = shutil.which(name)
    if located is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (looked in /usr/lib/postgresql/*/bin)")
    return located


def installed() -> bool:
    """Whether ``initdb`` is available to start a server of one's own."""
    return bool(glob("/usr/lib/postgresql/*/bin/initdb")) or shutil.which("initdb") is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    """Run as the postgres user when we are root (initdb refuses root)."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _run(command: list[str], check: bool = True) -> None:
    subprocess.run(command, check=check, capture_output=True)  # noqa: S603  # nosec B603 - fixed programs


@dataclass
class ThrowawayPostgres:
    """A server in ``folder`` (data directory, socket and log) on ``port``; see :meth:`started`."""

    folder: Path
    port: int
    settings: Mapping[str, str] = field(default_factory=dict)
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    @contextmanager
    def started(
        cls, settings: Mapping[str, str] | None = None, prefix: str = "cartax-pg-"
    ) -> Iterator[ThrowawayPostgres]:
        """A new server with ``settings`` (``name: value``, as ``postgres -c`` takes them) for the block;
        stopped and its directory removed afterwards."""
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        server = cls(folder, free_port(), dict(settings or {}))
        data = folder / "data"
        try:
            _run(
                _as_postgres(pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
            )
            server.start()
            yield server
        finally:
            server.stop("fast")
            shutil.rmtree(folder, ignore_errors=True)

    def start(self) -> None:
        options = [
            f"-p {self.port}",
            f"-k {self.folder}",
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=100",
        ]
        options += [f"-c {name}={value}" for name, value in self.settings.items()]
        _run(
            _as_postgres(pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-o", " ".join(options), "-l",
                         str(self.folder / "log"), "-w", "-t", "60", "start"),
        )  # fmt: skip

    def stop(self, mode: str) -> None:
        _run(_as_postgres(pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", mode, "-w", "stop"), False)

    def restart_immediately(self) -> None:
        """Stop without a checkpoint (like a crash), then start: recovery replays the WAL."""
        self.stop("immediate")
        self.start()
        self.restarts += 1
