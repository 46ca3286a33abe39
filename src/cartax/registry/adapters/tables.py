"""The tables the registry context alone owns (SQLAlchemy Core), created by its migration.

Personal data of owners is stored only as AES-GCM tokens (``*_encrypted``, see :mod:`cartax.infra.crypto`)
with a keyed blind index of the resident registration number for look-up and a keyed fingerprint of all
personal values to tell a correction without decrypting. ``registry_changes`` records which fields a
correction changed, never their values.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
ENCRYPTED_COLUMNS = [
    ("registry_owners", "owner_id", f"{column}_encrypted")
    for column in ("rrn", "phone", "email", "address", "refund_account")
]
"""Where personal data is stored encrypted, bound to ``table.column:owner_id`` (read by key rotation)."""
ROW_ID = BigInteger().with_variant(Integer, "sqlite")


def _stamps() -> list[Column[object]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


ingests = Table(
    "registry_ingests",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("summary", JSON().with_variant(JSONB(), "postgresql"), nullable=True),
)

vehicles = Table(
    "registry_vehicles",
    metadata,
    Column("vehicle_id", String, primary_key=True),
    Column("plate", String, nullable=True),
    Column("category", String(20), nullable=False),
    Column("use", String(10), nullable=False),
    Column("displacement_cc", Integer, nullable=True),
    Column("van_class", String(20), nullable=True),
    Column("special_class", String(10), nullable=True),
    Column("load_kg", Integer, nullable=True),
    Column("first_registered_on", Date, nullable=False),
    Column("manufactured_year", Integer, nullable=False),
    *_stamps(),
)

owners = Table(
    "registry_owners",
    metadata,
    Column("owner_id", String, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("name", String, nullable=True),
    Column("rrn_encrypted", String, nullable=True),
    Column("rrn_index", String(64), nullable=True),
    Column("phone_encrypted", String, nullable=True),
    Column("email_encrypted", String, nullable=True),
    Column("address_encrypted", String, nullable=True),
    Column("district", String(5), nullable=True),
    Column("refund_bank", String, nullable=True),
    Column("refund_account_encrypted", String, nullable=True),
    Column("refund_account_holder", String, nullable=True),
    Column("pii_fingerprint", String(64), nullable=False),
    *_stamps(),
)
Index("ix_registry_owners_rrn_index", owners.c.rrn_index)

registrations = Table(
    "registry_registrations",
    metadata,
    Column("event_id", String, primary_key=True),
    Column("vehicle_id", String, ForeignKey("registry_vehicles.vehicle_id"), nullable=False),
    Column("event", String(20), nullable=False),
    Column("date", Date, nullable=False),
    Column("owner_id", String, ForeignKey("registry_owners.owner_id"), nullable=True),
    Column("prepayment_passed_on", Boolean, nullable=False),
    Column("reason", String(10), nullable=True),
    # Same-day events of a vehicle apply in feed order: the run and the line that last wrote the event.
    Column("ingest_id", ROW_ID, ForeignKey("registry_ingests.id"), nullable=False),
    Column("file_row", BigInteger, nullable=False),
    *_stamps(),
)
Index("ix_registry_registrations_vehicle", registrations.c.vehicle_id, registrations.c.date)
Index("ix_registry_registrations_owner", registrations.c.owner_id)

payments = Table(
    "registry_payments",
    metadata,
    Column("payment_id", String, primary_key=True),
    Column("vehicle_id", String, ForeignKey("registry_vehicles.vehicle_id"), nullable=False),
    Column("owner_id", String, ForeignKey("registry_owners.owner_id"), nullable=False),
    Column("tax_year", Integer, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("car_tax", BigInteger, nullable=False),
    Column("edu_tax", BigInteger, nullable=False),
    Column("district", String(5), nullable=False),
    Column("via_grievance", Boolean, nullable=False),
    *_stamps(),
    # Payments of one day are taken in feed order: the load and the line that last wrote the payment
    # (null for payments stored before migration 0008).
    Column("ingest_id", ROW_ID, nullable=True),
    Column("file_row", BigInteger, nullable=True),
    ForeignKeyConstraint(["ingest_id"], ["registry_ingests.id"], name="fk_registry_payments_ingest_id"),
)
Index("ix_registry_payments_vehicle_year", payments.c.vehicle_id, payments.c.tax_year)
Index("ix_registry_payments_owner", payments.c.owner_id)

arrears = Table(
    "registry_arrears",
    metadata,
    Column("owner_id", String, ForeignKey("registry_owners.owner_id"), primary_key=True),
    Column("district", String(5), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    *_stamps(),
)

exemptions = Table(
    "registry_exemptions",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("owner_id", String, ForeignKey("registry_owners.owner_id"), nullable=False),
    Column("vehicle_id", String, ForeignKey("registry_vehicles.vehicle_id"), nullable=False),
    Column("rate_pct", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "owner_id",
        "vehicle_id",
        "rate_pct",
        "effective_from",
        "decided_on",
        name="uq_registry_exemptions_decision",
    ),
)
Index("ix_registry_exemptions_vehicle", exemptions.c.vehicle_id)
# What changed since a moment (an incremental detection's first question) is found through these.
CHANGE_STAMPS = {
    "registry_vehicles": "updated_at",
    "registry_registrations": "updated_at",
    "registry_payments": "updated_at",
    "registry_arrears": "updated_at",
    "registry_exemptions": "created_at",
}
for _table in (vehicles, registrations, payments, arrears, exemptions):
    _stamp = CHANGE_STAMPS[_table.name]
    Index(f"ix_{_table.name}_{_stamp}", _table.c[_stamp])

holdings = Table(
    "registry_holdings",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("vehicle_id", String, ForeignKey("registry_vehicles.vehicle_id"), nullable=False),
    Column("owner_id", String, ForeignKey("registry_owners.owner_id"), nullable=False),
    Column("start_event", String(20), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_event", String(20), nullable=True),
    Column("end_date", Date, nullable=True),
    Column("prepayment_passed_on", Boolean, nullable=False),
    Column("derived_at", DateTime(timezone=True), nullable=False),
)
"""Who held which vehicle from when to when, derived from the stored registration events (holdings.py)."""
Index("ix_registry_holdings_vehicle", holdings.c.vehicle_id)
Index("ix_registry_holdings_owner", holdings.c.owner_id)

changes = Table(
    "registry_changes",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("ingest_id", ROW_ID, ForeignKey("registry_ingests.id"), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("entity_key", String, nullable=False),
    Column("fields", String, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
Index("ix_registry_changes_entity", changes.c.entity, changes.c.entity_key)
