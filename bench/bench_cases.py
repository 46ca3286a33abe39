"""Cases against PostgreSQL: status reads, idempotent acceptances, and 200 concurrent duplicates.

In-process: the handlers and the read queries called from threads of this process, through SQLAlchemy
and psycopg to the PostgreSQL server on 127.0.0.1:5432 (no HTTP). A throwaway database is created,
migrated and seeded with notified cases, and dropped at the end.

- status read: ``case_status`` of a random case (one query: case, current amounts and history);
- idempotent acceptance: ``AcceptRefund`` with a fresh Idempotency-Key on a distinct case, with the
  default policy, so each transaction claims the key, appends ``accepted`` and the straight-through
  ``approved`` rows, writes three events to the outbox and stores the answer under the key;
- duplicates: 200 threads send the same acceptance with the same key at once; exactly one effect.

Usage: ``python bench/bench_cases.py [--cases 20000] [--seconds 10] [--threads 8]``.
Record the figures in docs/benchmarks.md under "Cases".
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from cartax.cases import AcceptRefund, Actor, CasesSettings, MarkNotified, OpenCase, case_status
from cartax.cases.adapters.wiring import Cases, build_cases
from cartax.cases.inbound import parse_refund_detected
from cartax.infra import make_engine, upgrade

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)


def detected(key: str) -> Any:
    line = {"payment_id": "p1", "cause": "R1", "liability_car_tax": 189_180, "liability_edu_tax": 56_750,
            "refund_car_tax": 192_330, "refund_edu_tax": 57_710, "arose_on": "2026-07-01",
            "interest_from": "2026-07-02", "interest": 930, "lapsed": False}  # fmt: skip
    return parse_refund_detected({
        "case_key": key, "owner_id": f"o-{key}", "vehicle_id": "v1", "tax_year": 2026, "district": "11110",
        "refunds": [line], "rules_version": "2026.1",
        "totals": {"refund": 250_040, "interest": 930, "offset": 0, "payable": 250_970},
    })  # fmt: skip


def seed(cases: Cases, count: int, threads: int) -> list[str]:
    keys = [f"c{n:07d}" for n in range(count)]

    def one(key: str) -> None:
        cases.service.execute(OpenCase(detected(key)), Actor.system("detection"))
        cases.service.execute(MarkNotified(key, "m"), Actor.system("notify"))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, keys))
    return keys


def run_threads(work: Callable[[], None], threads: int, seconds: float) -> list[float]:
    """Call ``work()`` from ``threads`` threads for ``seconds``; the latency of every call."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            work()
            latencies[slot].append(time.perf_counter() - started)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return [value for slot in latencies for value in slot]


def backend_pids(engine: Engine, count: int) -> list[int]:
    """The server processes behind the pool's ``count`` connections (all opened now, kept by the pool)."""
    connections = [engine.connect() for _ in range(count)]
    pids = [int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) for c in connections]
    for connection in connections:
        connection.close()
    return pids


def server_cpu(pids: list[int]) -> float:
    """CPU seconds the PostgreSQL backends ``pids`` have used (same machine: read from /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def child(job: tuple[str, str, list[str], int, float]) -> tuple[list[float], float, float]:
    """One load process: its own engine and pool, ``threads`` threads; latencies, client and server CPU."""
    url, mode, keys, threads, seconds = job
    engine = make_engine(url, pool_size=threads, max_overflow=0)
    cases = build_cases(engine, CasesSettings(), lambda: NOW)
    pids = backend_pids(engine, threads)
    rng, pending, lock = random.Random(len(keys)), iter(keys), threading.Lock()

    def read() -> None:
        case_status(cases.reader, rng.choice(keys))

    def accept() -> None:
        with lock:
            key = next(pending)
        cases.service.execute(AcceptRefund(key), Actor.citizen(f"o-{key}"), f"accept-{key}")

    cpu, server = time.process_time(), server_cpu(pids)
    latencies = run_threads(read if mode == "read" else accept, threads, seconds)
    cpu, server = time.process_time() - cpu, server_cpu(pids) - server
    engine.dispose()
    return latencies, cpu, server


def measure(label: str, url: str, mode: str, keys: list[str], args: argparse.Namespace) -> None:
    """Run ``mode`` from ``args.processes`` processes x ``args.threads`` threads; print the figures."""
    jobs = [(url, mode, keys[n :: args.processes], args.threads, args.seconds) for n in range(args.processes)]
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.map(child, jobs)
    every = sorted(value for latencies, _, _ in results for value in latencies)
    client_ms = sum(cpu for _, cpu, _ in results) / len(every) * 1000
    server_ms = sum(server for _, _, server in results) / len(every) * 1000
    q = statistics.quantiles(every, n=100)
    print(
        f"{label}: {len(every):,} in {args.seconds:.0f} s = {len(every) / args.seconds:,.0f}/s "
        f"({args.processes} processes x {args.threads} threads); p50 {q[49] * 1000:.1f} ms, "
        f"p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms\n"
        f"   CPU per operation: client {client_ms:.2f} ms + PostgreSQL {server_ms:.2f} ms "
        f"-> 2 idle cores would carry about {2000 / (client_ms + server_ms):,.0f}/s"
    )


def duplicates(cases: Cases, key: str, count: int = 200) -> None:
    barrier = threading.Barrier(count)

    def accept(_: int) -> tuple[str, int, bool]:
        barrier.wait()
        result = cases.service.execute(AcceptRefund(key), Actor.citizen(f"o-{key}"), "same-key")
        return str(result.state), result.seq, result.replayed

    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(accept, range(count)))
    wall = time.perf_counter() - started
    effects = sum(not replayed for _, _, replayed in answers)
    history = len(case_status(cases.reader, key).history)
    distinct = {(state, seq) for state, seq, _ in answers}
    print(
        f"duplicates: {count} concurrent acceptances with one key in {wall:.2f} s -> {effects} effect, "
        f"{len(distinct)} distinct answer {sorted(distinct)}, history rows {history}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8, help="threads per load process")
    parser.add_argument("--processes", type=int, default=2, help="load processes (one per core: the GIL)")
    args = parser.parse_args(argv)
    name = f"cartax_bench_cases_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        engine = make_engine(url, pool_size=args.threads, max_overflow=24, pool_timeout=120)
        cases = build_cases(engine, CasesSettings(), lambda: NOW)
        started = time.perf_counter()
        keys = seed(cases, args.cases, args.threads)
        print(f"seeded {len(keys):,} notified cases in {time.perf_counter() - started:.1f} s")
        measure("status read", url, "read", keys, args)
        measure("idempotent acceptance", url, "accept", keys[:-1], args)
        duplicates(cases, keys[-1])
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
