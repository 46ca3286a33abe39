"""Partitions of a large run computed in worker processes, one per core, their answers merged in order.

A case depends only on its vehicle's rows, so the partitions of vehicles (:class:`FeedParts`) are
independent until the offsets. Once the caller has done the whole-file checks, each partition is a
:class:`PartJob`: a worker process reads its range of vehicle ids from the files, validates it, builds
its cases and computes their refunds, and hands back only what the run keeps — the cases with refund
entries, their payments and exemptions, the refunds, the rejects and the counts — as Arrow IPC files in
a scratch directory. The caller reads them back in partition order, so the answer is the same whatever
the number of workers or the order in which they finish.

Workers are started fresh (``spawn``): nothing of the caller's memory is copied, and settings read
when a process starts (Polars' thread count, its allocator's) can be given to them alone.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from cartax.detection.cases import CaseBatch, build_cases, with_case_keys
from cartax.detection.errors import WorkerLostError
from cartax.detection.vectorised import compute_vectorised
from cartax.registry.feeds import PartPlan, Reject, read_part
from cartax.rules import Law

Engine = Callable[[CaseBatch, Law, date], pl.DataFrame]
KEPT = ("cases", "payments", "exemptions", "refunds")
"""What a partition hands back: its cases with refund entries, their payments and exemptions, the refunds."""
REJECTS_SCHEMA = {"feed": pl.String, "row": pl.Int64, "reason_code": pl.String, "reason": pl.String}
WORKER_ALLOCATOR = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
"""Polars' allocator (jemalloc) in a worker keeps freed pages for 30 s instead of handing them back to the
kernel and faulting them in again for the next frame; read when the process starts."""


@dataclass(frozen=True)
class PartJob:
    """One partition to detect, with everything a worker process needs (picklable)."""

    plan: PartPlan
    tax_year: int
    decision_on: date
    law: Law
    engine: Engine
    scratch: Path


@dataclass(frozen=True)
class PartDone:
    """A partition's answer: cases examined, rows read per feed, seconds per stage, and the files
    (:data:`KEPT` and ``rejects``) in the scratch directory."""

    index: int
    considered: int
    read: dict[str, int]
    seconds: dict[str, float]
    files: dict[str, Path]


def keyless(engine: Engine) -> bool:
    """True for an engine that never reads a case's key (the vectorised one), so the key can be computed
    for the kept cases alone; any other engine gets every case's key."""
    return engine is compute_vectorised


def kept_rows(batch: CaseBatch, refunds: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rows of ``batch`` a run keeps: those of the cases with refund entries (with their case keys,
    computed here when the batch was built without them), and the refunds."""
    with_refunds = refunds.select("case").unique()

    def kept(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(with_refunds, on="case", how="semi")

    cases = kept(batch.cases)
    if "case_key" not in cases.columns:
        cases = with_case_keys(cases, batch.tax_year)
    return {
        "cases": cases,
        "payments": kept(batch.payments),
        "exemptions": kept(batch.exemptions),
        "refunds": refunds,
    }


def detect_part(job: PartJob) -> PartDone:
    """Read, validate and detect one partition; write what the run keeps. Runs in a worker process."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[stage] = now - started
        started = now

    part, rejects, read = read_part(job.plan)
    lap("read_and_validate")
    batch = build_cases(*part, job.tax_year, keys=not keyless(job.engine))
    del part
    lap("build_cases")
    refunds = job.engine(batch, job.law, job.decision_on)
    lap("compute")
    frames = kept_rows(batch, refunds)
    frames["rejects"] = rejects_frame([*rejects, *batch.rejects])
    files = {}
    for name, frame in frames.items():
        files[name] = job.scratch / f"part-{job.plan.index:05d}-{name}.arrow"
        frame.write_ipc(files[name])
    lap("hand_back")
    return PartDone(job.plan.index, batch.cases.height, read, seconds, files)


def rejects_frame(rejects: Sequence[Reject]) -> pl.DataFrame:
    return pl.DataFrame(
        [(r.feed, r.row, r.reason_code, r.reason) for r in rejects], schema=REJECTS_SCHEMA, orient="row"
    )


def rejects_of(frame: pl.DataFrame) -> list[Reject]:
    return [Reject(*row) for row in frame.iter_rows()]


def load(done: PartDone) -> tuple[dict[str, pl.DataFrame], list[Reject]]:
    """A finished partition's frames and its rejects, read back; the files removed."""
    frames = {name: pl.read_ipc(path) for name, path in done.files.items()}
    for path in done.files.values():
        path.unlink()
    return {name: frames[name] for name in KEPT}, rejects_of(frames["rejects"])


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """``workers`` processes, started at once with :func:`worker_environment`; shut down on leaving.

    A worker that dies (killed, out of memory) while the pool is in use raises :class:`WorkerLostError`.
    """
    with _environment(worker_environment(workers)):
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        # A pool starts a process per task submitted while none is idle: these start them all now, while
        # the environment holds their settings.
        for _ in range(workers):
            pool.submit(os.getpid)
    try:
        yield pool
    except BrokenProcessPool:
        raise WorkerLostError(_LOST) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_LOST = (
    "a detection worker process ended without an answer (killed, out of memory or crashed); the run was "
    "abandoned and no case file was written"
)


def run_parts(pool: Executor, jobs: Sequence[PartJob], receive: Callable[[PartDone], None]) -> None:
    """Detect ``jobs`` in ``pool`` and give each answer to ``receive`` in the jobs' order.

    A :class:`~cartax.registry.errors.FeedError` (or any error) raised in a worker is raised here as it
    was; a worker that dies raises :class:`WorkerLostError`. Either way the jobs not yet started are
    cancelled and nothing more is received.
    """
    futures = [pool.submit(detect_part, job) for job in jobs]
    try:
        for index, future in enumerate(futures):
            try:
                done = future.result()
            except BrokenProcessPool:
                raise WorkerLostError(
                    f"{_LOST} (partition {index + 1} of {len(jobs)} was not handed back)"
                ) from None
            receive(done)
    finally:
        for future in futures:
            future.cancel()


def default_workers() -> int:
    """One worker per core this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def worker_environment(workers: int) -> dict[str, str]:
    """Settings a worker reads when it starts: Polars' threads (the cores shared among the workers, unless
    the caller's environment sets them) and its allocator's (:data:`WORKER_ALLOCATOR`)."""
    settings = {}
    if "POLARS_MAX_THREADS" not in os.environ:
        settings["POLARS_MAX_THREADS"] = str(max(1, default_workers() // workers))
    # Polars writes its own allocator settings into the environment when imported, with any given before
    # appended (the last of a setting wins): a worker's start from them, with this appended.
    base = os.environ.get("_RJEM_MALLOC_CONF")
    settings["_RJEM_MALLOC_CONF"] = f"{base},{WORKER_ALLOCATOR}" if base else WORKER_ALLOCATOR
    return settings


@contextmanager
def _environment(settings: Mapping[str, str]) -> Iterator[None]:
    """``settings`` in this process's environment while worker processes are started, then as before."""
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
