"""Registry ingest: one district's feeds into SQLite and PostgreSQL — first load, the same again, corrections.

Usage::

    python bench/bench_ingest.py                       # generates a 50,000-vehicle district (강남구) first
    python bench/bench_ingest.py --vehicles 200000
    python bench/bench_ingest.py --feeds DIR           # feeds already generated (cartax synth --out DIR ...)
    python bench/bench_ingest.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

In-process: the feeds are read and validated once (timed apart), then each database gets three loads
timed around ``ingest_feeds`` (one transaction each): the first (everything inserted, owners' personal
data encrypted), the same feeds again (everything compared, nothing written) and a correction of 1% of
the vehicles, owners and payments (updated, change records and events written). SQLite is a file in a
temporary directory; PostgreSQL a throwaway database, dropped afterwards (skipped if unreachable).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy.exc import OperationalError

from cartax.infra import make_engine, session_factory, upgrade
from cartax.infra.crypto import PiiCipher
from cartax.infra.throwaway import database_on
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import Feeds, read_feeds
from cartax.registry.ingest import IngestReport, ingest_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize

CIPHER = PiiCipher.from_secrets("bench-pii-key", "bench-index-key")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=Path)
    parser.add_argument("--vehicles", type=int, default=50_000)
    parser.add_argument("--district", default="11680")
    parser.add_argument("--format", default="csv", choices=("csv", "parquet"))
    parser.add_argument("--postgres", default=POSTGRES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cartax-bench-ingest-") as scratch:
        directory = args.feeds or generate(Path(scratch) / "feeds", args.vehicles, args.district, args.format)
        started = time.perf_counter()
        feeds = read_feeds(directory)
        print(f"read and validate: {time.perf_counter() - started:.2f} s, {sum(feeds.read.values()):,} rows")
        corrected = correct(feeds)
        run("SQLite", f"sqlite:///{Path(scratch) / 'cartax.db'}", feeds, corrected)
        with postgres_database(args.postgres) as url:
            if url:
                run("PostgreSQL", url, feeds, corrected)
    return 0


def generate(out: Path, vehicles: int, district: str, fmt: str) -> Path:
    started = time.perf_counter()
    synthesize(
        SynthOptions(
            out=out,
            districts=select_districts([district], nation_by_default=False),
            vehicles=vehicles,
            fmt=fmt,
        )
    )
    seconds = time.perf_counter() - started
    print(f"generated {vehicles:,} vehicles of district {district} as {fmt} in {seconds:.1f} s")
    return out


def correct(feeds: Feeds) -> Feeds:
    """The same feeds with 1% of the vehicles, owners and payments corrected."""

    def every_hundredth(frame: pl.DataFrame, column: str, changed: pl.Expr) -> pl.DataFrame:
        hit = pl.int_range(pl.len()) % 100 == 0
        return frame.with_columns(pl.when(hit).then(changed).otherwise(pl.col(column)).alias(column))

    return dataclasses.replace(
        feeds,
        vehicles=every_hundredth(feeds.vehicles, "plate", pl.col("plate") + "*"),
        owners=every_hundredth(feeds.owners, "phone", pl.lit("010-0000-0000")),
        payments=every_hundredth(feeds.payments, "car_tax", pl.col("car_tax") + 10),
    )


def run(name: str, url: str, feeds: Feeds, corrected: Feeds) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        for label, batch in (("first load", feeds), ("same feeds again", feeds), ("1% corrected", corrected)):
            report, seconds = timed(engine, batch)
            written = report.inserted + report.updated
            rows = sum(c.read for c in report.counts.values())
            print(
                f"{name:10s} {label:17s} {seconds:6.2f} s {rows / seconds:8,.0f} rows/s "
                f"inserted {report.inserted:,} updated {report.updated:,} ({written / seconds:,.0f}/s)"
            )
    finally:
        engine.dispose()


def timed(engine: object, feeds: Feeds) -> tuple[IngestReport, float]:
    uow = RegistryUnitOfWork(session_factory(engine), lambda: datetime.now(UTC))  # type: ignore[arg-type]
    started = time.perf_counter()
    report = ingest_feeds(feeds, uow, CIPHER)
    return report, time.perf_counter() - started


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    """A throwaway database on the server at ``admin_url``, or None (said why) when it cannot be reached."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(
                database_on(admin_url, "cartax_bench", connect_args={"connect_timeout": 5})
            )
        except OperationalError as error:
            print(f"PostgreSQL skipped: not reachable ({error.orig})")
            yield None
            return
        yield url


if __name__ == "__main__":
    raise SystemExit(main())
