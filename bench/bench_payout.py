"""Payout benchmark: approved cases into bank files, a result file reconciled, the API rail's throughput.

    .venv/bin/python bench/bench_payout.py --cases 1000000 --api 0                   # SQLite file
    .venv/bin/python bench/bench_payout.py --cases 1000000 --api 2000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres             # a throwaway database
    .venv/bin/python bench/bench_payout.py --cases 1000000 --api 0 --own-postgres production
                                                 # a throwaway server of its own, configured for production

``--own-postgres`` starts a PostgreSQL server of its own (``initdb`` in a temporary directory, its own
port; :mod:`cartax.infra.throwaway`), with PostgreSQL's default settings (``default``) or with
:data:`cartax.infra.throwaway.PRODUCTION_LIKE` (``production``), plus any ``--pg-setting NAME=VALUE``;
the settings are printed first. A shared server is never reconfigured.

Setup (owners with an AES-GCM encrypted, verified account; one decided payment each with its ledger
entry) is bulk-loaded and not timed. Each timed step is one public operation:

- bank files: ``file_batch`` (the claim, committed), then ``render_batch``'s work: the batch read as a
  stream, accounts decrypted, holders named, the CSV and the ``pain.001`` files written (parts of
  ``--part-size`` transactions, each parsed back and validated against the XSD);
- the result file (one line per transfer, ``--failed`` of them refusals): ``read_result_frame``,
  ``apply_results`` (booking, ledger, outbox), ``reconcile`` (the day's report and its events).

On PostgreSQL, before the claim and again before the bank's answer, the server is brought (untimed) to the
state the hours between those steps leave it in: ``VACUUM (ANALYZE)`` as autovacuum would (the planner
knows the tables' sizes, the previous step's old row versions are cleared) and a ``CHECKPOINT`` (so the
step pays for the full-page images written on the first change of each page after it). ``--no-settle``
leaves that out, as if each step followed the one before at once.

``--statements SECONDS`` also prints every SQL statement that took at least that long (its wall-clock
time and its first words), to see where a step's time goes.

Each step prints its wall-clock time, the CPU time of this process (user + system, all threads), on
PostgreSQL the CPU time of the database's server processes serving this run (read from /proc; parallel
workers not included) with the WAL it wrote (bytes and full-page images), and the load average at its end.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, event, text

from cartax.infra import make_engine, upgrade
from cartax.infra.crypto import PiiCipher
from cartax.payout.adapters import bulk
from cartax.payout.adapters.fake_bank import FakeBank, FakeRail
from cartax.payout.adapters.fake_openbanking import serve
from cartax.payout.adapters.files import (
    PARALLEL,
    PART_SIZE,
    Debtor,
    apply_results,
    batch_head,
    batch_transfers,
    file_batch,
    read_result_frame,
    write_batch,
)
from cartax.payout.adapters.openbanking import OpenBankingClient
from cartax.payout.adapters.sql import account_context
from cartax.payout.adapters.wiring import build_payout
from cartax.payout.model import kst_day
from cartax.payout.ports import Person
from cartax.payout.settings import PayoutSettings
from throwaway import database, server

CIPHER = PiiCipher.from_secrets("bench-key", "bench-index-key")
NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)
ORG = "M202600001"
DEBTOR = Debtor("서울특별시 강남구", "1005001234567", "020")


class Names:
    """The directory: a name per owner, looked up many at once as the registry's view does."""

    def person(self, owner_id: str) -> Person:
        return Person(owner_id, "시민" + owner_id[-4:])

    def names(self, owner_ids: list[str]) -> dict[str, str]:
        return {owner_id: "시민" + owner_id[-4:] for owner_id in owner_ids}


