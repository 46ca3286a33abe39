"""Services mode against the real NATS JetStream server (127.0.0.1:4222 unless CARTAX_TEST_NATS_URL).

Skipped with the reason when the server cannot be reached, except under CI=true, where it must run.
Each test uses its own stream and subjects, so parallel workers never meet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable, Callable

import nats
import pytest
from bus_factories import NOW, detected_payload, write_events
from nats.aio.client import Client
from nats.js.errors import NoStreamResponseError, NotFoundError
from sqlalchemy import Engine, text

from cartax.bus import Delivery, Subscription
from cartax.bus.adapters.parking import list_parked
from cartax.bus.jetstream import (
    JetStreamConsumer,
    StreamNames,
    ensure_stream,
    publish_events,
    relay_once,
    serve_consumers,
    serve_relay,
)
from cartax.cases import CasesSettings, CaseState, case_status
from cartax.cases.adapters.wiring import build_cases
from cartax.infra import list_events

NATS_URL = os.environ.get("CARTAX_TEST_NATS_URL", "nats://127.0.0.1:4222")


async def connect() -> Client:
    try:
        return await nats.connect(
            NATS_URL, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False
        )
    except Exception as error:  # any failure to reach the server decides skip or fail below
        reason = f"NATS JetStream is not reachable at {NATS_URL} ({type(error).__name__}: {error})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the JetStream tests", pytrace=False)
        pytest.skip(reason)


def run(test: Callable[[Client, StreamNames], Awaitable[None]]) -> None:
    async def main() -> None:
        client = await connect()
        names = StreamNames(f"TEST_{uuid.uuid4().hex[:12].upper()}", f"test.{uuid.uuid4().hex[:12]}")
        try:
            await test(client, names)
        finally:
            with contextlib.suppress(NotFoundError):
                await client.jetstream().delete_stream(names.stream)
            await client.close()

    asyncio.run(main())


async def drain(consumer: JetStreamConsumer, until: Callable[[], bool], rounds: int = 60) -> None:
    for _ in range(rounds):
        await consumer.run_once(timeout=0.2)
        if until():
            return
    raise AssertionError("the consumer did not get there in time")


def test_relay_and_consumer_open_each_case_once(db_engine: Engine) -> None:
    cases = build_cases(db_engine, CasesSettings(), lambda: NOW)
    write_events(db_engine, detected_payload("k1"), detected_payload("k1"), detected_payload("k2"))

    async def scenario(client: Client, names: StreamNames) -> None:
        js = client.jetstream()
        await ensure_stream(js, names)
        assert await relay_once(db_engine, js, names, lambda: NOW) == 3
        assert list_events(db_engine, unpublished=True) == []
        # A relay that crashed before marking publishes the same events again: the stream drops them.
        await publish_events(js, names, list_events(db_engine, event_type="RefundDetected"))
        assert (await js.stream_info(names.stream)).state.messages == 3
        consumer = JetStreamConsumer(js, names, cases.subscription, db_engine, lambda: NOW)
        await consumer.start()
        await drain(consumer, lambda: None not in (cases.reader.status("k1"), cases.reader.status("k2")))
        assert len(case_status(cases.reader, "k1").history) == 1

    run(scenario)


def test_a_failing_consumer_is_retried_boundedly_then_parked(db_engine: Engine) -> None:
    attempts: list[int] = []

    def always_fails(delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        raise RuntimeError("downstream refused")

    write_events(db_engine, detected_payload("k1"))

    async def scenario(client: Client, names: StreamNames) -> None:
        js = client.jetstream()
        await ensure_stream(js, names)
        await relay_once(db_engine, js, names, lambda: NOW)
        subscription = Subscription("failing", frozenset({"RefundDetected"}), always_fails)
        consumer = JetStreamConsumer(
            js, names, subscription, db_engine, lambda: NOW, max_attempts=3, backoff_seconds=0.05
        )
        await consumer.start()
        await drain(consumer, lambda: bool(list_parked(db_engine)))
        for _ in range(5):  # terminated: never delivered again
            await consumer.run_once(timeout=0.2)
        assert attempts == [1, 2, 3]
        [parked] = list_parked(db_engine)
        assert (parked.consumer, parked.attempts, parked.payload["case_key"]) == ("failing", 3, "k1")
        assert parked.error == "RuntimeError: downstream refused"

    run(scenario)


def test_outbox_rows_stay_unpublished_when_the_stream_refuses(db_engine: Engine) -> None:
    write_events(db_engine, detected_payload("k1"))

    async def scenario(client: Client, names: StreamNames) -> None:
        js = client.jetstream()  # no stream created: publishing has nowhere to go
        with pytest.raises(NoStreamResponseError):
            await relay_once(db_engine, js, names, lambda: NOW)
        assert len(list_events(db_engine, unpublished=True)) == 1
        with db_engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 1

    run(scenario)


def test_services_mode_relay_and_consumer_processes(db_engine: Engine) -> None:
    cases = build_cases(db_engine, CasesSettings(), lambda: NOW)
    write_events(db_engine, detected_payload("k1"))

    async def scenario(client: Client, names: StreamNames) -> None:
        stop = asyncio.Event()

        async def until_opened() -> None:
            for _ in range(100):
                if cases.reader.status("k1") is not None:
                    break
                await asyncio.sleep(0.1)
            stop.set()

        await ensure_stream(client.jetstream(), names)
        await asyncio.gather(
            serve_relay(db_engine, NATS_URL, lambda: NOW, stop, names),
            serve_consumers(db_engine, NATS_URL, [cases.subscription], lambda: NOW, stop, 3, names),
            until_opened(),
        )
        assert case_status(cases.reader, "k1").state is CaseState.DETECTED
        assert list_events(db_engine, unpublished=True, event_type="RefundDetected") == []

    run(scenario)
