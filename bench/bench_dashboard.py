"""The processing dashboard over 1,000,000 cases in PostgreSQL: the page, end to end, in ≤ 1 s.

A throwaway database is created and migrated; ``--cases`` synthetic cases of Seoul's 25 districts
(opened over 35 months, six refund causes, every stage of the journey: detected, notified, objected,
claimed or auto-consented, approved by the policy or an officer, paid, offset, lapsed) are built as the
cases context's own aggregates and written with COPY into ``cases``, ``case_computations`` and
``case_history``; the dashboards' summaries are written from the same aggregates by the code that
keeps them on every change (:func:`cartax.cases.summaries.deltas`). The rows obey the tables' rules by
construction, so the load skips the tables' triggers (``session_replication_role = replica``). A check
recounts the detected cases straight from ``case_history``.

Then the app is built on that database (as ``cartax serve`` builds it) and an officer holding a role in
every district asks ``GET /console/dashboard`` over HTTP in-process (TestClient: routing, session and
role checks, the queries, Jinja2 rendering, security headers): ``--repeat`` times for the province
(all the cases) and for the largest district. Last, the cost the summaries add to a command: 1,000
acceptances approved straight through on the big database, with the summaries kept and with their
writing switched off.

Usage: ``python bench/bench_dashboard.py [--cases 1000000] [--repeat 30] [--workers 4]``.
Record the figures in docs/benchmarks.md under "Dashboards".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform as host
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text

from cartax.bootstrap import bootstrap, connect
from cartax.cases import (
    AcceptRefund,
    Actor,
    CasesSettings,
    CaseState,
    MarkNotified,
    OpenCase,
    parse_refund_detected,
)
from cartax.cases.adapters.sql import sync_policy
from cartax.cases.adapters.summaries import apply_deltas, merge
from cartax.cases.adapters.tables import case_history
from cartax.cases.computation import Computation, RefundLine, Totals
from cartax.cases.model import Case, CaseIdentity
from cartax.cases.summaries import Deltas, deltas
from cartax.identity import Role, SessionKind, add_officer, grant_role, start_session
from cartax.identity.adapters.argon2_hasher import Argon2Hasher
from cartax.identity.adapters.totp import PyotpCodes
from cartax.identity.adapters.web import SESSION_COOKIE
from cartax.infra import make_engine, upgrade
from cartax.registry.synth.districts import load_districts
from cartax.settings import Environment, Settings
from cartax.web import create_app
from cartax.web.csrf import CSRF_COOKIE, new_token

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
START = datetime(2024, 1, 1, tzinfo=UTC)
CAUSES = ("R1", "R1", "R1", "R2", "R2", "R3", "R4", "R5", "R6")
REPO = Path(__file__).resolve().parents[1]
CHUNK = 50_000
COMPUTATION_COLUMNS = (
    "case_id, version, rules_version, refund, interest, offset_amount, payable, refunds, recorded_at"
)
HISTORY_COLUMNS = (
    "case_id, seq, from_state, to_state, actor_kind, actor_id, at, reason, note, rules_version, computation"
)
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105  # a throwaway officer of a throwaway database
SYSTEM, CITIZEN, OFFICER = Actor.system("bench"), Actor.citizen("bench"), Actor.officer("bench")


def journey(rng: random.Random) -> list[CaseState]:
    """The states a case went through after detection, drawn with plausible shares."""
    s = CaseState
    roll = rng.random()
    if roll < 0.03:
        return [s.OFFSET]
    if roll < 0.05:
        return [s.NOTIFIED, s.LAPSED]
    if roll < 0.13:
        return []
    if roll < 0.30:
        return [s.NOTIFIED]
    if roll < 0.32:
        return [s.NOTIFIED, s.OBJECTED]
    claim = s.AUTO_CONSENTED if roll < 0.45 else s.ACCEPTED
    tail = [s.APPROVED, s.PAID, s.RECONCILED] if rng.random() < 0.8 else [s.APPROVED]
    return [s.NOTIFIED, claim, *tail]


def make_case(n: int, district: str, rng: random.Random) -> Case:
    opened = START + timedelta(minutes=rng.randrange(0, 35 * 30 * 24 * 60))
    cause = rng.choice(CAUSES)
    refund = rng.randrange(10_000, 900_000, 10)
    interest = rng.randrange(0, 20_000, 10)
    offset = refund + interest if rng.random() < 0.03 else 0
    arose = (opened - timedelta(days=rng.randrange(0, 1500))).date()
    line = RefundLine("p1", cause, 0, 0, refund, 0, arose, arose + timedelta(days=1), interest, False)
    totals = Totals(refund, interest, offset, refund + interest - offset)
    identity = CaseIdentity(f"b{n:08d}", f"o{n:08d}", f"v{n:08d}", 2026, district)
    case = Case.open(
        identity, Computation(1, "2026.1", (line,), totals, opened), Actor.system("detection"), opened
    )
    at = opened
    states = [CaseState.OFFSET] if offset else [s for s in journey(rng) if s is not CaseState.OFFSET]
    for state in states:
        at += timedelta(hours=rng.randrange(1, 24 * 20))
        if at > NOW:
            break
        straight = state is CaseState.APPROVED and rng.random() < 0.7
        actor = Actor.system("straight-through") if straight else (CITIZEN if state in {CaseState.ACCEPTED,
                CaseState.OBJECTED} else OFFICER if state is CaseState.APPROVED else SYSTEM)  # fmt: skip
        case.transition(state, actor, at, "straight_through" if straight else "bench")
    return case


def districts_of_seoul() -> list[tuple[str, int]]:
    return [(d.code, d.vehicles) for d in load_districts() if d.code.startswith("11")]


def chunk_of_cases(first: int, count: int, seed: int) -> Iterator[Case]:
    rng = random.Random(seed * 1_000_003 + first)
    seoul = districts_of_seoul()
    codes, weights = [code for code, _ in seoul], [vehicles for _, vehicles in seoul]
    for n in range(first, first + count):
        yield make_case(n, rng.choices(codes, weights)[0], rng)


def _copy(cursor: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # names are constants above
        for row in rows:
            copy.write_row(row)


Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], dict[str, Any]]


def build_chunk(job: tuple[int, int, int]) -> Rows:
    """One chunk of cases (ids from ``first``) as COPY rows, and their summaries' deltas per district
    as plain dicts (worker processes build chunks while the parent writes)."""
    first, count, seed = job
    heads, computations, history = [], [], []
    totals: dict[str, Deltas] = {}
    for case in chunk_of_cases(first, count, seed):
        case_id, identity, c = int(identity_number(case)), case.identity, case.computation
        heads.append(
            (case_id, identity.case_key, identity.owner_id, identity.vehicle_id, identity.tax_year,
             identity.district, case.opened_at)
        )  # fmt: skip
        line = c.refunds[0]
        refunds = json.dumps([{
            "payment_id": line.payment_id, "cause": line.cause,
            "liability_car_tax": 0, "liability_edu_tax": 0,
            "refund_car_tax": line.refund_car_tax, "refund_edu_tax": 0, "arose_on": line.arose_on.isoformat(),
            "interest_from": line.interest_from and line.interest_from.isoformat(), "interest": line.interest,
            "lapsed": False,
        }])  # fmt: skip
        t = c.totals
        computations.append(
            (case_id, 1, c.rules_version, t.refund, t.interest, t.offset, t.payable, refunds, c.recorded_at)
        )
        for row in case.history:
            history.append(
                (case_id, row.seq, row.from_state and str(row.from_state), str(row.to_state),
                 str(row.actor.kind), row.actor.id, row.at, row.reason, None, "2026.1", 1)
            )  # fmt: skip
        merge(totals.setdefault(identity.district, Deltas(identity.district)), deltas(case, replay=True))
    plain = {d: (dict(x.flows), dict(x.unclaimed), dict(x.money_days)) for d, x in totals.items()}
    return heads, computations, history, plain


def identity_number(case: Case) -> str:
    return case.identity.case_key[1:]


def load(engine: Engine, count: int, seed: int, workers: int) -> dict[str, Deltas]:
    """COPY the cases chunk by chunk as worker processes build them; the summaries' deltas, merged."""
    totals: dict[str, Deltas] = {}
    jobs = [(first, min(CHUNK, count - first + 1), seed) for first in range(1, count + 1, CHUNK)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for heads, computations, history, plain in pool.imap(build_chunk, jobs):
            write_rows(engine, heads, computations, history)
            for district, (flows, unclaimed, money) in plain.items():
                part = Deltas(district)
                part.flows.update(flows)
                part.unclaimed.update(unclaimed)
                part.money_days.update(money)
                merge(totals.setdefault(district, Deltas(district)), part)
    return totals


def write_rows(engine: Engine, heads: list[Any], computations: list[Any], history: list[Any]) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            # The rows come from the cases' own aggregates, which already obey the rules the append-only
            # and maker-checker triggers check; skipping the triggers (superuser only) makes the load fast.
            cursor.execute("SET session_replication_role = replica")
            _copy(cursor, "cases", "id, case_key, owner_id, vehicle_id, tax_year, district, opened_at", heads)
            _copy(cursor, "case_computations", COMPUTATION_COLUMNS, computations)
            _copy(cursor, "case_history", HISTORY_COLUMNS, history)
        raw.commit()
    finally:
        raw.close()


def signed_in_client(app: Any, services: Any, districts: list[str]) -> TestClient:
    with services.identity_transaction() as repos:
        new = add_officer(
            repos, Argon2Hasher(time_cost=1, memory_cost=1024), PyotpCodes(), username="bench.viewer",
            display_name="벤치", password=BENCH_PASSWORD, now=NOW,
        )  # fmt: skip
        for district in districts:
            grant_role(repos, officer_id=new.officer.officer_id, district=district, role=Role.VIEWER,
                       actor="bench", reason="benchmark run", now=NOW)  # fmt: skip
        session_id, _ = start_session(repos.sessions, SessionKind.OFFICER, new.officer.officer_id, NOW)
    client = TestClient(app, base_url="https://testserver")
    client.cookies.set(SESSION_COOKIE, session_id)
    token = new_token()
    client.cookies.set(CSRF_COOKIE, token)
    client.headers["X-CSRF-Token"] = token
    return client


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(3):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def report(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(f"{label}: median {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms ({len(times)} requests)")  # fmt: skip


def acceptances(services: Any, prefix: str, count: int) -> float:
    """Seconds per acceptance (straight through) of ``count`` fresh notified cases, one after another."""
    service = services.cases.service
    keys = []
    for n in range(count):
        key = f"{prefix}{n:05d}"
        line = {
            "payment_id": "p1", "cause": "R1", "liability_car_tax": 0, "liability_edu_tax": 0,
            "refund_car_tax": 100_000, "refund_edu_tax": 0, "arose_on": "2026-07-01", "interest_from": None,
            "interest": 0, "lapsed": False,
        }  # fmt: skip
        payload = {
            "case_key": key, "owner_id": f"o-{key}", "vehicle_id": f"v-{key}", "tax_year": 2026,
            "district": "11680", "rules_version": "2026.1", "refunds": [line],
            "totals": {"refund": 100_000, "interest": 0, "offset": 0, "payable": 100_000},
        }  # fmt: skip
        service.execute(OpenCase(parse_refund_detected(payload)), Actor.system("detection"))
        service.execute(MarkNotified(key, "m"), Actor.system("notify"))
        keys.append(key)
    started = time.perf_counter()
    for key in keys:
        service.execute(AcceptRefund(key), Actor.citizen(f"o-{key}"))
    return (time.perf_counter() - started) / count


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--commands", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=4, help="processes building the cases")
    args = parser.parse_args(argv)
    print(f"{host.processor() or host.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    name = f"cartax_bench_dashboard_{os.getpid()}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        engine = make_engine(url)
        with engine.begin() as connection:  # the maker-checker threshold the history trigger reads
            sync_policy(connection, CasesSettings().second_officer_above, NOW)
        started = time.perf_counter()
        totals = load(engine, args.cases, args.seed, args.workers)
        with engine.begin() as connection:
            for found in totals.values():
                apply_deltas(connection, found)
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('cases', 'id'), max(id)) FROM cases")
            )
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            detected = connection.execute(
                select(func.count()).select_from(case_history).where(case_history.c.to_state == "detected")
            ).scalar_one()
        print(f"loaded {args.cases:,} cases in {time.perf_counter() - started:.0f} s "
              f"({detected:,} detected rows in case_history)")  # fmt: skip
        engine.dispose()
        run_pages(url, args)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


def run_pages(url: str, args: argparse.Namespace) -> None:
    settings = Settings(environment=Environment.TEST, database_url=url, data_dir=Path(tempfile.mkdtemp()),
                        krds_dir=REPO / "node_modules" / "krds-uiux", public_url="https://testserver",
                        event_bus="inprocess")  # fmt: skip
    platform = bootstrap(settings, clock=lambda: NOW)
    services = connect(platform)
    try:
        app = create_app(platform, services=services, relay_in_background=False)
        seoul = [code for code, _ in districts_of_seoul()]
        client = signed_in_client(app, services, seoul)
        big = max(seoul, key=lambda code: dict(districts_of_seoul())[code])
        for label, path in (("province 11 (all cases)", "/console/dashboard?province=11"),
                            (f"district {big}", f"/console/dashboard?district={big}")):  # fmt: skip
            page = client.get(path)
            assert page.status_code == 200, page.status_code
            figure = page.text.split('id="stages-table"', 1)[1].split('data-value="', 1)[1].split('"', 1)[0]
            print(f"{label}: {int(figure):,} cases detected on the page")
            report(f"GET {path}", timed(lambda p=path: client.get(p), args.repeat))  # type: ignore[misc]
        queries = timed(lambda: services.cases.dashboards.dashboard(seoul, date(2026, 11, 25)), args.repeat)
        report("queries and read model only (province)", queries)
        kept = acceptances(services, "k", args.commands)
        with mock.patch("cartax.cases.adapters.sql.apply_deltas", return_value=None):
            off = acceptances(services, "x", args.commands)
        print(f"acceptance approved straight through: {kept * 1000:.2f} ms with the summaries, "
              f"{off * 1000:.2f} ms without them ({args.commands:,} each, one after another)")  # fmt: skip
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
