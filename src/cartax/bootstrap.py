"""The composition root: the one place that builds the platform from settings.

Importing any cartax module connects to nothing and reads no environment; ``bootstrap`` does, once,
and tests pass ``**overrides`` to swap any part (a fixed clock, a fake provider, another database).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from cartax.rules import Law, default_law
from cartax.settings import Settings


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Platform:
    """Everything the entry points (CLI, web, workers) need, built once."""

    settings: Settings
    law: Law
    clock: Callable[[], datetime] = system_clock
    extras: dict[str, Any] = field(default_factory=dict)

    def today(self) -> date:
        return self.clock().date()


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Platform:
    """Build the platform; any field of :class:`Platform` may be overridden by keyword."""
    platform = Platform(settings=settings or Settings(), law=default_law())
    return replace(platform, **overrides) if overrides else platform
