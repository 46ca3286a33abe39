"""Incremental detection on the database: one day's registry events after a full run, timed.

Usage::

    python bench/bench_incremental.py                          # 200,000 vehicles, all districts, SQLite
    python bench/bench_incremental.py --vehicles 1000000 --events 20000
    python bench/bench_incremental.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Generates the registry (`cartax synth`), ingests it, runs and stores a full detection, then adds one day's
events (``--events`` transfers of distinct cars to other owners), ingests them like the next day's feed, and
times the incremental run (`cartax detect --from-db --incremental`): what changed is found through the
change indexes and only the rows those changes bear on are read. Run twice on registries of different sizes,
it shows the incremental run's cost follows the day's events, not the registry's size.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from cartax.detection.database import detect_in_database
from cartax.infra import make_engine, session_factory, upgrade
from cartax.infra.crypto import PiiCipher
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import Feeds, read_feeds
from cartax.registry.ingest import ingest_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.rules import default_law
from throwaway import database

CIPHER = PiiCipher.from_secrets("bench-pii-key", "bench-index-key")
DECIDED = date(2026, 11, 20)
DAY = date(2026, 11, 19)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a throwaway database is made on it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cartax-bench-incremental-") as scratch:
        started = time.perf_counter()
        districts = select_districts(None, nation_by_default=True)
        synthesize(SynthOptions(out=Path(scratch) / "feeds", districts=districts, vehicles=args.vehicles))
        feeds = read_feeds(Path(scratch) / "feeds")
        print(f"generated and read {args.vehicles:,} vehicles in {time.perf_counter() - started:.1f} s")
        with database(args.postgres, Path(scratch), "incremental") as url:
            run(url, feeds, args.events)
    return 0


def run(url: str, feeds: Feeds, events: int) -> None:
    upgrade(url)
    law, clock = default_law(), lambda: datetime.now(UTC)
    seconds = timed(lambda: ingest(url, feeds))
    print(f"ingest: {seconds:.1f} s, {sum(feeds.read.values()):,} rows")
    full = detect_in_database(url, law, clock, 2026, DECIDED, incremental=False)
    staged = sum(full.result.summary.seconds.values())
    print(f"full run: {staged:.1f} s in stages, {full.stored.new:,} cases stored")
    day = next_day(feeds, events)
    seconds = timed(lambda: ingest(url, day))
    print(f"next day's feeds ingested ({events:,} transfers): {seconds:.1f} s")
    started = time.perf_counter()
    incremental = detect_in_database(url, law, clock, 2026, DECIDED, incremental=True)
    seconds = time.perf_counter() - started
    summary = incremental.result.summary
    print(
        f"incremental run: {seconds:.2f} s — {summary.cases_considered:,} cases recomputed, "
        f"{incremental.stored.new:,} new, {incremental.stored.recomputed:,} recomputed"
    )
    started = time.perf_counter()
    again = detect_in_database(url, law, clock, 2026, DECIDED, incremental=True)
    print(
        f"incremental run with nothing changed: {time.perf_counter() - started:.2f} s, "
        f"{again.result.summary.cases_considered} cases"
    )


def next_day(feeds: Feeds, events: int) -> Feeds:
    """The registry a day later: ``events`` cars, each still registered, transferred to another owner."""
    last = feeds.registrations.sort("date", "row").group_by("vehicle_id", maintain_order=True).last()
    movable = last.filter((pl.col("event") != "deregistration") & (pl.col("date") < DAY)).head(events)
    owners = feeds.owners["owner_id"]
    transfers = movable.select(
        (pl.lit("bench-day-") + pl.int_range(pl.len()).cast(pl.String)).alias("event_id"),
        "vehicle_id",
        pl.lit("transfer").alias("event"),
        pl.lit(DAY).alias("date"),
        owners.gather((pl.int_range(movable.height, eager=True) * 7919) % owners.len()).alias("owner_id"),
        pl.lit(False).alias("prepayment_passed_on"),
        pl.lit(None, pl.String).alias("reason"),
        (pl.int_range(pl.len()) + feeds.registrations["row"].max() + 1).cast(pl.Int64).alias("row"),
    )
    return dataclasses.replace(feeds, registrations=pl.concat([feeds.registrations, transfers]))


def ingest(url: str, feeds: Feeds) -> None:
    engine = make_engine(url)
    try:
        ingest_feeds(feeds, RegistryUnitOfWork(session_factory(engine), lambda: datetime.now(UTC)), CIPHER)
    finally:
        engine.dispose()


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
