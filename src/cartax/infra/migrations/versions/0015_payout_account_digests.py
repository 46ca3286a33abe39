"""Payout: a keyed digest of every registered account number, so that the accounts several people
registered are found without decrypting any (the straight-through policy's ``account_shared`` flag).

``payout_account_digests`` is append-only like the accounts it describes (one row per account, written
with it). Accounts registered before this revision get theirs from ``cartax payout index-accounts``.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_PG_APPEND_ONLY = (
    "CREATE TRIGGER payout_account_digests_append_only BEFORE UPDATE OR DELETE ON payout_account_digests "
    "FOR EACH ROW EXECUTE FUNCTION payout_refuse_change()",
    "CREATE TRIGGER payout_account_digests_no_truncate BEFORE TRUNCATE ON payout_account_digests "
    "FOR EACH STATEMENT EXECUTE FUNCTION payout_refuse_change()",
)


def upgrade() -> None:
    op.create_table(
        "payout_account_digests",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("number_digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["payout_accounts.id"]),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_index("ix_payout_account_digests_digest", "payout_account_digests", ["number_digest"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for statement in _PG_APPEND_ONLY:
            op.execute(statement)
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER payout_account_digests_no_{verb.lower()} BEFORE {verb} ON "
                "payout_account_digests BEGIN SELECT RAISE(ABORT, 'append_only: payout_account_digests rows "
                "are never updated or deleted'); END"
            )


def downgrade() -> None:
    op.drop_index("ix_payout_account_digests_digest", table_name="payout_account_digests")
    op.drop_table("payout_account_digests")
