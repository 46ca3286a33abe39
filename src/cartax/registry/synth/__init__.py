"""``cartax synth``: realistic registry feeds (contracts.md §2) at any scale, the same bytes for a seed.

Public surface::

    districts = select_districts(["11680"], nation_by_default=False)
    summary = synthesize(SynthOptions(out=Path("feeds"), districts=districts, vehicles=50_000))

Vehicles are split over the chosen districts in proportion to their real fleets; each district is generated
from its own random stream, vectorised with NumPy and Polars, and streamed to the six feed files, so memory
stays bounded by the largest district. Tax amounts come from the rules engine (see ``taxes``).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cartax.registry.synth.chunk import ChunkPlan, generate
from cartax.registry.synth.districts import (
    DEFAULT_DISTRICT,
    District,
    apportion,
    load_districts,
    select_districts,
)
from cartax.registry.synth.errors import SynthError
from cartax.registry.synth.fleet import plan_groups
from cartax.registry.synth.schema import FEEDS
from cartax.registry.synth.taxes import TaxTable
from cartax.registry.synth.writer import FORMATS, Encoded, FeedWriter, encode
from cartax.rules import Law, default_law

DEMO_VEHICLES = 50_000
NATION_VEHICLES = 26_400_000

__all__ = [
    "DEFAULT_DISTRICT",
    "DEMO_VEHICLES",
    "FEEDS",
    "FORMATS",
    "NATION_VEHICLES",
    "District",
    "SynthError",
    "SynthOptions",
    "SynthSummary",
    "load_districts",
    "select_districts",
    "synthesize",
]


@dataclass(frozen=True, slots=True)
class SynthOptions:
    out: Path
    districts: tuple[District, ...]
    vehicles: int = DEMO_VEHICLES
    tax_year: int = 2026
    seed: int = 0
    fmt: str = "parquet"
    workers: int = 1
    """Processes generating districts in parallel (the output does not depend on it)."""


@dataclass(frozen=True, slots=True)
class SynthSummary:
    paths: dict[str, Path]
    rows: dict[str, int] = field(default_factory=dict)
    districts: int = 0


def plan(options: SynthOptions) -> list[ChunkPlan]:
    """Vehicles per district and per plate group, and where each district's plates start."""
    plans: list[ChunkPlan] = []
    offsets = np.zeros(8, dtype=np.int64)
    shares = apportion(options.vehicles, options.districts)
    for district, vehicles in zip(options.districts, shares, strict=True):
        if vehicles == 0:
            continue
        rng = np.random.default_rng(np.random.SeedSequence([options.seed, int(district.code), 0]))
        counts = plan_groups(rng, vehicles)
        plans.append(ChunkPlan(district, vehicles, counts, tuple(int(o) for o in offsets)))
        offsets += counts
    return plans


def validate(options: SynthOptions, law: Law) -> None:
    first, last = law.rule_set.first_year, law.rule_set.last_year
    if not first <= options.tax_year <= last:
        raise SynthError(
            f"tax year {options.tax_year} is outside the rule set; give a year from {first} to {last}"
        )
    if options.vehicles < 1:
        raise SynthError(
            f"--vehicles must be a positive whole number (got {options.vehicles}); "
            f"the demo uses {DEMO_VEHICLES}"
        )
    if options.seed < 0:
        raise SynthError(f"--seed must be zero or a positive whole number (got {options.seed})")
    if not options.districts:
        raise SynthError("no district chosen; give district codes such as 11680, or 'all'")
    if options.workers < 1:
        raise SynthError(f"--workers must be at least 1 (got {options.workers})")
    if options.fmt not in FORMATS:
        raise SynthError(f"format {options.fmt!r} is not supported; choose parquet or csv")


def chunks(options: SynthOptions, law: Law) -> Iterator[tuple[ChunkPlan, Encoded]]:
    """The districts' feeds in order, encoded for writing (generated ahead by ``workers`` processes)."""
    plans = plan(options)
    if options.workers <= 1 or len(plans) <= 1:
        table = TaxTable(law, options.tax_year)
        for chunk in plans:
            yield chunk, encode(generate(chunk, options.tax_year, options.seed, table), options.fmt)
        return
    context = multiprocessing.get_context("spawn")  # a forked Polars can deadlock
    with ProcessPoolExecutor(
        options.workers, context, initializer=_start_worker, initargs=(law, options.tax_year, options.fmt)
    ) as pool:
        ahead: deque[tuple[ChunkPlan, Future[Encoded]]] = deque()
        waiting = iter(plans)
        for chunk in waiting:
            ahead.append((chunk, pool.submit(_generate_in_worker, chunk, options.seed)))
            if len(ahead) > 2 * options.workers:  # bounded: at most a few districts in memory
                done, result = ahead.popleft()
                yield done, result.result()
        while ahead:
            done, result = ahead.popleft()
            yield done, result.result()


_WORKER: list[tuple[TaxTable, str]] = []  # this worker process's engine memo and output format


def _start_worker(law: Law, tax_year: int, fmt: str) -> None:
    _WORKER.append((TaxTable(law, tax_year), fmt))


def _generate_in_worker(chunk: ChunkPlan, seed: int) -> Encoded:
    table, fmt = _WORKER[0]
    return encode(generate(chunk, table.tax_year, seed, table), fmt)


def synthesize(
    options: SynthOptions, law: Law | None = None, progress: Callable[[int], object] | None = None
) -> SynthSummary:
    """Generate and write the feeds; ``progress`` is told how many vehicles each district added."""
    law = law or default_law()
    validate(options, law)
    writer = FeedWriter(options.out, options.fmt)
    count = 0
    try:
        for chunk, encoded in chunks(options, law):
            writer.write(encoded)
            count += 1
            if progress:
                progress(chunk.vehicles)
    except BaseException:
        writer.abort()
        raise
    paths = writer.close()
    return SynthSummary(paths, dict(writer.rows), count)
