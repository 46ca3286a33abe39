from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cartax.audit import (
    GENESIS,
    AccessAction,
    AccessEntry,
    AccessEntryError,
    ChainKeys,
    ChainProblem,
    UnknownChainKeyError,
    record_access,
    seal,
    take_anchor,
    verify,
    verify_chain,
)
from cartax.audit.adapters.anchor_file import FileAnchors
from cartax.audit.adapters.memory import MemoryAnchors, MemoryAuditStore

T0 = datetime(2026, 8, 14, 9, 0, tzinfo=UTC)
KEYS = ChainKeys.from_secrets(b"k" * 32)


def make_entry(
    *, n: int = 0, action: AccessAction = AccessAction.READ_PERSONAL_DATA, reason: str = ""
) -> AccessEntry:
    return AccessEntry(
        actor="off_1a2b",
        actor_role="reviewer",
        at=T0 + timedelta(minutes=n),
        source="10.0.0.7",
        action=action,
        subject=f"case:RC-2026-{n:06d}",
        person_ref=f"P11110-{n:07d}",
        reason=reason,
    )


def make_chain(length: int, keys: ChainKeys = KEYS) -> MemoryAuditStore:
    store = MemoryAuditStore()
    for n in range(length):
        record_access(store, keys, make_entry(n=n))
    return store


def test_records_are_numbered_and_linked() -> None:
    store = make_chain(3)
    assert [r.seq for r in store.rows] == [1, 2, 3]
    assert store.rows[0].prev_hash == GENESIS
    assert store.rows[1].prev_hash == store.rows[0].hash
    report = verify(store, KEYS)
    assert report.intact
    assert report.checked == 3
    assert report.head is not None
    assert report.head.seq == 3


def test_an_empty_chain_is_intact() -> None:
    assert verify_chain([], KEYS).intact


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "off_other"},
        {"reason": "다른 사유"},
        {"person_ref": "P11110-0009999"},
        {"at": T0 + timedelta(minutes=2, microseconds=1)},
        {"action": AccessAction.EXPORT, "reason": "정기 점검 자료"},
    ],
)
def test_an_altered_field_is_found(change: dict[str, object]) -> None:
    store = make_chain(5)
    victim = store.rows[2]
    store.rows[2] = dataclasses.replace(victim, entry=dataclasses.replace(victim.entry, **change))  # type: ignore[arg-type]
    report = verify(store, KEYS)
    assert (report.problem, report.broken_seq, report.checked) == (ChainProblem.ALTERED, 3, 2)


def test_a_removed_record_is_found() -> None:
    store = make_chain(5)
    del store.rows[1]
    report = verify(store, KEYS)
    assert (report.problem, report.broken_seq) == (ChainProblem.REMOVED, 2)
    assert "record 2 is missing" in report.detail


def test_removing_and_renumbering_is_found() -> None:
    store = make_chain(5)
    del store.rows[1]
    store.rows[1:] = [dataclasses.replace(r, seq=r.seq - 1) for r in store.rows[1:]]
    report = verify(store, KEYS)
    assert (report.problem, report.broken_seq) == (ChainProblem.REMOVED, 2)


def test_an_inserted_record_sealed_without_the_key_is_found() -> None:
    store = make_chain(4)
    forger = ChainKeys.from_secrets(b"f" * 32)
    forged = seal(3, make_entry(n=99), store.rows[1].hash, forger)
    forged = dataclasses.replace(forged, key_id=KEYS.current_id)
    store.rows[2:2] = [forged]
    store.rows[3:] = [dataclasses.replace(r, seq=r.seq + 1) for r in store.rows[3:]]
    report = verify(store, KEYS)
    assert (report.problem, report.broken_seq) == (ChainProblem.ALTERED, 3)


def test_a_duplicated_record_is_found() -> None:
    store = make_chain(3)
    store.rows.append(store.rows[1])
    report = verify_chain(store.rows, KEYS)
    assert (report.problem, report.broken_seq) == (ChainProblem.INSERTED, 2)


def test_a_cut_off_tail_is_found_with_an_anchor(tmp_path: Path) -> None:
    store = make_chain(5)
    anchors = FileAnchors(tmp_path / "anchors.jsonl")
    anchor = take_anchor(store, anchors, T0 + timedelta(hours=1))
    assert anchor is not None
    assert anchor.seq == 5
    del store.rows[3:]
    assert verify(store, KEYS).intact  # without the anchor nothing shows
    report = verify(store, KEYS, anchors)
    assert (report.problem, report.broken_seq) == (ChainProblem.TRUNCATED, 4)


def test_a_chain_rebuilt_wholesale_differs_from_its_anchor() -> None:
    store, anchors = make_chain(3), MemoryAnchors()
    take_anchor(store, anchors, T0)
    rebuilt = MemoryAuditStore()
    for n in (0, 1, 7):  # an insider with the key rewrote history after the anchor was taken
        record_access(rebuilt, KEYS, make_entry(n=n))
    report = verify(rebuilt, KEYS, anchors)
    assert (report.problem, report.broken_seq) == (ChainProblem.ANCHOR_MISMATCH, 3)


def test_records_sealed_with_a_retired_key_still_verify() -> None:
    old = ChainKeys.from_secrets(b"o" * 32)
    store = make_chain(2, old)
    new = ChainKeys.from_secrets(b"n" * 32, retired=[b"o" * 32])
    record_access(store, new, make_entry(n=5))
    assert {r.key_id for r in store.rows} == {old.current_id, new.current_id}
    assert verify(store, new).intact
    report = verify(store, ChainKeys.from_secrets(b"n" * 32))
    assert (report.problem, report.broken_seq) == (ChainProblem.UNKNOWN_KEY, 1)
    with pytest.raises(UnknownChainKeyError, match="CARTAX_AUDIT_CHAIN_OLD_KEYS"):
        ChainKeys.from_secrets(b"n" * 32).key(old.current_id)


def test_keys_are_long_and_their_ids_reveal_nothing() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ChainKeys.from_secrets(b"short")
    assert "kkkk" not in KEYS.current_id


def test_a_naive_stored_time_is_read_as_utc() -> None:
    store = make_chain(2)
    entry = dataclasses.replace(store.rows[1].entry)
    object.__setattr__(entry, "at", entry.at.replace(tzinfo=None))  # as SQLite gives it back
    store.rows[1] = dataclasses.replace(store.rows[1], entry=entry)
    assert verify(store, KEYS).intact


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("person_ref", "900101-1234567", "resident or account number"),
        ("subject", "account:110-123-456789", "resident or account number"),
        ("reason", "주민번호 9001011234567 확인", "resident or account number"),
        ("actor", "  ", "needs actor"),
        ("at", datetime(2026, 8, 14, 9, 0), "time zone"),
    ],
)
def test_an_entry_refuses_plaintext_numbers_and_blanks(field: str, value: object, message: str) -> None:
    with pytest.raises(AccessEntryError, match=message):
        dataclasses.replace(make_entry(), **{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("action", [AccessAction.REVEAL_PERSONAL_DATA, AccessAction.EXPORT])
def test_reveals_and_exports_need_a_reason(action: AccessAction) -> None:
    with pytest.raises(AccessEntryError, match="reason"):
        make_entry(action=action)
    assert make_entry(action=action, reason="민원 2026-0815 본인 확인").reason