def load(url: str, count: int) -> None:
    """``count`` owners with a verified account and one decided payment each, with the decision's ledger
    entry (bulk, untimed)."""
    engine = make_engine(url)
    rng = random.Random(2026)
    chunk = 100_000
    at = NOW.replace(tzinfo=None) if url.startswith("sqlite") else NOW
    with engine.begin() as connection:
        for start in range(1, count + 1, chunk):
            ids = list(range(start, min(count, start + chunk - 1) + 1))
            owners = [f"P{n:07d}" for n in ids]
            amounts = [rng.randrange(1_000, 600_000) for _ in ids]
            tokens = [
                CIPHER.encrypt(f"3333{n:08d}", account_context(o)) for n, o in zip(ids, owners, strict=True)
            ]
            frames = {
                "payout_accounts": pl.DataFrame({
                    "id": ids, "owner_id": owners, "bank_code": "088",
                    "last4": [f"{n % 10_000:04d}" for n in ids], "number_encrypted": tokens,
                    "holder_check": "verified", "source": "citizen", "registered_at": at,
                }),
                "payout_current": pl.DataFrame({"owner_id": owners, "account_id": ids, "zero_click": False,
                                                "updated_at": at}),
                "payout_instructions": pl.DataFrame({
                    "id": ids, "case_key": [f"K{n:07d}" for n in ids], "computation": 1, "owner_id": owners,
                    "district": "11680", "amount": amounts, "state": "open", "fence": 0, "created_at": at,
                    "updated_at": at,
                }),
                "ledger_entries": pl.DataFrame({
                    "id": ids, "entry_key": [f"decided:K{n:07d}:1" for n in ids], "kind": "decided",
                    "case_key": [f"K{n:07d}" for n in ids], "owner_id": owners, "district": "11680",
                    "day": kst_day(NOW), "posted_at": at,
                }),
                "ledger_lines": pl.DataFrame({
                    "entry_id": ids + ids,
                    "account": ["refund_expense"] * len(ids) + ["refunds_payable"] * len(ids),
                    "amount": amounts + [-a for a in amounts],
                }),
            }  # fmt: skip
            for table, frame in frames.items():
                if url.startswith("sqlite"):
                    frame = frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S.%6f"),
                                               pl.col(pl.Date).dt.strftime("%Y-%m-%d"))  # fmt: skip
                bulk.fill(connection, table, frame)
        if not url.startswith("sqlite"):  # rows came with their ids: the sequences go on after them
            for table in ("payout_accounts", "payout_instructions", "ledger_entries"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count})"))
    engine.dispose()


class Meter:
    """Wall-clock, this process's CPU time and (PostgreSQL) the CPU time of the run's server processes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.database = engine.url.database

    def _server(self) -> dict[int, float]:
        if not self.postgres:
            return {}
        with self.engine.connect() as connection:
            pids = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": self.database}
            ).scalars()
            ticks = os.sysconf("SC_CLK_TCK")
            found = {}
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                found[pid] = (int(fields[11]) + int(fields[12])) / ticks
            return found

    def _wal(self) -> tuple[int, int]:
        """The server's WAL written so far: bytes and full-page images."""
        if not self.postgres:
            return (0, 0)
        with self.engine.connect() as connection:
            row = connection.execute(text("SELECT wal_bytes, wal_fpi FROM pg_stat_wal")).one()
            return (int(row.wal_bytes), int(row.wal_fpi))

    def timed(self, label: str, action: Callable[[], Any]) -> Any:
        server, wal = self._server(), self._wal()
        cpu, started = time.process_time(), time.perf_counter()
        value = action()
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        after, wal_after = self._server(), self._wal()
        served = sum(seconds - server.get(pid, 0.0) for pid, seconds in after.items())
        written = (wal_after[0] - wal[0]) / 1e9, wal_after[1] - wal[1]
        extra = (
            f", server CPU {served:6.1f} s, WAL {written[0]:.1f} GB, {written[1]:,} page images"
            if self.postgres
            else ""
        )
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"  {label:<50} {wall:7.1f} s (CPU {used:6.1f} s{extra}; load {load})", flush=True)
        return value


