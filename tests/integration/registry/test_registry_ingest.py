"""Loading the feeds into the registry tables, on SQLite and PostgreSQL: idempotent, corrections recorded,
personal data never stored in plaintext, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, select

from cartax.infra import list_events, session_factory
from cartax.infra.crypto import PiiCipher
from cartax.registry.adapters import tables as t
from cartax.registry.adapters.owner_view import SqlOwnerView
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import read_feeds
from cartax.registry.ingest import IngestReport, ingest_feeds
from registry_factories import (
    make_arrear,
    make_exemption,
    make_feeds,
    make_owner,
    make_payment,
    make_registration,
    make_vehicle,
)

CIPHER = PiiCipher.from_secrets("test-pii-key", "test-index-key")
FIRST = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 8, 2, 9, 0, tzinfo=UTC)
RRNS = ("991231-1000001", "991231-2000002", "991231-1000003")
ACCOUNTS = ("555-000-111111", "555-000-222222", "555-000-333333")
PHONES = ("010-9999-0001", "010-9999-0002", "010-9999-0003")


def make_owners() -> list[dict[str, str]]:
    return [
        make_owner(
            owner_id=f"O{i + 1}", rrn=rrn, refund_account=account, phone=phone, email=f"p{i}@example.org"
        )
        for i, (rrn, account, phone) in enumerate(zip(RRNS, ACCOUNTS, PHONES, strict=True))
    ] + [
        make_owner(
            owner_id="C1", kind="company", rrn="", name="주식회사 가나", refund_account="555-000-444444"
        )
    ]


def make_district(directory: Path, **changes: list[dict[str, str]]) -> Path:
    feeds: dict[str, list[dict[str, str]]] = {
        "vehicles": [
            make_vehicle(),
            make_vehicle(
                vehicle_id="V2", category="truck", use="business", load_kg="2500", displacement_cc=""
            ),
            make_vehicle(vehicle_id="V3", category="van", van_class="large", displacement_cc=""),
        ],
        "owners": make_owners(),
        "registrations": [
            make_registration(),
            make_registration(event_id="E2", event="transfer", date="2026-07-01", owner_id="O2"),
            make_registration(event_id="E3", vehicle_id="V2", owner_id="C1", date="2024-05-02"),
            make_registration(
                event_id="E4", vehicle_id="V2", event="deregistration", owner_id="", reason="scrap"
            ),
        ],
        "payments": [
            make_payment(),
            make_payment(payment_id="P2", owner_id="C1", vehicle_id="V2", kind="bill_h1"),
        ],
        "arrears": [make_arrear(), make_arrear(amount="20000")],
        "exemptions": [make_exemption(owner_id="O2")],
    }
    feeds.update(changes)
    return make_feeds(directory, **feeds)


def ingest(engine: Engine, directory: Path, at: datetime = FIRST, cipher: Any = CIPHER) -> IngestReport:
    uow = RegistryUnitOfWork(session_factory(engine), lambda: at)
    return ingest_feeds(read_feeds(directory), uow, cipher)


def rows(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(table).order_by(*table.primary_key))]


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    registry = [table for table in t.metadata.sorted_tables if table is not t.ingests]
    return {table.name: rows(engine, table) for table in registry}


def test_ingest_stores_every_feed(db_engine: Engine, tmp_path: Path) -> None:
    report = ingest(db_engine, make_district(tmp_path))
    assert {name: (c.read, c.inserted, c.rejected) for name, c in report.counts.items()} == {
        "vehicles": (3, 3, 0),
        "owners": (4, 4, 0),
        "registrations": (4, 4, 0),
        "payments": (2, 2, 0),
        "arrears": (2, 1, 0),
        "exemptions": (1, 1, 0),
    }
    vehicles = {row["vehicle_id"]: row for row in rows(db_engine, t.vehicles)}
    assert vehicles["V2"]["load_kg"] == 2500
    assert vehicles["V1"]["first_registered_on"] == date(2025, 3, 10)
    assert vehicles["V1"]["created_at"].replace(tzinfo=UTC) == FIRST
    assert [row["amount"] for row in rows(db_engine, t.arrears)] == [70000]
    registrations = {row["event_id"]: row for row in rows(db_engine, t.registrations)}
    assert registrations["E4"]["owner_id"] is None
    assert registrations["E4"]["reason"] == "scrap"
    assert [registrations[e]["file_row"] for e in ("E1", "E2", "E3", "E4")] == [2, 3, 4, 5]
    assert registrations["E1"]["prepayment_passed_on"] is False
    payments = rows(db_engine, t.payments)
    assert payments[0]["car_tax"] == 381510
    assert [(row["file_row"], row["ingest_id"]) for row in payments] == [
        (2, report.ingest_id),
        (3, report.ingest_id),
    ]


def test_personal_data_is_encrypted_and_found_by_blind_index(db_engine: Engine, tmp_path: Path) -> None:
    ingest(db_engine, make_district(tmp_path))
    owners = {row["owner_id"]: row for row in rows(db_engine, t.owners)}
    o1 = owners["O1"]
    assert CIPHER.decrypt(o1["rrn_encrypted"], "registry_owners.rrn_encrypted:O1") == RRNS[0]
    assert (
        CIPHER.decrypt(o1["refund_account_encrypted"], "registry_owners.refund_account_encrypted:O1")
        == ACCOUNTS[0]
    )
    assert (
        CIPHER.decrypt(o1["address_encrypted"], "registry_owners.address_encrypted:O1")
        == "서울특별시 종로구 세종대로 1"
    )
    assert owners["C1"]["rrn_encrypted"] is None
    assert owners["C1"]["rrn_index"] is None
    with db_engine.connect() as connection:
        lookup = select(t.owners.c.owner_id).where(
            t.owners.c.rrn_index == CIPHER.blind_index("9912312000002")
        )
        assert connection.execute(lookup).scalar_one() == "O2"


def test_no_personal_value_is_stored_in_plaintext_anywhere(db_engine: Engine, tmp_path: Path) -> None:
    ingest(db_engine, make_district(tmp_path))
    corrected = make_owners()
    corrected[0]["phone"] = "010-8888-7777"
    ingest(db_engine, make_district(tmp_path / "later", owners=corrected), LATER)
    secrets = {*RRNS, *ACCOUNTS, *PHONES, "010-8888-7777", "555-000-444444", "p0@example.org", "세종대로"}
    secrets |= {rrn.replace("-", "") for rrn in RRNS} | {account.replace("-", "") for account in ACCOUNTS}
    everything = MetaData()
    everything.reflect(db_engine)
    scanned = 0
    with db_engine.connect() as connection:
        for table in everything.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    text = str(value)
                    scanned += 1
                    assert not any(secret in text for secret in secrets), table.name
    assert scanned > 100
    for event in list_events(db_engine):
        assert not any(secret in str(event.payload) for secret in secrets)


def test_loading_the_same_files_twice_changes_nothing(db_engine: Engine, tmp_path: Path) -> None:
    directory = make_district(tmp_path)
    ingest(db_engine, directory)
    before, events = snapshot(db_engine), list_events(db_engine)
    report = ingest(db_engine, directory, LATER)
    assert (report.inserted, report.updated) == (0, 0)
    assert {name: c.unchanged for name, c in report.counts.items()} == {
        "vehicles": 3,
        "owners": 4,
        "registrations": 4,
        "payments": 2,
        "arrears": 1,
        "exemptions": 1,
    }
    assert snapshot(db_engine) == before
    assert list_events(db_engine) == events
    assert [event.type for event in events] == ["FeedsIngested"]


def test_a_correction_updates_records_the_fields_and_raises_an_event(
    db_engine: Engine, tmp_path: Path
) -> None:
    ingest(db_engine, make_district(tmp_path))
    owners = make_owners()
    owners[0] |= {"phone": "010-8888-7777", "address": "부산광역시 중구 예시로 2", "name": "홍길순"}
    later = make_district(
        tmp_path / "later",
        vehicles=[
            make_vehicle(displacement_cc="1598"),
            make_vehicle(
                vehicle_id="V2", category="truck", use="business", load_kg="2500", displacement_cc=""
            ),
            make_vehicle(vehicle_id="V3", category="van", van_class="large", displacement_cc=""),
            make_vehicle(vehicle_id="V4"),
        ],
        owners=owners,
        payments=[
            make_payment(car_tax="381500"),
            make_payment(payment_id="P2", owner_id="C1", vehicle_id="V2", kind="bill_h1"),
        ],
        arrears=[make_arrear(amount="10")],
    )
    report = ingest(db_engine, later, LATER)
    assert {
        name: (c.inserted, c.updated) for name, c in report.counts.items() if c.inserted or c.updated
    } == {
        "vehicles": (1, 1),
        "owners": (0, 1),
        "payments": (0, 1),
        "arrears": (0, 1),
    }
    changes = {(row["entity"], row["entity_key"]): row for row in rows(db_engine, t.changes)}
    assert {key: row["fields"] for key, row in changes.items()} == {
        ("vehicle", "V1"): "displacement_cc",
        ("owner", "O1"): "name,phone,address",
        ("payment", "P1"): "car_tax",
        ("arrears", "O1/11110"): "amount",
    }
    assert {row["changed_at"].replace(tzinfo=UTC) for row in changes.values()} == {LATER}
    owner = {row["owner_id"]: row for row in rows(db_engine, t.owners)}["O1"]
    assert CIPHER.decrypt(owner["phone_encrypted"], "registry_owners.phone_encrypted:O1") == "010-8888-7777"
    assert owner["created_at"].replace(tzinfo=UTC) == FIRST
    assert owner["updated_at"].replace(tzinfo=UTC) == LATER
    corrected = [e.payload for e in list_events(db_engine, event_type="RegistryCorrected")]
    assert {(p["entity"], p["entity_key"], tuple(p["fields"])) for p in corrected} == {
        ("vehicle", "V1", ("displacement_cc",)),
        ("owner", "O1", ("name", "phone", "address")),
        ("payment", "P1", ("car_tax",)),
        ("arrears", "O1/11110", ("amount",)),
    }
    assert {p["vehicle_id"] for p in corrected if p["entity"] == "payment"} == {"V1"}


def test_rejected_rows_are_not_stored(db_engine: Engine, tmp_path: Path) -> None:
    payments = [make_payment(), make_payment(payment_id="P2", car_tax="1,000")]
    report = ingest(db_engine, make_district(tmp_path, payments=payments))
    assert (report.counts["payments"].read, report.counts["payments"].rejected) == (2, 1)
    assert [row["payment_id"] for row in rows(db_engine, t.payments)] == ["P1"]


def test_the_same_exemption_twice_is_one_decision(db_engine: Engine, tmp_path: Path) -> None:
    exemptions = [make_exemption(), make_exemption(), make_exemption(rate="0.5", decided_on="2026-05-01")]
    report = ingest(db_engine, make_district(tmp_path, exemptions=exemptions))
    assert report.counts["exemptions"].inserted == 2
    assert sorted(row["rate_pct"] for row in rows(db_engine, t.exemptions)) == [50, 100]


class FailingCipher:
    """Fails on the first owner, after the vehicles were written in the same transaction."""

    def __getattr__(self, name: str) -> Callable[..., str]:
        if name == "fingerprint":
            raise RuntimeError("key service unavailable")
        return getattr(CIPHER, name)  # type: ignore[no-any-return]


def test_a_failure_stores_nothing(db_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="key service unavailable"):
        ingest(db_engine, make_district(tmp_path), cipher=FailingCipher())
    assert all(not stored for stored in snapshot(db_engine).values())
    assert rows(db_engine, t.ingests) == []
    assert list_events(db_engine) == []


def holdings(engine: Engine) -> set[tuple[Any, ...]]:
    return {
        (row["vehicle_id"], row["owner_id"], row["start_date"], row["end_event"], row["end_date"])
        for row in rows(engine, t.holdings)
    }


def test_holdings_are_derived_from_the_stored_events(db_engine: Engine, tmp_path: Path) -> None:
    report = ingest(db_engine, make_district(tmp_path))
    assert report.holdings == 3
    assert holdings(db_engine) == {
        ("V1", "O1", date(2025, 3, 10), "transfer", date(2026, 7, 1)),
        ("V1", "O2", date(2026, 7, 1), None, None),
        ("V2", "C1", date(2024, 5, 2), "deregistration", date(2025, 3, 10)),
    }
    assert ingest(db_engine, make_district(tmp_path), LATER).holdings == 0


def test_a_corrected_event_derives_that_vehicles_holdings_again(db_engine: Engine, tmp_path: Path) -> None:
    ingest(db_engine, make_district(tmp_path))
    later = make_district(
        tmp_path / "later",
        registrations=[
            make_registration(),
            make_registration(event_id="E2", event="transfer", date="2026-09-15", owner_id="O2"),
        ],
    )
    report = ingest(db_engine, later, LATER)
    assert report.holdings == 2
    assert holdings(db_engine) == {
        ("V1", "O1", date(2025, 3, 10), "transfer", date(2026, 9, 15)),
        ("V1", "O2", date(2026, 9, 15), None, None),
        ("V2", "C1", date(2024, 5, 2), "deregistration", date(2025, 3, 10)),
    }
    derived = {
        row["vehicle_id"]: row["derived_at"].replace(tzinfo=UTC) for row in rows(db_engine, t.holdings)
    }
    assert (derived["V1"], derived["V2"]) == (LATER, FIRST)


def test_a_new_fingerprint_key_records_only_the_fingerprint(db_engine: Engine, tmp_path: Path) -> None:
    directory = make_district(tmp_path)
    ingest(db_engine, directory)
    report = ingest(
        db_engine, directory, LATER, cipher=PiiCipher.from_secrets("test-pii-key", "new-index-key")
    )
    assert (report.counts["owners"].updated, report.updated) == (4, 4)
    assert {row["fields"] for row in rows(db_engine, t.changes)} == {"pii_fingerprint"}


def test_the_owner_view_names_many_owners_in_one_read(db_engine: Engine, tmp_path: Path) -> None:
    ingest(db_engine, make_district(tmp_path))
    view = SqlOwnerView(db_engine, CIPHER)
    named = view.names(["O1", "C1", "nobody"])
    assert named == {"O1": "홍길동", "C1": "주식회사 가나"}
    for owner, name in named.items():
        record = view.get(owner)
        assert record is not None
        assert record.name == name
