"""Rate limiting per client address and class of route: token buckets in memory, 429 with Retry-After.

One process (the embedded mode) keeps its buckets in memory; several replicas each limit what reaches
them, and a shared limit belongs in front of them (the ingress). Sign-in is limited far more tightly
than the API, since guessing passwords or codes is what a limit there prevents; officers' accounts are
also locked after repeated failures (docs/security.md), which this does not replace.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from cartax.web.problems import problem_response

MAX_TRACKED = 100_000
"""Buckets kept before full ones are forgotten (a forgotten bucket is a full one, so nothing is lost)."""


@dataclass(frozen=True, slots=True)
class Limit:
    """``burst`` requests at once, then ``per_second`` on average."""

    burst: int
    per_second: float

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_second <= 0:
            raise ValueError("a rate limit needs a burst of at least 1 and a positive rate")


@dataclass(frozen=True, slots=True)
class RateLimits:
    sign_in: Limit = Limit(burst=10, per_second=10 / 60)
    api: Limit = Limit(burst=120, per_second=20.0)
    pages: Limit = Limit(burst=120, per_second=20.0)


# Paths that are never limited: probes and metrics scrapes come from the platform's own infrastructure
# at a fixed pace, and static files carry nothing to protect.
UNLIMITED = ("/api/v1/health", "/api/v1/ready", "/api/v1/metrics", "/static/")
SIGN_IN = ("/login/", "/console/login", "/demo-oidc/authorize", "/demo-oidc/token")


def route_class(path: str) -> str | None:
    """Which limit applies to ``path`` (None: none).

    >>> route_class("/login/officer"), route_class("/api/v1/me/cases"), route_class("/calc")
    ('sign_in', 'api', 'pages')
    >>> route_class("/api/v1/health") is None
    True
    """
    if path.startswith(UNLIMITED):
        return None
    if path.startswith(SIGN_IN):
        return "sign_in"
    return "api" if path.startswith("/api/") else "pages"


class TokenBuckets:
    """Buckets keyed by (client, class); :meth:`take` answers 0 (allowed) or the seconds to wait."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, client: str, kind: str) -> float:
        limit: Limit = getattr(self.limits, kind)
        now = self.clock()
        tokens, since = self._buckets.get((client, kind), (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - since) * limit.per_second)
        if tokens < 1:
            self._buckets[(client, kind)] = (tokens, now)
            return (1 - tokens) / limit.per_second
        if len(self._buckets) >= MAX_TRACKED:
            self._forget_full(now)
        self._buckets[(client, kind)] = (tokens - 1, now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        for key, (tokens, since) in list(self._buckets.items()):
            limit: Limit = getattr(self.limits, key[1])
            if tokens + (now - since) * limit.per_second >= limit.burst:
                del self._buckets[key]


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = route_class(scope["path"]) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown", kind)
        if not wait:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        response = problem_response(
            Request(scope),
            429,
            "too_many_requests",
            f"too many requests from this address; wait {seconds} seconds and try again "
            f"(요청이 너무 많습니다. {seconds}초 뒤에 다시 시도하십시오.)",
            headers={"Retry-After": str(seconds)},
        )
        await response(scope, receive, send)
