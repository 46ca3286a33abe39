"""Services mode: the outbox relayed to NATS JetStream, and durable pull consumers with bounded retries.

- One stream (``CARTAX_EVENTS``) holds subjects ``cartax.events.<type>``. Each event is published with
  the header ``Nats-Msg-Id`` = its outbox ``event_id``, so a relay that publishes a batch twice (a crash
  before marking it published) is deduplicated by the server within the stream's duplicate window.
- Each subscription gets one durable pull consumer per event type (``<consumer>-<type>``). A delivery
  that fails is negatively acknowledged with a growing delay; after ``max_attempts`` deliveries it is
  parked (``parked_events``) and terminated, so it is never redelivered and never silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import Engine

from cartax.bus.adapters.parking import park
from cartax.bus.model import Delivery, Subscription, describe_error
from cartax.infra import StoredEvent, list_events, mark_published

log = logging.getLogger("cartax.bus")
DUPLICATE_WINDOW_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class StreamNames:
    """The stream and subject prefix (tests use their own, so parallel runs never meet)."""

    stream: str = "CARTAX_EVENTS"
    prefix: str = "cartax.events"

    def subject(self, event_type: str) -> str:
        return f"{self.prefix}.{event_type}"


DEFAULT_NAMES = StreamNames()


async def ensure_stream(js: JetStreamContext, names: StreamNames) -> None:
    """Create the stream if it does not exist (file storage, deduplication on ``Nats-Msg-Id``)."""
    try:
        await js.stream_info(names.stream)
    except NotFoundError:
        config = StreamConfig(
            name=names.stream, subjects=[f"{names.prefix}.>"], duplicate_window=DUPLICATE_WINDOW_SECONDS
        )
        await js.add_stream(config)


def envelope(event: StoredEvent) -> bytes:
    body = {
        "event_id": event.event_id,
        "type": event.type,
        "payload": event.payload,
        "occurred_at": event.occurred_at.isoformat(),
    }
    return json.dumps(body, ensure_ascii=False).encode()


def open_envelope(data: bytes, attempt: int) -> Delivery:
    body = json.loads(data)
    occurred_at = datetime.fromisoformat(body["occurred_at"])
    return Delivery(str(body["event_id"]), str(body["type"]), dict(body["payload"]), occurred_at, attempt)


async def publish_events(js: JetStreamContext, names: StreamNames, events: Sequence[StoredEvent]) -> None:
    """Publish in order, each acknowledged by the stream before the next (so none is lost unseen)."""
    for event in events:
        await js.publish(
            names.subject(event.type),
            envelope(event),
            stream=names.stream,
            headers={"Nats-Msg-Id": event.event_id},
        )


async def relay_once(
    engine: Engine,
    js: JetStreamContext,
    names: StreamNames,
    clock: Callable[[], datetime],
    batch_size: int = 100,
) -> int:
    """Publish one batch of unpublished outbox rows, then mark them published; return how many."""
    events = await asyncio.to_thread(list_events, engine, unpublished=True, limit=batch_size)
    if not events:
        return 0
    await publish_events(js, names, events)
    await asyncio.to_thread(_mark_published, engine, [event.id for event in events], clock())
    return len(events)


async def relay_to_jetstream(
    engine: Engine,
    js: JetStreamContext,
    names: StreamNames,
    clock: Callable[[], datetime],
    stop: asyncio.Event,
    idle_seconds: float = 0.2,
) -> None:
    """Relay until ``stop`` is set; failures (database or NATS) are logged and retried after a pause."""
    await ensure_stream(js, names)
    while not stop.is_set():
        try:
            delivered = await relay_once(engine, js, names, clock)
        except Exception as error:  # the relay outlives a hiccup of either side
            log.error("relay to JetStream failed, retrying: %s", describe_error(error))
            delivered = 0
        if not delivered:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), idle_seconds)


@dataclass
class JetStreamConsumer:
    """Runs one subscription's handler on its durable pull consumers."""

    js: JetStreamContext
    names: StreamNames
    subscription: Subscription
    engine: Engine
    clock: Callable[[], datetime]
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    ack_wait_seconds: float = 30.0
    _pulls: list[JetStreamContext.PullSubscription] = field(default_factory=list, init=False)

    async def start(self) -> None:
        await ensure_stream(self.js, self.names)
        for event_type in sorted(self.subscription.types):
            durable = f"{self.subscription.consumer}-{event_type}"
            config = ConsumerConfig(ack_wait=self.ack_wait_seconds)
            self._pulls.append(
                await self.js.pull_subscribe(
                    self.names.subject(event_type), durable=durable, stream=self.names.stream, config=config
                )
            )

    async def run_once(self, batch: int = 10, timeout: float = 0.5) -> int:
        """Fetch and handle what is waiting on each consumer; return how many messages were handled."""
        handled = 0
        for pull in self._pulls:
            try:
                messages = await pull.fetch(batch, timeout=timeout)
            except (TimeoutError, NatsTimeoutError):
                continue
            for message in messages:
                await self._handle(message)
                handled += 1
        return handled

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_once()

    async def _handle(self, message: Msg) -> None:
        attempt = message.metadata.num_delivered or 1
        try:
            delivery = open_envelope(message.data, attempt)
        except (ValueError, KeyError, TypeError) as error:
            await self._give_up(message, self._undecodable(message, attempt), describe_error(error))
            return
        try:
            await asyncio.to_thread(self.subscription.handler, delivery)
        except Exception as error:  # any failure of a handler is retried, then parked
            reason = describe_error(error)
            log.warning(
                "consumer %s failed on %s %s (delivery %d of %d): %s",
                self.subscription.consumer, delivery.type, delivery.event_id, attempt, self.max_attempts,
                reason,
            )  # fmt: skip
            if attempt >= self.max_attempts:
                await self._give_up(message, delivery, reason)
            else:
                await message.nak(delay=self.backoff_seconds * 2 ** (attempt - 1))
            return
        await message.ack()

    async def _give_up(self, message: Msg, delivery: Delivery, reason: str) -> None:
        await asyncio.to_thread(park, self.engine, self.subscription.consumer, delivery, reason, self.clock())
        await message.term()  # parked: the server must not redeliver it
        log.error(
            "parked %s %s for consumer %s", delivery.type, delivery.event_id, self.subscription.consumer
        )

    def _undecodable(self, message: Msg, attempt: int) -> Delivery:
        headers: dict[str, Any] = message.headers or {}
        event_id = str(headers.get("Nats-Msg-Id", "unknown"))[:36]
        return Delivery(event_id, "undecodable", {"subject": message.subject}, self.clock(), attempt)


