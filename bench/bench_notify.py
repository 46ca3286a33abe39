"""Notify on PostgreSQL: render-and-queue throughput of a campaign, and dispatch throughput to the fakes.

In-process (no HTTP): a throwaway database is created and migrated, then

- render and queue: ``NotifyService.queue_many`` over ``--messages`` reminder requests, in chunks of
  ``--chunk`` (each message rendered from its versioned template with its own reference, code, code
  digest and signed link; rows, links and first receipts inserted in batches of 1,000);
- dispatch: ``--dispatch`` of them sent through the fake providers (claim under a lease, quotas and the
  daily cap counted, the provider called, the receipts written), one worker.

The database is dropped at the end. Usage:
``python bench/bench_notify.py [--messages 200000] [--chunk 20000] [--dispatch 5000]``.
Record the figures in docs/benchmarks.md under "Notify".
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from cartax.infra import make_engine, upgrade
from cartax.notify import Channel, NotifyConfig, NotifyService, Topic
from cartax.notify.adapters.fakes import FakeContactBook, FakeProvider
from cartax.notify.adapters.sql import SqlNotifyStore
from cartax.notify.links import LinkSigner
from cartax.notify.policy import DistrictQuotas, QuietHours
from cartax.notify.service import Request

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)  # 10:00 in Seoul


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--dispatch", type=int, default=5_000)
    args = parser.parse_args()
    name = f"cartax_bench_notify_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        engine = make_engine(url)
        run(engine, args)
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(engine: object, args: argparse.Namespace) -> None:
    store = SqlNotifyStore(engine)  # type: ignore[arg-type]  # an Engine from make_engine
    contacts = FakeContactBook()
    providers = {channel: FakeProvider(f"fake-{channel}", lambda: NOW) for channel in Channel}
    service = NotifyService(
        store, contacts, providers, LinkSigner(b"bench-link-key-0123456789abcdef0123"),
        NotifyConfig(
            "https://refunds.example.kr", quiet=QuietHours(enabled=False), daily_cap=10**9, batch_size=500
        ),
        lambda: NOW, quotas=DistrictQuotas(burst=10**9, per_second=10**9),
    )  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL (local)")
    started = time.perf_counter()
    queued = 0
    for start in range(0, args.messages, args.chunk):
        requests = [
            Request(f"P{n:08d}", Topic.REMINDER, "11680", {"amount": 250_040 + n}, f"bench:{n}", f"C{n:08d}")
            for n in range(start, min(start + args.chunk, args.messages))
        ]
        queued += service.queue_many(requests)
    seconds = time.perf_counter() - started
    print(f"render and queue: {queued:,} messages in {seconds:.1f} s = {queued / seconds:,.0f} messages/s")
    for n in range(args.dispatch):
        contacts.people[f"P{n:08d}"] = {Channel.ALIMTALK: "01000000000"}
    started = time.perf_counter()
    sent = 0
    while sent < args.dispatch:
        report = service.dispatch()
        if not report.sent:
            break
        sent += report.sent
    seconds = time.perf_counter() - started
    print(f"dispatch to the fakes: {sent:,} messages in {seconds:.1f} s = {sent / seconds:,.0f} messages/s")


if __name__ == "__main__":
    main()
