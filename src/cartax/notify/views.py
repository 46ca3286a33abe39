"""What other contexts and screens read of the notify context: messages, receipts, verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cartax.notify.model import Channel, Status, Topic


@dataclass(frozen=True, slots=True)
class ReceiptView:
    """One step of a message's delivery, as the provider (or the print room) reported it."""

    status: Status
    at: datetime
    provider: str
    detail: str
    """A stable code (``accepted``, ``delivered``, ``provider_timeout``, ``quiet_hours`` …), never text
    from the person or their contact details."""


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message to one person on one channel, with its delivery receipts, oldest first."""

    ref: str
    person_id: str
    case_key: str | None
    district: str
    topic: Topic
    template: str
    """The template and its version, e.g. ``case_opened/v1``: what the person read is reproducible."""
    lang: str
    channel: Channel
    status: Status
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    fallback_of: str | None
    """The reference of the message on the previous channel this one replaces, if any."""
    subject: str
    body: str
    receipts: tuple[ReceiptView, ...]


@dataclass(frozen=True, slots=True)
class Verification:
    """The answer to "is this message really from us?": what a genuine code tells about its message.

    Nothing personal: whoever holds the code learns only when, how and about what the office wrote.
    """

    ref: str
    district: str
    topic: Topic
    channel: Channel
    sent_at: datetime | None
    status: Status


@dataclass(frozen=True, slots=True)
class InboxItem:
    """What a fake provider delivered (the embedded demo's inbox)."""

    person_id: str
    message_ref: str
    channel: Channel
    subject: str
    body: str
    delivered_at: datetime


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What one pass of the dispatcher did."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    suppressed: int = 0
    fallbacks: int = 0

    def __add__(self, other: DispatchReport) -> DispatchReport:
        return DispatchReport(
            self.sent + other.sent,
            self.failed + other.failed,
            self.deferred + other.deferred,
            self.suppressed + other.suppressed,
            self.fallbacks + other.fallbacks,
        )

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.deferred + self.suppressed
