"""The payout context's tables (migrations 0009, 0015, 0017, 0019 and 0021).

``payout_accounts``, ``payout_account_digests``, ``payout_transfers`` history columns, ``payout_results``,
``payout_paid``, ``ledger_entries`` and ``ledger_lines`` are append-only; on both databases triggers
refuse UPDATE and DELETE of the ledger and of the accounts, their digests, results and payments.
Instructions and transfers move through states by guarded updates.

Rules held by triggers rather than by a constraint written here (migrations 0016, 0017 and 0019), checked once
per statement on PostgreSQL: a transfer names an existing instruction, account and batch, which never
change, and an instruction or batch with transfers is never deleted; a transfer is ``succeeded`` only with
its ``payout_paid`` row, whose primary key allows one per instruction; a ledger line names an existing
entry, and an entry's lines sum to zero (PostgreSQL). On PostgreSQL the transfers'
pages keep room (``fillfactor`` 45) for the one change of state a booking makes, and no index names the
state, so that change is made in place; likewise the instructions (``fillfactor`` 50), whose indexes name
their computed ``queue`` instead of their state.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

metadata = MetaData()
ROW_ID = BigInteger().with_variant(Integer, "sqlite")


def _at(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


payout_accounts = Table(
    "payout_accounts",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("owner_id", String(64), nullable=False),
    Column("bank_code", String(3), nullable=False),
    Column("number_encrypted", String(200), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("holder_check", String(12), nullable=False),
    Column("source", String(16), nullable=False),
    _at("registered_at"),
    _at("cooling_off_until", nullable=True),
    CheckConstraint(
        "holder_check IN ('verified', 'mismatch', 'closed', 'not_found')", name="ck_payout_accounts_check"
    ),
)
Index("ix_payout_accounts_owner", payout_accounts.c.owner_id, payout_accounts.c.id)

payout_account_digests = Table(
    "payout_account_digests",
    metadata,
    Column("account_id", BigInteger, ForeignKey("payout_accounts.id"), primary_key=True),
    Column("number_digest", String(64), nullable=False),
)
"""A keyed digest of each account's bank and number (migration 0015): who else registered the same
account is found by it, without decrypting."""
Index("ix_payout_account_digests_digest", payout_account_digests.c.number_digest)

payout_current = Table(
    "payout_current",
    metadata,
    Column("owner_id", String(64), primary_key=True),
    Column("account_id", BigInteger, ForeignKey("payout_accounts.id"), nullable=False),
    Column("zero_click", Boolean, nullable=False, server_default=text("false")),
    _at("updated_at"),
)

QUEUE_SQL = (
    "CASE WHEN state = 'open' OR state = 'returned' OR state = 'sending' OR state = 'unknown' "
    "THEN state ELSE NULL END"
)
"""An instruction's ``queue`` (migration 0021): its state while it waits for a transfer, an officer or its
worker, NULL once filed, paid or cancelled. The indexes that find instructions awaiting work name it
instead of the state, so a booking (``filed`` to ``paid``) changes no indexed value."""

payout_instructions = Table(
    "payout_instructions",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("case_key", String(64), nullable=False),
    Column("computation", Integer, nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("district", String(5), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("state", String(12), nullable=False),
    Column("hold", String(24)),
    Column("returned_account_id", BigInteger),
    Column("fence", Integer, nullable=False, server_default=text("0")),
    Column("lease_owner", String(64)),
    _at("lease_until", nullable=True),
    _at("next_try_at", nullable=True),
    _at("created_at"),
    _at("updated_at"),
    Column("queue", String(12), Computed(QUEUE_SQL, persisted=True)),
    UniqueConstraint("case_key", "computation", name="uq_payout_instructions_case"),
    CheckConstraint("amount > 0", name="ck_payout_instructions_amount"),
    CheckConstraint(
        "state IN ('open', 'sending', 'unknown', 'filed', 'paid', 'returned', 'cancelled')",
        name="ck_payout_instructions_state",
    ),
)
Index("ix_payout_instructions_queue", payout_instructions.c.queue, payout_instructions.c.id)
Index("ix_payout_instructions_owner", payout_instructions.c.owner_id)
Index("ix_payout_instructions_district", payout_instructions.c.district, payout_instructions.c.queue)

payout_batches = Table(
    "payout_batches",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("batch_ref", String(35), nullable=False),
    Column("day", Date, nullable=False),
    Column("count", Integer, nullable=False),
    Column("total", BigInteger, nullable=False),
    _at("created_at"),
    UniqueConstraint("batch_ref", name="uq_payout_batches_ref"),
)

payout_transfers = Table(
    "payout_transfers",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("transfer_id", String(20), nullable=False),
    # The instruction, account and batch exist and never change: triggers check (migration 0019).
    Column("instruction_id", BigInteger, nullable=False),
    Column("account_id", BigInteger, nullable=False),
    Column("rail", String(4), nullable=False),
    Column("day", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("state", String(10), nullable=False),
    Column("reason", String(24)),
    Column("bank_ref", String(64)),
    Column("batch_id", BigInteger),
    _at("created_at"),
    _at("resolved_at", nullable=True),
    UniqueConstraint("transfer_id", name="uq_payout_transfers_id"),
    CheckConstraint(
        "state IN ('pending', 'succeeded', 'failed', 'unknown', 'filed')", name="ck_payout_transfers_state"
    ),
    CheckConstraint("amount > 0", name="ck_payout_transfers_amount"),
)
Index("ix_payout_transfers_instruction", payout_transfers.c.instruction_id)
Index("ix_payout_transfers_day", payout_transfers.c.day)

payout_paid = Table(
    "payout_paid",
    metadata,
    Column("instruction_id", BigInteger, primary_key=True),
    Column("transfer_id", String(20), nullable=False),
)
"""The transfer that paid each paid instruction, written in the transaction that books its success. At most
one successful transfer per instruction, whatever the code does (the last line of defence): the primary
key refuses a second, and a trigger refuses a ``succeeded`` transfer without its row here (migration 0017)."""

payout_results = Table(
    "payout_results",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("transfer_id", String(20), nullable=False),
    Column("source", String(16), nullable=False),
    Column("status", String(10), nullable=False),
    Column("reason", String(24)),
    Column("amount", BigInteger),
    Column("bank_ref", String(64)),
    Column("day", Date, nullable=False),
    _at("received_at"),
)
Index("ix_payout_results_transfer", payout_results.c.transfer_id)
Index("ix_payout_results_day", payout_results.c.day)

payout_announcements = Table(
    "payout_announcements",
    metadata,
    Column("case_key", String(64), primary_key=True),
    Column("owner_id", String(64), nullable=False),
    Column("account_id", BigInteger, ForeignKey("payout_accounts.id"), nullable=False),
    Column("pay_on", Date, nullable=False),
    Column("outcome", String(16)),
    _at("announced_at"),
    _at("settled_at", nullable=True),
)
Index("ix_payout_announcements_due", payout_announcements.c.outcome, payout_announcements.c.pay_on)

payout_reconciled = Table(
    "payout_reconciled",
    metadata,
    Column("transfer_id", String(20), primary_key=True),
    Column("day", Date, nullable=False),
    _at("at"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("entry_key", String(120), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("case_key", String(64), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("district", String(5), nullable=False),
    Column("day", Date, nullable=False),
    Column("transfer_id", String(20)),
    _at("posted_at"),
    UniqueConstraint("entry_key", name="uq_ledger_entries_key"),
    CheckConstraint("kind IN ('decided', 'offset', 'payment', 'reversal')", name="ck_ledger_entries_kind"),
)
Index("ix_ledger_entries_case", ledger_entries.c.case_key)
Index("ix_ledger_entries_day", ledger_entries.c.day)

ledger_lines = Table(
    "ledger_lines",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("entry_id", BigInteger, nullable=False),  # an existing entry: a trigger checks (0017)
    Column("account", String(24), nullable=False),
    Column("amount", BigInteger, nullable=False),
    CheckConstraint("amount <> 0", name="ck_ledger_lines_amount"),
    CheckConstraint(
        "account IN ('refund_expense', 'interest_expense', 'refunds_payable', 'arrears_receivable', 'bank')",
        name="ck_ledger_lines_account",
    ),
)
Index("ix_ledger_lines_entry", ledger_lines.c.entry_id)

APPEND_ONLY = (
    "payout_accounts",
    "payout_account_digests",
    "payout_results",
    "payout_paid",
    "ledger_entries",
    "ledger_lines",
)
