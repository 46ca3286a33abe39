"""``cartax synth`` at the demo scale and at national scale: wall time, CPU time, peak memory, sizes.

Usage: ``python bench/bench_synth.py`` (the 50,000-vehicle demo district and a tenth of the nation,
2.64 million vehicles over every district), ``python bench/bench_synth.py --nation`` for all 26.4 million,
or ``--vehicles N`` for any other national size. Feeds are written to a temporary directory and removed.
Record the figures in docs/benchmarks.md under "Synthetic data".
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from cartax.registry.synth import (
    DEMO_VEHICLES,
    NATION_VEHICLES,
    SynthOptions,
    SynthSummary,
    select_districts,
    synthesize,
)


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds of this (the writing) process and of its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run(label: str, vehicles: int, nation: bool, fmt: str, workers: int) -> None:
    out = Path(tempfile.mkdtemp(prefix="bench_synth_"))
    try:
        districts = select_districts(None, nation_by_default=nation)
        options = SynthOptions(out, districts, vehicles, 2026, 0, fmt, workers)
        (own, workers_cpu), start = _cpu_seconds(), time.perf_counter()
        summary: SynthSummary = synthesize(options)
        wall = time.perf_counter() - start
        own, workers_cpu = _cpu_seconds()[0] - own, _cpu_seconds()[1] - workers_cpu
        size = sum(path.stat().st_size for path in summary.paths.values())
        rows = sum(summary.rows.values())
        print(
            f"{label}: {vehicles:,} vehicles in {summary.districts} district(s), {fmt}, {workers} worker(s): "
            f"{wall:.1f} s wall, {own + workers_cpu:.1f} s CPU ({own:.1f} s in the writing process), "
            f"{vehicles / wall:,.0f} vehicles/s, "
            f"{rows:,} rows, {size / 2**20:,.0f} MiB"
        )
        print("   rows: " + ", ".join(f"{feed} {count:,}" for feed, count in summary.rows.items()))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nation", action="store_true", help=f"all {NATION_VEHICLES:,} vehicles")
    parser.add_argument("--vehicles", type=int, help="vehicles over the whole nation")
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    run("demo district", DEMO_VEHICLES, False, args.format, 1)
    national = NATION_VEHICLES if args.nation else args.vehicles or NATION_VEHICLES // 10
    run("nation", national, True, args.format, args.workers)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MiB (writer), {children:,.0f} MiB (largest worker)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
