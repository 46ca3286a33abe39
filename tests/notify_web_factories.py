"""An app whose notify context reaches a demo person through fake providers and a fake address book,
with the demo sign-in offering that person: for the notify pages' web and browser tests."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from cartax.bootstrap import DEMO_ISSUER_PATH, bootstrap, connect
from cartax.identity.adapters.demo_provider import DemoIdentity, DemoOidcProvider
from cartax.notify import Channel, NotifyConfig, NotifyService, Topic
from cartax.notify.adapters.fakes import FakeContactBook, FakeProvider
from cartax.notify.adapters.sql import SqlNotifyStore
from cartax.notify.adapters.wiring import Notify, link_key
from cartax.notify.consumer import CaseFacts, NotifyConsumer
from cartax.notify.links import LinkSigner
from cartax.notify.policy import QuietHours
from cartax.settings import Environment, Settings
from cartax.web import create_app

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 12:30 in Seoul
PERSON = "P-DEMO-1"
CASE = "C-DEMO-1"


def notify_app(tmp_path: Path, *, now: datetime = NOW) -> tuple[FastAPI, NotifyService]:
    settings = Settings(
        environment=Environment.TEST, data_dir=tmp_path, krds_dir=REPO / "node_modules" / "krds-uiux"
    )
    platform = bootstrap(settings, clock=lambda: now)
    services = connect(platform)
    store = SqlNotifyStore(services.engine)
    contacts = FakeContactBook()
    contacts.add(PERSON, Channel)
    providers = {
        channel: FakeProvider(f"fake-{channel}", platform.clock, store.deliver_to_inbox)
        for channel in Channel
    }
    service = NotifyService(
        store,
        contacts,
        providers,
        LinkSigner(link_key(settings.session_secret.get_secret_value())),
        NotifyConfig(settings.effective_public_url, quiet=QuietHours(enabled=False)),
        platform.clock,
    )
    notify = Notify(
        service, store, NotifyConsumer(service, lambda _key: CaseFacts(250_040, None)), fakes=True
    )
    demo = DemoOidcProvider(
        settings,
        issuer=settings.effective_public_url + DEMO_ISSUER_PATH,
        identities=[DemoIdentity(PERSON, "시연 시민 1")],
        clients={settings.oidc_client_id: [settings.effective_public_url + "/login/callback"]},
        clock=platform.clock,
    )
    services = dataclasses.replace(services, notify=notify, demo_provider=demo)
    return create_app(platform, services=services, relay_in_background=False), service


def send_case_opened(service: NotifyService) -> str:
    """Queue and send the new-case message; return its verification code."""
    service.notify(
        PERSON, Topic.CASE_OPENED, district="11680", params={"amount": 250_040, "tax_year": 2025},
        key="test:case-opened", case_key=CASE,
    )  # fmt: skip
    service.drain()
    [message] = service.messages_for_case(CASE)
    return message.body.split("확인 코드: ")[1][:9]
