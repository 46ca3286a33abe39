"""A run reading the feeds one partition of vehicles at a time finds, and rejects, what a whole read does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from cartax.detection.run import detect_feeds
from cartax.registry.feeds import FeedParts, _unknown_owners
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.rules import default_law

DECIDED = date(2026, 11, 20)


def damaged_feeds(folder: Path, fmt: str) -> Path:
    """Synthetic feeds with faults that cross partitions: ids reused by other vehicles' rows, references to
    nobody and to a rejected owner, an owner id left empty, a vehicle listed twice, a blank line."""
    districts = select_districts(["11680", "26110", "26350"], nation_by_default=False)
    synthesize(SynthOptions(out=folder, districts=districts, vehicles=6_000, seed=5))
    feeds = {
        name: pl.read_parquet(folder / f"{name}.parquet")
        for name in ("vehicles", "registrations", "payments", "owners")
    }
    owners = feeds["owners"].with_columns(at([3], pl.lit("nobody-kind"), "kind"))
    rejected_owner = owners["owner_id"][3]
    registrations = feeds["registrations"].with_columns(
        at([4_000], pl.col("event_id").first(), "event_id"),
        at([20], pl.lit("NO-SUCH-CAR"), "vehicle_id"),
        at([50], pl.lit(""), "owner_id"),
    )
    payments = (
        feeds["payments"]
        .with_columns(
            at([2_500, 3_100], pl.col("payment_id").get(7), "payment_id"),
            at([30], pl.lit("NOBODY"), "owner_id"),
        )
        .with_columns(at([40], pl.lit(rejected_owner), "owner_id"))
    )
    vehicles = pl.concat([feeds["vehicles"], feeds["vehicles"].slice(7, 1)])
    blank = pl.DataFrame({column: [None] for column in payments.columns}, schema=payments.schema)
    payments = pl.concat([payments.head(100), blank, payments.slice(100)])
    written = {"vehicles": vehicles, "registrations": registrations, "payments": payments, "owners": owners}
    for name, frame in written.items():
        frame.write_parquet(folder / f"{name}.parquet")
    if fmt == "csv":
        for path in folder.glob("*.parquet"):
            pl.read_parquet(path).write_csv(path.with_suffix(".csv"))
            path.unlink()
    return folder


def at(rows: list[int], value: pl.Expr, column: str) -> pl.Expr:
    """``column`` with ``value`` on the rows at these positions."""
    return pl.when(pl.int_range(pl.len()).is_in(rows)).then(value).otherwise(pl.col(column)).alias(column)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_partitioned_reading_finds_and_rejects_what_a_whole_read_does(tmp_path: Path, fmt: str) -> None:
    feeds = damaged_feeds(tmp_path / "feeds", fmt)
    law = default_law()
    whole = detect_feeds(feeds, 2026, DECIDED, tmp_path / "a" / "cases.parquet", "parquet", law, partitions=1)
    parts = detect_feeds(feeds, 2026, DECIDED, tmp_path / "b" / "cases.parquet", "parquet", law, partitions=3)
    codes = {reject.reason_code for reject in whole.rejects}
    assert {"duplicate_id", "unknown_vehicle", "unknown_owner", "missing_value"} <= codes, "faults seen"
    reasons = {reject.reason for reject in whole.rejects if reject.feed == "payments"}
    assert "owner_id refers to an owner whose row was rejected in the owners feed" in reasons
    assert parts.rejects == whole.rejects
    assert whole.summary.offset_total > 0
    assert parts.records.equals(whole.records)
    assert parts.summary.cases_considered == whole.summary.cases_considered
    assert (parts.summary.by_district, parts.summary.by_cause) == (
        whole.summary.by_district,
        whole.summary.by_cause,
    )
    assert pl.read_parquet(tmp_path / "b" / "cases.parquet").equals(
        pl.read_parquet(tmp_path / "a" / "cases.parquet")
    )
    assert (tmp_path / "b" / "rejects.csv").read_text() == (tmp_path / "a" / "rejects.csv").read_text()


def test_every_row_is_read_once_whatever_the_partitions(tmp_path: Path) -> None:
    feeds = damaged_feeds(tmp_path / "feeds", "parquet")
    counts = []
    for count in (1, 4):
        parts = FeedParts(feeds, count)
        vehicles = sum(part[0].height for part in parts)
        counts.append((vehicles, dict(parts.read), len(parts.rejects)))
    assert counts[0] == counts[1]
    assert (
        counts[0][1]["payments"]
        == pl.scan_parquet(feeds / "payments.parquet").select(pl.len()).collect().item() - 1
    )


def test_partitions_are_ranges_of_vehicle_ids_of_about_equal_size(tmp_path: Path) -> None:
    feeds = damaged_feeds(tmp_path / "feeds", "parquet")
    ids = [part[0].get_column("vehicle_id").sort() for part in FeedParts(feeds, 4)]
    assert len(ids) == 4
    assert all(ids[i][-1] < ids[i + 1][0] for i in range(3)), "each range ends before the next begins"
    sizes = [len(part) for part in ids]
    assert min(sizes) > 0.8 * max(sizes)


def test_owners_looked_up_by_hash_are_those_looked_up_by_text(tmp_path: Path) -> None:
    feeds = damaged_feeds(tmp_path / "feeds", "parquet")
    paths = {name: feeds / f"{name}.parquet" for name in ("owners", "registrations", "payments")}
    owners = pl.read_parquet(paths["owners"], columns=["owner_id"]).get_column("owner_id")
    valid = owners.filter(owners != owners[3])  # the owner whose row is rejected
    names = ["registrations", "payments"]
    by_hash = _unknown_owners(paths, names, valid)
    by_text = _unknown_owners(paths, names, valid, by_hash=False)
    assert by_hash.keys() == by_text.keys()
    for name in names:
        assert by_hash[name].sort().to_list() == by_text[name].sort().to_list(), name
    assert by_hash["payments"].len() >= 2, "the payment naming nobody and those naming the rejected owner"
