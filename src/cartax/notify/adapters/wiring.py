"""Building the notify context on a database, for the composition root, workers and tests."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from cartax.bus import Subscription, describe_error
from cartax.notify.adapters.contacts import OwnerContact, OwnerContacts
from cartax.notify.adapters.fakes import FakeProvider
from cartax.notify.adapters.sql import SqlNotifyStore
from cartax.notify.campaigns import ReminderPolicy, remind_non_responders
from cartax.notify.consumer import CaseFactsLookup, NotifyConsumer
from cartax.notify.links import LinkSigner
from cartax.notify.model import Channel
from cartax.notify.policy import DistrictQuotas, QuietHours
from cartax.notify.ports import Provider
from cartax.notify.service import NotifyConfig, NotifyService
from cartax.notify.settings import NotifySettings

log = logging.getLogger("cartax.notify")
REMINDER_INTERVAL_SECONDS = 24 * 3600
REMINDER_LIMIT = 1_000_000


def link_key(session_secret: str) -> bytes:
    """The link-signing key, derived from the platform's session secret under its own label, so one
    secret to manage and no key shared between two uses."""
    return hmac.new(session_secret.encode(), b"cartax-notify-link-key-v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class Notify:
    service: NotifyService
    store: SqlNotifyStore
    consumer: NotifyConsumer
    fakes: bool
    """True when the providers are the fakes that deliver into the demo inbox."""
    verify_per_minute: int = 10
    """Code checks per client address per minute on ``/verify``."""
    reminders: ReminderPolicy | None = None
    """Who is reminded when :meth:`run` sends the daily reminders itself (the embedded mode); None when
    a scheduler runs ``cartax notify remind`` (services mode, where several dispatchers run)."""
    reminders_per_minute: int = 1000

    @property
    def subscription(self) -> Subscription:
        return self.consumer.subscription()

    def run(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        """Dispatch until ``stop`` is set; a failing pass is logged and retried after a pause. With
        :attr:`reminders`, the reminders go out at start and then once a day."""
        next_reminders = 0.0
        while not stop.is_set():
            if self.reminders is not None and time.monotonic() >= next_reminders:
                self.remind()
                next_reminders = time.monotonic() + REMINDER_INTERVAL_SECONDS
            try:
                report = self.service.dispatch()
            except Exception as error:  # the worker outlives a database or provider hiccup
                log.error("notify dispatch failed, retrying: %s", describe_error(error))
                report = None
            if report is None or report.handled == 0:
                stop.wait(idle_seconds)

    def remind(self) -> None:
        try:
            result = remind_non_responders(
                self.service, district=None, per_minute=self.reminders_per_minute, limit=REMINDER_LIMIT,
                policy=self.reminders or ReminderPolicy(),
            )  # fmt: skip
        except Exception as error:  # tomorrow's pass tries again; sending goes on meanwhile
            log.error("notify reminders failed: %s", describe_error(error))
            return
        if result.queued:
            log.info("reminders queued: %d (lapse warnings %d)", result.queued, result.lapse_warnings)


def build_providers(
    settings: NotifySettings, store: SqlNotifyStore, clock: Callable[[], datetime], *, production: bool
) -> tuple[dict[Channel, Provider], bool]:
    """The provider of each channel from the settings; fakes refused in production."""
    from cartax.notify.adapters.letters import PrintBatchLetters

    chosen = (settings.alimtalk_provider, settings.sms_provider, settings.email_provider)
    if production and "fake" in chosen:
        raise ValueError(
            "CARTAX_NOTIFY_ALIMTALK_PROVIDER, _SMS_PROVIDER and _EMAIL_PROVIDER must name real providers "
            "in production (nhn, solapi, smtp); the fakes only fill the demo inbox"
        )
    sink = store.deliver_to_inbox
    providers: dict[Channel, Provider] = {}
    if settings.alimtalk_provider == "nhn":
        from cartax.notify.adapters.nhn_alimtalk import NhnAlimtalk

        providers[Channel.ALIMTALK] = NhnAlimtalk.from_settings(settings)
    else:
        providers[Channel.ALIMTALK] = FakeProvider("fake-alimtalk", clock, sink)
    if settings.sms_provider == "solapi":
        from cartax.notify.adapters.solapi_sms import SolapiSms

        providers[Channel.SMS] = SolapiSms.from_settings(settings, clock)
    else:
        providers[Channel.SMS] = FakeProvider("fake-sms", clock, sink)
    if settings.email_provider == "smtp":
        from cartax.notify.adapters.smtp_email import SmtpEmail

        providers[Channel.EMAIL] = SmtpEmail.from_settings(settings)
    else:
        providers[Channel.EMAIL] = FakeProvider("fake-email", clock, sink)
    fakes = "fake" in chosen
    providers[Channel.LETTER] = PrintBatchLetters(store.engine, clock, sink if fakes else None)
    return providers, fakes


def build_notify(
    engine: Engine,
    settings: NotifySettings,
    *,
    public_url: str,
    session_secret: str,
    production: bool,
    clock: Callable[[], datetime],
    owners: Callable[[str], OwnerContact | None],
    facts: CaseFactsLookup,
    on_notified: Callable[[str, str], None] | None,
    schedule_reminders: bool = False,
) -> Notify:
    store = SqlNotifyStore(engine)
    providers, fakes = build_providers(settings, store, clock, production=production)
    config = NotifyConfig(
        public_url=public_url.rstrip("/"),
        link_lifetime=settings.link_lifetime,
        ladder=settings.ladder(),
        # Quiet hours protect people's phones at night; the fakes write to the demo's inbox page, which
        # is read whenever the demo is shown.
        quiet=QuietHours(enabled=False) if fakes else settings.quiet(),
        daily_cap=settings.daily_cap,
        lease=settings.lease,
        batch_size=settings.batch_size,
    )
    service = NotifyService(
        store,
        OwnerContacts(owners),
        providers,
        LinkSigner(link_key(session_secret)),
        config,
        clock,
        quotas=DistrictQuotas(settings.district_burst, settings.district_per_second),
        on_notified=on_notified,
    )
    return Notify(
        service, store, NotifyConsumer(service, facts), fakes, settings.verify_per_minute,
        settings.reminder_policy() if schedule_reminders else None, settings.reminders_per_minute,
    )  # fmt: skip
