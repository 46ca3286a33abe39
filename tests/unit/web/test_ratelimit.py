"""Token buckets: a burst, then the average rate; each client and class of route on its own."""

from __future__ import annotations

import pytest

from cartax.web import ratelimit
from cartax.web.ratelimit import Limit, RateLimits, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _buckets(clock: Clock) -> TokenBuckets:
    return TokenBuckets(RateLimits(sign_in=Limit(3, 0.5), api=Limit(10, 10.0)), clock)


def test_a_burst_then_the_rate() -> None:
    clock = Clock()
    buckets = _buckets(clock)
    assert [buckets.take("1.2.3.4", "sign_in") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("1.2.3.4", "sign_in") == pytest.approx(2.0)  # one token per 2 seconds
    clock.now += 2.0
    assert buckets.take("1.2.3.4", "sign_in") == 0.0
    assert buckets.take("1.2.3.4", "sign_in") > 0


def test_clients_and_classes_do_not_share_buckets() -> None:
    buckets = _buckets(Clock())
    for _ in range(3):
        buckets.take("1.2.3.4", "sign_in")
    assert buckets.take("1.2.3.4", "sign_in") > 0
    assert buckets.take("5.6.7.8", "sign_in") == 0.0
    assert buckets.take("1.2.3.4", "api") == 0.0


def test_full_buckets_are_forgotten_when_too_many_are_tracked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_TRACKED", 3)
    clock = Clock()
    buckets = _buckets(clock)
    for n in range(3):
        buckets.take(f"10.0.0.{n}", "api")
    clock.now += 10.0  # every bucket has refilled
    buckets.take("10.0.0.9", "api")
    assert len(buckets._buckets) == 1


def test_a_limit_must_allow_something() -> None:
    with pytest.raises(ValueError, match="burst"):
        Limit(0, 1.0)
