"""When a message may go: the retry ladder, quiet hours, per-district quotas and daily caps.

All pure and clock-driven, so they are tested without waiting: the dispatcher asks them and defers a
message (``next_attempt_at``) instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from cartax.notify.model import Channel

SEOUL = ZoneInfo("Asia/Seoul")
DEFAULT_LADDER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
"""Waits before the 2nd, 3rd, 4th and 5th attempt on one channel; after the last, the channel fails."""


@dataclass(frozen=True, slots=True)
class RetryLadder:
    """A bounded back-off: ``delay(attempt)`` after a failed ``attempt`` (counting from 1), or None
    when the ladder is exhausted and the channel has failed.

    >>> ladder = RetryLadder()
    >>> ladder.delay(1), ladder.delay(4), ladder.delay(5)
    (datetime.timedelta(seconds=60), datetime.timedelta(seconds=7200), None)
    """

    steps: Sequence[timedelta] = DEFAULT_LADDER

    @property
    def max_attempts(self) -> int:
        return len(self.steps) + 1

    def delay(self, attempt: int) -> timedelta | None:
        return self.steps[attempt - 1] if 1 <= attempt <= len(self.steps) else None


@dataclass(frozen=True, slots=True)
class QuietHours:
    """No message to a phone or inbox at night, Seoul time (default 21:00–08:00). Letters are printed,
    not sent at night, so they are not held.

    >>> from datetime import UTC
    >>> quiet = QuietHours()
    >>> night = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)  # 23:00 in Seoul
    >>> quiet.next_allowed(night, Channel.SMS)
    datetime.datetime(2026, 7, 2, 8, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Seoul'))
    >>> quiet.next_allowed(night, Channel.LETTER) is None
    True
    >>> quiet.next_allowed(datetime(2026, 7, 1, 3, 0, tzinfo=UTC), Channel.SMS) is None  # 12:00 KST
    True
    """

    start: time = time(21, 0)
    end: time = time(8, 0)
    enabled: bool = True

    def next_allowed(self, now: datetime, channel: Channel) -> datetime | None:
        """None when ``channel`` may send at ``now``; otherwise the moment quiet hours end."""
        if not self.enabled or channel is Channel.LETTER or self.start == self.end:
            return None
        local = now.astimezone(SEOUL)
        clock = local.time()
        if self.start < self.end:
            quiet = self.start <= clock < self.end
        else:
            quiet = clock >= self.start or clock < self.end
        if not quiet:
            return None
        day = local.date() if clock < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, SEOUL)


@dataclass(slots=True)
class TokenBucket:
    """``burst`` messages at once, then ``per_second`` on average (one bucket per district).

    >>> bucket = TokenBucket(burst=2, per_second=1.0)
    >>> bucket.take(0.0), bucket.take(0.0), bucket.take(0.0)
    (0.0, 0.0, 1.0)
    >>> bucket.take(1.0)
    0.0
    """

    burst: int
    per_second: float
    tokens: float = field(init=False)
    since: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_second <= 0:
            raise ValueError("a quota needs a burst of at least 1 and a positive rate")
        self.tokens = float(self.burst)

    def take(self, now: float) -> float:
        """0 when a message may go now (a token is taken); otherwise the seconds until one may."""
        if self.since is not None:
            self.tokens = min(float(self.burst), self.tokens + (now - self.since) * self.per_second)
        self.since = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass(slots=True)
class DistrictQuotas:
    """A token bucket per district, created on first use with the same limits."""

    burst: int
    per_second: float
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def take(self, district: str, now: float) -> float:
        bucket = self.buckets.get(district)
        if bucket is None:
            bucket = self.buckets[district] = TokenBucket(self.burst, self.per_second)
        return bucket.take(now)


def seoul_day(moment: datetime) -> str:
    """The Seoul calendar day of ``moment`` (daily caps count per Seoul day), as ``YYYY-MM-DD``."""
    return moment.astimezone(SEOUL).date().isoformat()


def next_seoul_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(SEOUL)
    return datetime.combine(local.date() + timedelta(days=1), time(0, 0), SEOUL)