def _mark_published(engine: Engine, ids: list[int], at: datetime) -> None:
    with engine.begin() as connection:
        mark_published(connection, ids, at)


async def serve_relay(
    engine: Engine,
    nats_url: str,
    clock: Callable[[], datetime],
    stop: asyncio.Event,
    names: StreamNames = DEFAULT_NAMES,
) -> None:
    """Services mode's relay process: connect, relay until ``stop``, then close the connection."""
    client = await nats.connect(nats_url, name="cartax-relay")
    try:
        await relay_to_jetstream(engine, client.jetstream(), names, clock, stop)
    finally:
        await client.close()  # every message handled was acknowledged; nothing is left to drain


async def serve_consumers(
    engine: Engine,
    nats_url: str,
    subscriptions: Sequence[Subscription],
    clock: Callable[[], datetime],
    stop: asyncio.Event,
    max_attempts: int = 5,
    names: StreamNames = DEFAULT_NAMES,
) -> None:
    """Services mode's consumer process: every subscription's durable consumers until ``stop``."""
    client = await nats.connect(nats_url, name="cartax-consumers")
    try:
        js = client.jetstream()
        consumers = [
            JetStreamConsumer(js, names, subscription, engine, clock, max_attempts=max_attempts)
            for subscription in subscriptions
        ]
        for consumer in consumers:
            await consumer.start()
        await asyncio.gather(*(consumer.run(stop) for consumer in consumers))
    finally:
        await client.close()  # every message handled was acknowledged; nothing is left to drain


__all__ = [
    "JetStreamConsumer",
    "StreamNames",
    "ensure_stream",
    "envelope",
    "open_envelope",
    "publish_events",
    "relay_once",
    "relay_to_jetstream",
    "serve_consumers",
    "serve_relay",
]
