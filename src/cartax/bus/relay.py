"""The embedded relay: outbox → in-process handlers, with bounded retries and parking.

The relay reads unpublished outbox rows in order, delivers each to every subscription that wants its
type, then marks the batch published. A crash between delivery and marking delivers the batch again
(at least once), which idempotent handlers absorb. A handler that keeps failing is retried
``max_attempts`` times with growing waits and then the event is parked for that consumer only; the
other consumers and the following events go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from cartax.bus.adapters.parking import park
from cartax.bus.model import Delivery, Subscription, describe_error
from cartax.infra import StoredEvent, list_events, mark_published

log = logging.getLogger("cartax.bus")


class Publisher(Protocol):
    """Where the relay hands a batch of events (the in-process bus here; JetStream in services mode)."""

    def publish(self, events: Sequence[StoredEvent]) -> None: ...


@dataclass
class InProcessBus:
    engine: Engine
    subscriptions: Sequence[Subscription]
    clock: Callable[[], datetime]
    max_attempts: int = 5
    backoff_seconds: float = 0.05
    sleep: Callable[[float], None] = time.sleep

    def publish(self, events: Sequence[StoredEvent]) -> None:
        for event in events:
            for subscription in self.subscriptions:
                if subscription.wants(event.type):
                    self._deliver(subscription, event)

    def _deliver(self, subscription: Subscription, event: StoredEvent) -> None:
        for attempt in range(1, self.max_attempts + 1):
            delivery = Delivery(event.event_id, event.type, event.payload, event.occurred_at, attempt)
            try:
                subscription.handler(delivery)
                return
            except Exception as error:  # any failure of a handler is retried, then parked
                reason = describe_error(error)
                log.warning(
                    "consumer %s failed on %s %s (attempt %d of %d): %s",
                    subscription.consumer, event.type, event.event_id, attempt, self.max_attempts, reason,
                )  # fmt: skip
                if attempt == self.max_attempts:
                    park(self.engine, subscription.consumer, delivery, reason, self.clock())
                    log.error(
                        "parked %s %s for consumer %s", event.type, event.event_id, subscription.consumer
                    )
                    return
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))


@dataclass
class Relay:
    engine: Engine
    publisher: Publisher
    clock: Callable[[], datetime]
    batch_size: int = 100
    _last_id: int = field(default=0, init=False)

    def run_once(self) -> int:
        """Deliver one batch of unpublished events; return how many."""
        events = list_events(self.engine, unpublished=True, limit=self.batch_size)
        if not events:
            return 0
        self.publisher.publish(events)
        with self.engine.begin() as connection:
            mark_published(connection, [event.id for event in events], self.clock())
        return len(events)

    def drain(self) -> int:
        """Deliver until the outbox has nothing unpublished (events raised by handlers included)."""
        total = 0
        while delivered := self.run_once():
            total += delivered
        return total

    def run(self, stop: threading.Event, idle_seconds: float = 0.2) -> None:
        """Relay until ``stop`` is set; a failing database is logged and retried after a pause."""
        while not stop.is_set():
            try:
                delivered = self.run_once()
            except Exception as error:  # the relay outlives a database hiccup
                log.error("relay failed, retrying: %s", describe_error(error))
                delivered = 0
            if not delivered:
                stop.wait(idle_seconds)
