"""The detection context's tables: its runs, the cases it detected, and every recomputation."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
PER_STATEMENT = {"postgresql": "checked once per statement by triggers (migration 0018)"}
"""Marks a foreign key that PostgreSQL holds by triggers over each statement's rows instead of a look-up
per row: the cases a run stores name its runs (SQLite keeps the foreign key)."""
ROW_ID = BigInteger().with_variant(Integer, "sqlite")
DOCUMENT = JSON().with_variant(JSONB(), "postgresql")

detection_runs = Table(
    "detection_runs",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("mode", String(16), nullable=False),  # full | incremental
    Column("tax_year", Integer, nullable=False),
    Column("decision_on", Date, nullable=False),
    Column("rules_version", String(32), nullable=False),
    Column("rules_digest", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("summary", DOCUMENT, nullable=False),
)

detected_cases = Table(
    "detected_cases",
    metadata,
    Column("case_key", String(40), primary_key=True),
    Column("owner_id", String(64), nullable=False),
    Column("vehicle_id", String(64), nullable=False),
    Column("tax_year", Integer, nullable=False),
    Column("district", String(5), nullable=False),
    Column("rules_version", String(32), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("refund", BigInteger, nullable=False),
    Column("interest", BigInteger, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("payable", BigInteger, nullable=False),
    Column("record", Text, nullable=False),  # the case file's JSON record
    Column("request", Text, nullable=False),  # the calculation request that reproduces it
    Column("first_run_id", ROW_ID, ForeignKey("detection_runs.id", info=PER_STATEMENT), nullable=False),
    Column("last_run_id", ROW_ID, ForeignKey("detection_runs.id", info=PER_STATEMENT), nullable=False),
)
Index("ix_detected_cases_year_district", detected_cases.c.tax_year, detected_cases.c.district)
Index("ix_detected_cases_owner", detected_cases.c.owner_id)

detection_recomputations = Table(
    "detection_recomputations",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("case_key", String(40), ForeignKey("detected_cases.case_key"), nullable=False),
    Column("run_id", ROW_ID, ForeignKey("detection_runs.id"), nullable=False),
    Column("previous_fingerprint", String(64), nullable=False),
    Column("previous_totals", DOCUMENT, nullable=False),
    Column("totals", DOCUMENT, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_detection_recomputations_case", detection_recomputations.c.case_key)
