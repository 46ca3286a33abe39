"""The notify service: queue a message for a person, and send what is due, channel by channel.

Sending is a separate pass (:meth:`NotifyService.dispatch`, run by a worker): a queued message is
claimed under a lease, held back by quiet hours, the district's quota or its daily cap, sent through the
channel's provider, retried on the bounded ladder, and on failure replaced by a message on the next
channel (알림톡 → SMS → letter). Every step leaves a receipt row. Nothing personal is logged.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cartax.core.dates import korean_date
from cartax.notify.errors import InvalidNotifyRequestError, LinkInvalidError
from cartax.notify.links import LinkSigner, new_code, new_codes, new_ref, new_refs, normalise_code
from cartax.notify.model import (
    Channel,
    Contacts,
    Preferences,
    Status,
    Topic,
    channel_plan,
    first_allowed,
    next_channel,
)
from cartax.notify.policy import (
    DistrictQuotas,
    QuietHours,
    RetryLadder,
    next_seoul_midnight,
    seoul_day,
)
from cartax.notify.ports import (
    Batch,
    BulkMessage,
    ContactBook,
    Due,
    NewMessage,
    NotifyStore,
    Outgoing,
    Provider,
    SendResult,
)
from cartax.notify.templates import CURRENT, Compiled, compile_template, render
from cartax.notify.views import DispatchReport, InboxItem, MessageView, Verification

log = logging.getLogger("cartax.notify")

NOBODY = Contacts(alimtalk=False, sms=False, email=False, letter=False)
PRIORITY_EVENT = 10
"""Messages about a person's own case move before campaign and reminder messages."""
PRIORITY_CAMPAIGN = 100
DATE_PARAMS = frozenset({"pay_on", "object_by", "paid_on", "lapse_on"})
BULK_BATCH = 10_000
"""Messages rendered and stored together (one transaction) by :meth:`NotifyService.queue_many`."""
DRAWS = 3
"""Times a bulk message is drawn (reference, code, link) before its batch gives up."""
FIRST_CHANNEL = first_allowed(Preferences(""))
"""The first channel of a person who has chosen nothing."""


@dataclass(frozen=True, slots=True)
class Request:
    """One message of a campaign (see :meth:`NotifyService.queue_many`)."""

    person_id: str
    topic: Topic
    district: str
    params: Mapping[str, Any]
    key: str
    case_key: str | None = None
    lang: str = "ko"
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    public_url: str
    link_lifetime: timedelta = timedelta(days=30)
    ladder: RetryLadder = field(default_factory=RetryLadder)
    quiet: QuietHours = field(default_factory=QuietHours)
    daily_cap: int = 200_000
    lease: timedelta = timedelta(minutes=2)
    batch_size: int = 200

    @property
    def verify_url(self) -> str:
        return f"{self.public_url}/verify"


def _display(name: str, value: Any) -> str:
    """A template value as a provider fills it into a registered template (``#{amount}`` → 250,040원).

    >>> _display("amount", 250040), _display("pay_on", "2026-07-01"), _display("code", "K7Q2-M9XP")
    ('250,040원', '2026년 7월 1일', 'K7Q2-M9XP')
    """
    if name == "amount":
        return f"{int(value):,}원"
    if name in DATE_PARAMS:
        return korean_date(date.fromisoformat(str(value)[:10]))
    return str(value)


def _json_ready(params: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in params.items()}


