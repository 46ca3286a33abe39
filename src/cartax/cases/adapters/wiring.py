"""Building the cases context on a database, for the composition root, workers, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from cartax.bus import Subscription
from cartax.cases.adapters.sql import SqlCaseReader, sync_policy
from cartax.cases.adapters.uow import SqlCasesUnitOfWork
from cartax.cases.consumer import refund_events
from cartax.cases.service import CaseService
from cartax.cases.settings import CasesSettings
from cartax.infra import session_factory


@dataclass(frozen=True)
class Cases:
    service: CaseService
    reader: SqlCaseReader
    subscription: Subscription
    consumer_attempts: int
    """Deliveries of an event to the subscription before it is parked (give it to the bus)."""


def build_cases(engine: Engine, settings: CasesSettings, clock: Callable[[], datetime]) -> Cases:
    """The context on ``engine`` (migrated to head); writes the settings' maker-checker threshold to
    the database, where the approval trigger reads it."""
    sessions = session_factory(engine)
    with engine.begin() as connection:
        sync_policy(connection, settings.second_officer_above, clock())
    service = CaseService(
        lambda: SqlCasesUnitOfWork(sessions, clock),
        clock,
        settings.policy(),
        settings.objection_window,
        max_attempts=settings.command_attempts,
    )
    return Cases(service, SqlCaseReader(engine), refund_events(service), settings.consumer_attempts)
