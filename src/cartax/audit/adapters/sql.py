"""The audit chain on SQLAlchemy: appends under a lock on the head, streams records for verification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from cartax.audit.adapters.tables import audit_records as t
from cartax.audit.model import AccessAction, AccessEntry, AccessRecord

# Any constant will do: it names the lock that serialises appends to the chain on PostgreSQL.
CHAIN_LOCK_ID = 0x63617274_61756474  # "cartaudt"
STREAM_BATCH = 1000


def _action(value: str) -> AccessAction | str:
    try:
        return AccessAction(value)
    except ValueError:  # an altered row; verification reports it
        return value


def _record(row: Any) -> AccessRecord:
    # Built without AccessEntry's checks: a stored record is verified by its seal, not re-validated
    # (a record that no longer passes the entry rules must still be reported, not crash verification).
    entry = object.__new__(AccessEntry)
    values = {
        "actor": row.actor,
        "actor_role": row.actor_role,
        "at": row.at,
        "source": row.source,
        "action": _action(row.action),
        "subject": row.subject,
        "person_ref": row.person_ref,
        "reason": row.reason,
    }
    for name, value in values.items():
        object.__setattr__(entry, name, value)
    return AccessRecord(row.seq, entry, row.key_id, row.prev_hash, row.hash)


class SqlAuditStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def head(self) -> AccessRecord | None:
        if self.session.get_bind().dialect.name == "postgresql":
            # Held until the transaction ends: concurrent writers queue here instead of racing for a seq.
            self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": CHAIN_LOCK_ID})
        row = self.session.execute(select(t).order_by(t.c.seq.desc()).limit(1)).first()
        return _record(row) if row else None

    def append(self, record: AccessRecord) -> None:
        entry = record.entry
        self.session.execute(
            insert(t).values(
                seq=record.seq,
                at=entry.at.astimezone(UTC),
                actor=entry.actor,
                actor_role=entry.actor_role,
                source=entry.source,
                action=str(entry.action),
                subject=entry.subject,
                person_ref=entry.person_ref,
                reason=entry.reason,
                key_id=record.key_id,
                prev_hash=record.prev_hash,
                hash=record.hash,
            )
        )

    def records(self, from_seq: int = 1) -> Iterator[AccessRecord]:
        """Keyset pagination in batches: constant memory, and no long-lived cursor holding a snapshot."""
        after = from_seq - 1
        while True:
            query = select(t).where(t.c.seq > after).order_by(t.c.seq).limit(STREAM_BATCH)
            rows = self.session.execute(query).all()
            for row in rows:
                yield _record(row)
            if len(rows) < STREAM_BATCH:
                return
            after = rows[-1].seq
