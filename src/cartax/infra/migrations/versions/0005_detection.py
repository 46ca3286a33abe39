"""Detection: runs, the cases they detected (with the request that reproduces each), recomputations.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "detection_runs",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("decision_on", sa.Date(), nullable=False),
        sa.Column("rules_version", sa.String(32), nullable=False),
        sa.Column("rules_digest", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", DOCUMENT, nullable=False),
    )
    op.create_table(
        "detected_cases",
        sa.Column("case_key", sa.String(40), primary_key=True),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("rules_version", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("refund", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("first_run_id", ROW_ID, sa.ForeignKey("detection_runs.id"), nullable=False),
        sa.Column("last_run_id", ROW_ID, sa.ForeignKey("detection_runs.id"), nullable=False),
    )
    op.create_index("ix_detected_cases_year_district", "detected_cases", ["tax_year", "district"])
    op.create_index("ix_detected_cases_owner", "detected_cases", ["owner_id"])
    op.create_table(
        "detection_recomputations",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("case_key", sa.String(40), sa.ForeignKey("detected_cases.case_key"), nullable=False),
        sa.Column("run_id", ROW_ID, sa.ForeignKey("detection_runs.id"), nullable=False),
        sa.Column("previous_fingerprint", sa.String(64), nullable=False),
        sa.Column("previous_totals", DOCUMENT, nullable=False),
        sa.Column("totals", DOCUMENT, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_detection_recomputations_case", "detection_recomputations", ["case_key"])


def downgrade() -> None:
    op.drop_index("ix_detection_recomputations_case", table_name="detection_recomputations")
    op.drop_table("detection_recomputations")
    op.drop_index("ix_detected_cases_owner", table_name="detected_cases")
    op.drop_index("ix_detected_cases_year_district", table_name="detected_cases")
    op.drop_table("detected_cases")
    op.drop_table("detection_runs")
