"""The registry: vehicles, owners (personal data encrypted), registration events, payments, arrears,
exemptions, the ingest runs and the corrections they made.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "registry_ingests",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
    )
    _vehicles_and_owners()
    _events_and_money()
    op.create_table(
        "registry_changes",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("ingest_id", ROW_ID, sa.ForeignKey("registry_ingests.id"), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_key", sa.String(), nullable=False),
        sa.Column("fields", sa.String(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_registry_changes_entity", "registry_changes", ["entity", "entity_key"])


def _vehicles_and_owners() -> None:
    op.create_table(
        "registry_vehicles",
        sa.Column("vehicle_id", sa.String(), primary_key=True),
        sa.Column("plate", sa.String(), nullable=True),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("use", sa.String(10), nullable=False),
        sa.Column("displacement_cc", sa.Integer(), nullable=True),
        sa.Column("van_class", sa.String(20), nullable=True),
        sa.Column("special_class", sa.String(10), nullable=True),
        sa.Column("load_kg", sa.Integer(), nullable=True),
        sa.Column("first_registered_on", sa.Date(), nullable=False),
        sa.Column("manufactured_year", sa.Integer(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "registry_owners",
        sa.Column("owner_id", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("rrn_encrypted", sa.String(), nullable=True),
        sa.Column("rrn_index", sa.String(64), nullable=True),
        sa.Column("phone_encrypted", sa.String(), nullable=True),
        sa.Column("email_encrypted", sa.String(), nullable=True),
        sa.Column("address_encrypted", sa.String(), nullable=True),
        sa.Column("district", sa.String(5), nullable=True),
        sa.Column("refund_bank", sa.String(), nullable=True),
        sa.Column("refund_account_encrypted", sa.String(), nullable=True),
        sa.Column("refund_account_holder", sa.String(), nullable=True),
        sa.Column("pii_fingerprint", sa.String(64), nullable=False),
        *_stamps(),
    )
    op.create_index("ix_registry_owners_rrn_index", "registry_owners", ["rrn_index"])


def _events_and_money() -> None:
    op.create_table(
        "registry_registrations",
        sa.Column("event_id", sa.String(), primary_key=True),
        sa.Column("vehicle_id", sa.String(), sa.ForeignKey("registry_vehicles.vehicle_id"), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("owner_id", sa.String(), sa.ForeignKey("registry_owners.owner_id"), nullable=True),
        sa.Column("prepayment_passed_on", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(10), nullable=True),
        sa.Column("ingest_id", ROW_ID, sa.ForeignKey("registry_ingests.id"), nullable=False),
        sa.Column("file_row", sa.BigInteger(), nullable=False),
        *_stamps(),
    )
    op.create_index("ix_registry_registrations_vehicle", "registry_registrations", ["vehicle_id", "date"])
    op.create_index("ix_registry_registrations_owner", "registry_registrations", ["owner_id"])
    op.create_table(
        "registry_payments",
        sa.Column("payment_id", sa.String(), primary_key=True),
        sa.Column("vehicle_id", sa.String(), sa.ForeignKey("registry_vehicles.vehicle_id"), nullable=False),
        sa.Column("owner_id", sa.String(), sa.ForeignKey("registry_owners.owner_id"), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("car_tax", sa.BigInteger(), nullable=False),
        sa.Column("edu_tax", sa.BigInteger(), nullable=False),
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("via_grievance", sa.Boolean(), nullable=False),
        *_stamps(),
    )
    op.create_index("ix_registry_payments_vehicle_year", "registry_payments", ["vehicle_id", "tax_year"])
    op.create_index("ix_registry_payments_owner", "registry_payments", ["owner_id"])
    op.create_table(
        "registry_arrears",
        sa.Column("owner_id", sa.String(), sa.ForeignKey("registry_owners.owner_id"), primary_key=True),
        sa.Column("district", sa.String(5), primary_key=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "registry_exemptions",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.String(), sa.ForeignKey("registry_owners.owner_id"), nullable=False),
        sa.Column("vehicle_id", sa.String(), sa.ForeignKey("registry_vehicles.vehicle_id"), nullable=False),
        sa.Column("rate_pct", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "owner_id",
            "vehicle_id",
            "rate_pct",
            "effective_from",
            "decided_on",
            name="uq_registry_exemptions_decision",
        ),
    )
    op.create_index("ix_registry_exemptions_vehicle", "registry_exemptions", ["vehicle_id"])


def downgrade() -> None:
    for index, table in (
        ("ix_registry_exemptions_vehicle", "registry_exemptions"),
        ("ix_registry_payments_owner", "registry_payments"),
        ("ix_registry_payments_vehicle_year", "registry_payments"),
        ("ix_registry_registrations_owner", "registry_registrations"),
        ("ix_registry_registrations_vehicle", "registry_registrations"),
        ("ix_registry_owners_rrn_index", "registry_owners"),
        ("ix_registry_changes_entity", "registry_changes"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "registry_changes",
        "registry_exemptions",
        "registry_arrears",
        "registry_payments",
        "registry_registrations",
        "registry_owners",
        "registry_vehicles",
        "registry_ingests",
    ):
        op.drop_table(table)
