"""The issued documents on the database (SQLite and PostgreSQL alike).

Each call is its own short transaction: a bulk print records a chunk of documents at a time, so a
failure part-way keeps what was issued before it, and the next run, deriving the same ids, records only
the rest (``ON CONFLICT DO NOTHING`` on the id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, select
from sqlalchemy.dialects import postgresql, sqlite

from cartax.notices.adapters.tables import issued_documents
from cartax.notices.model import DocumentKind, IssuedDocument


class SqlDocumentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert: Any = dialect.insert(issued_documents).on_conflict_do_nothing(
            index_elements=["document_id"]
        )

    def add_all(self, documents: Sequence[IssuedDocument]) -> None:
        if not documents:
            return
        rows = [
            {
                "document_id": d.document_id, "kind": str(d.kind), "case_key": d.case_key,
                "district": d.district, "template_version": d.template_version,
                "content_digest": d.content_digest, "code": d.code, "issued_at": d.issued_at,
                "summary": dict(d.summary),
            }
            for d in documents
        ]  # fmt: skip
        with self.engine.begin() as connection:
            connection.execute(self._insert, rows)

    def by_code(self, code: str) -> IssuedDocument | None:
        query = select(issued_documents).where(issued_documents.c.code == code)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _document(row) if row is not None else None

    def of_case(self, case_key: str) -> list[IssuedDocument]:
        query = (
            select(issued_documents)
            .where(issued_documents.c.case_key == case_key)
            .order_by(issued_documents.c.issued_at, issued_documents.c.document_id)
        )
        with self.engine.connect() as connection:
            return [_document(row) for row in connection.execute(query)]


def _document(row: Row[Any]) -> IssuedDocument:
    issued_at: datetime = row.issued_at
    return IssuedDocument(
        row.document_id,
        DocumentKind(row.kind),
        row.case_key,
        row.district,
        row.template_version,
        row.content_digest,
        row.code,
        issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=UTC),
        row.summary,
    )
