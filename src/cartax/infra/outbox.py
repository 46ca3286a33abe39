"""The outbox: events written in the same transaction as the change that raised them.

A relay (the in-process bus, or NATS JetStream in services mode) reads the unpublished rows in ``id``
order, publishes them, and marks them published; a crash in between publishes an event twice at
worst, never loses one, so consumers deduplicate on ``event_id``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Protocol

import numpy as np
import orjson
import polars as pl
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from cartax.infra.bulk import insert_frame

metadata = MetaData()

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("type", String(100), nullable=False),
    Column("payload", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("event_id", name="uq_outbox_event_id"),
)
Index("ix_outbox_unpublished", outbox.c.published_at, outbox.c.id)


class OutboxEvent(Protocol):
    """What a context's event offers the outbox: its name on the bus and a JSON-ready payload.

    Payloads carry ids, states and amounts — never personal data.
    """

    TYPE: ClassVar[str]

    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class StoredEvent:
    id: int
    event_id: str
    type: str
    payload: dict[str, Any]
    occurred_at: datetime
    published_at: datetime | None


def add_events(connection: Connection, events: Iterable[OutboxEvent], occurred_at: datetime) -> int:
    """Write ``events`` into the outbox within the caller's transaction; return how many."""
    rows = [
        {
            "event_id": str(uuid.uuid4()),
            "type": event.TYPE,
            "payload": _json_ready(event.payload()),
            "occurred_at": occurred_at,
        }
        for event in events
    ]
    if rows:
        connection.execute(insert(outbox), rows)
    return len(rows)


@dataclass(frozen=True)
class EncodedEvents:
    """Many events of one type whose payloads are already JSON text (built column-wise, e.g. by Polars)."""

    type: str
    payloads: pl.Series


def add_encoded(connection: Connection, events: EncodedEvents, occurred_at: datetime) -> int:
    """Write ``events`` into the outbox within the caller's transaction, in bulk; return how many.

    The payloads are stored as they are: the caller built them as JSON objects of ids, states and amounts.
    """
    count = events.payloads.len()
    if count:
        rows = pl.DataFrame(
            {
                "event_id": ordered_event_ids(count),
                "type": pl.repeat(events.type, count, eager=True, dtype=pl.String),
                "payload": events.payloads.cast(pl.String),
                "occurred_at": pl.repeat(occurred_at, count, eager=True),
            }
        )
        insert_frame(connection, outbox, rows)
    return count


def ordered_event_ids(count: int) -> pl.Series:
    """``count`` version 7 UUIDs (RFC 9562) as text, made column-wise: this moment's milliseconds, each
    id's place in the batch (24 bits, the method with a counter) and 48 random bits. They increase with
    the place, so the outbox's unique index takes a batch at its end instead of all over (random version 4
    ids cost a page visit each), and making them costs no Python object per id but its bytes."""
    place = np.arange(count, dtype=np.uint32) % (1 << 24)
    raw = np.empty((count, 16), dtype=np.uint8)
    raw[:, :6] = np.frombuffer((time.time_ns() // 1_000_000).to_bytes(6, "big"), dtype=np.uint8)
    raw[:, 6] = 0x70 | (place >> 20)  # version 7, then the place's top 4 bits
    raw[:, 7] = (place >> 12) & 0xFF
    raw[:, 8] = 0x80 | ((place >> 8) & 0x0F)  # the RFC 9562 variant, then the place's next 4 bits
    raw[:, 9] = place & 0xFF
    raw[:, 10:] = np.frombuffer(os.urandom(6 * count), dtype=np.uint8).reshape(count, 6)
    blob = raw.tobytes()
    hexed = pl.Series("event_id", [blob[i : i + 16] for i in range(0, len(blob), 16)], dtype=pl.Binary)
    digits = pl.col("event_id").bin.encode("hex")
    groups = [
        digits.str.slice(start, length) for start, length in ((0, 8), (8, 4), (12, 4), (16, 4), (20, 12))
    ]
    return hexed.to_frame().select(pl.concat_str(groups, separator="-"))["event_id"]


def list_events(
    bind: Engine | Connection,
    *,
    event_type: str | None = None,
    unpublished: bool = False,
    after_id: int = 0,
    limit: int | None = None,
) -> list[StoredEvent]:
    """Stored events in the order they were written, optionally of one type or not yet published."""
    query = select(outbox).where(outbox.c.id > after_id).order_by(outbox.c.id)
    if event_type is not None:
        query = query.where(outbox.c.type == event_type)
    if unpublished:
        query = query.where(outbox.c.published_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            rows = connection.execute(query).all()
    else:
        rows = bind.execute(query).all()
    return [
        StoredEvent(
            row.id,
            row.event_id,
            row.type,
            row.payload,
            _utc(row.occurred_at),
            _utc(row.published_at) if row.published_at else None,
        )
        for row in rows
    ]


def mark_published(connection: Connection, ids: Sequence[int], at: datetime) -> None:
    """Record that the relay published these events (within the caller's transaction)."""
    if ids:
        connection.execute(update(outbox).where(outbox.c.id.in_(ids)).values(published_at=at))


def _json_ready(payload: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON now, so a payload that cannot be stored fails in the caller's transaction.
    try:
        encoded = orjson.dumps(payload, default=_encode, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError as error:  # the payload's own fault, said in its words
        raise TypeError(str(error.__cause__ or error)) from error
    return orjson.loads(encoded)  # type: ignore[no-any-return]


def _encode(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | frozenset | set):
        return list(value)
    raise TypeError(f"an event payload holds a {type(value).__name__}, which has no JSON form")


def _utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone: every stored moment is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
