"""Notices: issued documents (refund notice, payment decision, offset notice) with their template versions.

``issued_documents`` is append-only: triggers refuse UPDATE and DELETE on SQLite and PostgreSQL.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KINDS_SQL = "'refund_notice', 'payment_decision', 'offset_notice'"

_PG_REFUSE_CHANGE = """
CREATE FUNCTION notices_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'append_only: issued_documents rows are never updated or deleted'
    USING ERRCODE = 'integrity_constraint_violation';
END $$
"""


def upgrade() -> None:
    op.create_table(
        "issued_documents",
        sa.Column("document_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("case_key", sa.String(64), nullable=False),
        sa.Column("district", sa.String(5), nullable=False),
        sa.Column("template_version", sa.String(80), nullable=False),
        sa.Column("content_digest", sa.String(64), nullable=False),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", DOCUMENT, nullable=False),
        sa.CheckConstraint(f"kind IN ({KINDS_SQL})", name="ck_issued_documents_kind"),
    )
    op.create_index("ix_issued_documents_case", "issued_documents", ["case_key"])
    op.create_index("ix_issued_documents_district_kind", "issued_documents", ["district", "kind"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER issued_documents_no_{verb.lower()} BEFORE {verb} ON issued_documents "
                "BEGIN SELECT RAISE(ABORT, 'append_only: issued_documents rows are never updated or "
                "deleted'); END"
            )
    elif dialect == "postgresql":
        op.execute(_PG_REFUSE_CHANGE)
        op.execute(
            "CREATE TRIGGER issued_documents_append_only BEFORE UPDATE OR DELETE ON issued_documents "
            "FOR EACH ROW EXECUTE FUNCTION notices_refuse_change()"
        )


def downgrade() -> None:
    op.drop_index("ix_issued_documents_district_kind", table_name="issued_documents")
    op.drop_index("ix_issued_documents_case", table_name="issued_documents")
    op.drop_table("issued_documents")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS notices_refuse_change() CASCADE")
