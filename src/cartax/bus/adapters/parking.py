"""Parking an event and listing what is parked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from cartax.bus.adapters.tables import parked_events
from cartax.bus.model import Delivery


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    id: int
    consumer: str
    event_id: str
    type: str
    payload: dict[str, Any]
    error: str
    attempts: int
    parked_at: datetime


def park(engine: Engine, consumer: str, delivery: Delivery, error: str, at: datetime) -> None:
    """Record that ``consumer`` gave up on the event (once: parking the same event again is a no-op)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    values = {
        "consumer": consumer,
        "event_id": delivery.event_id,
        "type": delivery.type,
        "payload": delivery.payload,
        "error": error,
        "attempts": delivery.attempt,
        "parked_at": at,
    }
    with engine.begin() as connection:
        connection.execute(dialect.insert(parked_events).values(values).on_conflict_do_nothing())


def list_parked(engine: Engine, consumer: str | None = None, limit: int = 100) -> list[ParkedEvent]:
    """Parked events, oldest first."""
    query = select(parked_events).order_by(parked_events.c.id).limit(limit)
    if consumer is not None:
        query = query.where(parked_events.c.consumer == consumer)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        ParkedEvent(
            row.id, row.consumer, row.event_id, row.type, row.payload, row.error, row.attempts,
            row.parked_at if row.parked_at.tzinfo else row.parked_at.replace(tzinfo=UTC),
        )
        for row in rows
    ]  # fmt: skip
