"""Reading the feed files: CSV and Parquet alike, line numbers, and the files refused as a whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from cartax.registry.errors import FeedError, RegistryError
from cartax.registry.feed_files import FEED_COLUMNS
from cartax.registry.feeds import read_feeds
from registry_factories import make_feeds, make_owner, make_payment, make_vehicle, write_csv

HEADER = "payment_id,vehicle_id,owner_id,tax_year,kind,paid_on,car_tax,edu_tax,district,via_grievance"
GOOD = "P1,V1,O1,2026,prepay_jan,2026-01-25,381510,114460,11110,false"


def test_parquet_feeds_read_like_csv(tmp_path: Path) -> None:
    payments = [make_payment(), make_payment(payment_id="P2", car_tax="1,000")]
    from_csv = read_feeds(make_feeds(tmp_path / "csv", payments=payments))
    from_parquet = read_feeds(make_feeds(tmp_path / "parquet", payments=payments, parquet=True))
    for name in ("vehicles", "registrations", "owners", "payments", "arrears", "exemptions"):
        assert getattr(from_csv, name).equals(getattr(from_parquet, name)), name
    assert from_csv.rejects == from_parquet.rejects
    assert [r.row for r in from_parquet.rejects] == [3]  # Parquet: row index + 2


def test_typed_parquet_columns_are_read_as_their_text(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, payments=None)
    pl.DataFrame(
        {
            "payment_id": ["P1", "P2", "P3"],
            "vehicle_id": ["V1"] * 3,
            "owner_id": ["O1"] * 3,
            "tax_year": [2026, 2026, 2026],
            "kind": ["bill_h1"] * 3,
            "paid_on": [dt.date(2026, 6, 30), dt.date(2026, 6, 30), dt.date(2026, 6, 30)],
            "car_tax": [1000.0, 199900.0, 5.5],  # floats are not plain digits: no silent coercion
            "edu_tax": [0, 0, 0],
            "district": ["11110"] * 3,
            "via_grievance": [True, False, None],
        }
    ).write_parquet(directory / "payments.parquet")
    feeds = read_feeds(directory)
    assert [(r.row, r.reason_code) for r in feeds.rejects] == [
        (2, "invalid_number"),
        (3, "invalid_number"),
        (4, "invalid_number"),
    ]


def test_typed_parquet_integers_and_dates_are_accepted(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, payments=None)
    pl.DataFrame(
        {
            "payment_id": ["P1"],
            "vehicle_id": ["V1"],
            "owner_id": ["O1"],
            "tax_year": [2026],
            "kind": ["bill_h1"],
            "paid_on": [dt.date(2026, 6, 30)],
            "car_tax": [199900],
            "edu_tax": [59970],
            "district": ["11110"],
            "via_grievance": [True],
        }
    ).write_parquet(directory / "payments.parquet")
    row = read_feeds(directory).payments.row(0, named=True)
    assert (row["car_tax"], row["paid_on"], row["via_grievance"]) == (199900, dt.date(2026, 6, 30), True)


def test_columns_in_any_order_and_extra_columns_ignored(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, vehicles=None)
    columns = ("note", "manufactured_year", "first_registered_on", "use", "category", "vehicle_id", "plate",
               "displacement_cc", "van_class", "special_class", "load_kg", "row")  # fmt: skip
    write_csv(directory / "vehicles.csv", "vehicles", [make_vehicle(note="x", row="99")], columns)
    feeds = read_feeds(directory)
    assert feeds.rejects == ()
    assert feeds.vehicles.row(0, named=True)["row"] == 2
    assert "note" not in feeds.vehicles.columns


def write_payments(directory: Path, text: str | bytes) -> Path:
    make_feeds(directory, payments=None)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    (directory / "payments.csv").write_bytes(data)
    return directory


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path: Path) -> None:
    bad = "P9,V1,O1,2026,prepay_jan,2026-01-25,1000.0,0,11110,false"
    text = f'{HEADER}\n{GOOD}\n\n"P2\nwith a break",V1,O1,2026,bill_h1,2026-06-30,1,1,11110,\n{bad}\n'
    feeds = read_feeds(write_payments(tmp_path, text))
    assert [(r.row, r.reason_code) for r in feeds.rejects] == [(6, "invalid_number")]
    assert feeds.payments.get_column("row").to_list() == [2, 4]


def test_crlf_line_endings_and_byte_order_mark(tmp_path: Path) -> None:
    text = f"\ufeff{HEADER}\r\n{GOOD}\r\nP2,V1,O1,2026,bill_h1,2026-06-30,-1,0,11110,\r\n"
    feeds = read_feeds(write_payments(tmp_path, text))
    assert feeds.payments.get_column("payment_id").to_list() == ["P1"]
    assert [(r.row, r.reason_code) for r in feeds.rejects] == [(3, "invalid_number")]


def test_quoted_empty_value_is_empty(tmp_path: Path) -> None:
    text = f'{HEADER}\nP1,V1,O1,2026,prepay_jan,2026-01-25,"",0,11110,false\n'
    feeds = read_feeds(write_payments(tmp_path, text))
    assert [r.reason_code for r in feeds.rejects] == ["missing_value"]


def test_header_only_feed_has_no_rows(tmp_path: Path) -> None:
    feeds = read_feeds(write_payments(tmp_path, HEADER + "\n"))
    assert feeds.payments.is_empty()
    assert feeds.rejects == ()


def refused(directory: Path) -> FeedError:
    with pytest.raises(FeedError) as caught:
        read_feeds(directory)
    assert isinstance(caught.value, RegistryError)
    return caught.value


@pytest.mark.parametrize("feed", ["vehicles", "registrations", "owners", "payments"])
def test_a_required_feed_must_be_present(tmp_path: Path, feed: str) -> None:
    error = refused(make_feeds(tmp_path, **{feed: None}))
    assert error.feed == feed
    assert f"{feed}.csv or {feed}.parquet" in error.message


def test_a_missing_column_refuses_the_feed(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, owners=None)
    columns = (
        "owner_id",
        "kind",
        "name",
        "rrn",
        "phone",
        "email",
        "address",
        "refund_bank",
        "refund_account",
    )
    write_csv(directory / "owners.csv", "owners", [make_owner()], columns)
    error = refused(directory)
    assert error.feed == "owners"
    assert "missing the columns district, refund_account_holder" in error.message


def test_a_missing_column_refuses_a_parquet_feed(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, vehicles=None)
    pl.DataFrame({"vehicle_id": ["V1"], "plate": ["x"]}).write_parquet(directory / "vehicles.parquet")
    error = refused(directory)
    assert (error.feed, "category" in error.message) == ("vehicles", True)


def test_a_repeated_column_refuses_the_feed(tmp_path: Path) -> None:
    error = refused(write_payments(tmp_path, f"{HEADER},kind\n{GOOD},bill_h1\n"))
    assert "kind more than once" in error.message


def test_a_csv_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, owners=None)
    header = ",".join(FEED_COLUMNS["owners"])
    text = f"{header}\nO1,person,홍길동,,,,,11110,,,\n"
    (directory / "owners.csv").write_bytes(text.encode("cp949"))
    error = refused(directory)
    assert (error.feed, "not UTF-8" in error.message) == ("owners", True)
    assert "홍길동" not in error.message


def test_a_header_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    error = refused(write_payments(tmp_path, HEADER.encode("utf-16")))
    assert "not UTF-8" in error.message


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    error = refused(write_payments(tmp_path, b""))
    assert "no header row" in error.message


def test_a_line_with_more_fields_than_the_header_is_refused_with_its_line(tmp_path: Path) -> None:
    error = refused(write_payments(tmp_path, f"{HEADER}\n{GOOD}\n{GOOD},extra\n"))
    assert "line 3 has more fields" in error.message


def test_a_parquet_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, payments=None)
    (directory / "payments.parquet").write_text(HEADER, encoding="utf-8")
    assert "not a readable Parquet file" in refused(directory).message


def test_a_nested_parquet_column_is_refused(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, payments=None)
    frame = pl.DataFrame({column: ["x"] for column in HEADER.split(",")}).with_columns(car_tax=pl.lit([1, 2]))
    frame.write_parquet(directory / "payments.parquet")
    assert "column car_tax has type" in refused(directory).message


def test_csv_and_parquet_of_one_feed_is_ambiguous(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path)
    make_feeds(tmp_path / "p", parquet=True)
    (tmp_path / "p" / "payments.parquet").rename(directory / "payments.parquet")
    assert "keep exactly one" in refused(directory).message


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path / "nowhere").feed is None


def test_typed_parquet_negative_whole_numbers_are_rejected(tmp_path: Path) -> None:
    directory = make_feeds(tmp_path, vehicles=None)
    pl.DataFrame(
        {
            "vehicle_id": ["V1", "V2"],
            "plate": [None, None],
            "category": ["passenger", "truck"],
            "use": ["private", "business"],
            "displacement_cc": pl.Series([1999, None], dtype=pl.Int32),
            "van_class": [None, None],
            "special_class": [None, None],
            "load_kg": pl.Series([None, -1000], dtype=pl.Int32),
            "first_registered_on": [dt.date(2025, 3, 10), dt.date(2020, 1, 1)],
            "manufactured_year": pl.Series([None, 2020], dtype=pl.UInt64),
        },
        schema_overrides={"plate": pl.String, "van_class": pl.String, "special_class": pl.String},
    ).write_parquet(directory / "vehicles.parquet")
    feeds = read_feeds(directory)
    assert [(r.row, r.reason_code, r.reason.split()[0]) for r in feeds.rejects] == [
        (3, "invalid_number", "load_kg")
    ]
    row = feeds.vehicles.row(0, named=True)
    assert (row["displacement_cc"], row["manufactured_year"]) == (1999, 2025)
