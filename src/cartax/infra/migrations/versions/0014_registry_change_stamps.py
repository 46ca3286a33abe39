"""Registry rows are found by when they changed: an incremental detection asks what changed since its
last run, and reads that through these indexes instead of scanning every table.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

STAMPS = {
    "registry_vehicles": "updated_at",
    "registry_registrations": "updated_at",
    "registry_payments": "updated_at",
    "registry_arrears": "updated_at",
    "registry_exemptions": "created_at",
}


def upgrade() -> None:
    for table, column in STAMPS.items():
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in STAMPS.items():
        op.drop_index(f"ix_{table}_{column}", table_name=table)
