"""Reading and validating the feeds: ``read_feeds`` over synthetic feeds, Parquet and CSV, rows per second.

Usage::

    python bench/bench_feeds.py                        # generates 1,000,000 vehicles (all districts) first
    python bench/bench_feeds.py --vehicles 26400000    # the nation
    python bench/bench_feeds.py --feeds DIR            # feeds already generated (cartax synth --out DIR ...)

In-process, whole function: each run of ``read_feeds`` reads every file, validates every row and types the
accepted ones (the work ``cartax detect`` and ``cartax ingest`` start with). Best of ``--runs`` runs, and
the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from cartax.registry.feeds import read_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=Path, action="append", help="a feeds directory (repeatable)")
    parser.add_argument("--vehicles", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cartax-bench-feeds-") as scratch:
        directories = args.feeds or [
            generate(Path(scratch) / fmt, args.vehicles, fmt, args.workers) for fmt in ("parquet", "csv")
        ]
        for directory in directories:
            measure(directory, args.runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak resident memory: {peak:.1f} GB")
    return 0


def generate(out: Path, vehicles: int, fmt: str, workers: int) -> Path:
    started = time.perf_counter()
    districts = select_districts(None, nation_by_default=True)
    synthesize(SynthOptions(out=out, districts=districts, vehicles=vehicles, fmt=fmt, workers=workers))
    print(f"generated {vehicles:,} vehicles as {fmt} in {time.perf_counter() - started:.1f} s")
    return out


def measure(directory: Path, runs: int) -> None:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        feeds = read_feeds(directory)
        best = min(best, time.perf_counter() - started)
    rows = sum(feeds.read.values())
    formats = sorted({path.suffix.lstrip(".") for path in directory.iterdir() if path.stem in feeds.read})
    counts = ", ".join(f"{name} {count:,}" for name, count in feeds.read.items())
    print(f"{'/'.join(formats)}: {best:.2f} s for {rows:,} rows ({rows / best:,.0f} rows/s); {counts}")
    print(f"  rejected {len(feeds.rejects):,}")


if __name__ == "__main__":
    raise SystemExit(main())
