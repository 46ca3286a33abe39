"""The tamper-evident chain: sealing records with a keyed HMAC and verifying the whole chain.

Each record's ``hash`` is HMAC-SHA-256 over its canonical form, which includes the previous record's
hash. Without the key (kept outside the database, docs/adr/0001-audit-hash-chain.md) nobody can alter a
record, insert one or remove one and re-seal the rest; anchors kept elsewhere show a cut-off tail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cartax.audit.errors import UnknownChainKeyError
from cartax.audit.model import GENESIS, AccessEntry, AccessRecord, Anchor

KEY_ID_CONTEXT = b"cartax audit chain key id v1"


@dataclass(frozen=True)
class ChainKeys:
    """The key new records are sealed with, and every key (retired ones too) records may carry."""

    current_id: str
    keys: Mapping[str, bytes]

    @classmethod
    def from_secrets(cls, current: bytes, retired: Sequence[bytes] = ()) -> ChainKeys:
        """Key ids are derived from the keys, so configuration is just the list of secrets."""
        keys = {key_id(secret): secret for secret in (current, *retired)}
        return cls(key_id(current), keys)

    def key(self, identifier: str) -> bytes:
        try:
            return self.keys[identifier]
        except KeyError:
            raise UnknownChainKeyError(
                f"records are sealed with audit key {identifier!r}, which is not configured; add the retired "
                "key to CARTAX_AUDIT_CHAIN_OLD_KEYS"
            ) from None


def key_id(secret: bytes) -> str:
    """A short public name for a key (an HMAC of a constant, so it reveals nothing of the key)."""
    if len(secret) < 32:
        raise ValueError("an audit chain key has at least 32 bytes")
    return "k" + hmac.new(secret, KEY_ID_CONTEXT, hashlib.sha256).hexdigest()[:12]


def canonical_time(at: datetime) -> str:
    # SQLite gives back naive datetimes: they were stored in UTC, so naive means UTC here.
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat(timespec="microseconds")


def canonical_form(seq: int, entry: AccessEntry, record_key_id: str, prev_hash: str) -> bytes:
    """The exact bytes that are sealed: sorted-key compact JSON in UTF-8."""
    body = {
        "seq": seq,
        "at": canonical_time(entry.at),
        "actor": entry.actor,
        "actor_role": entry.actor_role,
        "source": entry.source,
        "action": str(entry.action),
        "subject": entry.subject,
        "person_ref": entry.person_ref,
        "reason": entry.reason,
        "key_id": record_key_id,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal(seq: int, entry: AccessEntry, prev_hash: str, keys: ChainKeys) -> AccessRecord:
    """The record that follows a record whose hash is ``prev_hash`` (``GENESIS`` for the first)."""
    body = canonical_form(seq, entry, keys.current_id, prev_hash)
    digest = hmac.new(keys.key(keys.current_id), body, hashlib.sha256).hexdigest()
    return AccessRecord(seq, entry, keys.current_id, prev_hash, digest)


def _expected_hash(record: AccessRecord, keys: ChainKeys) -> str:
    body = canonical_form(record.seq, record.entry, record.key_id, record.prev_hash)
    return hmac.new(keys.key(record.key_id), body, hashlib.sha256).hexdigest()


class ChainProblem(StrEnum):
    ALTERED = "altered"
    """The record's content does not match its seal."""
    REMOVED = "removed"
    """A sequence number is missing, or a record no longer follows the one before it."""
    INSERTED = "inserted"
    """A sequence number appears twice or out of order."""
    TRUNCATED = "truncated"
    """An anchor names a record that is no longer there: the tail was cut off."""
    ANCHOR_MISMATCH = "anchor_mismatch"
    """The record an anchor names has another hash than when anchored."""
    UNKNOWN_KEY = "unknown_key"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head: Anchor | None
    """The last record verified (seq, hash, time)."""
    problem: ChainProblem | None = None
    broken_seq: int | None = None
    detail: str = ""

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(
    records: Iterable[AccessRecord], keys: ChainKeys, anchors: Iterable[Anchor] = ()
) -> ChainReport:
    """Walk the records in sequence order and report the first that is altered, inserted or missing.

    ``records`` may be a stream (a database cursor): memory does not grow with the chain.
    """
    pinned = {anchor.seq: anchor for anchor in anchors}
    checked, head = 0, None
    expected_seq, expected_prev = 1, GENESIS
    for record in records:
        problem = _check_one(record, expected_seq, expected_prev, keys, pinned)
        if problem is not None:
            return ChainReport(checked, head, problem[0], problem[1], problem[2])
        checked += 1
        head = Anchor(record.seq, record.hash, record.entry.at)
        expected_seq, expected_prev = record.seq + 1, record.hash
    last_anchor = max(pinned, default=0)
    if last_anchor >= expected_seq:
        detail = f"anchor at record {last_anchor} but the chain ends at record {expected_seq - 1}"
        return ChainReport(checked, head, ChainProblem.TRUNCATED, expected_seq, detail)
    return ChainReport(checked, head)


def _check_one(
    record: AccessRecord, expected_seq: int, expected_prev: str, keys: ChainKeys, pinned: Mapping[int, Anchor]
) -> tuple[ChainProblem, int, str] | None:
    if record.seq < expected_seq:
        return (
            ChainProblem.INSERTED,
            record.seq,
            f"record {record.seq} appears again after record {expected_seq - 1}",
        )
    if record.seq > expected_seq:
        missing = f"{expected_seq}" if record.seq == expected_seq + 1 else f"{expected_seq}–{record.seq - 1}"
        return ChainProblem.REMOVED, expected_seq, f"record {missing} is missing"
    if not hmac.compare_digest(record.prev_hash, expected_prev):
        detail = f"record {record.seq} does not follow the record before it (one was removed or replaced)"
        return ChainProblem.REMOVED, record.seq, detail
    if record.key_id not in keys.keys:
        return (
            ChainProblem.UNKNOWN_KEY,
            record.seq,
            f"record {record.seq} is sealed with unknown key {record.key_id}",
        )
    if not hmac.compare_digest(record.hash, _expected_hash(record, keys)):
        return ChainProblem.ALTERED, record.seq, f"record {record.seq} was changed after it was written"
    anchor = pinned.get(record.seq)
    if anchor is not None and not hmac.compare_digest(anchor.hash, record.hash):
        detail = f"record {record.seq} differs from the anchor taken at {canonical_time(anchor.at)}"
        return ChainProblem.ANCHOR_MISMATCH, record.seq, detail
    return None
