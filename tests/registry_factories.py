"""Small, valid feed directories for tests: every feed a list of rows, written as CSV or Parquet.

``make_feeds(directory, vehicles=[...])`` writes the default rows of every feed, replacing the feeds
given by keyword. Rows are dicts of text cells; a missing key is an empty cell.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from cartax.registry.feed_files import FEED_COLUMNS

FAKE_RRN = "991231-1000001"
FAKE_ACCOUNT = "555-000-999999"


def make_vehicle(**cells: str) -> dict[str, str]:
    row = {
        "vehicle_id": "V1",
        "plate": "12가3456",
        "category": "passenger",
        "use": "private",
        "displacement_cc": "1999",
        "first_registered_on": "2025-03-10",
        "manufactured_year": "2025",
    }
    return {**row, **cells}


def make_owner(**cells: str) -> dict[str, str]:
    row = {
        "owner_id": "O1",
        "kind": "person",
        "name": "홍길동",
        "rrn": FAKE_RRN,
        "phone": "010-0000-0001",
        "email": "o1@example.org",
        "address": "서울특별시 종로구 세종대로 1",
        "district": "11110",
        "refund_bank": "088",
        "refund_account": FAKE_ACCOUNT,
        "refund_account_holder": "홍길동",
    }
    return {**row, **cells}


def make_registration(**cells: str) -> dict[str, str]:
    row = {
        "event_id": "E1",
        "vehicle_id": "V1",
        "event": "new_registration",
        "date": "2025-03-10",
        "owner_id": "O1",
    }
    return {**row, **cells}


def make_payment(**cells: str) -> dict[str, str]:
    row = {
        "payment_id": "P1",
        "vehicle_id": "V1",
        "owner_id": "O1",
        "tax_year": "2026",
        "kind": "prepay_jan",
        "paid_on": "2026-01-25",
        "car_tax": "381510",
        "edu_tax": "114460",
        "district": "11110",
        "via_grievance": "false",
    }
    return {**row, **cells}


def make_arrear(**cells: str) -> dict[str, str]:
    return {"owner_id": "O1", "district": "11110", "amount": "50000", **cells}


def make_exemption(**cells: str) -> dict[str, str]:
    row = {
        "owner_id": "O1",
        "vehicle_id": "V1",
        "rate": "1.0",
        "effective_from": "2026-03-01",
        "decided_on": "2026-04-01",
    }
    return {**row, **cells}


DEFAULTS = {
    "vehicles": make_vehicle,
    "owners": make_owner,
    "registrations": make_registration,
    "payments": make_payment,
}


def make_feeds(directory: Path, *, parquet: bool = False, **feeds: list[dict[str, str]] | None) -> Path:
    """Write a feed directory; a feed given as ``None`` is left out."""
    directory.mkdir(parents=True, exist_ok=True)
    rows_by_feed: dict[str, list[dict[str, str]] | None] = {name: [make()] for name, make in DEFAULTS.items()}
    rows_by_feed.update(feeds)
    for name, rows in rows_by_feed.items():
        if rows is None:
            continue
        if parquet:
            write_parquet(directory / f"{name}.parquet", name, rows)
        else:
            write_csv(directory / f"{name}.csv", name, rows)
    return directory


def write_csv(
    path: Path, name: str, rows: list[dict[str, str]], columns: tuple[str, ...] | None = None
) -> None:
    header = columns or FEED_COLUMNS[name]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([row.get(column, "") for column in header] for row in rows)


def write_parquet(path: Path, name: str, rows: list[dict[str, str]]) -> None:
    columns = FEED_COLUMNS[name]
    data = {column: [row.get(column) or None for row in rows] for column in columns}
    pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String)).write_parquet(path)
