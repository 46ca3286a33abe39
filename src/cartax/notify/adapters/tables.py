"""The tables the notify context alone owns (SQLAlchemy Core), as created by migration 0010
(``cartax/infra/migrations/versions/0010_notify.py``).

No table holds a phone number, an e-mail or postal address: destinations are looked up when a message
is sent. A message keeps what the person read (subject and body, with the template's version); a
verification code only as a keyed digest.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
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

from cartax.notify.model import Status

metadata = MetaData()
ROW_ID = BigInteger().with_variant(Integer, "sqlite")
STATUSES_SQL = ", ".join(f"'{status}'" for status in Status)

messages = Table(
    "notify_messages",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("ref", String(10), nullable=False),
    Column("idem_key", String(200), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("case_key", String(64)),
    Column("district", String(5), nullable=False),
    Column("topic", String(32), nullable=False),
    Column("template", String(48), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("params", JSON, nullable=False),
    Column("code_digest", String(64), nullable=False),
    Column("link_ref", String(10)),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("status_at", DateTime(timezone=True), nullable=False),
    Column("provider", String(32)),
    Column("provider_ref", String(100)),
    Column("fallback_of", String(10)),
    Column("campaign_id", BigInteger),
    UniqueConstraint("ref", name="uq_notify_messages_ref"),
    UniqueConstraint("idem_key", name="uq_notify_messages_idem_key"),
    UniqueConstraint("code_digest", name="uq_notify_messages_code_digest"),
    CheckConstraint(f"status IN ({STATUSES_SQL})", name="ck_notify_messages_status"),
    CheckConstraint("attempts >= 0", name="ck_notify_messages_attempts"),
)
Index("ix_notify_messages_due", messages.c.status, messages.c.next_attempt_at)
Index("ix_notify_messages_person", messages.c.person_id)
Index("ix_notify_messages_case", messages.c.case_key)
Index("ix_notify_messages_provider_ref", messages.c.provider, messages.c.provider_ref)

receipts = Table(
    "notify_receipts",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("message_id", BigInteger, nullable=False),
    Column("status", String(10), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("detail", String(64), nullable=False),
    ForeignKeyConstraint(["message_id"], ["notify_messages.id"], name="fk_notify_receipts_message"),
)
Index("ix_notify_receipts_message", receipts.c.message_id)

preferences = Table(
    "notify_preferences",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("first_channel", String(10), nullable=False),
    Column("opted_out", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

links = Table(
    "notify_links",
    metadata,
    Column("ref", String(10), primary_key=True),
    Column("case_key", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

daily_usage = Table(
    "notify_daily_usage",
    metadata,
    Column("district", String(5), nullable=False),
    Column("day", String(10), nullable=False),
    Column("sent", Integer, nullable=False),
    PrimaryKeyConstraint("district", "day", name="pk_notify_daily_usage"),
)

tracked_cases = Table(
    "notify_cases",
    metadata,
    Column("case_key", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False),
    Column("district", String(5), nullable=False),
    Column("payable", BigInteger, nullable=False),
    Column("state", String(20), nullable=False),
    Column("lapses_on", Date),
    Column("reminders", Integer, nullable=False),
    Column("last_message_at", DateTime(timezone=True)),
)
Index("ix_notify_cases_reminders", tracked_cases.c.state, tracked_cases.c.district, tracked_cases.c.lapses_on)

campaigns = Table(
    "notify_campaigns",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("district", String(5)),
    Column("topic", String(32), nullable=False),
    Column("per_minute", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

inbox = Table(
    "notify_inbox",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("person_id", String(64), nullable=False),
    Column("message_ref", String(10), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=False),
)
Index("ix_notify_inbox_person", inbox.c.person_id)

print_items = Table(
    "notify_print_items",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("message_ref", String(10), nullable=False),
    Column("district", String(5), nullable=False),
    Column("day", String(10), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("message_ref", name="uq_notify_print_items_message_ref"),
)
Index("ix_notify_print_items_batch", print_items.c.district, print_items.c.day)
