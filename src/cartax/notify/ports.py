"""What the notify context needs from the outside world, as Protocols; adapters implement them and
every one has a fake (``adapters/fakes.py``) so the service is tested without I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from cartax.notify.model import Channel, Contacts, Preferences, Status, Topic
from cartax.notify.views import InboxItem, MessageView, ReceiptView


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message handed to a provider. ``destination`` (a phone number, an e-mail or postal address)
    is looked up just before sending and lives only in this object, never in a table or a log."""

    ref: str
    person_id: str
    district: str
    channel: Channel
    destination: str
    subject: str
    body: str
    template: str
    alimtalk_code: str
    params: dict[str, str]
    """The template's values as text, for providers (알림톡) that fill a registered template."""


@dataclass(frozen=True, slots=True)
class SendResult:
    """A provider's answer. ``code`` is stable (``accepted``, ``delivered``, ``provider_timeout``,
    ``rejected_recipient`` …); ``retryable`` says whether the same channel may be tried again later."""

    accepted: bool
    code: str
    provider_ref: str = ""
    retryable: bool = False
    delivered: bool = False


class Provider(Protocol):
    """A way out for one channel: an HTTP message provider, an SMTP server, the print room, a fake."""

    name: str

    def send(self, message: Outgoing) -> SendResult: ...


class ContactBook(Protocol):
    """The registry's contact data of a person, decrypted only when a message is sent."""

    def contacts(self, person_id: str) -> Contacts | None:
        """Which channels can reach the person (None: no such person)."""

    def destination(self, person_id: str, channel: Channel) -> str | None:
        """The phone number, e-mail or postal address for ``channel``, or None."""


@dataclass(frozen=True, slots=True)
class NewMessage:
    ref: str
    key: str
    person_id: str
    case_key: str | None
    district: str
    topic: Topic
    template: str
    lang: str
    channel: Channel
    status: Status
    priority: int
    subject: str
    body: str
    params: dict[str, Any]
    code_digest: str
    link_ref: str
    next_attempt_at: datetime
    created_at: datetime
    fallback_of: str | None = None
    campaign_id: int | None = None
    detail: str = "queued"


class BulkMessage(NamedTuple):
    """One rendered message of a bulk queueing (a campaign); what all of them share is in :class:`Batch`.
    A plain tuple, made by the hundred thousand."""

    ref: str
    key: str
    person_id: str
    case_key: str | None
    district: str
    topic: Topic
    template: str
    lang: str
    channel: Channel
    subject: str
    body: str
    params: dict[str, Any]
    code_digest: str
    link_ref: str | None
    """Set when the message has a link to its case (``case_key``)."""
    next_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class Batch:
    """Messages queued together, each ``queued`` with a first receipt ``detail``, links expiring together."""

    messages: Sequence[BulkMessage]
    priority: int
    created_at: datetime
    link_expires_at: datetime
    campaign_id: int | None = None
    detail: str = "campaign"


@dataclass(frozen=True, slots=True)
class Due:
    """A queued message whose time has come, as the dispatcher needs it."""

    id: int
    ref: str
    key: str
    person_id: str
    case_key: str | None
    district: str
    topic: Topic
    template: str
    lang: str
    channel: Channel
    priority: int
    attempts: int
    subject: str
    body: str
    params: dict[str, Any] = field(default_factory=dict)
    campaign_id: int | None = None


@dataclass(frozen=True, slots=True)
class TrackedCase:
    """What notify remembers of a case (from the cases context's events) to remind non-responders."""

    case_key: str
    person_id: str
    district: str
    payable: int
    state: str
    lapses_on: date | None
    reminders: int
    last_message_at: datetime | None


class NotifyStore(Protocol):
    """The context's tables."""

    def add_message(self, message: NewMessage) -> str:
        """Store a message; with a key already stored, store nothing and return the existing ref."""

    def queued_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these keys a stored message already has."""

    def add_batch(self, batch: Batch, *, one_by_one: bool = False) -> set[str]:
        """Store a batch of messages with their links and first receipts, in one transaction; returns
        the keys of the messages stored. When a message's key, reference, code digest or link reference
        is already stored, the store may leave out the whole batch (PostgreSQL's ``COPY``) or only that
        message (always with ``one_by_one``, slower)."""

    def preferences_many(self, person_ids: Sequence[str]) -> dict[str, Preferences]:
        """The stored preferences of these people (absent: the defaults)."""

    def due(self, now: datetime, limit: int) -> Sequence[Due]: ...

    def claim_many(self, message_ids: Sequence[int], now: datetime, lease_until: datetime) -> set[int]:
        """Take due messages for sending under a lease; returns those taken (another worker may hold
        the others)."""

    def mark(
        self,
        message_id: int,
        status: Status,
        now: datetime,
        provider: str,
        detail: str,
        *,
        provider_ref: str = "",
        next_attempt_at: datetime | None = None,
        attempted: bool = False,
        delivered: bool = False,
    ) -> None:
        """Move a message (with a receipt row); QUEUED again means "retry at ``next_attempt_at``".
        ``attempted``: a provider was called (counts toward the retry ladder); the lease is released.
        ``delivered`` with SENT: the provider also reported delivery (two receipts, one transaction)."""

    def receipt(self, provider: str, provider_ref: str, status: Status, now: datetime, detail: str) -> bool:
        """A provider's delivery report for a message it accepted; False when no message matches."""

    def awaiting_receipt(self, providers: list[str], limit: int) -> list[tuple[str, str]]:
        """(provider, provider_ref) of sent messages without a final receipt, oldest first."""

    def messages(self, *, case_key: str | None = None, person_id: str | None = None) -> list[MessageView]: ...

    def by_code(self, code_digest: str) -> MessageView | None: ...

    def preferences(self, person_id: str) -> Preferences: ...

    def save_preferences(self, preferences: Preferences) -> None: ...

    def add_link(self, ref: str, case_key: str, expires_at: datetime, now: datetime) -> None: ...

    def link_case(self, ref: str) -> str | None: ...

    def take_daily_many(self, district: str, day: str, wanted: int, cap: int) -> int:
        """Count up to ``wanted`` messages against the district's cap for the Seoul ``day``; returns how
        many fit (0 when the day is full)."""

    def track_case(self, case: TrackedCase) -> None:
        """Remember a case (insert or replace its amount, person and lapse date)."""

    def track_state(self, case_key: str, state: str) -> None: ...

    def tracked(self, case_key: str) -> TrackedCase | None: ...

    def non_responders(
        self, district: str | None, quiet_since: datetime, max_reminders: int, limit: int
    ) -> list[TrackedCase]:
        """Notified cases nobody answered, last told before ``quiet_since``, nearest lapse first."""

    def count_reminders(self, case_keys: Sequence[str], now: datetime) -> None: ...

    def touch_case(self, case_key: str, now: datetime) -> None:
        """Remember that the person was just told about the case (reminders wait from here)."""

    def add_campaign(self, district: str | None, topic: Topic, per_minute: int, now: datetime) -> int: ...

    def deliver_to_inbox(self, item: InboxItem) -> None: ...

    def inbox(self, person_id: str, limit: int) -> list[InboxItem]: ...

    def receipts(self, ref: str) -> list[ReceiptView]: ...
