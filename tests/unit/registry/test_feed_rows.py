"""Row-level validation of the feeds: every reason code, the contract's precise readings, the typed output."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cartax.registry.feeds import REASON_CODES, Feeds, Reject, read_feeds, write_rejects
from registry_factories import (
    FAKE_ACCOUNT,
    FAKE_RRN,
    make_arrear,
    make_exemption,
    make_feeds,
    make_owner,
    make_payment,
    make_registration,
    make_vehicle,
)


def only_reject(feeds: Feeds) -> Reject:
    assert len(feeds.rejects) == 1, feeds.rejects
    return feeds.rejects[0]


def test_valid_feeds_are_typed(tmp_path: Path) -> None:
    feeds = read_feeds(make_feeds(tmp_path))
    assert feeds.rejects == ()
    vehicle = feeds.vehicles.row(0, named=True)
    assert vehicle["displacement_cc"] == 1999
    assert vehicle["first_registered_on"] == date(2025, 3, 10)
    assert vehicle["row"] == 2
    assert feeds.payments.schema["car_tax"] == pl.Int64
    assert feeds.payments.row(0, named=True)["via_grievance"] is False
    assert feeds.registrations.schema["date"] == pl.Date
    assert feeds.owners.row(0, named=True)["rrn"] == FAKE_RRN


def test_absent_optional_feeds_are_empty_frames(tmp_path: Path) -> None:
    feeds = read_feeds(make_feeds(tmp_path))
    assert feeds.arrears.is_empty()
    assert feeds.arrears.columns == ["owner_id", "district", "amount"]
    assert feeds.exemptions.is_empty()
    assert "rate_pct" in feeds.exemptions.columns


def test_manufactured_year_defaults_to_year_of_first_registration(tmp_path: Path) -> None:
    feeds = read_feeds(make_feeds(tmp_path, vehicles=[make_vehicle(manufactured_year="")]))
    assert feeds.vehicles.row(0, named=True)["manufactured_year"] == 2025


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"category": "passenger", "displacement_cc": ""}, "displacement_cc"),
        ({"category": "van", "van_class": ""}, "van_class"),
        ({"category": "special", "special_class": ""}, "special_class"),
        ({"category": "truck", "load_kg": ""}, "load_kg"),
        ({"vehicle_id": ""}, "vehicle_id"),
        ({"vehicle_id": "   "}, "vehicle_id"),
        ({"category": ""}, "category"),
        ({"use": ""}, "use"),
        ({"first_registered_on": ""}, "first_registered_on"),
    ],
)
def test_missing_required_vehicle_value(tmp_path: Path, cells: dict[str, str], column: str) -> None:
    vehicles = [make_vehicle(), make_vehicle(**{"vehicle_id": "V2", **cells})]
    reject = only_reject(read_feeds(make_feeds(tmp_path, vehicles=vehicles)))
    assert (reject.feed, reject.row, reject.reason_code) == ("vehicles", 3, "missing_value")
    assert reject.reason.startswith(column)


def test_class_columns_of_other_categories_are_ignored(tmp_path: Path) -> None:
    vehicle = make_vehicle(category="van", van_class="large", displacement_cc="not a number", load_kg="-1")
    feeds = read_feeds(make_feeds(tmp_path, vehicles=[vehicle]))
    assert feeds.rejects == ()
    row = feeds.vehicles.row(0, named=True)
    assert (row["van_class"], row["displacement_cc"], row["load_kg"]) == ("large", None, None)


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"category": "bus"}, "category"),
        ({"category": "Passenger"}, "category"),
        ({"use": "commercial"}, "use"),
        ({"category": "van", "van_class": "medium", "use": "business"}, "van_class"),
        ({"category": "van", "van_class": "express", "use": "private"}, "van_class"),
        ({"category": "special", "special_class": "huge"}, "special_class"),
        ({"displacement_cc": "0"}, "displacement_cc"),
        ({"category": "truck", "load_kg": "0"}, "load_kg"),
    ],
)
def test_invalid_vehicle_value(tmp_path: Path, cells: dict[str, str], column: str) -> None:
    reject = only_reject(
        read_feeds(make_feeds(tmp_path, vehicles=[make_vehicle(**cells)], registrations=[], payments=[]))
    )
    assert reject.reason_code == "invalid_value"
    assert reject.reason.startswith(column)


@pytest.mark.parametrize(
    "text", ["1,000", "1000.0", "-5", "+5", " 5", "5 ", "1e3", "99999999999999999999", "١٢٣"]
)
def test_whole_numbers_are_plain_digits(tmp_path: Path, text: str) -> None:
    feeds = read_feeds(make_feeds(tmp_path, payments=[make_payment(car_tax=text)]))
    reject = only_reject(feeds)
    assert (reject.feed, reject.reason_code) == ("payments", "invalid_number")
    assert reject.reason.startswith("car_tax")
    assert text.strip() not in reject.reason


@pytest.mark.parametrize(
    "text", ["2026-02-30", "2023-02-29", "2026-7-1", "20260701", "2026/07/01", "2026-07-01T00:00"]
)
def test_dates_are_real_iso_dates(tmp_path: Path, text: str) -> None:
    reject = only_reject(read_feeds(make_feeds(tmp_path, payments=[make_payment(paid_on=text)])))
    assert (reject.reason_code, reject.reason.split()[0]) == ("invalid_date", "paid_on")


def test_leap_day_is_a_real_date(tmp_path: Path) -> None:
    feeds = read_feeds(make_feeds(tmp_path, payments=[make_payment(paid_on="2024-02-29", tax_year="2024")]))
    assert feeds.payments.row(0, named=True)["paid_on"] == date(2024, 2, 29)


def test_manufactured_after_first_registration_is_inconsistent(tmp_path: Path) -> None:
    vehicles = [make_vehicle(first_registered_on="2025-03-10", manufactured_year="2026")]
    reject = only_reject(read_feeds(make_feeds(tmp_path, vehicles=vehicles, registrations=[], payments=[])))
    assert (reject.reason_code, reject.reason.split()[0]) == ("inconsistent", "manufactured_year")


@pytest.mark.parametrize(
    ("feed", "rows"),
    [
        ("vehicles", [make_vehicle(), make_vehicle(plate="99가9999")]),
        ("owners", [make_owner(), make_owner(name="김가나")]),
        ("registrations", [make_registration(), make_registration(date="2025-04-01")]),
        ("payments", [make_payment(), make_payment(kind="bill_h1")]),
    ],
)
def test_a_later_row_with_an_id_already_seen_is_a_duplicate(
    tmp_path: Path, feed: str, rows: list[dict[str, str]]
) -> None:
    feeds = read_feeds(make_feeds(tmp_path, **{feed: rows}))
    reject = only_reject(feeds)
    assert (reject.feed, reject.row, reject.reason_code) == (feed, 3, "duplicate_id")
    assert getattr(feeds, feed).height == 1
    assert getattr(feeds, feed).row(0, named=True)["row"] == 2


def test_duplicates_are_found_among_many_ids(tmp_path: Path) -> None:
    vehicles = [make_vehicle(vehicle_id=f"V{i}") for i in range(500)] + [make_vehicle(vehicle_id="V7")]
    feeds = read_feeds(make_feeds(tmp_path, vehicles=vehicles))
    assert [(r.row, r.reason_code) for r in feeds.rejects] == [(502, "duplicate_id")]


def test_rows_referring_to_an_unknown_or_rejected_vehicle_are_rejected(tmp_path: Path) -> None:
    vehicles = [make_vehicle(), make_vehicle(vehicle_id="V2", category="bus")]
    registrations = [
        make_registration(),
        make_registration(event_id="E2", vehicle_id="V2"),
        make_registration(event_id="E3", vehicle_id="V404"),
    ]
    payments = [make_payment(), make_payment(payment_id="P2", vehicle_id="V2")]
    exemptions = [make_exemption(vehicle_id="V404")]
    feeds = read_feeds(
        make_feeds(
            tmp_path, vehicles=vehicles, registrations=registrations, payments=payments, exemptions=exemptions
        )
    )
    found = {(r.feed, r.row): r for r in feeds.rejects}
    assert found[("registrations", 3)].reason_code == "unknown_vehicle"
    assert "rejected" in found[("registrations", 3)].reason
    assert found[("registrations", 4)].reason_code == "unknown_vehicle"
    assert "not in the vehicles feed" in found[("registrations", 4)].reason
    assert found[("payments", 3)].reason_code == "unknown_vehicle"
    assert found[("exemptions", 2)].reason_code == "unknown_vehicle"
    assert feeds.registrations.get_column("event_id").to_list() == ["E1"]


def test_rows_referring_to_an_unknown_or_rejected_owner_are_rejected(tmp_path: Path) -> None:
    owners = [make_owner(), make_owner(owner_id="O2", kind="trust")]
    registrations = [make_registration(), make_registration(event_id="E2", event="transfer", owner_id="O2")]
    payments = [make_payment(), make_payment(payment_id="P2", owner_id="O9")]
    arrears = [make_arrear(owner_id="O2")]
    feeds = read_feeds(
        make_feeds(tmp_path, owners=owners, registrations=registrations, payments=payments, arrears=arrears)
    )
    codes = {(r.feed, r.row): r.reason_code for r in feeds.rejects}
    assert codes == {
        ("owners", 3): "invalid_value",
        ("registrations", 3): "unknown_owner",
        ("payments", 3): "unknown_owner",
        ("arrears", 2): "unknown_owner",
    }


def test_a_duplicate_vehicle_row_does_not_make_the_vehicle_unknown(tmp_path: Path) -> None:
    vehicles = [make_vehicle(), make_vehicle(category="bus")]
    feeds = read_feeds(make_feeds(tmp_path, vehicles=vehicles))
    assert [(r.feed, r.reason_code) for r in feeds.rejects] == [("vehicles", "duplicate_id")]
    assert feeds.registrations.height == 1
    assert feeds.payments.height == 1


def test_registration_events(tmp_path: Path) -> None:
    registrations = [
        make_registration(),
        make_registration(
            event_id="E2", event="transfer", date="2026-07-01", owner_id="O2", prepayment_passed_on="TRUE"
        ),
        make_registration(
            event_id="E3", event="deregistration", date="2026-07-01", owner_id="", reason="scrap"
        ),
    ]
    owners = [make_owner(), make_owner(owner_id="O2")]
    feeds = read_feeds(make_feeds(tmp_path, owners=owners, registrations=registrations))
    assert feeds.rejects == ()
    rows = feeds.registrations.rows(named=True)
    assert [r["event_id"] for r in rows] == ["E1", "E2", "E3"]  # file order kept for same-day events
    assert rows[1]["prepayment_passed_on"] is True
    assert (rows[2]["owner_id"], rows[2]["reason"], rows[2]["prepayment_passed_on"]) == (None, "scrap", False)
    assert rows[0]["reason"] is None


@pytest.mark.parametrize(
    ("cells", "code", "column"),
    [
        ({"event": "sale"}, "invalid_value", "event"),
        ({"event": "transfer", "owner_id": ""}, "missing_value", "owner_id"),
        ({"event": "deregistration", "owner_id": "", "reason": ""}, "missing_value", "reason"),
        ({"event": "deregistration", "owner_id": "", "reason": "lost"}, "invalid_value", "reason"),
        ({"prepayment_passed_on": "yes"}, "invalid_value", "prepayment_passed_on"),
        ({"date": ""}, "missing_value", "date"),
    ],
)
def test_invalid_registration(tmp_path: Path, cells: dict[str, str], code: str, column: str) -> None:
    reject = only_reject(read_feeds(make_feeds(tmp_path, registrations=[make_registration(**cells)])))
    assert (reject.feed, reject.reason_code, reject.reason.split()[0]) == ("registrations", code, column)


@pytest.mark.parametrize(
    ("text", "expected"), [("true", True), ("TRUE", True), ("False", False), ("", False)]
)
def test_booleans_in_any_case_or_empty(tmp_path: Path, text: str, expected: bool) -> None:
    feeds = read_feeds(make_feeds(tmp_path, payments=[make_payment(via_grievance=text)]))
    assert feeds.payments.row(0, named=True)["via_grievance"] is expected


@pytest.mark.parametrize(
    ("cells", "code", "column"),
    [
        ({"kind": "bill_h3"}, "invalid_value", "kind"),
        ({"district": "1111"}, "invalid_value", "district"),
        ({"district": ""}, "missing_value", "district"),
        ({"tax_year": "2026.0"}, "invalid_number", "tax_year"),
        ({"edu_tax": ""}, "missing_value", "edu_tax"),
        ({"payment_id": ""}, "missing_value", "payment_id"),
        ({"via_grievance": "1"}, "invalid_value", "via_grievance"),
    ],
)
def test_invalid_payment(tmp_path: Path, cells: dict[str, str], code: str, column: str) -> None:
    reject = only_reject(read_feeds(make_feeds(tmp_path, payments=[make_payment(**cells)])))
    assert (reject.feed, reject.reason_code, reject.reason.split()[0]) == ("payments", code, column)


def test_owner_personal_columns_are_not_validated(tmp_path: Path) -> None:
    owners = [
        make_owner(rrn="not a resident number", phone="?", email="no at sign", refund_account="x"),
        make_owner(owner_id="O2", kind="company", rrn="", name="주식회사 가나"),
    ]
    feeds = read_feeds(make_feeds(tmp_path, owners=owners))
    assert feeds.rejects == ()
    assert feeds.owners.row(1, named=True)["rrn"] is None


def test_owner_kind_is_person_or_company(tmp_path: Path) -> None:
    reject = only_reject(
        read_feeds(make_feeds(tmp_path, owners=[make_owner(), make_owner(owner_id="O2", kind="")]))
    )
    assert (reject.row, reject.reason_code) == (3, "missing_value")


def test_arrears_of_one_owner_and_district_add_up(tmp_path: Path) -> None:
    arrears = [
        make_arrear(amount="100"),
        make_arrear(amount="250"),
        make_arrear(district="11140", amount="7"),
    ]
    feeds = read_feeds(make_feeds(tmp_path, arrears=arrears))
    assert feeds.arrears.rows() == [("O1", "11110", 350), ("O1", "11140", 7)]


def test_invalid_arrears(tmp_path: Path) -> None:
    feeds = read_feeds(make_feeds(tmp_path, arrears=[make_arrear(amount="-100"), make_arrear(district="")]))
    assert [(r.row, r.reason_code) for r in feeds.rejects] == [(2, "invalid_number"), (3, "missing_value")]
    assert feeds.arrears.is_empty()


@pytest.mark.parametrize(("text", "pct"), [("1", 100), ("1.0", 100), ("0.5", 50)])
def test_exemption_rates(tmp_path: Path, text: str, pct: int) -> None:
    feeds = read_feeds(make_feeds(tmp_path, exemptions=[make_exemption(rate=text)]))
    row = feeds.exemptions.row(0, named=True)
    assert (row["rate_pct"], row["effective_from"], row["decided_on"]) == (
        pct,
        date(2026, 3, 1),
        date(2026, 4, 1),
    )


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ({"rate": "0.50"}, "invalid_value"),
        ({"rate": "100"}, "invalid_value"),
        ({"decided_on": "2026-13-01"}, "invalid_date"),
    ],
)
def test_invalid_exemption(tmp_path: Path, cells: dict[str, str], code: str) -> None:
    reject = only_reject(read_feeds(make_feeds(tmp_path, exemptions=[make_exemption(**cells)])))
    assert (reject.feed, reject.reason_code) == ("exemptions", code)


def test_first_rule_broken_is_the_reason(tmp_path: Path) -> None:
    vehicle = make_vehicle(category="bus", first_registered_on="yesterday")
    reject = only_reject(read_feeds(make_feeds(tmp_path, vehicles=[vehicle], registrations=[], payments=[])))
    assert reject.reason.startswith("category")


def test_rejects_never_carry_personal_data(tmp_path: Path) -> None:
    owners = [make_owner(), make_owner(kind="person")]  # duplicate: rejected with its personal columns
    payments = [make_payment(car_tax=FAKE_ACCOUNT)]
    feeds = read_feeds(make_feeds(tmp_path, owners=owners, payments=payments))
    path = tmp_path / "rejects.csv"
    write_rejects(feeds.rejects, path)
    text = path.read_text(encoding="utf-8")
    assert len(feeds.rejects) == 2
    for secret in (FAKE_RRN, FAKE_ACCOUNT, "홍길동", "010-0000-0001"):
        assert secret not in text


def test_write_rejects(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rejects.csv"
    path.parent.mkdir()
    write_rejects(
        [Reject("vehicles", 7, "invalid_value", "category is not one of the accepted values: a, b")], path
    )
    assert path.read_text(encoding="utf-8").splitlines() == [
        "feed,row,reason_code,reason",
        'vehicles,7,invalid_value,"category is not one of the accepted values: a, b"',
    ]


def test_every_reason_code_is_documented() -> None:
    docs = Path(__file__).parents[3] / "docs" / "feeds.md"
    text = docs.read_text(encoding="utf-8")
    for code in REASON_CODES:
        assert f"`{code}`" in text
