"""Notify on PostgreSQL: render-and-queue throughput of a campaign, and dispatch throughput to the fakes.

In-process (no HTTP): a throwaway database is created and migrated, then

- render and queue: ``NotifyService.queue_many`` over ``--messages`` reminder requests (people spread
  over the 25 districts of Seoul), in calls of ``--chunk``; each message rendered from its versioned
  template with its own reference, code, keyed code digest and signed link, and stored with its link and
  first receipt (``COPY``, one transaction per batch of 10,000). With ``--workers N`` the districts are
  split between N processes, each with its own connection, as N ``cartax notify remind --district``
  runs side by side would be. Reported: wall-clock, the CPU time of the Python processes and of their
  PostgreSQL server processes (read from ``/proc``: the server is local);
- dispatch: ``--dispatch`` of them sent through the fake providers (claim under a lease, quotas and the
  daily cap counted, the provider called, the receipts written), one worker.

The database is dropped at the end. Usage: ``python bench/bench_notify.py [--messages 1000000]
[--chunk 100000] [--workers 2] [--dispatch 5000]``. Record the figures in docs/benchmarks.md under
"Notify".
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from cartax.infra import make_engine, upgrade
from cartax.notify import Channel, NotifyConfig, NotifyService, Topic
from cartax.notify.adapters.fakes import FakeContactBook, FakeProvider
from cartax.notify.adapters.sql import SqlNotifyStore
from cartax.notify.links import LinkSigner
from cartax.notify.policy import DistrictQuotas, QuietHours
from cartax.notify.service import Request

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
SEOUL_DISTRICTS = tuple(
    f"11{code}"
    for code in (
        "110", "140", "170", "200", "215", "230", "260", "290", "305", "320", "350", "380", "410",
        "440", "470", "500", "530", "545", "560", "590", "620", "650", "680", "710", "740",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Share:
    """What one worker did: messages queued, its wall-clock, its CPU in ``queue_many`` (making the
    requests left out) and its server process's CPU."""

    queued: int
    seconds: float
    cpu: float
    server_cpu: float | None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=100_000, help="requests per queue_many call")
    parser.add_argument("--workers", type=int, default=2, help="processes, the districts split between them")
    parser.add_argument("--dispatch", type=int, default=5_000)
    args = parser.parse_args()
    name = f"cartax_bench_notify_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL (local)")
        queue(url, args)
        engine = make_engine(url)
        dispatch(engine, args.dispatch, args.messages)
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def service_on(engine: Engine, contacts: FakeContactBook | None = None) -> NotifyService:
    providers = {channel: FakeProvider(f"fake-{channel}", lambda: NOW) for channel in Channel}
    return NotifyService(
        SqlNotifyStore(engine), contacts or FakeContactBook(), providers,
        LinkSigner(b"bench-link-key-0123456789abcdef0123"),
        NotifyConfig(
            "https://refunds.example.kr", quiet=QuietHours(enabled=False), daily_cap=10**9, batch_size=500
        ),
        lambda: NOW, quotas=DistrictQuotas(burst=10**9, per_second=10**9),
    )  # fmt: skip


def queue(url: str, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    jobs = [(url, args.messages, args.chunk, worker, args.workers) for worker in range(args.workers)]
    if args.workers == 1:
        shares = [queue_share(*jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            shares = pool.starmap(queue_share, jobs)
    seconds = time.perf_counter() - started
    queued = sum(share.queued for share in shares)
    cpu = sum(share.cpu for share in shares)
    server = [share.server_cpu for share in shares]
    server_cpu = "n/a" if None in server else f"{sum(s or 0 for s in server):.1f} s"
    print(
        f"render and queue: {queued:,} messages in {seconds:.1f} s = {queued / seconds:,.0f} messages/s "
        f"({args.workers} worker(s); CPU: queue_many {cpu:.1f} s = {cpu / queued * 1e6:.0f} µs a message, "
        f"PostgreSQL {server_cpu}; load average {os.getloadavg()[0]:.1f})"
    )
    for index, share in enumerate(shares):
        print(
            f"  worker {index}: {share.queued:,} in {share.seconds:.1f} s, CPU {share.cpu:.1f} s, "
            f"server CPU {share.server_cpu if share.server_cpu is None else round(share.server_cpu, 1)} s"
        )


def queue_share(url: str, messages: int, chunk: int, worker: int, workers: int) -> Share:
    """Queue the requests of the districts that fall to ``worker`` (district index modulo ``workers``)."""
    engine = make_engine(url)
    service = service_on(engine)
    with engine.connect() as connection:
        backend = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
    server_before = process_cpu(backend)
    mine = [n for n in range(messages) if (n % len(SEOUL_DISTRICTS)) % workers == worker]
    started, cpu_started = time.perf_counter(), time.process_time()
    queued, making = 0, 0.0
    for start in range(0, len(mine), chunk):
        made = time.process_time()
        requests = [
            Request(
                f"P{n:08d}", Topic.REMINDER, SEOUL_DISTRICTS[n % len(SEOUL_DISTRICTS)],
                {"amount": 250_040 + n}, f"bench:{n}", f"C{n:08d}",
            )
            for n in mine[start : start + chunk]
        ]  # fmt: skip
        making += time.process_time() - made
        queued += service.queue_many(requests)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started - making
    server_after = process_cpu(backend)
    engine.dispose()
    server = None if server_before is None or server_after is None else server_after - server_before
    return Share(queued, seconds, cpu, server)


def process_cpu(pid: int) -> float | None:
    """User and system CPU seconds of a local process (the connection's server process), if readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dispatch(engine: Engine, count: int, messages: int) -> None:
    """Send ``count`` of the queued messages (the first by id; the workers' batches interleave, so the
    people who can be reached are the first ten times ``count``)."""
    if count <= 0:
        return
    contacts = FakeContactBook()
    service = service_on(engine, contacts)
    for n in range(min(messages, count * 10)):
        contacts.people[f"P{n:08d}"] = {Channel.ALIMTALK: "01000000000"}
    started = time.perf_counter()
    sent = 0
    while sent < count:
        report = service.dispatch()
        if not report.sent:
            break
        sent += report.sent
    seconds = time.perf_counter() - started
    print(f"dispatch to the fakes: {sent:,} messages in {seconds:.1f} s = {sent / seconds:,.0f} messages/s")


if __name__ == "__main__":
    main()
