"""Detection on the platform's database: the registry as ingested, full or incremental, results stored.

A full run examines every case of the tax year. An incremental run examines only what the registry
changed since the last run of that year began (see :mod:`cartax.detection.incremental`); running it
again on the same data finds nothing new, and a correction becomes an explicit recomputation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine, func, select

from cartax.detection.adapters.store import StoredRun, store_run
from cartax.detection.adapters.tables import detection_runs
from cartax.detection.incremental import restrict, scope_of
from cartax.detection.run import UNREAD, RunResult, detect
from cartax.infra import SqlUnitOfWork, make_engine, session_factory, upgrade
from cartax.registry import changed_since, scoped_feeds, stored_feeds
from cartax.rules import Law


@dataclass(frozen=True)
class DatabaseRun:
    result: RunResult
    stored: StoredRun
    mode: str
    since: datetime | None
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds of the run's steps: reading the registry, detecting, storing."""


def detect_in_database(
    url: str, law: Law, clock: Callable[[], datetime], tax_year: int, decision_on: date, *, incremental: bool
) -> DatabaseRun:
    """Detect on the database at ``url`` (migrated first) and store the run with its events."""
    upgrade(url)
    engine = make_engine(url)
    try:
        started, mark = clock(), time.perf_counter()
        since = last_run_started(engine, tax_year) if incremental else None
        scope = None
        with engine.connect() as connection:
            if since is None:
                feeds = stored_feeds(connection, drop=UNREAD)
            else:
                # Only the rows the changes bear on are read, through the indexes: an incremental run
                # costs what changed, not the size of the registry.
                vehicles, owners = changed_since(connection, since)
                feeds = scoped_feeds(connection, tax_year, vehicles, owners, drop=UNREAD)
                scope = scope_of(feeds, tax_year, vehicles, owners)
                feeds = restrict(feeds, scope)
        seconds = {"read": time.perf_counter() - mark}
        mark = time.perf_counter()
        result = detect(feeds, tax_year, decision_on, law)
        seconds["detect"], mark = time.perf_counter() - mark, time.perf_counter()
        mode = "incremental" if scope is not None else "full"
        uow = SqlUnitOfWork(session_factory(engine), clock)
        stored = store_run(uow, result, law, decision_on, started, mode=mode, scope=scope)
        seconds["store"] = time.perf_counter() - mark
    finally:
        engine.dispose()
    return DatabaseRun(result, stored, mode, since, {k: round(v, 3) for k, v in seconds.items()})


def last_run_started(engine: Engine, tax_year: int) -> datetime | None:
    """When the latest run of ``tax_year`` began (its changes are those stored after), or None."""
    query = select(func.max(detection_runs.c.started_at)).where(detection_runs.c.tax_year == tax_year)
    with engine.connect() as connection:
        found: datetime | None = connection.execute(query).scalar_one()
    return found
