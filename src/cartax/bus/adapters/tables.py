"""The table event delivery owns: events a consumer gave up on, for an operator to look at."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table, UniqueConstraint

metadata = MetaData()

parked_events = Table(
    "parked_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("consumer", String(100), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("type", String(100), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("error", String(500), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("consumer", "event_id", name="uq_parked_events_consumer_event"),
)
