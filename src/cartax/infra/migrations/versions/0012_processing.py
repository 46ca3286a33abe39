"""Processing: the straight-through policy's versions per district, the policy's decision on every
claim (which version decided, the route, the reasons and risk flags), and the dashboards' summaries
(cases entering each stage by month and cause, unclaimed refunds by the month they lapse, days from
detection to the money), which the cases repository keeps current in the transaction of each change.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SUMMARIES = ("case_money_days", "case_unclaimed", "case_flow_monthly")


def upgrade() -> None:
    op.create_table(
        "straight_through_policies",
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("max_amount", sa.BigInteger(), nullable=False),
        sa.Column("review_causes", sa.JSON(), nullable=False),
        sa.Column("require_verified_account", sa.Boolean(), nullable=False),
        sa.Column("account_unchanged_days", sa.Integer(), nullable=False),
        sa.Column("shared_account_limit", sa.Integer(), nullable=False),
        sa.Column("amount_factor_pct", sa.Integer(), nullable=False),
        sa.Column("block_on_risk", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("district", "version", name="pk_straight_through_policies"),
        sa.CheckConstraint("version >= 1 AND max_amount >= 0", name="ck_straight_through_policies_values"),
    )
    op.create_table(
        "case_policy_decisions",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("policy_district", sa.String(5), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_case_policy_decisions"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_policy_decisions_case"),
    )
    op.create_table(
        "case_flow_monthly",
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("cause", sa.String(2), nullable=False),
        sa.Column("cases", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("district", "month", "stage", "cause", name="pk_case_flow_monthly"),
    )
    op.create_table(
        "case_unclaimed",
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("lapse_month", sa.Date(), nullable=False),
        sa.Column("cause", sa.String(2), nullable=False),
        sa.Column("cases", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("district", "lapse_month", "cause", name="pk_case_unclaimed"),
    )
    op.create_table(
        "case_money_days",
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("cases", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("district", "month", "days", name="pk_case_money_days"),
    )


def downgrade() -> None:
    for table in SUMMARIES:
        op.drop_table(table)
    op.drop_table("case_policy_decisions")
    op.drop_table("straight_through_policies")
