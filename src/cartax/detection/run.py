"""A detection run: feeds in, the case file, the rejects and a summary out."""

from __future__ import annotations

import io
import json
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from cartax.detection.cases import CaseBatch, build_cases
from cartax.detection.offsets import case_totals
from cartax.detection.output import case_records, write_cases
from cartax.detection.parallel import (
    PartDone,
    PartJob,
    default_workers,
    kept_rows,
    keyless,
    load,
    run_parts,
    worker_pool,
)
from cartax.detection.scalar import compute_scalar
from cartax.detection.vectorised import compute_vectorised
from cartax.registry.feeds import FeedParts, Feeds, Part, Reject, read_feeds, write_rejects
from cartax.rules import Law

Engine = Callable[[CaseBatch, Law, date], pl.DataFrame]
ENGINES: dict[str, Engine] = {"vectorised": compute_vectorised, "scalar": compute_scalar}
"""The vectorised engine is the default; the scalar one computes case by case and is the oracle."""


UNREAD = {"vehicles": ("plate",), "registrations": ("event_id", "reason"), "owners": ("kind", "district")}
"""Validated columns detection never reads; a national run leaves them out of memory as soon as it can."""


@dataclass
class RunSummary:
    """What a run found and how long each stage took; printed and stored beside the case file."""

    tax_year: int
    decision_on: str
    rules_version: str
    engine: str
    cases_considered: int = 0
    cases_with_refunds: int = 0
    refund_entries: int = 0
    lapsed_entries: int = 0
    refund_total: int = 0
    interest_total: int = 0
    offset_total: int = 0
    payable_total: int = 0
    rejects: int = 0
    rejects_by_feed: dict[str, int] = field(default_factory=dict)
    by_cause: dict[str, dict[str, int]] = field(default_factory=dict)
    by_district: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class RunResult:
    summary: RunSummary
    records: pl.DataFrame
    refunds: pl.DataFrame
    batch: CaseBatch
    """The cases with refund entries (lapsed ones too), with their payments and exemptions."""
    rejects: tuple[Reject, ...]
    """The feeds' rejects and the payments detection itself could not assess, in feed order."""


def detect_feeds(
    feeds_dir: Path,
    tax_year: int,
    decision_on: date,
    out: Path,
    fmt: str,
    law: Law,
    engine: Engine = compute_vectorised,
    *,
    partitions: int | None = None,
    workers: int | None = None,
) -> RunResult:
    """Read the feeds in ``feeds_dir``, find every refund case of ``tax_year`` and write ``out``.

    A run in partitions (``partitions``, or a Parquet vehicles feed larger than :data:`STREAM_VEHICLES`)
    detects them in ``workers`` processes (default: one per core; 1 keeps them in this process); the
    output is the same whatever the number of workers.
    """
    timer = _Timer()
    workers = workers or default_workers()
    count = partitions or _parts_for(feeds_dir, workers)
    if count > 1 and min(workers, count) > 1:
        # Larger than memory: each partition of vehicles is read, validated and detected on its own, in
        # ``workers`` processes at once, the whole-file checks first (in those processes too).
        with worker_pool(min(workers, count)) as pool:
            with timer("whole_file_checks"):
                parts = FeedParts(feeds_dir, count, drop=UNREAD, executor=pool)
            found = _detect_in_workers(parts, pool, tax_year, decision_on, law, engine, timer)
        # The workers have ended (and let go of their memory) before the offsets are taken.
        result = _finish(found, parts.arrears, parts.rejects, tax_year, decision_on, law, engine, timer)
    elif count > 1:
        with timer("read_and_validate"):
            parts = FeedParts(feeds_dir, count, drop=UNREAD)
        result = _run(_timed(parts, timer), parts.arrears, lambda: parts.rejects, tax_year, decision_on, law,
                      engine, timer)  # fmt: skip
    else:
        with timer("read_and_validate"):
            # Detection reads nobody's personal data, and of the rest only what the law needs.
            feeds = read_feeds(feeds_dir, personal=False, drop=UNREAD)
        result = detect(feeds, tax_year, decision_on, law, engine, timer)
    with timer("write"):
        write_cases(result.records, out, fmt)
        write_rejects(result.rejects, out.parent / "rejects.csv")
    result.summary.seconds = timer.seconds
    (out.parent / f"{out.name}.summary.json").write_text(result.summary.as_json(), encoding="utf-8")
    return result


PARTITION_VEHICLES = 2_000_000
"""Vehicles per partition: a larger run builds its holdings, cases and refunds one partition at a time
(vehicles split by a hash of their id), so its memory is the feeds plus one partition's working set."""
PARTITION_SEED = 20_261_125


