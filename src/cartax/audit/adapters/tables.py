"""The audit chain's table (created by the audit migration); append-only, enforced by triggers."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, MetaData, String, Table

metadata = MetaData()

audit_records = Table(
    "audit_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(500), nullable=False),
    Column("actor_role", String(500), nullable=False),
    Column("source", String(500), nullable=False),
    Column("action", String(32), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("person_ref", String(500), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
