"""The table the notices context alone owns (SQLAlchemy Core), as created by migration 0011
(``cartax/infra/migrations/versions/0011_notices.py``); this module describes it for queries.

``issued_documents`` is append-only (triggers refuse UPDATE and DELETE): a document once issued stays
as it was issued, which is what the verification page vouches for. No personal data: the recipient's
name and the plate are stored masked inside ``summary``.
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Index, MetaData, String, Table
from sqlalchemy.dialects import postgresql

from cartax.notices.model import DocumentKind

metadata = MetaData()

KINDS_SQL = ", ".join(f"'{kind}'" for kind in DocumentKind)

issued_documents = Table(
    "issued_documents",
    metadata,
    Column("document_id", String(32), primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("case_key", String(64), nullable=False),
    Column("district", String(5), nullable=False),
    Column("template_version", String(80), nullable=False),
    Column("content_digest", String(64), nullable=False),
    Column("code", String(20), nullable=False, unique=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("summary", JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    CheckConstraint(f"kind IN ({KINDS_SQL})", name="ck_issued_documents_kind"),
)
Index("ix_issued_documents_case", issued_documents.c.case_key)
Index("ix_issued_documents_district_kind", issued_documents.c.district, issued_documents.c.kind)
