"""The composition root: the one place that builds the platform from settings.

Importing any cartax module connects to nothing and reads no environment; ``bootstrap`` does, once,
and tests pass ``**overrides`` to swap any part (a fixed clock, a fake provider, another database).
:func:`connect` adds what needs the database (the contexts' services, sign-in, the audit chain, the
embedded event relay) for the entry points that serve requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from cartax.rules import Law, default_law
from cartax.settings import Environment, Settings

if TYPE_CHECKING:  # the database and web stack is imported by `connect`, so `cartax calc` starts light
    from datetime import timedelta

    from sqlalchemy import Engine

    from cartax.audit import AccessEntry
    from cartax.bus import Relay
    from cartax.cases.adapters.listing import SqlCaseLists
    from cartax.cases.adapters.wiring import Cases
    from cartax.detection.adapters.runs import RunView
    from cartax.identity import IdentityRepositories
    from cartax.identity.adapters.demo_provider import DemoOidcProvider
    from cartax.identity.adapters.oidc import OidcClient
    from cartax.identity.adapters.web import IdentityWeb
    from cartax.infra.crypto import PiiCipher
    from cartax.notices import NoticeService
    from cartax.notify.adapters.wiring import Notify
    from cartax.payout.adapters.wiring import Payouts
    from cartax.registry.adapters.owner_view import SqlOwnerView
    from cartax.registry.adapters.vehicle_view import SqlVehicleView
    from cartax.voc import FeedbackStore

DEMO_ISSUER_PATH = "/demo-oidc"
DEMO_IDENTITIES = 5
"""How many owners with cases the embedded demo provider offers to sign in as (unless
``CARTAX_DEMO_IDENTITIES`` says otherwise)."""


def pii_cipher(settings: Settings) -> PiiCipher:
    """The personal-data cipher: the current key, plus the retired ones (``CARTAX_PII_OLD_KEYS``) that
    still decrypt during a rotation. The one place that reads those secrets."""
    from cartax.infra.crypto import PiiCipher

    retired = [key.strip() for key in settings.pii_old_keys.get_secret_value().split(",") if key.strip()]
    return PiiCipher.from_secrets(
        settings.pii_key.get_secret_value(), settings.blind_index_key.get_secret_value(), retired
    )


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Platform:
    """Everything the entry points (CLI, web, workers) need, built once."""

    settings: Settings
    law: Law
    clock: Callable[[], datetime] = system_clock
    extras: dict[str, Any] = field(default_factory=dict)

    def today(self) -> date:
        return self.clock().date()


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Platform:
    """Build the platform; any field of :class:`Platform` may be overridden by keyword."""
    platform = Platform(settings=settings or Settings(), law=default_law())
    return replace(platform, **overrides) if overrides else platform


IdentityTransactions = Callable[[], AbstractContextManager["IdentityRepositories"]]


@dataclass(frozen=True)
class Services:
    """The platform on its database: what the web edge and the workers call. Close it when done."""

    engine: Engine
    cases: Cases
    case_lists: SqlCaseLists
    identity: IdentityWeb
    identity_transaction: IdentityTransactions
    audit: Callable[[AccessEntry], None]
    """Append an access record to the audit chain, in its own transaction."""
    detection_runs: Callable[[int], list[RunView]]
    relay: Relay | None
    """The embedded outbox → in-process consumers relay; None in services mode (NATS)."""
    demo_provider: DemoOidcProvider | None
    owners: SqlOwnerView
    """Owners' personal data, decrypted, for screens that show it masked or (audited) in full."""
    vehicles: SqlVehicleView
    """The registry's vehicles, holdings and payments, for the officers' console."""
    voc: FeedbackStore
    """Citizens' answers to the feedback question at the end of a journey (no personal data)."""
    case_request: Callable[[str], dict[str, Any] | None]
    """The calculation request detection kept with a case (None when it kept none), to explain it."""
    notices: NoticeService
    """Documents about cases (PDF with QR codes): one, a district's batch in one print file, verification."""
    payout: Payouts
    """Payments: accounts (masked views), payment views, failed transfers, the ledger; its worker and loop."""
    notify: Notify
    """Messages to people (알림톡, SMS, e-mail, letters): receipts, preferences, code checks, case links."""

    @property
    def embedded(self) -> bool:
        return self.relay is not None

    def close(self) -> None:
        self.engine.dispose()