def detect(
    feeds: Feeds,
    tax_year: int,
    decision_on: date,
    law: Law,
    engine: Engine = compute_vectorised,
    timer: _Timer | None = None,
    *,
    partitions: int | None = None,
) -> RunResult:
    """Every refund case of ``tax_year`` in ``feeds``; the same answer whatever the number of partitions.

    ``partitions`` defaults to one per :data:`PARTITION_VEHICLES` vehicles. A case depends only on its
    vehicle's rows, so partitions by vehicle are independent; offsets, which span an owner's cases, are
    taken afterwards over the refunds of every partition.
    """
    count = partitions or max(1, -(-feeds.vehicles.height // PARTITION_VEHICLES))
    parts = _partitions(feeds, count)
    timer = timer or _Timer()
    return _run(parts, feeds.arrears, lambda: feeds.rejects, tax_year, decision_on, law, engine, timer)


def _run(
    parts: Iterable[Part],
    arrears: pl.DataFrame,
    feed_rejects: Callable[[], Sequence[Reject]],
    tax_year: int,
    decision_on: date,
    law: Law,
    engine: Engine,
    timer: _Timer,
) -> RunResult:
    """Cases, refunds and offsets over ``parts`` (independent partitions of vehicles); ``feed_rejects``
    is asked for the feeds' rejects once every part has been read."""
    found = _Found()
    for part in parts:
        with timer("build_cases"):
            batch = build_cases(*part, tax_year, keys=not keyless(engine))
        with timer("compute"):
            found.add(batch, engine(batch, law, decision_on))
        del batch
    return _finish(found, arrears, feed_rejects(), tax_year, decision_on, law, engine, timer)


def _finish(
    found: _Found,
    arrears: pl.DataFrame,
    feed_rejects: Sequence[Reject],
    tax_year: int,
    decision_on: date,
    law: Law,
    engine: Engine,
    timer: _Timer,
) -> RunResult:
    """The offsets over every partition's refunds, the records, the rejects and the summary."""
    batch, refunds = found.result(tax_year)
    with timer("offset"):
        totals = case_totals(refunds, batch.cases, arrears)
        records = case_records(refunds, batch.cases, totals, tax_year, law.version)
    rejects = tuple(sorted((*feed_rejects, *batch.rejects), key=lambda r: (r.feed, r.row)))
    summary = _summarise(
        rejects, found.considered, batch, refunds, records, tax_year, decision_on, law, _name(engine)
    )
    summary.seconds = timer.seconds
    return RunResult(summary, records, refunds, batch, rejects)


def _detect_in_workers(
    parts: FeedParts,
    pool: Executor,
    tax_year: int,
    decision_on: date,
    law: Law,
    engine: Engine,
    timer: _Timer,
) -> _Found:
    """The partitions of ``parts`` detected in ``pool``'s processes and merged in partition order."""
    found = _Found()
    with tempfile.TemporaryDirectory(prefix="cartax-detect-") as scratch:
        jobs = [PartJob(plan, tax_year, decision_on, law, engine, Path(scratch)) for plan in parts.plans()]

        def receive(done: PartDone) -> None:
            frames, rejects = load(done)
            found.merge(frames, done.considered, rejects)
            for name, rows in done.read.items():
                parts.read[name] += rows
            for stage, seconds in done.seconds.items():
                timer.add(stage, seconds)

        with timer("partitions_wall"):
            run_parts(pool, jobs, receive)
    return found


STREAM_VEHICLES = 4_000_000
"""Above this many vehicles (in a Parquet feed) a run reads the feeds one partition at a time."""
STREAM_PART_VEHICLES = 500_000
"""About how many vehicles each partition of such a run has. Smaller partitions cost less CPU per vehicle
(a partition's sorts and joins stay closer to the cache) and less memory per worker; a feed in order of
vehicle or district is still decoded about once in all, whatever their number (docs/benchmarks.md)."""


def _parts_for(feeds_dir: Path, workers: int = 1) -> int:
    """Partitions for the feeds in ``feeds_dir``: one unless the vehicles feed is larger than
    :data:`STREAM_VEHICLES` (counted from the Parquet footer; CSV feeds are read whole), then one per
    :data:`STREAM_PART_VEHICLES` rounded up to a multiple of ``workers``, so that no worker waits alone
    for the last one."""
    path = feeds_dir / "vehicles.parquet"
    if not path.is_file():
        return 1
    try:
        vehicles = int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except (OSError, pl.exceptions.PolarsError):
        return 1  # not readable as Parquet: the whole read says why, as a feed error
    if vehicles <= STREAM_VEHICLES:
        return 1
    count = -(-vehicles // STREAM_PART_VEHICLES)
    return -(-count // workers) * workers


def _timed(parts: Iterable[Part], timer: _Timer) -> Iterator[Part]:
    """The parts, the reading of each timed as a stage."""
    iterator = iter(parts)
    while True:
        with timer("read_and_validate"):
            part = next(iterator, None)
        if part is None:
            return
        yield part


def _partitions(feeds: Feeds, count: int) -> Iterator[Part]:
    frames = (feeds.vehicles, feeds.registrations, feeds.payments, feeds.exemptions)
    if count == 1:
        yield frames
        return
    # Each row's partition, computed once per feed (a small integer), then one cheap filter per partition.
    keys = [(frame["vehicle_id"].hash(PARTITION_SEED) % count).cast(pl.UInt16) for frame in frames]
    for index in range(count):
        vehicles, registrations, payments, exemptions = (
            frame.filter(key == index) for frame, key in zip(frames, keys, strict=True)
        )
        yield vehicles, registrations, payments, exemptions


class _Found:
    """The cases with refunds of each partition, renumbered into one batch; the others only counted."""

    def __init__(self) -> None:
        self.considered = 0
        self.cases: list[pl.DataFrame] = []
        self.payments: list[pl.DataFrame] = []
        self.exemptions: list[pl.DataFrame] = []
        self.refunds: list[pl.DataFrame] = []
        self.rejects: list[Reject] = []

    def add(self, batch: CaseBatch, refunds: pl.DataFrame) -> None:
        kept = {name: _compact(frame) for name, frame in kept_rows(batch, refunds).items()}
        self.merge(kept, batch.cases.height, batch.rejects)

    def merge(self, kept: Mapping[str, pl.DataFrame], considered: int, rejects: Iterable[Reject]) -> None:
        """A partition's kept rows (:data:`KEPT`, its cases numbered from 0) after those merged before."""
        base, self.considered = self.considered, self.considered + considered
        for name, frames in (
            ("cases", self.cases),
            ("payments", self.payments),
            ("exemptions", self.exemptions),
            ("refunds", self.refunds),
        ):
            frames.append(kept[name].with_columns(pl.col("case") + base))
        self.rejects.extend(rejects)

    def result(self, tax_year: int) -> tuple[CaseBatch, pl.DataFrame]:
        batch = CaseBatch(
            tax_year,
            pl.concat(self.cases),
            pl.concat(self.payments),
            pl.concat(self.exemptions),
            tuple(self.rejects),
        )
        return batch, pl.concat(self.refunds)


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` in buffers of its own. A filtered text column still points into the whole partition's
    text buffers and keeps them alive; kept across partitions, those would add up to most of a national
    run's memory. Written out and read back (Arrow IPC, in memory), only the kept rows' bytes remain."""
    buffer = io.BytesIO()
    frame.write_ipc(buffer)
    buffer.seek(0)
    return pl.read_ipc(buffer)


def _name(engine: Engine) -> str:
    return next((name for name, known in ENGINES.items() if known is engine), getattr(engine, "__name__", ""))


def _summarise(
    rejects: tuple[Reject, ...],
    considered: int,
    batch: CaseBatch,
    refunds: pl.DataFrame,
    records: pl.DataFrame,
    tax_year: int,
    decision_on: date,
    law: Law,
    engine: str,
) -> RunSummary:
    totals = records.select(pl.col("totals").struct.unnest()).sum() if records.height else None
    summary = RunSummary(tax_year, decision_on.isoformat(), law.version, engine)
    summary.cases_considered = considered
    summary.cases_with_refunds = records.height
    summary.refund_entries = refunds.height
    summary.lapsed_entries = int(refunds["lapsed"].sum()) if refunds.height else 0
    if totals is not None:
        for name in ("refund", "interest", "offset", "payable"):
            setattr(summary, f"{name}_total", int(totals[name][0]))
    summary.rejects = len(rejects)
    for reject in rejects:
        summary.rejects_by_feed[reject.feed] = summary.rejects_by_feed.get(reject.feed, 0) + 1
    live = refunds.filter(~pl.col("lapsed")).with_columns(
        (pl.col("refund_car_tax") + pl.col("refund_edu_tax")).alias("refund")
    )
    summary.by_cause = _grouped(live, "cause")
    summary.by_district = _grouped(live.join(batch.cases.select("case", "district"), on="case"), "district")
    return summary


def _grouped(frame: pl.DataFrame, key: str) -> dict[str, dict[str, int]]:
    grouped = frame.group_by(key).agg(
        pl.len().alias("entries"), pl.col("refund").sum(), pl.col("interest").sum()
    )
    return {
        str(row[key]): {
            "entries": int(row["entries"]),
            "refund": int(row["refund"]),
            "interest": int(row["interest"]),
        }
        for row in grouped.sort(key).iter_rows(named=True)
    }


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            # A stage run once per partition adds up.
            elapsed = time.perf_counter() - started
            self.add(stage, elapsed)

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + seconds, 3)


def summary_lines(summary: RunSummary) -> Iterator[str]:
    """The printed summary, in Korean first (officers read it), figures with separators."""
    yield f"탐지 완료 — {summary.tax_year}년도, 지급결정일 {summary.decision_on}"
    yield f"  규칙 버전 {summary.rules_version}, 계산 방식 {summary.engine}"
    yield f"  검토한 건: {summary.cases_considered:,} / 환급 대상 건: {summary.cases_with_refunds:,}"
    yield f"  환급금 {summary.refund_total:,}원, 가산금 {summary.interest_total:,}원"
    yield f"  충당 {summary.offset_total:,}원"
    yield f"  지급할 금액 {summary.payable_total:,}원, 소멸시효 경과 {summary.lapsed_entries:,}건"
    yield f"  거부된 행: {summary.rejects:,} {summary.rejects_by_feed if summary.rejects else ''}".rstrip()
    for cause, figures in summary.by_cause.items():
        yield f"  {cause}: {figures['entries']:,}건 {figures['refund']:,}원"
    yield "  단계별 시간(초): " + ", ".join(f"{k} {v}" for k, v in summary.seconds.items())
