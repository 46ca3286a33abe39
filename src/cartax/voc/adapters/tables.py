"""The voc context's table, as migration 0013 creates it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

metadata = MetaData()

voc_feedback = Table(
    "voc_feedback",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("journey", String(16), nullable=False),
    Column("step", String(16), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("rating", SmallInteger, nullable=False),
    Column("difficulty", String(16), nullable=False),
    Column("given_on", Date, nullable=False),
    CheckConstraint("rating BETWEEN 1 AND 5", name="ck_voc_feedback_rating"),
)
Index("ix_voc_feedback_given_on", voc_feedback.c.given_on)