def connect(platform: Platform) -> Services:
    """Open the database (migrated to the head in the embedded mode) and build the services on it."""
    from cartax.audit import record_access
    from cartax.audit.adapters.config import chain_keys
    from cartax.audit.adapters.sql import SqlAuditStore
    from cartax.bus import InProcessBus, Relay
    from cartax.cases import CasesSettings
    from cartax.cases.adapters.documents import SqlCaseDocuments
    from cartax.cases.adapters.listing import SqlCaseLists
    from cartax.cases.adapters.wiring import build_cases
    from cartax.detection.adapters.requests_view import case_request
    from cartax.detection.adapters.runs import list_runs
    from cartax.identity.adapters.config import (
        citizen_session_limits,
        officer_session_limits,
        sign_in_deps,
    )
    from cartax.identity.adapters.sql import SqlIdentity
    from cartax.identity.adapters.web import IdentityWeb, WebIdentityConfig
    from cartax.infra import SqlUnitOfWork, make_engine, session_factory, upgrade
    from cartax.notices.adapters.case_facts import CaseFacts
    from cartax.notices.adapters.wiring import build_notices
    from cartax.registry.adapters.owner_view import SqlOwnerView
    from cartax.registry.adapters.vehicle_view import SqlVehicleView
    from cartax.registry.synth.districts import load_districts
    from cartax.voc.adapters.sql import SqlFeedbackStore

    settings, clock = platform.settings, platform.clock
    embedded = settings.event_bus == "inprocess"
    url = settings.effective_database_url
    if embedded:
        upgrade(url)
    engine = make_engine(url, pool_size=settings.database_pool_size, max_overflow=settings.database_pool_size)
    sessions = session_factory(engine)
    cases_settings = CasesSettings()
    cases = build_cases(engine, cases_settings, clock)
    lists = SqlCaseLists(engine)
    cipher = pii_cipher(settings)
    keys = chain_keys(settings)

    @contextmanager
    def identity_transaction() -> Iterator[IdentityRepositories]:
        with SqlUnitOfWork(sessions, clock) as uow:
            yield SqlIdentity(uow.session, cipher)
            uow.commit()

    def audit(entry: AccessEntry) -> None:
        with SqlUnitOfWork(sessions, clock) as uow:
            record_access(SqlAuditStore(uow.session), keys, entry)
            uow.commit()

    oidc, provider = _citizen_sign_in(settings, clock, lists)
    config = WebIdentityConfig(
        settings.session_secret.get_secret_value(),
        officer_session_limits(settings),
        citizen_session_limits(settings),
        sign_in_deps(settings),
        citizen_home="/",
        officer_home="/console",
    )
    identity = IdentityWeb(config, repos=identity_transaction, clock=clock, oidc=oidc)
    owners = SqlOwnerView(engine, cipher)
    payout = _payout(platform, engine, cases, cases_settings.objection_window, owners, cipher)
    _wire_risk_facts(platform, engine, cases, payout)
    notify = _notify(platform, engine, cases, SqlOwnerView(engine, cipher))
    relay = None
    if embedded:
        subscriptions = [cases.subscription, notify.subscription, *payout.subscriptions]
        bus = InProcessBus(engine, subscriptions, clock, cases_settings.consumer_attempts)
        relay = Relay(engine, bus, clock)
    return Services(
        engine, cases, lists, identity, identity_transaction, audit,
        lambda limit: list_runs(engine, limit), relay, provider, SqlOwnerView(engine, cipher),
        voc=SqlFeedbackStore(engine), case_request=lambda key: case_request(engine, key),
        vehicles=SqlVehicleView(engine),
        notices=build_notices(engine, settings, clock, CaseFacts(
            SqlCaseDocuments(engine), SqlVehicleView(engine), {d.code: d.full_name for d in load_districts()}
        )),
        payout=payout,
        notify=notify,
    )  # fmt: skip


def _notify(platform: Platform, engine: Engine, cases: Cases, owners: SqlOwnerView) -> Notify:
    """The notify context, fed with the cases context's facts (amount, nearest lapse) and telling it
    when a person has been told of a new case (detected → notified)."""
    from cartax.cases import Actor, CaseState, MarkNotified
    from cartax.cases.adapters.sql import SqlCaseRepository
    from cartax.notify import NotifySettings
    from cartax.notify.adapters.wiring import build_notify
    from cartax.notify.consumer import CaseFacts as NotifyCaseFacts

    def facts(case_key: str) -> NotifyCaseFacts | None:
        with engine.connect() as connection:
            case = SqlCaseRepository(connection).get(case_key)
        if case is None:
            return None
        lapses = [line.lapses_after() for line in case.computation.refunds if not line.lapsed]
        return NotifyCaseFacts(case.computation.totals.payable, min(lapses) if lapses else None)

    def notified(case_key: str, message_ref: str) -> None:
        status = cases.reader.status(case_key)
        if status is not None and status.state is CaseState.DETECTED:
            command = MarkNotified(case_key, message_ref)
            cases.service.execute(command, Actor.system("notify"), f"notify:{message_ref}")

    settings = platform.settings
    return build_notify(
        engine, NotifySettings(), public_url=settings.effective_public_url,
        session_secret=settings.session_secret.get_secret_value(),
        production=settings.environment is Environment.PRODUCTION, clock=platform.clock,
        owners=owners.get, facts=facts, on_notified=notified,
        schedule_reminders=settings.event_bus == "inprocess",  # services mode: a scheduler runs them
    )  # fmt: skip


