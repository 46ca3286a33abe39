"""Building the cases context on a database, for the composition root, workers, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from cartax.bus import Subscription
from cartax.cases.adapters.dashboards import SqlDashboards
from cartax.cases.adapters.policies import DecisionView, SqlPolicyStore, case_decisions
from cartax.cases.adapters.sql import SqlCaseReader, sync_policy
from cartax.cases.adapters.summaries import count_failed_transfer, rebuild_summaries, summaries_missing
from cartax.cases.adapters.uow import SqlCasesUnitOfWork
from cartax.cases.consumer import refund_events
from cartax.cases.ports import AccountFactsSource, VehicleTaxSource
from cartax.cases.processing import Processing
from cartax.cases.risk import RiskFlag
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
    processing: Processing
    """The districts' policy versions and the cases' risk flags (docs/processing.md)."""
    uow_factory: Callable[[], SqlCasesUnitOfWork]
    dashboards: SqlDashboards
    """The districts' and provinces' dashboards, from the summaries (docs/processing.md)."""
    decisions: Callable[[str], list[DecisionView]]
    """The policy's decisions on a case's claims, with the version that made each."""

    def risk_flags(self, case_key: str, now: datetime) -> tuple[RiskFlag, ...]:
        """The case's risk flags now, each with ``flag.reason(lang)`` in plain words (the case page)."""
        return self.processing.risk_flags(self.uow_factory(), case_key, now)


def build_cases(
    engine: Engine,
    settings: CasesSettings,
    clock: Callable[[], datetime],
    accounts: AccountFactsSource | None = None,
    vehicle_taxes: VehicleTaxSource | None = None,
) -> Cases:
    """The context on ``engine`` (migrated to head); writes the settings' maker-checker threshold to
    the database, where the approval trigger reads it, and rebuilds the dashboards' summaries of a
    database that has cases from before them."""
    sessions = session_factory(engine)
    with engine.begin() as connection:
        sync_policy(connection, settings.second_officer_above, clock())
    if summaries_missing(engine):
        rebuild_summaries(engine)
    policy = settings.policy()
    store = SqlPolicyStore(engine, policy.second_officer_above)
    processing = Processing(policy, store, accounts, vehicle_taxes, clock)

    def uow_factory() -> SqlCasesUnitOfWork:
        return SqlCasesUnitOfWork(sessions, clock)

    service = CaseService(
        uow_factory,
        clock,
        policy,
        settings.objection_window,
        max_attempts=settings.command_attempts,
        processing=processing,
    )
    return Cases(
        service, SqlCaseReader(engine),
        refund_events(service, lambda key, payload: count_failed_transfer(uow_factory, key, payload)),
        settings.consumer_attempts, processing,
        uow_factory, SqlDashboards(engine), lambda case_key: case_decisions(engine, case_key),
    )  # fmt: skip
