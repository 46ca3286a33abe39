"""The identity context's tables (created by its migration; described here for the repositories).

``role_grants`` is append-only: a trigger refuses UPDATE and DELETE on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
ENCRYPTED_COLUMNS = [("officers", "officer_id", "totp_secret")]
"""(table, primary key, column) of every encrypted column, re-encrypted by ``cartax keys rotate``."""
# 64-bit on PostgreSQL; SQLite auto-increments only a column declared exactly INTEGER.
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")

officers = Table(
    "officers",
    metadata,
    Column("officer_id", String(40), primary_key=True),
    Column("username", String(32), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("totp_secret", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("totp_last_step", BigInteger, nullable=False),
    Column("locked_at", DateTime(timezone=True)),
    Column("failures_since", DateTime(timezone=True)),
    Column("active", Boolean, nullable=False),
    UniqueConstraint("username", name="uq_officers_username"),
)

role_grants = Table(
    "role_grants",
    metadata,
    Column("seq", ROW_ID, primary_key=True, autoincrement=True),
    Column("grant_id", String(40), nullable=False),
    Column(
        "officer_id",
        String(40),
        ForeignKey("officers.officer_id", name="fk_role_grants_officer"),
        nullable=False,
    ),
    Column("district", String(5), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(8), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(500), nullable=False),
    UniqueConstraint("grant_id", name="uq_role_grants_grant_id"),
    Index("ix_role_grants_officer", "officer_id", "seq"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("attempt_id", ROW_ID, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("officer_id", String(40)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("source", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Index("ix_login_attempts_officer_at", "officer_id", "at"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_sessions_subject", "kind", "subject_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("district", String(5), nullable=False),
    Column("role", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)