def _payout(
    platform: Platform,
    engine: Engine,
    cases: Cases,
    objection_window: timedelta,
    owners: SqlOwnerView,
    cipher: PiiCipher,
) -> Payouts:
    """The payout context: the configured bank (outside production, the fake bank unless one is set),
    the entitled person's name and pre-registered account from the registry, payments recorded on cases."""
    from cartax.payout.adapters.cases_gateway import CasesGateway
    from cartax.payout.adapters.wiring import RegistryDirectory, build_payout
    from cartax.payout.settings import PayoutSettings

    return build_payout(
        engine, PayoutSettings(), cipher, RegistryDirectory(owners.get, owners.names), platform.clock,
        CasesGateway(cases.service, cases.reader), objection_window,
        production=platform.settings.environment is Environment.PRODUCTION,
    )  # fmt: skip


def _wire_risk_facts(platform: Platform, engine: Engine, cases: Cases, payout: Payouts) -> None:
    """The straight-through policy's facts from the other contexts: the refund account from payout, a
    vehicle's annual tax from the registry through the rules (docs/processing.md)."""
    from cartax.cases.risk import AccountFacts
    from cartax.payout.adapters.account_facts import PayoutAccountFacts
    from cartax.registry.adapters.vehicle_view import SqlVehicleView
    from cartax.rules import RulesError
    from cartax.rules.assessment import assess
    from cartax.rules.model import Category, Use, Vehicle

    vehicles, law = SqlVehicleView(engine), platform.law

    accounts = PayoutAccountFacts(payout.service)

    class Facts:
        def account_facts(self, owner_id: str) -> AccountFacts | None:
            return accounts.account_facts(owner_id)

        def annual_tax(self, vehicle_id: str, tax_year: int, district: str) -> int | None:
            found = vehicles.vehicle(vehicle_id)
            if found is None:
                return None
            try:
                vehicle = Vehicle(
                    Category(found.category), Use(found.use), found.first_registered_on,
                    found.manufactured_year, found.displacement_cc,
                )  # fmt: skip
                figures = assess(vehicle, law.year(tax_year, district))
            except (RulesError, ValueError):  # a class the registry view does not describe fully
                return None
            return figures.annual_car_tax + figures.annual_edu_tax

    cases.processing.accounts = cases.processing.vehicle_taxes = Facts()


def _citizen_sign_in(
    settings: Settings, clock: Callable[[], datetime], lists: SqlCaseLists
) -> tuple[OidcClient | None, DemoOidcProvider | None]:
    """The OpenID client for citizens: the configured provider, or (outside production, with cases to
    show) the built-in demo provider, reached in-process."""
    import httpx2
    from fastapi import FastAPI

    from cartax.identity.adapters.demo_provider import DemoIdentity, DemoOidcProvider
    from cartax.identity.adapters.oidc import OidcClient, OidcConfig

    base = settings.effective_public_url
    redirect = f"{base}/login/callback"
    client_id = settings.oidc_client_id
    if settings.oidc_issuer:
        secret = settings.oidc_client_secret.get_secret_value() or None
        config = OidcConfig(settings.oidc_issuer, client_id, redirect, secret)
        return OidcClient(config, clock=clock), None
    production = settings.environment is Environment.PRODUCTION
    owners = [] if production else lists.owners(settings.demo_identities)
    if not owners:
        return None, None
    identities = [DemoIdentity(owner, f"시연 시민 {n} ({owner})") for n, owner in enumerate(owners, 1)]
    provider = DemoOidcProvider(
        settings,
        issuer=base + DEMO_ISSUER_PATH,
        identities=identities,
        clients={client_id: [redirect]},
        clock=clock,
    )
    # The client reaches the provider's routes in-process: the demo needs no network, not even loopback.
    provider_app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    provider_app.include_router(provider.router())
    transport = httpx2.ASGITransport(app=provider_app)
    client = OidcClient(OidcConfig(provider.issuer, client_id, redirect), clock=clock, transport=transport)
    return client, provider


def relay_pending(platform: Platform) -> int:
    """Embedded mode: deliver every event waiting in the outbox (detected refunds become cases).

    Returns how many were delivered; 0 in services mode, where the NATS relay does this.
    """
    services = connect(platform)
    try:
        return services.relay.drain() if services.relay is not None else 0
    finally:
        services.close()
