"""The payout crash drill: worker processes paying thousands of refunds while the drill kills them
(SIGKILL), freezes them past their lease (SIGSTOP/SIGCONT), makes them die at named crash points, and
restarts a throwaway PostgreSQL in immediate mode; then it counts, from the fake bank's statement,
duplicates, lost payouts and amount mismatches, and checks the ledger balances.

    python tests/payout_drill.py --payouts 3000 --workers 4 [--seed N]      # the full drill (make test-crash)
    python tests/payout_drill.py --negative-only --payouts 300                 # the negative control alone

The negative control runs the same drill with the recovery step disabled (a taken-over payment is sent
again under a new id instead of being asked for by the same id) and must find duplicates, so the drill
is known to be able to fail. PostgreSQL runs in a temporary directory on its own port, started with
``initdb`` as the ``postgres`` user; the shared server is never touched.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from cartax.cases import Actor
from cartax.infra import make_engine, upgrade
from cartax.infra.crypto import PiiCipher
from cartax.infra.throwaway import ThrowawayPostgres
from cartax.payout.adapters.fake_bank import FakeBank, Faults
from cartax.payout.adapters.fake_openbanking import serve
from cartax.payout.adapters.ledger import ledger_total, unbalanced_entries
from cartax.payout.adapters.openbanking import OpenBankingClient
from cartax.payout.adapters.tables import payout_instructions, payout_transfers
from cartax.payout.adapters.wiring import build_payout
from cartax.payout.adapters.worker import CRASH_POINTS, Claim, CrashPoints
from cartax.payout.model import Decided
from cartax.payout.ports import Person
from cartax.payout.settings import PayoutSettings

CIPHER = PiiCipher.from_secrets("drill-key", "drill-index-key")
TOKEN = "drill-token"  # noqa: S105 - the fake bank's access token
CRASH_EXIT = 70


# -- the people, the bank, the decisions ---------------------------------------------------------------


class DrillDirectory:
    def person(self, owner_id: str) -> Person:
        return Person(owner_id, f"시민{owner_id}")


def seed_payouts(url: str, count: int, seed: int, clock: Any) -> dict[str, int]:
    """``count`` decided payments, each to a verified account; returns case_key → amount."""
    engine = make_engine(url, pool_size=8, max_overflow=0)
    bank = FakeBank(open_world=True)
    payouts = build_payout(
        engine, PayoutSettings(cooling_off_hours=0), CIPHER, DrillDirectory(), clock, None,
        timedelta(days=14), bank=bank,
    )  # fmt: skip
    rng = random.Random(seed)
    plan = []
    for n in range(count):
        refund, interest = rng.randrange(1_000, 2_000_000), rng.randrange(0, 5_000)
        plan.append(Decided(f"K{n:06d}", 1, f"P{n:06d}", "11680", refund, interest, 0, refund + interest))

    def one(decided: Decided) -> None:
        number = f"3333{int(decided.owner_id[1:]):07d}1"
        payouts.service.register_account(decided.owner_id, "088", number, Actor.officer("drill"))
        payouts.service.decide(decided, clock())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, plan))
    amounts = {decided.case_key: decided.payable for decided in plan}
    engine.dispose()
    return amounts


# -- one worker process ----------------------------------------------------------------------------------


def work(args: argparse.Namespace) -> None:
    """A worker process: pays until SIGTERM; may die at a named crash point (exit 70)."""
    rng = random.Random(f"{args.seed}-{args.worker_id}")

    def hook(name: str, claim: Claim) -> None:
        if rng.random() < args.crash_probability and name in args.crash_at:
            os._exit(CRASH_EXIT)
        if rng.random() < 0.05:  # widen the windows the drill's signals can fall into
            time.sleep(0.05)

    engine = make_engine(args.db, pool_size=2, max_overflow=0)
    settings = PayoutSettings(lease_seconds=args.lease, retry_seconds=0.5, batch_size=args.batch)
    client = OpenBankingClient(args.bank, TOKEN, settings.org_code, settings.debtor_account, timeout=5.0)
    payouts = build_payout(
        engine, settings, CIPHER, DrillDirectory(), lambda: datetime.now(UTC), None, timedelta(days=14),
        rail=client, holder_check=client, crash=CrashPoints(hook), worker_id=args.worker_id,
        recovery=not args.no_recovery,
    )  # fmt: skip
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.ready:
        Path(args.ready).touch()  # the drill strikes only workers that are at work
    payouts.worker.run(stop, idle_seconds=0.2)


# -- the drill ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    seed: int
    payouts: int
    workers: int
    kills: int = 0
    pauses: int = 0
    crash_exits: int = 0
    restarts: int = 0
    duplicates: int = 0
    missing: int = 0
    mismatches: int = 0
    ledger_balanced: bool = False
    unfinished: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not (self.duplicates or self.missing or self.mismatches or self.unfinished)
            and self.ledger_balanced
        )

    def lines(self, label: str) -> list[str]:
        return [
            f"{label}: seed={self.seed} payouts={self.payouts} workers={self.workers} kills={self.kills} "
            f"pauses={self.pauses} crash_point_exits={self.crash_exits} postgres_restarts={self.restarts}",
            f"{label}: duplicates={self.duplicates} missing={self.missing} mismatches={self.mismatches} "
            f"unfinished={self.unfinished} ledger_balanced={self.ledger_balanced} ({self.seconds:.1f} s; "
            f"{'; '.join(self.notes)})",
        ]


def run_drill(
    payouts: int,
    workers: int,
    seed: int,
    *,
    recovery: bool = True,
    restarts: int = 1,
    lease: float = 1.5,
    chaos_seconds: float | None = None,
    crash_probability: float = 0.01,
    deadline: float = 600.0,
) -> Result:
    """One drill; ``recovery=False`` is the negative control."""
    started = time.monotonic()
    rng = random.Random(seed)
    result = Result(seed, payouts, workers)
    bank = FakeBank(
        open_world=True, seed=seed, faults=Faults(timeout_after=0.03, timeout_before=0.02, delayed=0.03)
    )
    server = serve(bank)
    bank_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with ThrowawayPostgres.started(prefix="cartax-drill-pg-") as postgres:
            upgrade(postgres.url)
            amounts = seed_payouts(postgres.url, payouts, seed, lambda: datetime.now(UTC))
            result.notes.append(f"ready after {time.monotonic() - started:.1f} s")
            pool = _Workers(postgres.url, bank_url, seed, workers, recovery, lease, crash_probability)
            pool.start_all()
            try:
                _chaos(pool, postgres, rng, result, restarts, lease, chaos_seconds, started, deadline)
                _wait_until_done(postgres.url, started, deadline, pool)
            finally:
                pool.stop_all()
                result.kills, result.pauses, result.crash_exits = pool.kills, pool.pauses, pool.crash_exits
            result.restarts = postgres.restarts
            _verify(postgres.url, bank, amounts, result)
    finally:
        server.shutdown()
        server.server_close()
    result.seconds = time.monotonic() - started
    return result


class _Workers:
    def __init__(
        self, db: str, bank: str, seed: int, count: int, recovery: bool, lease: float, crash: float
    ) -> None:
        self.db, self.bank, self.seed, self.count = db, bank, seed, count
        self.recovery, self.lease, self.crash = recovery, lease, crash
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.started: dict[str, float] = {}
        self.kills = self.pauses = self.crash_exits = 0
        self.generation = 0
        self.folder = Path(tempfile.mkdtemp(prefix="cartax-drill-workers-"))

    def spawn(self, name: str) -> None:
        self.generation += 1
        command = [
            sys.executable, __file__, "work", "--db", self.db, "--bank", self.bank, "--seed",
            f"{self.seed}-{self.generation}", "--worker-id", name, "--lease", str(self.lease),
            "--crash-probability", str(self.crash), "--ready", str(self.marker(name)),
        ]  # fmt: skip
        self.marker(name).unlink(missing_ok=True)
        if not self.recovery:
            command.append("--no-recovery")
        log = (self.folder / f"{name}.log").open(
            "ab"
        )  # the worker's warnings, for a failed drill's post-mortem
        self.procs[name] = subprocess.Popen(command, stderr=log, stdout=subprocess.DEVNULL)
        log.close()
        self.started[name] = time.monotonic()

    def marker(self, name: str) -> Path:
        return self.folder / f"{name}.ready"

    def at_work(self) -> list[str]:
        """Workers alive and past their start-up (imports take seconds on a busy machine)."""
        return sorted(n for n, p in self.procs.items() if p.poll() is None and self.marker(n).exists())

    def start_all(self) -> None:
        for n in range(self.count):
            self.spawn(f"w{n}")

    def reap(self) -> None:
        """Respawn workers that died at a crash point."""
        for name, proc in list(self.procs.items()):
            code = proc.poll()
            if code is not None:
                if code == CRASH_EXIT:
                    self.crash_exits += 1
                self.spawn(name)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if os.environ.get("CARTAX_DRILL_KEEP_LOGS"):
            print(f"worker logs kept in {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


def _chaos(
    pool: _Workers,
    postgres: ThrowawayPostgres,
    rng: random.Random,
    result: Result,
    restarts: int,
    lease: float,
    chaos_seconds: float | None,
    started: float,
    deadline: float,
) -> None:
    """SIGKILL and SIGSTOP/SIGCONT (beyond the lease) of workers that are at work, and immediate
    PostgreSQL restarts at seeded points of progress, within a budget of actions."""
    engine = make_engine(postgres.url)
    restart_at = sorted(rng.uniform(0.2, 0.7) for _ in range(restarts))
    budget = max(8, result.payouts // 100)
    try:
        while time.monotonic() - started < deadline:
            pool.reap()
            done = _progress(engine)
            if done is not None and restart_at and (done >= restart_at[0] or budget <= 0):
                restart_at.pop(0)
                engine.dispose()
                postgres.restart_immediately()
                continue
            if chaos_seconds is not None and time.monotonic() - started > chaos_seconds and not restart_at:
                break
            if (budget <= 0 or (done is not None and done >= 0.95)) and not restart_at:
                break
            busy = pool.at_work()
            if not busy or budget <= 0:
                time.sleep(0.5)
                continue
            name = rng.choice(busy)
            proc = pool.procs[name]
            budget -= 1
            if rng.random() < 0.5:
                proc.kill()
                proc.wait()
                pool.kills += 1
                pool.spawn(name)
            else:
                proc.send_signal(signal.SIGSTOP)
                pool.pauses += 1
                time.sleep(lease * rng.uniform(1.5, 2.5))
                proc.send_signal(signal.SIGCONT)
            time.sleep(rng.uniform(0.5, 2.0))
    finally:
        engine.dispose()


def _progress(engine: Engine) -> float | None:
    """The share of instructions paid (None while the database is restarting)."""
    try:
        with engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(payout_instructions)).scalar_one()
            paid = connection.execute(
                select(func.count())
                .select_from(payout_instructions)
                .where(payout_instructions.c.state == "paid")
            ).scalar_one()
    except Exception:  # the server is restarting: try again next round
        return None
    return paid / total if total else 1.0


def _wait_until_done(url: str, started: float, deadline: float, pool: _Workers) -> None:
    engine = make_engine(url)
    try:
        while time.monotonic() - started < deadline:
            pool.reap()
            if _progress(engine) == 1.0:
                return
            time.sleep(0.5)
    finally:
        engine.dispose()


def _verify(url: str, bank: FakeBank, amounts: dict[str, int], result: Result) -> None:
    """Count from the bank's statement (the money), then compare with the database and the ledger."""
    engine = make_engine(url)
    with engine.connect() as connection:
        instructions = {row.id: row for row in connection.execute(select(payout_instructions))}
        transfers = {row.transfer_id: row for row in connection.execute(select(payout_transfers))}
        paid_in_ledger = connection.execute(
            text("SELECT e.case_key, -sum(l.amount) FROM ledger_entries e "
                 "JOIN ledger_lines l ON l.entry_id = e.id "
                 "WHERE e.kind = 'payment' AND l.account = 'bank' GROUP BY e.case_key")
        ).all()  # fmt: skip
        result.ledger_balanced = ledger_total(connection) == 0 and not unbalanced_entries(connection)
    engine.dispose()
    successes = [row for row in bank.statement() if row.status == "succeeded"]
    per_instruction = Counter(row.client_ref for row in successes)
    result.duplicates = sum(n - 1 for n in per_instruction.values() if n > 1)
    by_case = {row.case_key: row for row in instructions.values()}
    result.missing = sum(1 for row in instructions.values() if per_instruction.get(str(row.id), 0) == 0)
    result.unfinished = sum(1 for row in instructions.values() if row.state != "paid")
    for row in successes:
        instruction = instructions.get(int(row.client_ref))
        if instruction is None or row.amount != amounts[instruction.case_key]:
            result.mismatches += 1
    ledger_paid = dict(paid_in_ledger)
    for case_key, instruction in by_case.items():
        if instruction.state == "paid" and ledger_paid.get(case_key) != amounts[case_key]:
            result.mismatches += 1
    recorded = {t.transfer_id for t in transfers.values() if t.state == "succeeded"}
    for row in successes:
        instruction = instructions.get(int(row.client_ref))
        if instruction is not None and instruction.state == "paid" and row.transfer_id not in recorded:
            result.mismatches += 1
    if result.mismatches:
        result.notes.append(
            f"{result.mismatches} mismatches: an amount, or a payment recorded under another id"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("work")
    worker.add_argument("--db", required=True)
    worker.add_argument("--bank", required=True)
    worker.add_argument("--seed", required=True)
    worker.add_argument("--worker-id", required=True)
    worker.add_argument("--lease", type=float, default=1.5)
    worker.add_argument("--batch", type=int, default=10)
    worker.add_argument("--crash-probability", type=float, default=0.0)
    worker.add_argument("--crash-at", nargs="*", default=list(CRASH_POINTS))
    worker.add_argument("--no-recovery", action="store_true")
    worker.add_argument("--ready", default="")
    parser.add_argument("--payouts", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--restarts", type=int, default=1)
    parser.add_argument("--negative-payouts", type=int, default=400)
    parser.add_argument("--negative-only", action="store_true")
    parser.add_argument("--deadline", type=float, default=1800.0, help="seconds the drill may take")
    args = parser.parse_args()
    if args.command == "work":
        work(args)
        return
    # A drill stopped from outside still stops its workers and its PostgreSQL (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    print(f"payout crash drill: seed={seed} (repeat with --seed {seed})", flush=True)
    failed = False
    if not args.negative_only:
        drill = run_drill(args.payouts, args.workers, seed, restarts=args.restarts, deadline=args.deadline)
        print("\n".join(drill.lines("drill")), flush=True)
        failed = not drill.ok or drill.restarts < args.restarts
    control = run_drill(
        args.negative_payouts, args.workers, seed, recovery=False, restarts=0, crash_probability=0.03
    )
    print("\n".join(control.lines("negative control (recovery disabled)")), flush=True)
    detected = control.duplicates > 0
    verdict = "duplicates detected — the drill can fail" if detected else "NO duplicates found"
    print(f"negative control: {verdict}")
    print("RESULT: " + ("FAIL" if failed or not detected else "PASS"))
    sys.exit(1 if failed or not detected else 0)


if __name__ == "__main__":
    main()
