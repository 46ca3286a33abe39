"""Seed a database for the load test: a generated district's people, each told of a refund, as the platform
itself would leave them after a notification campaign; and write what the load generator needs to act
as them (``fixture.json``).

The steps are the platform's own: generate the district's feeds, ingest them (personal data encrypted),
detect the refunds and keep the cases, relay the outbox so the cases open and the notify context queues
each person's message (a signed link and a verification code), and dispatch those messages to the
development fakes, which marks each case notified. Nothing is written behind the platform's back.

The fixture lists, for every person the demo identity provider will offer (``CARTAX_DEMO_IDENTITIES``)
who has a notified refund with something to pay and an account the office knows: the owner id (the demo
provider's subject), the case key, the message's link path and code. It also lists officers made for
the load test, with their password and second-factor secret, so the generator can sign in to the console.

Run in its own process with the server's settings in the environment (``CARTAX_DATABASE_URL`` …)::

    python bench/load/seed.py --vehicles 50000 --out fixture.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from cartax.bootstrap import Platform, Services, bootstrap, connect, pii_cipher
from cartax.cases import CaseState
from cartax.detection import detect_feeds, store_run
from cartax.identity.adapters.argon2_hasher import Argon2Hasher
from cartax.identity.adapters.sql import SqlIdentity
from cartax.identity.adapters.totp import PyotpCodes
from cartax.identity.model import Role
from cartax.identity.officers import add_officer, grant_role
from cartax.infra import SqlUnitOfWork, make_engine, session_factory, upgrade
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import read_feeds
from cartax.registry.ingest import ingest_feeds
from cartax.registry.synth import SynthOptions, select_districts, synthesize
from cartax.settings import Environment

DISTRICT = "11680"  # 서울특별시 강남구, the demo's district
SEED = 2026
OFFICERS = 4
OFFICER_PASSWORD = "load-test-password-2026"  # noqa: S105 - a throwaway database's test officers
LINK = re.compile(r"/l/[0-9A-Z]{32}")
CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def say(text: str) -> None:
    print(f"[seed {time.strftime('%H:%M:%S')}] {text}", flush=True)


def prepare(platform: Platform, vehicles: int) -> int:
    """Generate, ingest and detect the district; keep the cases (their events wait in the outbox)."""
    settings = platform.settings
    today = platform.today()
    feeds = settings.data_dir / "feeds"
    url = settings.effective_database_url
    upgrade(url)
    districts = select_districts([DISTRICT], nation_by_default=False)
    synthesize(
        SynthOptions(out=feeds, districts=districts, vehicles=vehicles, tax_year=today.year, seed=SEED)
    )
    engine = make_engine(url)
    try:
        cipher = pii_cipher(settings)
        ingest_feeds(read_feeds(feeds), RegistryUnitOfWork(session_factory(engine), platform.clock), cipher)
        out = settings.data_dir / "detected" / "cases.jsonl"
        result = detect_feeds(feeds, today.year, today, out, "jsonl", platform.law)
        stored = store_run(
            SqlUnitOfWork(session_factory(engine), platform.clock),
            result,
            platform.law,
            today,
            platform.clock(),
        )
    finally:
        engine.dispose()
    return int(stored.new)


def notify_everyone(services: Services) -> tuple[int, int]:
    """Relay the outbox and dispatch the queued messages until neither has anything left to do."""
    assert services.relay is not None, "the seed relays in-process (CARTAX_EVENT_BUS=inprocess)"
    relayed = sent = 0
    while True:
        moved = services.relay.drain()
        report = services.notify.service.drain()
        relayed += moved
        sent += report.sent
        if not moved and not report.sent:
            return relayed, sent


def add_officers(platform: Platform, services: Services) -> list[dict[str, str]]:
    """Officers of the district for the console's share of the load, each with a second-factor secret."""
    made = []
    now = platform.clock()
    with SqlUnitOfWork(session_factory(services.engine), platform.clock) as uow:
        repos = SqlIdentity(uow.session, pii_cipher(platform.settings))
        for number in range(1, OFFICERS + 1):
            username = f"load.officer{number}"
            created = add_officer(
                repos,
                Argon2Hasher(),
                PyotpCodes(),
                username=username,
                display_name=f"부하시험 {number}",
                password=OFFICER_PASSWORD,
                now=now,
            )
            for role in (Role.REVIEWER, Role.APPROVER):
                grant_role(
                    repos,
                    officer_id=created.officer.officer_id,
                    district=DISTRICT,
                    role=role,
                    actor="system:load-test",
                    reason="부하 시험 (load test)",
                    now=now,
                )
            made.append(
                {
                    "username": username,
                    "password": OFFICER_PASSWORD,
                    "totp_secret": created.officer.totp_secret,
                }
            )
        uow.commit()
    return made


def citizens(platform: Platform, services: Services) -> list[dict[str, Any]]:
    """The people the demo provider offers who have a notified refund to accept and a known account."""
    found = []
    for owner in services.case_lists.owners(platform.settings.demo_identities):
        if services.payout.service.current_account(owner) is None and not _preregistered(services, owner):
            continue
        for line in services.case_lists.of_owner(owner, 10):
            if line.state is not CaseState.NOTIFIED or line.payable <= 0:
                continue
            message = _case_message(services, line.case_key)
            if message is not None:
                found.append({"owner": owner, "case": line.case_key, **message})
                break
    return found


def _preregistered(services: Services, owner: str) -> bool:
    record = services.owners.get(owner)
    return record is not None and bool(record.refund_bank)


def _case_message(services: Services, case_key: str) -> dict[str, str] | None:
    for message in services.notify.service.messages_for_case(case_key):
        link, code = LINK.search(message.body), CODE.search(message.body)
        if str(message.topic) == "case_opened" and link and code:
            return {"link": link.group(0), "code": code.group(0)}
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vehicles", type=int, default=50_000, help="vehicles in the generated district")
    parser.add_argument("--out", type=Path, required=True, help="where to write the fixture (JSON)")
    args = parser.parse_args(argv)
    platform = bootstrap()
    settings = platform.settings
    if settings.environment is Environment.PRODUCTION or settings.event_bus != "inprocess":
        print(
            "seed: run with CARTAX_ENVIRONMENT other than production and CARTAX_EVENT_BUS=inprocess",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    say(f"district {DISTRICT}: generating {args.vehicles:,} vehicles, ingesting, detecting")
    cases = prepare(platform, args.vehicles)
    say(f"{cases:,} refund cases kept")
    services = connect(platform)
    try:
        relayed, sent = notify_everyone(services)
        say(f"{relayed:,} events relayed, {sent:,} messages sent to the fakes")
        people = citizens(platform, services)
        officers = add_officers(platform, services)
    finally:
        services.close()
    fixture = {"district": DISTRICT, "citizens": people, "officers": officers}
    args.out.write_text(json.dumps(fixture, ensure_ascii=False, indent=1))
    say(
        f"{len(people):,} citizens and {len(officers)} officers in {args.out} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return 0 if people else 1


if __name__ == "__main__":
    sys.exit(main())
