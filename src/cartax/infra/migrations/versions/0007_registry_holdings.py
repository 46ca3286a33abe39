"""Registry holdings: who held which vehicle from when to when, derived from the registration events.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_holdings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("vehicle_id", sa.String(), sa.ForeignKey("registry_vehicles.vehicle_id"), nullable=False),
        sa.Column("owner_id", sa.String(), sa.ForeignKey("registry_owners.owner_id"), nullable=False),
        sa.Column("start_event", sa.String(20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_event", sa.String(20), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("prepayment_passed_on", sa.Boolean(), nullable=False),
        sa.Column("derived_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_registry_holdings_vehicle", "registry_holdings", ["vehicle_id"])
    op.create_index("ix_registry_holdings_owner", "registry_holdings", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_registry_holdings_owner", table_name="registry_holdings")
    op.drop_index("ix_registry_holdings_vehicle", table_name="registry_holdings")
    op.drop_table("registry_holdings")
