"""``cartax events``: what operators run for event delivery.

- ``parked``: the events a consumer gave up on, for an operator to look at;
- ``relay`` and ``consume`` (services mode): the outbox published to NATS JetStream, and the contexts'
  consumers on it, each until SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer

from cartax.bootstrap import bootstrap, connect
from cartax.bus.adapters.parking import ParkedEvent, list_parked
from cartax.bus.jetstream import serve_consumers, serve_relay
from cartax.infra import current_revision, make_engine

HEADER = "번호  보류 시각(UTC)         소비자      이벤트              시도  이벤트 ID / 사유"


def _line(event: ParkedEvent) -> str:
    at = event.parked_at.strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"{event.id:>4}  {at}  {event.consumer:<10}  {event.type:<18}  {event.attempts:>4}  "
        f"{event.event_id}\n"
        f"      {event.error}"
    )


def _as_json(event: ParkedEvent) -> str:
    body = {
        "id": event.id,
        "consumer": event.consumer,
        "event_id": event.event_id,
        "type": event.type,
        "attempts": event.attempts,
        "error": event.error,
        "parked_at": event.parked_at.isoformat(),
        "payload": event.payload,
    }
    return json.dumps(body, ensure_ascii=False)


def register(app: typer.Typer) -> None:
    events = typer.Typer(help="이벤트 전달 (event delivery between contexts).", no_args_is_help=True)
    app.add_typer(events, name="events")
    register_services(events)

    @events.command("parked")
    def parked(
        consumer: Annotated[str | None, typer.Option(help="only this consumer's, e.g. cases")] = None,
        limit: Annotated[int, typer.Option(min=1, max=10_000, help="at most this many, oldest first")] = 100,
        as_json: Annotated[
            bool, typer.Option("--json", help="one JSON object a line, with the payload")
        ] = False,
    ) -> None:
        """List the events consumers gave up on after their retries (보류된 이벤트)."""
        url = bootstrap().settings.effective_database_url
        if current_revision(url) is None:
            typer.echo(
                "데이터베이스가 아직 만들어지지 않았습니다. 먼저 `cartax db upgrade`를 실행하세요.", err=True
            )
            raise typer.Exit(2)
        engine = make_engine(url)
        try:
            found = list_parked(engine, consumer, limit)
        finally:
            engine.dispose()
        if as_json:
            for event in found:
                typer.echo(_as_json(event))
            return
        if not found:
            typer.echo("보류된 이벤트가 없습니다 (no parked events).")
            return
        typer.echo(HEADER)
        for event in found:
            typer.echo(_line(event))
        typer.echo(f"보류된 이벤트 {len(found):,}건 (parked events).")


def _until_signalled(run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``run(stop)``; SIGINT or SIGTERM sets ``stop`` so the work ends cleanly (rolling updates)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run(stop)

    asyncio.run(main())


def register_services(events: typer.Typer) -> None:
    @events.command("relay")
    def relay() -> None:
        """Services mode: publish the outbox to NATS JetStream until stopped (SIGTERM)."""
        platform = bootstrap()
        engine = make_engine(platform.settings.effective_database_url)
        try:
            _until_signalled(
                lambda stop: serve_relay(engine, platform.settings.nats_url, platform.clock, stop)
            )
        finally:
            engine.dispose()

    @events.command("consume")
    def consume() -> None:
        """Services mode: run the contexts' consumers on NATS JetStream until stopped (SIGTERM)."""
        platform = bootstrap()
        services = connect(platform)
        subscriptions = [services.cases.subscription, services.notify.subscription]
        try:
            _until_signalled(
                lambda stop: serve_consumers(
                    services.engine, platform.settings.nats_url, subscriptions, platform.clock, stop,
                    services.cases.consumer_attempts,
                )
            )  # fmt: skip
        finally:
            services.close()
