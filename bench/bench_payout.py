"""Payout benchmark: approved cases into bank files, a result file reconciled, the API rail's throughput.

    .venv/bin/python bench/bench_payout.py --cases 1000000      # files and reconciliation (SQLite file)
    .venv/bin/python bench/bench_payout.py --api 2000           # API rail against the fake bank

Setup (accounts encrypted, instructions decided) is bulk-loaded and not timed; each timed step is one
public operation: ``file_batch`` + ``load_batch`` + ``write_csv`` + ``pain001`` (XSD-validated) for the
files, ``read_results`` + ``apply_results`` + ``reconcile`` for the result file.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from cartax.infra import make_engine, upgrade
from cartax.infra.crypto import PiiCipher
from cartax.payout.adapters.fake_bank import FakeBank, FakeRail
from cartax.payout.adapters.fake_openbanking import serve
from cartax.payout.adapters.files import (
    BankResult,
    apply_results,
    file_batch,
    load_batch,
    pain001,
    read_results,
    result_csv,
    write_csv,
)
from cartax.payout.adapters.openbanking import OpenBankingClient
from cartax.payout.adapters.sql import account_context
from cartax.payout.adapters.tables import payout_accounts, payout_current, payout_instructions
from cartax.payout.adapters.wiring import build_payout
from cartax.payout.model import kst_day
from cartax.payout.ports import Person
from cartax.payout.settings import PayoutSettings

CIPHER = PiiCipher.from_secrets("bench-key", "bench-index-key")
NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)


class Names:
    def person(self, owner_id: str) -> Person:
        return Person(owner_id, "시민" + owner_id[-4:])


def load(url: str, count: int) -> None:
    """``count`` owners with a verified account and one decided payment each (bulk, untimed)."""
    engine = make_engine(url)
    rng = random.Random(2026)
    chunk = 50_000
    with engine.begin() as connection:
        for start in range(0, count, chunk):
            ids = range(start + 1, min(count, start + chunk) + 1)
            connection.execute(insert(payout_accounts), [
                {"id": n, "owner_id": f"P{n:07d}", "bank_code": "088", "last4": f"{n % 10_000:04d}",
                 "number_encrypted": CIPHER.encrypt(f"3333{n:08d}", account_context(f"P{n:07d}")),
                 "holder_check": "verified", "source": "citizen", "registered_at": NOW}
                for n in ids
            ])  # fmt: skip
            connection.execute(insert(payout_current), [
                {"owner_id": f"P{n:07d}", "account_id": n, "zero_click": False, "updated_at": NOW}
                for n in ids
            ])  # fmt: skip
            connection.execute(insert(payout_instructions), [
                {"case_key": f"K{n:07d}", "computation": 1, "owner_id": f"P{n:07d}", "district": "11680",
                 "amount": rng.randrange(1_000, 600_000), "state": "open", "fence": 0, "created_at": NOW,
                 "updated_at": NOW}
                for n in ids
            ])  # fmt: skip
    engine.dispose()


def timed(label: str, action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = action()
    print(f"  {label:<52} {time.perf_counter() - started:8.1f} s", flush=True)
    return value


def files(count: int, folder: Path) -> None:
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    print(f"loading {count:,} decided payments (untimed) …", flush=True)
    load(url, count)
    engine = make_engine(url)
    payouts = build_payout(engine, PayoutSettings(), CIPHER, Names(), lambda: NOW, None, timedelta(days=14))
    clock = payouts.service.clock
    total = time.perf_counter()
    ref = timed(
        "claim into a batch, transfers committed (file_batch)",
        lambda: file_batch(engine, "M202600001", clock),
    )
    batch = timed(
        "read the batch, decrypt accounts (load_batch)",
        lambda: load_batch(engine, ref, payouts.service.open_number, payouts.worker.holder_name),
    )
    timed("write the CSV file", lambda: write_csv(batch, folder / "transfers.csv"))
    xml = timed(
        "build pain.001 and validate it against the XSD",
        lambda: pain001(batch, "서울특별시 강남구", "1005001234567", "020"),
    )
    (folder / "transfers.xml").write_bytes(xml)
    print(f"  {'bank files from approved cases, in all':<52} {time.perf_counter() - total:8.1f} s "
          f"({len(batch.transfers):,} transfers, pain.001 {len(xml) / 1e6:,.0f} MB)", flush=True)  # fmt: skip
    results = [
        BankResult(t.transfer_id, "succeeded", None, t.amount, f"B{n}") for n, t in enumerate(batch.transfers)
    ]
    (folder / "result.csv").write_text(result_csv(results), encoding="utf-8")
    total = time.perf_counter()
    read = timed("read the 1-line-per-transfer result CSV", lambda: read_results(folder / "result.csv"))
    counts = timed("book the results (apply_results)", lambda: apply_results(engine, read, clock, "csv"))
    report = timed("reconcile the day (reconcile)", lambda: payouts.service.reconcile(kst_day(NOW)))
    print(f"  {'result file reconciled, in all':<52} {time.perf_counter() - total:8.1f} s "
          f"({counts['succeeded']:,} booked, {report.matched:,} matched, {len(report.flagged):,} flagged, "
          f"ledger balanced: {report.ledger_balanced})", flush=True)  # fmt: skip
    engine.dispose()


def api(count: int, folder: Path, http: bool) -> None:
    url = f"sqlite:///{folder / ('api-http.db' if http else 'api.db')}"
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
    started = time.perf_counter()
    paid = 0
    while worked := payouts.worker.run_once():
        paid += worked
    seconds = time.perf_counter() - started
    label = (
        "API rail over HTTP (fake bank server), 1 worker"
        if http
        else "API rail, in-process fake bank, 1 worker"
    )
    print(f"  {label:<52} {seconds:8.1f} s ({paid:,} transfers, {paid / seconds:,.0f}/s)", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--api", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cartax-bench-payout-") as folder:
        if args.cases:
            files(args.cases, Path(folder))
        if args.api:
            api(args.api, Path(folder), http=False)
            api(args.api, Path(folder), http=True)


if __name__ == "__main__":
    main()
