"""VOC: citizens' feedback at the end of each journey step, kept for the analyses that come later.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voc_feedback",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("journey", sa.String(16), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("difficulty", sa.String(16), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_voc_feedback_rating"),
    )
    op.create_index("ix_voc_feedback_given_on", "voc_feedback", ["given_on"])


def downgrade() -> None:
    op.drop_index("ix_voc_feedback_given_on", table_name="voc_feedback")
    op.drop_table("voc_feedback")
