"""Payout: refund accounts and their verification, payment instructions, transfers, the ledger.

``payout_accounts``, ``payout_results``, ``ledger_entries`` and ``ledger_lines`` are append-only:
triggers refuse UPDATE and DELETE on SQLite and PostgreSQL (the application's role included). On
PostgreSQL a deferred constraint trigger also refuses, at commit, a ledger entry whose lines do not sum
to zero. At most one successful transfer per instruction (a partial unique index).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = ("payout_accounts", "payout_results", "ledger_entries", "ledger_lines")

_PG_REFUSE_CHANGE = """
CREATE FUNCTION payout_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'append_only: % rows are never updated or deleted', TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$
"""

_PG_BALANCED = """
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  total bigint;
BEGIN
  SELECT COALESCE(sum(amount), 0) INTO total FROM ledger_lines WHERE entry_id = NEW.entry_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger_unbalanced: the lines of entry % sum to %, not 0', NEW.entry_id, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
"""


def _rule_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
            f"SELECT RAISE(ABORT, 'append_only: {table} rows are never updated or deleted'); END"
            for table in APPEND_ONLY
            for verb in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        return [
            _PG_REFUSE_CHANGE,
            *(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION payout_refuse_change()"
                for table in APPEND_ONLY
            ),
            *(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION payout_refuse_change()"
                for table in APPEND_ONLY
            ),
            _PG_BALANCED,
            "CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()",
        ]
    raise ValueError(f"dialect {dialect!r} is not supported; accepted: sqlite, postgresql")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("entry_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("case_key", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("transfer_id", sa.String(length=20), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('decided', 'offset', 'payment', 'reversal')", name="ck_ledger_entries_kind"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_key", name="uq_ledger_entries_key"),
    )
    op.create_index("ix_ledger_entries_case", "ledger_entries", ["case_key"], unique=False)
    op.create_index("ix_ledger_entries_day", "ledger_entries", ["day"], unique=False)
    op.create_table(
        "payout_accounts",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("bank_code", sa.String(length=3), nullable=False),
        sa.Column("number_encrypted", sa.String(length=200), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("holder_check", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cooling_off_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "holder_check IN ('verified', 'mismatch', 'closed', 'not_found')", name="ck_payout_accounts_check"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payout_accounts_owner", "payout_accounts", ["owner_id", "id"], unique=False)
    op.create_table(
        "payout_batches",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("batch_ref", sa.String(length=35), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_ref", name="uq_payout_batches_ref"),
    )
    op.create_table(
        "payout_instructions",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("case_key", sa.String(length=64), nullable=False),
        sa.Column("computation", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("district", sa.String(length=5), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("hold", sa.String(length=24), nullable=True),
        sa.Column("returned_account_id", sa.BigInteger(), nullable=True),
        sa.Column("fence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'sending', 'unknown', 'filed', 'paid', 'returned', 'cancelled')",
            name="ck_payout_instructions_state",
        ),
        sa.CheckConstraint("amount > 0", name="ck_payout_instructions_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_key", "computation", name="uq_payout_instructions_case"),
    )
    op.create_index(
        "ix_payout_instructions_district", "payout_instructions", ["district", "state"], unique=False
    )
    op.create_index("ix_payout_instructions_owner", "payout_instructions", ["owner_id"], unique=False)
    op.create_index("ix_payout_instructions_state", "payout_instructions", ["state", "id"], unique=False)
    op.create_table(
        "payout_reconciled",
        sa.Column("transfer_id", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("transfer_id"),
    )
    op.create_table(
        "payout_results",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("transfer_id", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("bank_ref", sa.String(length=64), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payout_results_day", "payout_results", ["day"], unique=False)
    op.create_index("ix_payout_results_transfer", "payout_results", ["transfer_id"], unique=False)
    op.create_table(
        "ledger_lines",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=24), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "account IN ('refund_expense', 'interest_expense', 'refunds_payable', "
            "'arrears_receivable', 'bank')",
            name="ck_ledger_lines_account",
        ),
        sa.CheckConstraint("amount <> 0", name="ck_ledger_lines_amount"),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ledger_lines_entry", "ledger_lines", ["entry_id"], unique=False)
    op.create_table(
        "payout_announcements",
        sa.Column("case_key", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("pay_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payout_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("case_key"),
    )
    op.create_index(
        "ix_payout_announcements_due", "payout_announcements", ["outcome", "pay_on"], unique=False
    )
    op.create_table(
        "payout_current",
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("zero_click", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payout_accounts.id"],
        ),
        sa.PrimaryKeyConstraint("owner_id"),
    )
    op.create_table(
        "payout_transfers",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("transfer_id", sa.String(length=20), nullable=False),
        sa.Column("instruction_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("rail", sa.String(length=4), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=True),
        sa.Column("bank_ref", sa.String(length=64), nullable=True),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'succeeded', 'failed', 'unknown', 'filed')",
            name="ck_payout_transfers_state",
        ),
        sa.CheckConstraint("amount > 0", name="ck_payout_transfers_amount"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["payout_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["payout_batches.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instruction_id"],
            ["payout_instructions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transfer_id", name="uq_payout_transfers_id"),
    )
    op.create_index("ix_payout_transfers_day", "payout_transfers", ["day"], unique=False)
    op.create_index("ix_payout_transfers_instruction", "payout_transfers", ["instruction_id"], unique=False)
    op.create_index(
        "uq_payout_transfers_one_success",
        "payout_transfers",
        ["instruction_id"],
        unique=True,
        sqlite_where=sa.text("state = 'succeeded'"),
        postgresql_where=sa.text("state = 'succeeded'"),
    )

    for statement in _rule_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_check_balanced() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS payout_refuse_change() CASCADE")
    op.drop_index(
        "uq_payout_transfers_one_success",
        table_name="payout_transfers",
        sqlite_where=sa.text("state = 'succeeded'"),
        postgresql_where=sa.text("state = 'succeeded'"),
    )
    op.drop_index("ix_payout_transfers_instruction", table_name="payout_transfers")
    op.drop_index("ix_payout_transfers_day", table_name="payout_transfers")
    op.drop_table("payout_transfers")
    op.drop_table("payout_current")
    op.drop_index("ix_payout_announcements_due", table_name="payout_announcements")
    op.drop_table("payout_announcements")
    op.drop_index("ix_ledger_lines_entry", table_name="ledger_lines")
    op.drop_table("ledger_lines")
    op.drop_index("ix_payout_results_transfer", table_name="payout_results")
    op.drop_index("ix_payout_results_day", table_name="payout_results")
    op.drop_table("payout_results")
    op.drop_table("payout_reconciled")
    op.drop_index("ix_payout_instructions_state", table_name="payout_instructions")
    op.drop_index("ix_payout_instructions_owner", table_name="payout_instructions")
    op.drop_index("ix_payout_instructions_district", table_name="payout_instructions")
    op.drop_table("payout_instructions")
    op.drop_table("payout_batches")
    op.drop_index("ix_payout_accounts_owner", table_name="payout_accounts")
    op.drop_table("payout_accounts")
    op.drop_index("ix_ledger_entries_day", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_case", table_name="ledger_entries")
    op.drop_table("ledger_entries")
