"""Detection at scale: feeds (Parquet) to the case file, time per stage and peak memory; then incremental.

Usage::

    python bench/bench_detect.py                      # generates 1,000,000 vehicles (all districts) first
    python bench/bench_detect.py --vehicles 26400000  # the nation
    python bench/bench_detect.py --feeds DIR          # feeds already generated (cartax synth --out DIR ...)

Prints the stages (read and validate, holdings and cases, computation, offsets, writing), the whole run's
wall time, the CPU time of this process and of its worker processes, and the peak resident memory of this
process and of the largest worker (getrusage; the sum over the processes at any moment is measured from
outside). A Parquet vehicles feed of more than 4,000,000 vehicles is read one partition of vehicles at a
time (``FeedParts``), the partitions detected in worker processes (``--detect-workers``, default one per
core); ``--partitions`` sets their number. Stages done in the workers add up over the partitions (CPU-like,
not wall time); ``partitions_wall`` is the wall time of the partitions' part of the run. The incremental
run, on the database, has its own benchmark: bench/bench_incremental.py.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from cartax.detection import detect_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.rules import default_law

DECIDED = date(2026, 11, 20)
DAY_OF_EVENTS = 20_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=Path)
    parser.add_argument("--vehicles", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--detect-workers", type=int, help="worker processes for the partitions (default: one per core)"
    )
    parser.add_argument(
        "--partitions",
        type=int,
        help="vehicle partitions read one at a time (default: one per 4,000,000 vehicles of a Parquet feed)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cartax-bench-detect-") as scratch:
        feeds = args.feeds
        if feeds is None:
            feeds = Path(scratch) / "feeds"
            started = time.perf_counter()
            districts = select_districts(None, nation_by_default=True)
            synthesize(
                SynthOptions(out=feeds, districts=districts, vehicles=args.vehicles, workers=args.workers)
            )
            print(f"generated {args.vehicles:,} vehicles in {time.perf_counter() - started:.1f} s")
        full(feeds, Path(scratch) / "out" / "cases.parquet", args.partitions, args.detect_workers)
    return 0


def full(feeds: Path, out: Path, partitions: int | None, workers: int | None) -> None:
    started, cpu = time.perf_counter(), os.times()
    result = detect_feeds(
        feeds, 2026, DECIDED, out, "parquet", default_law(), partitions=partitions, workers=workers
    )
    wall, spent = time.perf_counter() - started, os.times()
    summary = result.summary
    print(f"full run: {wall:.1f} s wall, {summary.cases_considered:,} cases examined, "
          f"{summary.cases_with_refunds:,} with refunds, {summary.rejects:,} rejects")  # fmt: skip
    for stage, seconds in summary.seconds.items():
        print(f"  {stage:>18}: {seconds:7.2f} s")
    own = spent.user - cpu.user + spent.system - cpu.system
    workers_cpu = spent.children_user - cpu.children_user + spent.children_system - cpu.children_system
    print(f"  CPU: {own:.1f} s in this process, {workers_cpu:.1f} s in worker processes")
    print(f"  peak RSS: {peak_rss_gb(resource.RUSAGE_SELF):.2f} GB in this process, "
          f"{peak_rss_gb(resource.RUSAGE_CHILDREN):.2f} GB in the largest worker")  # fmt: skip


def peak_rss_gb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024 / 1024


if __name__ == "__main__":
    sys.exit(main())
