"""Detection reads the feeds without the owners' personal columns: the same rows accepted and rejected."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cartax.registry.feed_files import FEED_COLUMNS
from cartax.registry.feed_rules import PERSONAL_COLUMNS
from cartax.registry.feeds import read_feeds

ROWS = {
    "vehicles": ["v1,12가3456,passenger,private,1999,,,,2025-03-10,2025"],
    "registrations": ["e1,v1,new_registration,2025-03-10,o1,,", "e2,v1,transfer,2026-07-01,o9,false,"],
    "owners": ["o1,person,가상인,900101-1000000,010-0000-0001,a@example.com,가상로 1,11110,은행,"
               "110-123-456789,가상인", ",person,가상인,,,,,11110,,,", "o1,person,다른이,,,,,11110,,,"],
    "payments": ["p1,v1,o1,2026,prepay_jan,2026-01-25,381510,114460,11110,false"],
}  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_personal_columns_left_out_change_nothing_else(tmp_path: Path, fmt: str) -> None:
    for name, lines in ROWS.items():
        csv_path = tmp_path / f"{name}.csv"
        csv_path.write_text("\n".join([",".join(FEED_COLUMNS[name]), *lines]) + "\n", encoding="utf-8")
        if fmt == "parquet":
            pl.read_csv(csv_path, infer_schema=False).write_parquet(tmp_path / f"{name}.parquet")
            csv_path.unlink()
    full, lean = read_feeds(tmp_path), read_feeds(tmp_path, personal=False)
    assert lean.rejects == full.rejects
    assert {r.reason_code for r in lean.rejects} >= {"missing_value", "duplicate_id", "unknown_owner"}
    assert not set(PERSONAL_COLUMNS) & set(lean.owners.columns)
    assert lean.owners.equals(full.owners.drop(PERSONAL_COLUMNS))
    assert lean.payments.equals(full.payments)
