"""A platform on a real database behind the web app, with cases, citizens and officers to call it as.

``make_world(db_url, tmp_path)`` builds it; ``world.citizen(owner_id)`` and ``world.officer(...)`` give
TestClients signed in the way a browser is (session cookie, CSRF cookie echoed in ``X-CSRF-Token``),
``world.token(...)`` an API token for ``Authorization: Bearer``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cartax.audit import verify
from cartax.audit.adapters.config import chain_keys
from cartax.audit.adapters.sql import SqlAuditStore
from cartax.bootstrap import Platform, Services, bootstrap, connect
from cartax.cases import Actor, MarkNotified, OpenCase, parse_refund_detected
from cartax.identity import Role, SessionKind, add_officer, grant_role, issue_token, start_session
from cartax.identity.adapters.web import SESSION_COOKIE
from cartax.infra import SqlUnitOfWork, session_factory
from cartax.settings import Environment, Settings
from cartax.web import create_app
from cartax.web.csrf import CSRF_COOKIE, new_token
from cartax.web.ratelimit import Limit, RateLimits
from identity_factories import CODES, HASHER, PASSWORD

NOW = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
BASE_URL = "https://testserver"
REPO = Path(__file__).resolve().parents[1]
GENEROUS = RateLimits(sign_in=Limit(10_000, 1000.0), api=Limit(10_000, 1000.0), pages=Limit(10_000, 1000.0))


def make_settings(db_url: str, data_dir: Path, **extra: Any) -> Settings:
    return Settings(
        environment=Environment.TEST,
        data_dir=data_dir,
        database_url=db_url,
        krds_dir=REPO / "node_modules" / "krds-uiux",
        public_url=BASE_URL,
        **extra,
    )


def refund_payload(
    *, case_key: str, owner_id: str, district: str = "11110", payable: int = 250_040, cause: str = "R1"
) -> dict[str, Any]:
    """A RefundDetected payload as detection publishes it, with amounts that add up."""
    line = {
        "payment_id": "p1",
        "cause": cause,
        "liability_car_tax": 189_180,
        "liability_edu_tax": 56_750,
        "refund_car_tax": payable,
        "refund_edu_tax": 0,
        "arose_on": "2026-07-01",
        "interest_from": "2026-07-02",
        "interest": 0,
        "lapsed": False,
    }
    return {
        "case_key": case_key,
        "owner_id": owner_id,
        "vehicle_id": f"V-{case_key}",
        "tax_year": 2026,
        "district": district,
        "refunds": [line],
        "totals": {"refund": payable, "interest": 0, "offset": 0, "payable": payable},
        "rules_version": "2026.1",
    }


@dataclass
class World:
    platform: Platform
    services: Services
    app: FastAPI
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def open_case(self, *, notified: bool = True, **payload: Any) -> str:
        detected = parse_refund_detected(refund_payload(**payload))
        key = detected.identity.case_key
        service = self.services.cases.service
        service.execute(OpenCase(detected), Actor.system("detection"), f"event:{key}")
        if notified:
            service.execute(MarkNotified(key, f"msg-{key}"), Actor.system("notify"), f"notify:{key}")
        return key

    def client(self) -> TestClient:
        return TestClient(self.app, base_url=BASE_URL)

    def signed_in(self, kind: SessionKind, subject_id: str) -> TestClient:
        with self.services.identity_transaction() as repos:
            session_id, _ = start_session(repos.sessions, kind, subject_id, self.platform.clock())
        client = self.client()
        client.cookies.set(SESSION_COOKIE, session_id)
        token = new_token()
        client.cookies.set(CSRF_COOKIE, token)
        client.headers["X-CSRF-Token"] = token
        return client

    def citizen(self, owner_id: str) -> TestClient:
        return self.signed_in(SessionKind.CITIZEN, owner_id)

    def add_officer(self, *roles: tuple[str, Role]) -> tuple[str, str, str]:
        """A new officer holding ``roles``: (officer id, user name, TOTP secret); password PASSWORD."""
        username = f"officer{next(self._names)}"
        with self.services.identity_transaction() as repos:
            new = add_officer(
                repos, HASHER, CODES, username=username, display_name="김담당", password=PASSWORD, now=NOW
            )
            for district, role in roles:
                grant_role(
                    repos,
                    officer_id=new.officer.officer_id,
                    district=district,
                    role=role,
                    actor="off_admin",
                    reason="인사발령 2026-123",
                    now=NOW,
                )
        return new.officer.officer_id, username, new.officer.totp_secret

    def officer(self, *roles: tuple[str, Role]) -> TestClient:
        officer_id, _, _ = self.add_officer(*roles)
        return self.signed_in(SessionKind.OFFICER, officer_id)

    def token(self, district: str, role: Role) -> str:
        with self.services.identity_transaction() as repos:
            text, _ = issue_token(
                repos.tokens,
                name="batch",
                district=district,
                role=role,
                created_by="off_admin",
                lifetime=timedelta(days=30),
                now=NOW,
            )
        return text


def make_world(
    db_url: str,
    data_dir: Path,
    *,
    before_app: Callable[[World], None] | None = None,
    rate_limits: RateLimits = GENEROUS,
    rate_clock: Callable[[], float] | None = None,
) -> World:
    """The platform on ``db_url``; ``before_app`` seeds it before the app is built (the demo provider
    offers the owners who have cases at that moment)."""
    platform = bootstrap(make_settings(db_url, data_dir), clock=lambda: NOW)
    services = connect(platform)
    world = World(platform, services, FastAPI())
    if before_app is not None:
        before_app(world)
        services.close()
        services = connect(platform)
        world.services = services
    world.app = create_app(
        platform,
        services=services,
        rate_limits=rate_limits,
        rate_clock=rate_clock,
        relay_in_background=False,
    )
    return world


def audit_rows(world: World) -> list[tuple[str, str, str, str]]:
    """(action, actor, subject, person) of every access record, after checking the chain is intact."""
    with SqlUnitOfWork(session_factory(world.services.engine), world.platform.clock) as uow:
        store = SqlAuditStore(uow.session)
        assert verify(store, chain_keys(world.platform.settings)).intact
        return [
            (str(r.entry.action), r.entry.actor, r.entry.subject, r.entry.person_ref) for r in store.records()
        ]
