"""Writing to the chain and checking it: the use cases of the audit context."""

from __future__ import annotations

from datetime import datetime

from cartax.audit.chain import ChainKeys, ChainReport, seal, verify_chain
from cartax.audit.model import GENESIS, AccessEntry, AccessRecord, Anchor
from cartax.audit.ports import AnchorStore, AuditStore


def record_access(store: AuditStore, keys: ChainKeys, entry: AccessEntry) -> AccessRecord:
    """Seal ``entry`` after the current head and append it (inside the caller's transaction).

    Call it in the same transaction as the access it records, before the data is shown: if the record
    cannot be written, the person's data is not shown either.
    """
    head = store.head()
    record = seal(head.seq + 1 if head else 1, entry, head.hash if head else GENESIS, keys)
    store.append(record)
    return record


def take_anchor(store: AuditStore, anchors: AnchorStore, now: datetime) -> Anchor | None:
    """Copy the head of the chain to the anchor store; ``None`` while the chain is empty."""
    head = store.head()
    if head is None:
        return None
    anchor = Anchor(head.seq, head.hash, now)
    anchors.add(anchor)
    return anchor


def verify(store: AuditStore, keys: ChainKeys, anchors: AnchorStore | None = None) -> ChainReport:
    """Verify the whole stored chain against the keys and, when given, the anchors."""
    return verify_chain(store.records(), keys, anchors.all() if anchors else ())