def watch_statements(engine: Engine, threshold: float | None) -> None:
    """Print each statement on ``engine`` that takes at least ``threshold`` seconds (None: none)."""
    if threshold is None:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _before(connection: Any, _cursor: Any, _statement: str, *_: Any) -> None:
        connection.info.setdefault("started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - connection.info["started"].pop()
        if seconds >= threshold:
            print(f"      {seconds:7.1f} s  {' '.join(statement.split())[:100]}", flush=True)


def since(start: tuple[float, float]) -> str:
    return f"{time.perf_counter() - start[0]:7.1f} s (CPU {time.process_time() - start[1]:6.1f} s"


def files(
    url: str,
    count: int,
    folder: Path,
    part_size: int,
    failed: float,
    parallel: int,
    watch: float | None,
    settled: bool,
) -> None:
    upgrade(url)
    print(f"loading {count:,} decided payments (untimed) …", flush=True)
    started = time.perf_counter()
    load(url, count)
    print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
    engine = make_engine(url)
    if settled:
        settle(engine)
    watch_statements(engine, watch)
    payouts = build_payout(engine, PayoutSettings(), CIPHER, Names(), lambda: NOW, None, timedelta(days=14))
    clock, meter = payouts.service.clock, Meter(engine)
    out = folder / "out"
    print("bank files from approved cases:", flush=True)
    total = (time.perf_counter(), time.process_time())
    ref = meter.timed(
        "claim into a batch, committed (file_batch)",
        lambda: file_batch(engine, ORG, clock, parallel=parallel),
    )
    head = batch_head(engine, ref)

    def render() -> list[Path]:
        chunks = batch_transfers(engine, head, payouts.service.open_number, payouts.holder_names)
        return write_batch(head, chunks, out, ("csv", "pain001"), DEBTOR, part_size)  # type: ignore[no-any-return]

    written = meter.timed("read, decrypt, write CSV + pain.001, validate", render)
    size = sum(path.stat().st_size for path in written if path.suffix == ".xml")
    print(f"  {'in all':<50} {since(total)}; {head.count:,} transfers, {len(written) - 1} pain.001 files, "
          f"{size / 1e6:,.0f} MB)", flush=True)  # fmt: skip
    result = folder / "result.csv"
    sent = pl.read_csv(out / f"{ref}.csv", columns=["transfer_id", "amount"], infer_schema=False)
    refused = pl.Series(random.Random(7).choices([True, False], [failed, 1 - failed], k=sent.height))
    sent.select(
        "transfer_id",
        pl.when(refused).then(pl.lit("FAIL")).otherwise(pl.lit("OK")).alias("status"),
        pl.when(refused).then(pl.lit("account_closed")).otherwise(pl.lit("")).alias("reason"),
        "amount",
        pl.when(refused).then(pl.lit("")).otherwise(pl.lit("B") + pl.col("transfer_id")).alias("bank_ref"),
    ).write_csv(result)
    if settled:
        settle(engine)
    print(f"the bank's result file ({sent.height:,} lines, {refused.sum():,} refused):", flush=True)
    total = (time.perf_counter(), time.process_time())
    frame = meter.timed("read the result CSV (read_result_frame)", lambda: read_result_frame(result))
    counts = meter.timed(
        "book the results (apply_results)", lambda: apply_results(engine, frame, clock, "csv", parallel)
    )
    report = meter.timed("reconcile the day (reconcile)", lambda: payouts.service.reconcile(kst_day(NOW)))
    print(f"  {'in all':<50} {since(total)}; {counts['succeeded']:,} paid, {counts['failed']:,} refused, "
          f"{report.matched:,} matched, {len(report.flagged):,} flagged, balanced: {report.ledger_balanced})",
          flush=True)  # fmt: skip
    engine.dispose()
    if not url.startswith("sqlite"):
        print_updates(url)


def settle(engine: Engine) -> None:
    """What the hours between two steps (the approvals and the claim; sending a file and the bank's
    answer) do to a PostgreSQL server, untimed: autovacuum clears the row versions the step before left
    behind and gives the planner the statistics of the tables it filled, and a checkpoint makes the
    first change of each page after it write the whole page to the WAL."""
    if engine.dialect.name != "postgresql":
        return
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE)")
        connection.exec_driver_sql("CHECKPOINT")
    print(f"  (untimed: VACUUM (ANALYZE) and a checkpoint, as in the hours between two steps: "
          f"{time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip


def print_updates(url: str) -> None:
    """How many rows of the instructions and transfers were updated over the run (the claim and the
    booking), and how many of those updates were HOT (the new row version on its page, no index entry).
    Read after this run's connections are closed, so that their counts have reached the statistics."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                    "WHERE relname IN ('payout_instructions', 'payout_transfers') ORDER BY relname"
                )
            ).all()
    finally:
        engine.dispose()
    for name, updated, hot in rows:
        print(f"  {name}: {updated:,} rows updated, {hot:,} of them HOT", flush=True)


def api(url: str, count: int, http: bool) -> None:
    upgrade(url)
    load(url, count)
    engine = make_engine(url)
    bank = FakeBank(open_world=True)
    settings = PayoutSettings(batch_size=100)
    if http:
        server = serve(bank)
        rail = OpenBankingClient(f"http://127.0.0.1:{server.server_address[1]}", "t", settings.org_code, "1")
    else:
        rail = FakeRail(bank)  # type: ignore[assignment]
    payouts = build_payout(engine, settings, CIPHER, Names(), lambda: datetime.now(UTC), None,
                           timedelta(days=14), rail=rail, holder_check=bank)  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    paid = 0
    while worked := payouts.worker.run_once():
        paid += worked
    seconds = time.perf_counter() - started
    label = (
        "API rail over HTTP (fake bank server), 1 worker"
        if http
        else "API rail, in-process fake bank, 1 worker"
    )
    load_average = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  {label:<50} {seconds:7.1f} s (CPU {time.process_time() - cpu:6.1f} s; load {load_average}; "
          f"{paid:,} transfers, {paid / seconds:,.0f}/s)", flush=True)  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--api", type=int, default=2_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL; throwaway databases are made on it")
    parser.add_argument("--part-size", type=int, default=PART_SIZE, help="transactions per pain.001 file")
    parser.add_argument("--failed", type=float, default=0.01, help="share of refusals in the result file")
    parser.add_argument(
        "--parallel", type=int, default=PARALLEL, help="transactions side by side (PostgreSQL)"
    )
    parser.add_argument(
        "--own-postgres",
        choices=("default", "production"),
        help="start a PostgreSQL server of its own, with default or production-like settings",
    )
    parser.add_argument(
        "--pg-setting", action="append", default=[], metavar="NAME=VALUE", help="(with --own-postgres)"
    )
    parser.add_argument("--statements", type=float, metavar="SECONDS", help="print statements this slow")
    parser.add_argument(
        "--no-settle",
        action="store_true",
        help="no VACUUM (ANALYZE) and checkpoint between the steps: each follows the one before at once",
    )
    args = parser.parse_args()
    with server(args.postgres, args.own_postgres, args.pg_setting) as postgres:
        kind = "PostgreSQL" if postgres else "SQLite"
        print(f"database: {kind}; load {os.getloadavg()}", flush=True)
        with tempfile.TemporaryDirectory(prefix="cartax-bench-payout-") as scratch:
            folder = Path(scratch)
            if args.cases:
                with database(postgres, folder, "files") as url:
                    files(
                        url, args.cases, folder, args.part_size, args.failed, args.parallel,
                        args.statements, not args.no_settle,
                    )  # fmt: skip
            if args.api:
                with database(postgres, folder, "api") as url:
                    api(url, args.api, http=False)
                with database(postgres, folder, "http") as url:
                    api(url, args.api, http=True)


if __name__ == "__main__":
    main()
