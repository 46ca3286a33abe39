"""Factories for the notify context's tests: a service on a store, fake providers and contacts,
and event deliveries shaped as the cases and payout contexts publish them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cartax.bus import Delivery
from cartax.notify import Channel, NotifyConfig, NotifyService
from cartax.notify.adapters.fakes import FakeContactBook, FakeProvider
from cartax.notify.consumer import CaseFacts, NotifyConsumer
from cartax.notify.links import LinkSigner
from cartax.notify.policy import DistrictQuotas, QuietHours
from cartax.notify.ports import NotifyStore

NOON_SEOUL = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)
LINK_KEY = b"test-link-key-for-notify-0123456789abcdef"
PUBLIC_URL = "https://refunds.example.kr"


class Clock:
    def __init__(self, now: datetime = NOON_SEOUL) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class NotifyRig:
    service: NotifyService
    store: NotifyStore
    clock: Clock
    contacts: FakeContactBook
    providers: dict[Channel, FakeProvider]
    notified: list[tuple[str, str]]
    consumer: NotifyConsumer


def make_rig(
    store: NotifyStore,
    *,
    clock: Clock | None = None,
    quiet: QuietHours | None = None,
    daily_cap: int = 1000,
    quotas: DistrictQuotas | None = None,
    facts: Callable[[str], CaseFacts | None] | None = None,
    inbox: bool = False,
) -> NotifyRig:
    clock = clock or Clock()
    sink = getattr(store, "deliver_to_inbox", None) if inbox else None
    providers = {channel: FakeProvider(f"fake-{channel}", clock, sink) for channel in Channel}
    contacts = FakeContactBook()
    notified: list[tuple[str, str]] = []
    service = NotifyService(
        store,
        contacts,
        providers,
        LinkSigner(LINK_KEY),
        NotifyConfig(PUBLIC_URL, quiet=quiet or QuietHours(), daily_cap=daily_cap),
        clock,
        quotas=quotas or DistrictQuotas(burst=1000, per_second=1000.0),
        monotonic=lambda: clock().timestamp(),
        on_notified=lambda case_key, ref: notified.append((case_key, ref)),
    )
    consumer = NotifyConsumer(service, facts or (lambda _key: CaseFacts(250_040, date(2030, 1, 31))))
    return NotifyRig(service, store, clock, contacts, providers, notified, consumer)


_events = iter(range(1, 10**9))


def delivery(event_type: str, **payload: Any) -> Delivery:
    return Delivery(f"evt-{next(_events)}", event_type, payload, NOON_SEOUL, 1)


def case_opened(case_key: str = "C-1", owner_id: str = "P-1", payable: int = 250_040) -> Delivery:
    return delivery(
        "CaseOpened",
        case_key=case_key,
        owner_id=owner_id,
        vehicle_id="V-1",
        tax_year=2025,
        district="11680",
        payable=payable,
        rules_version="2026.1",
        at=NOON_SEOUL.isoformat(),
    )


def state_changed(case_key: str, to_state: str, owner_id: str = "P-1", payable: int = 250_040) -> Delivery:
    return delivery(
        "CaseStateChanged",
        case_key=case_key,
        owner_id=owner_id,
        district="11680",
        seq=2,
        from_state="notified",
        to_state=to_state,
        actor_kind="citizen",
        reason="citizen_accepted",
        payable=payable,
        computation=1,
        rules_version="2026.1",
        at=NOON_SEOUL.isoformat(),
    )
