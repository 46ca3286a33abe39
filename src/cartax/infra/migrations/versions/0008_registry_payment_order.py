"""Registry payments keep the load and the line that last wrote them, as registration events do, so that
payments of one day are taken in the order of their feed (rules.md §9: ties in request order).

Payments stored before this migration have neither (null).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_payments") as batch:
        batch.add_column(
            sa.Column("ingest_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch.add_column(sa.Column("file_row", sa.BigInteger(), nullable=True))
        batch.create_foreign_key("fk_registry_payments_ingest_id", "registry_ingests", ["ingest_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("registry_payments") as batch:
        batch.drop_constraint("fk_registry_payments_ingest_id", type_="foreignkey")
        batch.drop_column("file_row")
        batch.drop_column("ingest_id")
