"""The tables the cases context alone owns (SQLAlchemy Core), as created by migration 0003
(``cartax/infra/migrations/versions/0003_cases.py``); this module describes them for queries.

Append-only by construction: ``cases``, ``case_computations``, ``case_history`` and ``case_approvals``
refuse UPDATE and DELETE through triggers, and the maker-checker rule is held by constraints, a foreign
key and triggers installed by that migration, so neither a bug nor a hand-written statement breaks it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cartax.cases.model import ActorKind, CaseState

metadata = MetaData()

STATES_SQL = ", ".join(f"'{state}'" for state in CaseState)
ACTORS_SQL = ", ".join(f"'{kind}'" for kind in ActorKind)

cases = Table(
    "cases",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("case_key", String(64), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("vehicle_id", String(64), nullable=False),
    Column("tax_year", Integer, nullable=False),
    Column("district", String(5), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_key", name="uq_cases_case_key"),
)
Index("ix_cases_owner", cases.c.owner_id)

case_computations = Table(
    "case_computations",
    metadata,
    Column("case_id", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("rules_version", String(32), nullable=False),
    Column("refund", BigInteger, nullable=False),
    Column("interest", BigInteger, nullable=False),
    Column("offset_amount", BigInteger, nullable=False),
    Column("payable", BigInteger, nullable=False),
    Column("refunds", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("case_id", "version", name="pk_case_computations"),
    ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_computations_case"),
    CheckConstraint(
        "refund >= 0 AND interest >= 0 AND offset_amount >= 0 "
        "AND payable = refund + interest - offset_amount",
        name="ck_case_computations_amounts",
    ),
)

case_history = Table(
    "case_history",
    metadata,
    Column("case_id", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20), nullable=False),
    Column("actor_kind", String(10), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(64), nullable=False),
    Column("note", Text),
    Column("rules_version", String(32), nullable=False),
    Column("computation", Integer, nullable=False),
    PrimaryKeyConstraint("case_id", "seq", name="pk_case_history"),
    ForeignKeyConstraint(
        ["case_id", "computation"],
        ["case_computations.case_id", "case_computations.version"],
        name="fk_case_history_computation",
    ),
    CheckConstraint(f"to_state IN ({STATES_SQL})", name="ck_case_history_to_state"),
    CheckConstraint(f"actor_kind IN ({ACTORS_SQL})", name="ck_case_history_actor_kind"),
    CheckConstraint("(seq = 1) = (from_state IS NULL)", name="ck_case_history_first_row"),
)
Index("ix_case_history_to_state", case_history.c.to_state)

case_approvals = Table(
    "case_approvals",
    metadata,
    Column("case_id", BigInteger, nullable=False),
    Column("computation", Integer, nullable=False),
    Column("step", SmallInteger, nullable=False),
    Column("officer_id", String(64), nullable=False),
    Column("maker_id", String(64)),
    Column("amount", BigInteger, nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("case_id", "computation", "step", name="pk_case_approvals"),
    # One signature per officer per computation: the same officer can never sign twice.
    UniqueConstraint("case_id", "computation", "officer_id", name="uq_case_approvals_officer"),
    # The checker names the maker, who must be the officer of step 1 of the same computation ...
    ForeignKeyConstraint(
        ["case_id", "computation", "maker_id"],
        ["case_approvals.case_id", "case_approvals.computation", "case_approvals.officer_id"],
        name="fk_case_approvals_maker",
    ),
    ForeignKeyConstraint(
        ["case_id", "computation"],
        ["case_computations.case_id", "case_computations.version"],
        name="fk_case_approvals_computation",
    ),
    # ... and someone else.
    CheckConstraint(
        "(step = 1 AND maker_id IS NULL) OR (step = 2 AND maker_id IS NOT NULL AND maker_id <> officer_id)",
        name="ck_case_approvals_maker_checker",
    ),
)

case_policy = Table(
    "case_policy",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("second_officer_above", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="ck_case_policy_single_row"),
    CheckConstraint("second_officer_above >= 0", name="ck_case_policy_threshold"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(80), nullable=False),
    Column("key", String(128), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("result", JSON),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("scope", "key", name="pk_idempotency_keys"),
)

# --- Processing (migration 0012): the straight-through policy's versions, its decisions, and the
# dashboards' summaries kept up to date in the same transaction as every change of a case.

straight_through_policies = Table(
    "straight_through_policies",
    metadata,
    Column("district", String(5), nullable=False),
    Column("version", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("max_amount", BigInteger, nullable=False),
    Column("review_causes", JSON, nullable=False),
    Column("require_verified_account", Boolean, nullable=False),
    Column("account_unchanged_days", Integer, nullable=False),
    Column("shared_account_limit", Integer, nullable=False),
    Column("amount_factor_pct", Integer, nullable=False),
    Column("block_on_risk", Boolean, nullable=False),
    Column("author", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
    PrimaryKeyConstraint("district", "version", name="pk_straight_through_policies"),
    CheckConstraint("version >= 1 AND max_amount >= 0", name="ck_straight_through_policies_values"),
)

case_policy_decisions = Table(
    "case_policy_decisions",
    metadata,
    Column("case_id", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("policy_district", String(5), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("route", String(20), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("flags", JSON, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("case_id", "seq", name="pk_case_policy_decisions"),
    ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_policy_decisions_case"),
)

case_flow_monthly = Table(
    "case_flow_monthly",
    metadata,
    Column("district", String(5), nullable=False),
    Column("month", Date, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("cause", String(2), nullable=False),
    Column("cases", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("district", "month", "stage", "cause", name="pk_case_flow_monthly"),
)
"""Cases entering each stage, per district, month (Korean calendar) and main refund cause."""

case_unclaimed = Table(
    "case_unclaimed",
    metadata,
    Column("district", String(5), nullable=False),
    Column("lapse_month", Date, nullable=False),
    Column("cause", String(2), nullable=False),
    Column("cases", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    PrimaryKeyConstraint("district", "lapse_month", "cause", name="pk_case_unclaimed"),
)
"""Refunds nobody has claimed yet, by the month their 5-year prescription ends (a stock, not a flow)."""

case_money_days = Table(
    "case_money_days",
    metadata,
    Column("district", String(5), nullable=False),
    Column("month", Date, nullable=False),
    Column("days", Integer, nullable=False),
    Column("cases", BigInteger, nullable=False),
    PrimaryKeyConstraint("district", "month", "days", name="pk_case_money_days"),
)
"""Paid cases by month of payment and whole days from detection to the money: exact median and p90."""