@contextmanager
def _cycles_not_collected() -> Iterator[None]:
    """Pause the cyclic garbage collector while batches are rendered and stored: they make only acyclic
    objects (strings, tuples, dicts), freed as usual by reference counting, but their number would set off
    full collections over every object of the process, a fifth of the CPU of a campaign."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check_person(person_id: str) -> None:
    if not person_id or len(person_id) > 64 or not person_id.isprintable():
        raise InvalidNotifyRequestError("invalid_person")


class NotifyService:
    """What the rest of the platform calls (through ``Services.notify``)."""

    def __init__(
        self,
        store: NotifyStore,
        contacts: ContactBook,
        providers: Mapping[Channel, Provider],
        signer: LinkSigner,
        config: NotifyConfig,
        clock: Callable[[], datetime],
        *,
        quotas: DistrictQuotas | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        on_notified: Callable[[str, str], None] | None = None,
    ) -> None:
        self.store = store
        self.contacts = contacts
        self.providers = dict(providers)
        self.signer = signer
        self.config = config
        self.clock = clock
        self.quotas = quotas or DistrictQuotas(burst=50, per_second=20.0)
        self.monotonic = monotonic
        self.on_notified = on_notified

    # -- queueing ---------------------------------------------------------------------------------

    def notify(
        self,
        person_id: str,
        topic: Topic,
        *,
        district: str,
        params: Mapping[str, Any],
        key: str,
        case_key: str | None = None,
        lang: str = "ko",
        not_before: datetime | None = None,
        priority: int = PRIORITY_EVENT,
        campaign_id: int | None = None,
    ) -> str:
        """Queue a message about ``topic`` for a person, on the first channel their preferences and
        contacts allow; returns its reference. The same ``key`` twice queues one message. A person who
        cannot be reached gets a ``suppressed`` message, so the console sees why nothing went out."""
        _check_person(person_id)
        preferences = self.store.preferences(person_id)
        contacts = self.contacts.contacts(person_id) or NOBODY
        plan = channel_plan(preferences, contacts)
        channel = plan[0] if plan else preferences.first
        status = Status.QUEUED if plan else Status.SUPPRESSED
        detail = "queued" if plan else "no_reachable_channel"
        now = self.clock()
        return self._queue(
            person_id, topic, district, dict(params), key, case_key, lang, channel, status, detail,
            max(now, not_before or now), priority, campaign_id, None,
        )  # fmt: skip

    def _queue(
        self,
        person_id: str,
        topic: Topic,
        district: str,
        params: dict[str, Any],
        key: str,
        case_key: str | None,
        lang: str,
        channel: Channel,
        status: Status,
        detail: str,
        at: datetime,
        priority: int,
        campaign_id: int | None,
        fallback_of: str | None,
    ) -> str:
        now = self.clock()
        message = self._build(
            person_id, topic, district, params, key, case_key, lang, channel, status, detail, at, priority,
            campaign_id, fallback_of, now,
        )  # fmt: skip
        stored = self.store.add_message(message)
        if stored == message.ref and case_key:
            self.store.add_link(message.link_ref, case_key, now + self.config.link_lifetime, now)
        return stored

    def _build(
        self,
        person_id: str,
        topic: Topic,
        district: str,
        params: Mapping[str, Any],
        key: str,
        case_key: str | None,
        lang: str,
        channel: Channel,
        status: Status,
        detail: str,
        at: datetime,
        priority: int,
        campaign_id: int | None,
        fallback_of: str | None,
        now: datetime,
    ) -> NewMessage:
        """Render one message with its own reference, code and link (not stored yet)."""
        template = CURRENT[topic]
        ref, code, link_ref = new_ref(), new_code(), new_ref()
        link = self.case_url(link_ref, now) if case_key else f"{self.config.public_url}/"
        rendered = render(template, lang, params, link=link, code=code, verify_url=self.config.verify_url)
        return NewMessage(
            ref=ref, key=key, person_id=person_id, case_key=case_key, district=district, topic=topic,
            template=rendered.template, lang=lang, channel=channel, status=status, priority=priority,
            subject=rendered.subject, body=rendered.body,
            params={**_json_ready(params), "link": link, "code": code},
            code_digest=self.signer.code_digest(code), link_ref=link_ref if case_key else "",
            next_attempt_at=at, created_at=now, fallback_of=fallback_of, campaign_id=campaign_id,
            detail=detail,
        )  # fmt: skip

    def queue_many(
        self,
        requests: Sequence[Request],
        *,
        priority: int = PRIORITY_CAMPAIGN,
        campaign_id: int | None = None,
    ) -> int:
        """Queue many messages at once (campaigns, reminders); returns how many were new (a key already
        queued, or repeated in ``requests``, is queued once). Each goes on the person's first allowed
        channel; whether the person can be reached there is checked when it is sent, and an unreachable
        channel falls back like a failed one.

        Every request is checked and its text rendered and guarded before anything is stored, so a bad
        one queues nothing; then the messages are stored in batches of :data:`BULK_BATCH`, each in one
        transaction with its links and first receipts."""
        now = self.clock()
        first_of_key: dict[str, Request] = {}
        for request in requests:
            first_of_key.setdefault(request.key, request)
        unique = list(first_of_key.values())
        compiled: dict[tuple[Topic, str], Compiled] = {}
        for request in unique:
            _check_person(request.person_id)
            kind = (request.topic, request.lang)
            renderer = compiled.get(kind) or compiled.setdefault(kind, self._compiled(*kind))
            renderer.texts(request.params)
        new = 0
        with _cycles_not_collected():
            for start in range(0, len(unique), BULK_BATCH):
                new += self._queue_batch(unique[start : start + BULK_BATCH], now, priority, campaign_id)
        return new

    def _queue_batch(
        self, requests: Sequence[Request], now: datetime, priority: int, campaign_id: int | None
    ) -> int:
        """Queue one batch of distinct keys. The store takes a batch whole (nothing is looked up first:
        a campaign's keys are new); when one of its keys is already queued (a campaign run again, or
        another worker) or one of its draws already taken (rare), it takes none, and the keys not queued
        are drawn again, the last time stored one by one. Nothing is silently dropped."""
        pending = list(requests)
        chosen = self.store.preferences_many(sorted({request.person_id for request in pending}))
        new = 0
        for draw in range(DRAWS):
            batch = self._render_batch(pending, chosen, now, priority, campaign_id)
            stored = self.store.add_batch(batch, one_by_one=draw == DRAWS - 1)
            new += len(stored)
            left = [request for request in pending if request.key not in stored]
            if left:
                queued = self.store.queued_keys([request.key for request in left])
                left = [request for request in left if request.key not in queued]
            if not left:
                return new
            pending = left
        raise RuntimeError(f"{len(pending)} messages could not be stored after {DRAWS} draws")

    def _render_batch(
        self,
        requests: Sequence[Request],
        chosen: Mapping[str, Preferences],
        now: datetime,
        priority: int,
        campaign_id: int | None,
    ) -> Batch:
        """Render a batch: references, codes and link references drawn together, codes digested and
        links signed together, each text from its compiled template."""
        count = len(requests)
        refs = new_refs(2 * count)
        codes = new_codes(count)
        digests = self.signer.code_digests(codes)
        expires_at = now + self.config.link_lifetime
        linked = [index for index, request in enumerate(requests) if request.case_key]
        site = f"{self.config.public_url}/"
        links = [site] * count
        tokens = self.signer.sign_many([refs[count + index] for index in linked], expires_at)
        for index, token in zip(linked, tokens, strict=True):
            links[index] = f"{site}l/{token}"
        compiled: dict[tuple[Topic, str], Compiled] = {}
        messages: list[BulkMessage] = []
        for index, request in enumerate(requests):
            topic, lang = request.topic, request.lang
            renderer = compiled.get((topic, lang)) or compiled.setdefault(
                (topic, lang), self._compiled(topic, lang)
            )
            subject, middle = renderer.texts(request.params, guard=False)  # checked by queue_many
            link, code = links[index], codes[index]
            preferences = chosen.get(request.person_id)
            at = request.not_before
            messages.append(
                BulkMessage(
                    refs[index], request.key, request.person_id, request.case_key, request.district, topic,
                    renderer.template_id, lang,
                    first_allowed(preferences) if preferences else FIRST_CHANNEL,
                    subject, renderer.body(subject, middle, link, code),
                    {**_json_ready(request.params), "link": link, "code": code}, digests[index],
                    refs[count + index] if request.case_key else None,
                    at if at is not None and at > now else now,
                )
            )  # fmt: skip
        return Batch(messages, priority, now, expires_at, campaign_id, "campaign")

    def _compiled(self, topic: Topic, lang: str) -> Compiled:
        return compile_template(CURRENT[topic], lang, self.config.verify_url)

    def case_url(self, link_ref: str, now: datetime) -> str:
        token = self.signer.sign(link_ref, now + self.config.link_lifetime)
        return f"{self.config.public_url}/l/{token}"

    def case_link(self, case_key: str) -> str:
        """A new signed, expiring link to a case's page on the portal (for the console and notices)."""
        now = self.clock()
        link_ref = new_ref()
        self.store.add_link(link_ref, case_key, now + self.config.link_lifetime, now)
        return self.case_url(link_ref, now)

    def open_link(self, token: str) -> str:
        """The case a genuine, unexpired link points to; :class:`LinkInvalidError` otherwise."""
        link_ref = self.signer.open(token, self.clock())
        case_key = self.store.link_case(link_ref)
        if case_key is None:
            raise LinkInvalidError("link_invalid")
        return case_key

    # -- sending ----------------------------------------------------------------------------------

    def dispatch(self, limit: int | None = None) -> DispatchReport:
        """One pass over the messages that are due; returns what happened to them.

        Per pass, not per message: one claim, one read of the people's preferences, and one count
        against each district's daily cap; then each message is sent and recorded on its own."""
        now = self.clock()
        report = DispatchReport()
        found = self.store.due(now, limit or self.config.batch_size)
        claimed = self.store.claim_many([due.id for due in found], now, now + self.config.lease)
        ready: list[Due] = []
        for due in (due for due in found if due.id in claimed):
            held = self._held_until(due, now)
            if held is None:
                ready.append(due)
            else:
                self.store.mark(due.id, Status.QUEUED, now, "notify", held[1], next_attempt_at=held[0])
                report += DispatchReport(deferred=1)
        ready, capped = self._within_daily_caps(ready, now)
        for due in capped:
            self.store.mark(
                due.id, Status.QUEUED, now, "notify", "daily_cap", next_attempt_at=next_seoul_midnight(now)
            )
            report += DispatchReport(deferred=1)
        chosen = self.store.preferences_many(sorted({due.person_id for due in ready}))
        for due in ready:
            report += self._dispatch_one(due, now, chosen.get(due.person_id) or Preferences(due.person_id))
        return report

    def _within_daily_caps(self, ready: list[Due], now: datetime) -> tuple[list[Due], list[Due]]:
        """Split the pass's messages into those within their district's daily cap and those beyond it
        (first come, first kept); each district's count is taken in one statement."""
        by_district: dict[str, list[Due]] = {}
        for due in ready:
            by_district.setdefault(due.district, []).append(due)
        day = seoul_day(now)
        within: list[Due] = []
        beyond: list[Due] = []
        for district, group in by_district.items():
            granted = self.store.take_daily_many(district, day, len(group), self.config.daily_cap)
            within += group[:granted]
            beyond += group[granted:]
        order = {due.id: index for index, due in enumerate(ready)}
        return sorted(within, key=lambda due: order[due.id]), beyond

    def drain(self, max_passes: int = 1000) -> DispatchReport:
        """Dispatch until nothing due is left that can go now (tests, the demo, ``cartax notify send``)."""
        total = DispatchReport()
        for _ in range(max_passes):
            report = self.dispatch()
            total += report
            if report.sent + report.failed + report.suppressed == 0:
                break
        return total

    def _dispatch_one(self, due: Due, now: datetime, preferences: Preferences) -> DispatchReport:
        contacts = self.contacts.contacts(due.person_id) or NOBODY
        problem = self._unusable(due, preferences, contacts)
        if problem is not None:
            return self._fail(due, now, "notify", problem, preferences, contacts)
        destination = self.contacts.destination(due.person_id, due.channel)
        if not destination:
            return self._fail(due, now, "notify", "no_contact", preferences, contacts)
        provider = self.providers[due.channel]
        result = self._send(provider, due, destination)
        return self._record(due, now, provider.name, result, preferences, contacts)

    def _held_until(self, due: Due, now: datetime) -> tuple[datetime, str] | None:
        """Quiet hours, then the district's token bucket (the daily cap is taken per pass)."""
        quiet_until = self.config.quiet.next_allowed(now, due.channel)
        if quiet_until is not None:
            return quiet_until, "quiet_hours"
        wait = self.quotas.take(due.district, self.monotonic())
        if wait > 0:
            return now + timedelta(seconds=wait), "district_quota"
        return None

    def _unusable(self, due: Due, preferences: Preferences, contacts: Contacts) -> str | None:
        if not preferences.allows(due.channel):
            return "opted_out"
        if not contacts.reaches(due.channel):
            return "no_contact"
        if due.channel not in self.providers:
            return "channel_unavailable"
        return None

    def _send(self, provider: Provider, due: Due, destination: str) -> SendResult:
        template = CURRENT[due.topic]
        outgoing = Outgoing(
            ref=due.ref, person_id=due.person_id, district=due.district, channel=due.channel,
            destination=destination, subject=due.subject, body=due.body, template=due.template,
            alimtalk_code=template.alimtalk_code,
            params={name: _display(name, value) for name, value in due.params.items()},
        )  # fmt: skip
        try:
            return provider.send(outgoing)
        except Exception as error:  # a provider's bug or outage must not stop the other messages
            log.warning("provider %s raised on %s: %s", provider.name, due.ref, type(error).__name__)
            return SendResult(accepted=False, code=f"provider_error:{type(error).__name__}", retryable=True)

    def _record(
        self,
        due: Due,
        now: datetime,
        provider: str,
        result: SendResult,
        preferences: Preferences,
        contacts: Contacts,
    ) -> DispatchReport:
        if result.accepted:
            self.store.mark(
                due.id, Status.SENT, now, provider, result.code, provider_ref=result.provider_ref,
                attempted=True, delivered=result.delivered,
            )  # fmt: skip
            self._notified(due)
            return DispatchReport(sent=1)
        delay = self.config.ladder.delay(due.attempts + 1) if result.retryable else None
        if delay is not None:
            self.store.mark(
                due.id, Status.QUEUED, now, provider, result.code, next_attempt_at=now + delay, attempted=True
            )
            return DispatchReport(deferred=1)
        return self._fail(due, now, provider, result.code, preferences, contacts, attempted=True)

    def _fail(
        self,
        due: Due,
        now: datetime,
        provider: str,
        code: str,
        preferences: Preferences,
        contacts: Contacts,
        *,
        attempted: bool = False,
    ) -> DispatchReport:
        self.store.mark(due.id, Status.FAILED, now, provider, code, attempted=attempted)
        channel = next_channel(due.channel, preferences, contacts)
        if channel is None:
            log.info("message %s failed on %s with no channel left (%s)", due.ref, due.channel, code)
            return DispatchReport(failed=1)
        self._queue(
            due.person_id, due.topic, due.district, due.params, f"{due.key}>{channel}", due.case_key,
            due.lang, channel, Status.QUEUED, f"fallback_from_{due.channel}", now, due.priority,
            due.campaign_id, due.ref,
        )  # fmt: skip
        return DispatchReport(failed=1, fallbacks=1)

    def _notified(self, due: Due) -> None:
        """Tell the cases context the person was told of a new case (DETECTED → NOTIFIED)."""
        if due.topic is not Topic.CASE_OPENED or due.case_key is None or self.on_notified is None:
            return
        try:
            self.on_notified(due.case_key, due.ref)
        except Exception as error:  # the message went out; the case's state is the cases context's call
            log.warning("case not marked notified after %s: %s", due.ref, type(error).__name__)

    def poll_receipts(self, limit: int = 200) -> int:
        """Ask the providers that can say (``poll``) what became of messages they accepted; returns how
        many receipts were recorded."""
        recorded = 0
        pollers = {
            provider.name: provider for provider in self.providers.values() if hasattr(provider, "poll")
        }
        for provider_name, provider_ref in self.store.awaiting_receipt(list(pollers), limit):
            answer = pollers[provider_name].poll(provider_ref)
            if answer is not None:
                delivered, detail = answer
                recorded += self.record_receipt(provider_name, provider_ref, delivered, detail)
        return recorded

    def record_receipt(self, provider: str, provider_ref: str, delivered: bool, detail: str) -> bool:
        """A provider's delivery report (webhook or poll); False when no sent message matches."""
        status = Status.DELIVERED if delivered else Status.FAILED
        return self.store.receipt(provider, provider_ref, status, self.clock(), detail[:64])

    # -- reading ----------------------------------------------------------------------------------

    def messages_for_case(self, case_key: str) -> list[MessageView]:
        """Every message about a case, oldest first, each with its delivery receipts."""
        return self.store.messages(case_key=case_key)

    def messages_for_person(self, person_id: str) -> list[MessageView]:
        _check_person(person_id)
        return self.store.messages(person_id=person_id)

    def verify(self, code: str) -> Verification | None:
        """Whether a code belongs to a message we sent (None: it does not). Bad format raises
        :class:`InvalidNotifyRequestError` with what a code looks like."""
        digest = self.signer.code_digest(normalise_code(code))
        message = self.store.by_code(digest)
        if message is None:
            return None
        return Verification(
            message.ref, message.district, message.topic, message.channel, message.sent_at, message.status
        )

    def inbox(self, person_id: str, limit: int = 50) -> list[InboxItem]:
        """What the fake providers delivered to a person (the embedded demo's inbox), newest first."""
        return self.store.inbox(person_id, limit)

    # -- preferences ------------------------------------------------------------------------------

    def preferences(self, person_id: str) -> Preferences:
        _check_person(person_id)
        return self.store.preferences(person_id)

    def set_preferences(
        self, person_id: str, first: Channel, opted_out: frozenset[Channel] = frozenset()
    ) -> Preferences:
        """Choose the first channel and the channels refused. Letters are the legal way of notice and
        cannot be refused, so a person always remains reachable."""
        _check_person(person_id)
        if Channel.LETTER in opted_out:
            raise InvalidNotifyRequestError("all_opted_out")
        preferences = Preferences(person_id, first, frozenset(opted_out), self.clock())
        self.store.save_preferences(preferences)
        return preferences

    def opt_out(self, person_id: str, channel: Channel) -> Preferences:
        current = self.preferences(person_id)
        return self.set_preferences(person_id, current.first, current.opted_out | {channel})

    def opt_in(self, person_id: str, channel: Channel) -> Preferences:
        current = self.preferences(person_id)
        return self.set_preferences(person_id, current.first, current.opted_out - {channel})
