"""Messages to people about their refunds: channels, topics, statuses and the moves between them.

A message is addressed to a *person id* (the registry's owner id), never to a phone number or an
address: the destination is looked up at the moment of sending and never stored with the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType


class Channel(StrEnum):
    """How a message reaches a person, in the order the fallback tries them."""

    ALIMTALK = "alimtalk"  # KakaoTalk 알림톡 (business notification message)
    SMS = "sms"  # SMS up to 90 bytes, LMS above (the provider picks by length)
    EMAIL = "email"
    LETTER = "letter"  # a printed letter, through the district's print batch


FALLBACK: Mapping[Channel, Channel | None] = MappingProxyType(
    {
        Channel.ALIMTALK: Channel.SMS,
        Channel.SMS: Channel.LETTER,
        Channel.EMAIL: Channel.LETTER,
        Channel.LETTER: None,
    }
)
"""The channel tried when one fails or is not available: 알림톡 → SMS → letter; e-mail → letter."""


class Topic(StrEnum):
    """What a message is about; each topic has its own versioned template."""

    CASE_OPENED = "case_opened"  # 환급금 발생 안내
    ZERO_CLICK_ANNOUNCED = "zero_click_announced"  # 자동 지급 예정 안내 (objection window)
    ACCEPTED = "accepted"  # 신청 접수
    APPROVED = "approved"  # 지급 결정
    PAID = "paid"  # 지급 완료
    TRANSFER_FAILED = "transfer_failed"  # 이체 실패: register another account on the portal
    OFFSET = "offset"  # 충당 안내
    LAPSE_APPROACHING = "lapse_approaching"  # 소멸시효 임박
    REMINDER = "reminder"  # 미신청자 재안내
    ACCOUNT_CHANGED = "account_changed"  # 환급 계좌 변경 안내 (an insider fraud alarm)


class Status(StrEnum):
    """Where a message stands. The allowed moves are in :data:`STATUS_MOVES` right below."""

    QUEUED = "queued"  # waiting for its time (quiet hours, quota, back-off)
    SENT = "sent"  # a provider accepted it (or the letter went into a print batch)
    DELIVERED = "delivered"  # the provider's receipt says it reached the person
    FAILED = "failed"  # this channel gave up; a fallback message may follow on the next channel
    SUPPRESSED = "suppressed"  # never sent: opted out of every channel, or no way to reach the person


S = Status
STATUS_MOVES: Mapping[Status, frozenset[Status]] = MappingProxyType(
    {
        S.QUEUED: frozenset({S.SENT, S.FAILED, S.SUPPRESSED, S.QUEUED}),
        S.SENT: frozenset({S.DELIVERED, S.FAILED}),
        S.DELIVERED: frozenset(),
        S.FAILED: frozenset(),
        S.SUPPRESSED: frozenset(),
    }
)
"""status → the statuses it may move to (QUEUED → QUEUED is a retry later). Empty means final."""


def can_move(source: Status, target: Status) -> bool:
    """Whether a message may move from ``source`` to ``target``.

    >>> can_move(Status.QUEUED, Status.SENT), can_move(Status.DELIVERED, Status.FAILED)
    (True, False)
    """
    return target in STATUS_MOVES[source]


@dataclass(frozen=True, slots=True)
class Contacts:
    """Which channels can reach a person (whether a value exists, never the value itself)."""

    alimtalk: bool
    sms: bool
    email: bool
    letter: bool

    def reaches(self, channel: Channel) -> bool:
        return bool(getattr(self, channel.value))


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's choices: the first channel to try, and the channels they opted out of.

    >>> Preferences("p1").allows(Channel.SMS)
    True
    >>> Preferences("p1", opted_out=frozenset({Channel.SMS})).allows(Channel.SMS)
    False
    """

    person_id: str
    first: Channel = Channel.ALIMTALK
    opted_out: frozenset[Channel] = frozenset()
    updated_at: datetime | None = None

    def allows(self, channel: Channel) -> bool:
        return channel not in self.opted_out


def channel_plan(preferences: Preferences, contacts: Contacts) -> list[Channel]:
    """The channels to try, in order: the preferred one, then its fallbacks; opted-out and unreachable
    channels skipped. Empty means the person cannot be reached.

    >>> everything = Contacts(alimtalk=True, sms=True, email=True, letter=True)
    >>> channel_plan(Preferences("p1"), everything)
    [<Channel.ALIMTALK: 'alimtalk'>, <Channel.SMS: 'sms'>, <Channel.LETTER: 'letter'>]
    >>> no_sms = Preferences("p1", opted_out=frozenset({Channel.SMS, Channel.ALIMTALK}))
    >>> channel_plan(no_sms, everything)
    [<Channel.LETTER: 'letter'>]
    """
    plan: list[Channel] = []
    channel: Channel | None = preferences.first
    while channel is not None:
        if preferences.allows(channel) and contacts.reaches(channel):
            plan.append(channel)
        channel = FALLBACK[channel]
    return plan


def first_allowed(preferences: Preferences) -> Channel:
    """The first channel of the person's chain they have not refused (letters can never be refused).

    >>> first_allowed(Preferences("p1", opted_out=frozenset({Channel.ALIMTALK})))
    <Channel.SMS: 'sms'>
    """
    channel: Channel | None = preferences.first
    while channel is not None:
        if preferences.allows(channel):
            return channel
        channel = FALLBACK[channel]
    return Channel.LETTER


def next_channel(current: Channel, preferences: Preferences, contacts: Contacts) -> Channel | None:
    """The fallback after ``current`` that is allowed and reachable, or None.

    >>> everything = Contacts(alimtalk=True, sms=True, email=True, letter=True)
    >>> next_channel(Channel.ALIMTALK, Preferences("p1"), everything)
    <Channel.SMS: 'sms'>
    >>> next_channel(Channel.LETTER, Preferences("p1"), everything) is None
    True
    """
    channel = FALLBACK[current]
    while channel is not None:
        if preferences.allows(channel) and contacts.reaches(channel):
            return channel
        channel = FALLBACK[channel]
    return None
