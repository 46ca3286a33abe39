"""Notify: messages (what each person read, with the template version), their delivery receipts,
preferences and opt-outs, signed case links, per-district daily counts, the cases awaiting an answer,
campaigns, the embedded demo's inbox and the letters of the print batches.

No column holds a phone number, an e-mail or postal address; verification codes only as keyed digests.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUSES_SQL = "'queued', 'sent', 'delivered', 'failed', 'suppressed'"
TABLES = (
    "notify_print_items", "notify_inbox", "notify_campaigns", "notify_cases", "notify_daily_usage",
    "notify_links", "notify_preferences", "notify_receipts", "notify_messages",
)  # fmt: skip


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _messages() -> None:
    op.create_table(
        "notify_messages",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("ref", sa.String(10), nullable=False),
        sa.Column("idem_key", sa.String(200), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("case_key", sa.String(64)),
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("template", sa.String(48), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("link_ref", sa.String(10)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _stamp("next_attempt_at"),
        _stamp("lease_until", nullable=True),
        _stamp("created_at"),
        _stamp("sent_at", nullable=True),
        _stamp("status_at"),
        sa.Column("provider", sa.String(32)),
        sa.Column("provider_ref", sa.String(100)),
        sa.Column("fallback_of", sa.String(10)),
        sa.Column("campaign_id", sa.BigInteger()),
        sa.UniqueConstraint("ref", name="uq_notify_messages_ref"),
        sa.UniqueConstraint("idem_key", name="uq_notify_messages_idem_key"),
        sa.UniqueConstraint("code_digest", name="uq_notify_messages_code_digest"),
        sa.CheckConstraint(f"status IN ({STATUSES_SQL})", name="ck_notify_messages_status"),
        sa.CheckConstraint("attempts >= 0", name="ck_notify_messages_attempts"),
    )
    op.create_index("ix_notify_messages_due", "notify_messages", ["status", "next_attempt_at"])
    op.create_index("ix_notify_messages_person", "notify_messages", ["person_id"])
    op.create_index("ix_notify_messages_case", "notify_messages", ["case_key"])
    op.create_index("ix_notify_messages_provider_ref", "notify_messages", ["provider", "provider_ref"])
    op.create_table(
        "notify_receipts",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        _stamp("at"),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["notify_messages.id"], name="fk_notify_receipts_message"),
    )
    op.create_index("ix_notify_receipts_message", "notify_receipts", ["message_id"])


def _people_and_links() -> None:
    op.create_table(
        "notify_preferences",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("first_channel", sa.String(10), nullable=False),
        sa.Column("opted_out", sa.String(64), nullable=False),
        _stamp("updated_at"),
    )
    op.create_table(
        "notify_links",
        sa.Column("ref", sa.String(10), primary_key=True),
        sa.Column("case_key", sa.String(64), nullable=False),
        _stamp("created_at"),
        _stamp("expires_at"),
    )
    op.create_table(
        "notify_daily_usage",
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("district", "day", name="pk_notify_daily_usage"),
    )
    op.create_table(
        "notify_cases",
        sa.Column("case_key", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("payable", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("lapses_on", sa.Date()),
        sa.Column("reminders", sa.Integer(), nullable=False),
        _stamp("last_message_at", nullable=True),
    )
    op.create_index("ix_notify_cases_reminders", "notify_cases", ["state", "district", "lapses_on"])


def _campaigns_inbox_letters() -> None:
    op.create_table(
        "notify_campaigns",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("district", sa.String(5)),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        _stamp("created_at"),
    )
    op.create_table(
        "notify_inbox",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("message_ref", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _stamp("delivered_at"),
    )
    op.create_index("ix_notify_inbox_person", "notify_inbox", ["person_id"])
    op.create_table(
        "notify_print_items",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("message_ref", sa.String(10), nullable=False),
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        _stamp("added_at"),
        sa.UniqueConstraint("message_ref", name="uq_notify_print_items_message_ref"),
    )
    op.create_index("ix_notify_print_items_batch", "notify_print_items", ["district", "day"])


def upgrade() -> None:
    _messages()
    _people_and_links()
    _campaigns_inbox_letters()


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
