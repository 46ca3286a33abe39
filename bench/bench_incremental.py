"""Incremental detection on the database: one day's registry events after a full run, timed.

Usage::

    python bench/bench_incremental.py                          # 200,000 vehicles, all districts, SQLite
    python bench/bench_incremental.py --vehicles 1000000 --events 20000
    python bench/bench_incremental.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/bench_incremental.py --own-postgres default    # a PostgreSQL server of its own (initdb)

Generates the registry (`cartax synth`), ingests it, runs and stores a full detection, then adds one day's
events (``--events`` transfers of distinct cars to other owners), ingests them like the next day's feed, and
times the incremental run (`cartax detect --from-db --incremental`): what changed is found through the
change indexes and only the rows those changes bear on are read. Run twice on registries of different sizes,
it shows the incremental run's cost follows the day's events, not the registry's size.

The database so prepared is copied before each of ``--runs`` runs (the SQLite file, or a PostgreSQL database
made from it as a template), so every run meets the same registry and the same day. Each run prints its
wall-clock time, this process's CPU time, on PostgreSQL the CPU time of the server processes serving it
(read from /proc while it runs), the load average, and the seconds of its steps.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from sqlalchemy.engine import make_url

from cartax.detection.database import detect_in_database
from cartax.infra import make_engine, session_factory, upgrade
from cartax.infra.crypto import PiiCipher
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import Feeds, read_feeds
from cartax.registry.ingest import ingest_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.rules import default_law
from throwaway import copy_of, database, server

CIPHER = PiiCipher.from_secrets("bench-pii-key", "bench-index-key")
DECIDED = date(2026, 11, 20)
DAY = date(2026, 11, 19)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a throwaway database is made on it")
    parser.add_argument(
        "--own-postgres",
        choices=("default", "production"),
        help="start a PostgreSQL server of its own (cartax.infra.throwaway), with PostgreSQL's default or "
        "production-like settings, so that no other work shares it",
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="incremental runs, each on a copy of the database"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cartax-bench-incremental-") as scratch:
        started = time.perf_counter()
        districts = select_districts(None, nation_by_default=True)
        synthesize(SynthOptions(out=Path(scratch) / "feeds", districts=districts, vehicles=args.vehicles))
        feeds = read_feeds(Path(scratch) / "feeds")
        print(f"generated and read {args.vehicles:,} vehicles in {time.perf_counter() - started:.1f} s")
        with (
            server(args.postgres, args.own_postgres) as postgres,
            database(postgres, Path(scratch), "incremental") as url,
        ):
            run(url, feeds, args.events, args.runs)
    return 0


def run(url: str, feeds: Feeds, events: int, runs: int) -> None:
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
    for number in range(1, runs + 1):
        with copy_of(url, f"run{number}") as copy, server_cpu(copy) as served:
            load = os.getloadavg()[0]
            cpu, started = time.process_time(), time.perf_counter()
            incremental = detect_in_database(copy, law, clock, 2026, DECIDED, incremental=True)
            wall, used = time.perf_counter() - started, time.process_time() - cpu
            server = served()
            summary = incremental.result.summary
            steps = ", ".join(f"{step} {value:.2f}" for step, value in incremental.seconds.items())
            print(
                f"incremental run {number}: {wall:.2f} s wall, CPU {used:.2f} s"
                + (f", server CPU {server:.2f} s" if server is not None else "")
                + f", load {load:.1f} → {os.getloadavg()[0]:.1f} ({steps}) — "
                f"{summary.cases_considered:,} cases recomputed, {incremental.stored.new:,} new, "
                f"{incremental.stored.recomputed:,} recomputed",
                flush=True,
            )
            started = time.perf_counter()
            again = detect_in_database(copy, law, clock, 2026, DECIDED, incremental=True)
            print(
                f"  the same again, nothing changed: {time.perf_counter() - started:.2f} s, "
                f"{again.result.summary.cases_considered} cases, {again.stored.new} new",
                flush=True,
            )


@contextmanager
def server_cpu(url: str) -> Iterator[Callable[[], float | None]]:
    """On PostgreSQL (on this machine), the CPU seconds of the server processes serving ``url``'s database
    while the block runs; ``None`` on SQLite. Every 20 ms the servers' children are listed in /proc and
    those titled ``postgres: … user database …`` sampled; each one's last sample counts (a process that
    ends between two samples loses at most its last 20 ms)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield lambda: None
        return
    seen: dict[int, float] = {}
    stop = threading.Event()
    ticks = os.sysconf("SC_CLK_TCK")
    title = f": {parsed.username} {parsed.database} ".encode()
    children = _server_children()

    def sample() -> None:
        while not stop.is_set():
            for pid in [pid for listing in children for pid in _listed(listing)]:
                try:
                    if title not in Path(f"/proc/{pid}/cmdline").read_bytes():
                        continue
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                seen[int(pid)] = (int(fields[11]) + int(fields[12])) / ticks
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def served() -> float:
        stop.set()
        sampler.join()
        return sum(seen.values())

    try:
        yield served
    finally:
        stop.set()
        sampler.join()


def _listed(listing: Path) -> list[str]:
    try:
        return listing.read_text().split()
    except OSError:  # that server has stopped
        return []


def _server_children() -> list[Path]:
    """The /proc lists of the child processes of every PostgreSQL server here (each the parent of a
    checkpointer)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"checkpointer" in (entry / "cmdline").read_bytes():
                parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                found.append(Path(f"/proc/{parent}/task/{parent}/children"))
        except OSError:
            continue
    return found


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
