"""Personal data never leaks (QUALITY.md, "Security"): recognisable fake resident, phone, e-mail, address
and account values go through every flow — feed ingest (with a correction and a refused row), detection,
the relay that opens cases, the citizen's and the officer's API — and none of them is found in a log
record, a URL, a redirect, an HTTP answer or header (but the one audited reveal), an outbox event, an
access record, a file written, or any column of any table that is not an ``*_encrypted`` column.

On SQLite and PostgreSQL. A negative control plants the values on purpose where each scan looks, and
checks that the scanner finds every one of them (and nothing in the ciphertext columns it skips).
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import json
import logging
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote_plus, urlsplit

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, select

from cartax.audit import AccessAction
from cartax.audit.adapters.sql import SqlAuditStore
from cartax.bootstrap import pii_cipher
from cartax.cases import Actor, MarkNotified
from cartax.detection.database import detect_in_database
from cartax.detection.run import detect_feeds
from cartax.identity import Role
from cartax.infra import SqlUnitOfWork, list_events, session_factory
from cartax.infra.outbox import add_events
from cartax.registry.adapters.tables import owners
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import read_feeds, write_rejects
from cartax.registry.ingest import ingest_feeds
from cartax.web.csrf import CSRF_COOKIE
from identity_factories import PASSWORD, code_at
from registry_factories import make_feeds, make_owner, make_payment, make_registration, make_vehicle
from web_factories import NOW, World, audit_rows, make_world

DISTRICT, TAX_YEAR, DECIDED = "11110", 2026, date(2026, 8, 14)
FIELDS = ("rrn", "phone", "email", "address", "refund_account")
PROBES: dict[str, tuple[str, str, str, str, str]] = {
    "O1": ("991231-4000017", "010-0000-7777", "leak.probe@example.com", "가상로 777", "999-77-123456"),
    "O2": ("991231-3000024", "010-0000-8888", "leak.second@example.com", "가상로 888", "999-88-234567"),
    "O3": ("991231-3000055", "010-0000-4444", "leak.third@example.com", "가상로 444", "999-44-678901"),
    "B1": ("991231-4000031", "010-0000-9999", "leak.buyer@example.com", "가상로 999", "999-99-345678"),
    "O1 new": ("991231-4000017", "010-0000-6666", "leak.moved@example.com", "가상로 666", "999-66-456789"),
    "X1": ("991231-3000048", "010-0000-5555", "leak.refused@example.com", "가상로 555", "999-55-567890"),
}  # fmt: skip
NUMBERS = ("rrn", "phone", "refund_account")
REVEAL = "/owner/reveal"
Clock = Callable[[], datetime]
UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def needles() -> list[tuple[str, str]]:
    """(label, text) of every seeded value, and of each number's digits alone."""
    found: dict[str, str] = {}
    for who, values in PROBES.items():
        for field, value in zip(FIELDS, values, strict=True):
            found.setdefault(value, f"{who} {field}")
            if field in NUMBERS:
                found.setdefault(re.sub(r"\D", "", value), f"{who} {field} (digits)")
    return [(label, text) for text, label in found.items()]


def as_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def forms(text: str) -> set[str]:
    """``text`` as written, URL-decoded, HTML-unescaped, and with JSON's ``\\uXXXX`` escapes read."""
    unescaped = UNICODE_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)
    return {text, unquote_plus(text), html.unescape(text), unescaped}


class Scanner:
    """Looks for every needle in everything it is shown; counts what it saw by kind."""

    def __init__(self) -> None:
        self.needles = needles()
        self.seen: Counter[str] = Counter()
        self.hits: list[str] = []

    def scan(self, kind: str, where: str, value: object) -> None:
        self.seen[kind] += 1
        texts = forms(as_text(value))
        for label, needle in self.needles:
            if any(needle in text for text in texts):
                self.hits.append(f"{label} in {kind}: {where}")


# --- capturing everything ---------------------------------------------------------------------------

STANDARD_RECORD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class Records(logging.Handler):
    """Every record, formatted when it is emitted, with the fields passed through ``extra=``."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        extra = {name: value for name, value in vars(record).items() if name not in STANDARD_RECORD}
        self.seen.append((record.name, self.format(record), extra))


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[Records]:
    """Every logger at DEBUG (caplog sets the root), those that do not propagate (uvicorn's) included,
    from the set-up of the platform to the end of the test."""
    caplog.set_level(logging.DEBUG)
    records = Records()
    names = {"", "uvicorn", "uvicorn.access", "uvicorn.error", "fastapi", *logging.root.manager.loggerDict}
    loggers = [logging.getLogger(name) if name else logging.getLogger() for name in sorted(names)]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if not logger.propagate or logger is logging.getLogger():
            logger.addHandler(records)
    yield records
    for logger, level in levels:
        logger.setLevel(level)
        logger.removeHandler(records)


def scan_logs(scanner: Scanner, records: Records) -> None:
    for name, text, extra in records.seen:
        scanner.scan("log record", name, text)
        for field, value in extra.items():
            scanner.scan("log extra", f"{name} {field}", value)


class Traffic:
    """Every answer any watched client received, redirects included."""

    def __init__(self) -> None:
        self.answers: list[httpx2.Response] = []

    def watch(self, client: TestClient) -> TestClient:
        client.event_hooks = {"request": [], "response": [self._record]}
        return client

    def _record(self, response: httpx2.Response) -> None:
        response.read()
        self.answers.append(response)

    def scan(self, scanner: Scanner, allowed: httpx2.Response | None = None) -> None:
        for answer in self.answers:
            where = f"{answer.request.method} {answer.request.url.path} → {answer.status_code}"
            scanner.scan("url", where, str(answer.request.url))
            for name, value in answer.headers.multi_items():
                scanner.scan("header", f"{where} {name}", value)
            if answer is not allowed:
                scanner.scan("body", where, answer.text)


# --- the flows ----------------------------------------------------------------------------------------


def person(owner_id: str, probe: str, **cells: str) -> dict[str, str]:
    values = dict(zip(FIELDS, PROBES[probe], strict=True))
    return make_owner(
        **{"name": "가상인", "refund_account_holder": "가상인", **values, **cells}, owner_id=owner_id
    )


def write_district(directory: Path, *, corrected: bool) -> Path:
    """O1, O2 and O3 each sell a car to B1 on 1 July after prepaying the year: three refunds. The second
    load corrects O1's contact and account; a row of an unknown kind of owner is refused."""
    sellers = {"O1": "V1", "O2": "V2", "O3": "V3"}
    return make_feeds(
        directory,
        vehicles=[
            make_vehicle(vehicle_id=car, plate=f"12가{n}000") for n, car in enumerate(sellers.values())
        ],
        owners=[
            person("O1", "O1 new" if corrected else "O1"),
            person("O2", "O2"),
            person("O3", "O3"),
            person("B1", "B1"),
            person("X1", "X1", kind="alien"),
        ],
        registrations=[
            row
            for seller, car in sellers.items()
            for row in (
                make_registration(event_id=f"N{car}", vehicle_id=car, owner_id=seller),
                make_registration(
                    event_id=f"T{car}", vehicle_id=car, event="transfer", date="2026-07-01", owner_id="B1"
                ),
            )
        ],
        payments=[
            make_payment(payment_id=f"P{car}", vehicle_id=car, owner_id=seller)
            for seller, car in sellers.items()
        ],
    )


def load(world: World, feeds: Path, out: Path, clock: Clock, *, incremental: bool) -> None:
    """Ingest (writing the refused rows as the command does), detect on the database, relay."""
    validated = read_feeds(feeds)
    write_rejects(validated.rejects, out / f"ingest-rejects-{feeds.name}.csv")
    uow = RegistryUnitOfWork(session_factory(world.services.engine), clock)
    ingest_feeds(validated, uow, pii_cipher(world.platform.settings))
    url, law = world.platform.settings.effective_database_url, world.platform.law
    detect_in_database(url, law, clock, TAX_YEAR, DECIDED, incremental=incremental)
    assert world.services.relay is not None
    world.services.relay.drain()


def seed(world: World, tmp_path: Path) -> None:
    ticks = itertools.count(1)
    out, clock = (
        tmp_path / "out",
        lambda: datetime(2026, 8, 14, 9, tzinfo=UTC) + timedelta(seconds=next(ticks)),
    )
    (out / "detect").mkdir(parents=True)
    load(world, write_district(tmp_path / "first", corrected=False), out, clock, incremental=False)
    load(world, write_district(tmp_path / "second", corrected=True), out, clock, incremental=True)
    detect_feeds(
        tmp_path / "second", TAX_YEAR, DECIDED, out / "detect" / "cases.jsonl", "jsonl", world.platform.law
    )
    for case in world.services.case_lists.of_district(DISTRICT, (), None, 100):
        key = case.case_key
        world.services.cases.service.execute(
            MarkNotified(key, f"msg-{key}"), Actor.system("notify"), f"n:{key}"
        )


def citizen(world: World, traffic: Traffic, owner_id: str) -> TestClient:
    """Signed in through the demo OpenID provider, as a browser is."""
    client = traffic.watch(world.client())
    client.get("/")
    begin = client.get("/login/citizen", follow_redirects=False)
    picker = client.get(begin.headers["location"])
    assert picker.status_code == 200
    query = {name: values[0] for name, values in parse_qs(urlsplit(begin.headers["location"]).query).items()}
    chosen = client.post("/demo-oidc/authorize", data={**query, "subject": owner_id}, follow_redirects=False)
    assert client.get(chosen.headers["location"], follow_redirects=False).status_code == 303
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    return client


def officer(world: World, traffic: Traffic) -> TestClient:
    """An approver of the district, signed in with password and TOTP."""
    _, username, secret = world.add_officer((DISTRICT, Role.APPROVER))
    client = traffic.watch(world.client())
    client.get("/")
    form = {"username": username, "password": PASSWORD, "code": code_at(secret, NOW)}
    signed_in = client.post("/login/officer", data={**form, "csrf_token": client.cookies[CSRF_COOKIE]})
    assert signed_in.status_code == 200  # followed to the home page
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    return client


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def citizen_journeys(world: World, traffic: Traffic) -> dict[str, str]:
    """O1 asks for the refund (twice, one key: paid straight through); O2 objects, then asks for it (so an
    officer decides); both try what they may not. The case key of each owner."""
    first, second = citizen(world, traffic, "O1"), citizen(world, traffic, "O2")
    keys = {
        case.owner_id: case.case_key
        for case in world.services.case_lists.of_district(DISTRICT, (), None, 100)
    }
    (mine,) = first.get("/api/v1/me/cases").json()["items"]
    assert mine["case_key"] == keys["O1"]
    k1, k2 = keys["O1"], keys["O2"]
    assert first.get(f"/api/v1/cases/{k1}").status_code == 200
    command = key()
    assert first.post(f"/api/v1/cases/{k1}/accept", headers=command).json()["state"] == "approved"
    assert first.post(f"/api/v1/cases/{k1}/accept", headers=command).headers["Idempotent-Replayed"] == "true"
    objection = {"reason": "금액이 맞는지 다시 확인해 주세요"}
    assert second.post(f"/api/v1/cases/{k2}/object", json=objection, headers=key()).status_code == 200
    assert second.post(f"/api/v1/cases/{k2}/accept", headers=key()).json()["state"] == "accepted"
    statuses = [
        first.get(f"/api/v1/cases/{k2}").status_code,  # someone else's case
        first.get("/api/v1/cases/not a case!").status_code,  # a malformed id
        first.post(f"/api/v1/cases/{k1}/accept").status_code,  # no Idempotency-Key
        first.get(f"/api/v1/districts/{DISTRICT}/cases").status_code,  # an officer's route
        first.get("/api/v1/session").status_code,
        first.get("/").status_code,
    ]
    assert statuses == [404, 422, 400, 403, 200, 200]
    return keys


def officer_journey(world: World, traffic: Traffic, keys: dict[str, str]) -> httpx2.Response:
    """The approver works the queue, sees an owner masked, asks for one value in full (once, with a
    reason; a reason holding the number itself is refused), approves O2's case and refuses O3's."""
    staff = officer(world, traffic)
    queue = staff.get(f"/api/v1/districts/{DISTRICT}/cases").json()["items"]
    assert {case["case_key"] for case in queue} == set(keys.values())
    assert staff.get(f"/api/v1/districts/{DISTRICT}/cases", params={"state": "accepted"}).status_code == 200
    k1, k2, k3 = keys["O1"], keys["O2"], keys["O3"]
    assert staff.get(f"/api/v1/cases/{k2}").status_code == 200
    masked = staff.get(f"/api/v1/cases/{k1}/owner").json()
    assert (masked["rrn"], masked["phone"]) == ("991231-4******", "010-****-6666")  # as corrected
    rrn = PROBES["O1"][0]
    refused = staff.post(f"/api/v1/cases/{k1}{REVEAL}", json={"field": "rrn", "reason": f"번호 {rrn} 확인"})
    shown = staff.post(
        f"/api/v1/cases/{k1}{REVEAL}", json={"field": "rrn", "reason": "민원 2026-77 본인 확인"}
    )
    assert (refused.status_code, shown.json()) == (422, {"field": "rrn", "value": rrn})
    assert staff.post(f"/api/v1/cases/{k2}/approve", headers=key()).json()["state"] == "approved"
    refusal = {"reason": "이미 환급된 건입니다"}
    assert staff.post(f"/api/v1/cases/{k3}/reject", json=refusal, headers=key()).json()["state"] == "rejected"
    statuses = [
        staff.get(f"/api/v1/cases/{'0' * 64}").status_code,  # no such case
        staff.get("/api/v1/districts/11680/cases").status_code,  # not their district
        staff.get(f"/api/v1/districts/{DISTRICT}/cases", params={"limit": 9999}).status_code,
        staff.post(f"/api/v1/cases/{k3}/reject", json={}, headers=key()).status_code,
        staff.get("/api/v1/detection/runs").status_code,
        staff.get("/api/v1/metrics").status_code,
        staff.get("/no-such-page", headers={"Accept": "text/html"}).status_code,
        staff.post("/logout").status_code,
    ]
    assert statuses == [404, 404, 422, 422, 200, 200, 404, 200]
    return shown


# --- what is stored -----------------------------------------------------------------------------------


def scan_events(scanner: Scanner, engine: Engine) -> None:
    for event in list_events(engine):
        scanner.scan("event", f"{event.type} #{event.id}", event.payload)


def scan_audit(scanner: Scanner, world: World) -> None:
    with SqlUnitOfWork(session_factory(world.services.engine), world.platform.clock) as uow:
        for record in SqlAuditStore(uow.session).records():
            scanner.scan("access record", f"#{record.seq}", dataclasses.asdict(record))


def scan_tables(scanner: Scanner, engine: Engine) -> None:
    """Every cell of every row of every table, but the columns that hold ciphertext."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            columns = [column for column in table.columns if not column.name.endswith("_encrypted")]
            for row in connection.execute(select(*columns)):
                scanner.seen["row"] += 1
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        scanner.scan("cell", f"{table.name}.{column.name}", value)


def scan_files(scanner: Scanner, directory: Path) -> None:
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        scanner.scan("file", path.name, path.read_bytes())


@pytest.fixture
def world(every_log: Records, db_url: str, tmp_path: Path) -> Iterator[World]:
    built = make_world(db_url, tmp_path, before_app=lambda w: seed(w, tmp_path))
    yield built
    built.services.close()


def test_no_seeded_value_reaches_logs_urls_answers_events_or_plaintext_columns(
    every_log: Records, world: World, tmp_path: Path
) -> None:
    traffic = Traffic()
    keys = citizen_journeys(world, traffic)
    shown = officer_journey(world, traffic, keys)
    reveals = [row for row in audit_rows(world) if row[0] == AccessAction.REVEAL_PERSONAL_DATA]
    assert [(row[2], row[3]) for row in reveals] == [(f"case:{keys['O1']}:owner:rrn", "O1")]

    scanner = Scanner()
    scan_logs(scanner, every_log)
    traffic.scan(scanner, allowed=shown)
    scan_events(scanner, world.services.engine)
    scan_audit(scanner, world)
    scan_tables(scanner, world.services.engine)
    scan_files(scanner, tmp_path / "out")

    assert scanner.hits == []
    assert scanner.seen["body"] >= 40
    assert scanner.seen["log record"] > 0
    assert {"event", "access record", "row", "file"} <= set(scanner.seen)
    control = Scanner()
    control.scan("body", "the reveal", shown.text)  # the one answer allowed to hold a number in full
    assert control.hits == ["O1 rrn in body: the reveal"]


@dataclasses.dataclass(frozen=True)
class Planted:
    TYPE: ClassVar[str] = "Planted"
    email: str

    def payload(self) -> dict[str, Any]:
        return {"contact": self.email}


def leaky_app(phone: str, rrn: str) -> FastAPI:
    app = FastAPI()
    app.get("/go")(lambda: RedirectResponse(f"/to?phone={phone}"))
    app.get("/to")(lambda: PlainTextResponse(f"주민번호 {rrn}"))
    return app


def test_the_scanner_finds_values_planted_on_purpose(
    every_log: Records, db_engine: Engine, tmp_path: Path
) -> None:
    rrn, phone, email, address, account = PROBES["O2"]
    digits = re.sub(r"\D", "", rrn)
    row = person("O2", "O2", name=f"가상인 {account}", refund_bank=digits)
    for field in FIELDS:  # plaintext in the ciphertext columns: the scan skips them, so finds nothing
        row[f"{field}_encrypted"] = row.pop(field)
    with db_engine.begin() as connection:
        now = {"created_at": NOW, "updated_at": NOW, "pii_fingerprint": "f" * 64}
        connection.execute(owners.insert().values(**row, **now))
        add_events(connection, [Planted(email)], NOW)
    logging.getLogger("cartax.anything").info("sending to %s", phone)
    traffic = Traffic()
    traffic.watch(TestClient(leaky_app(phone, rrn))).get("/go")
    (tmp_path / "written").mkdir()
    (tmp_path / "written" / "rejects.csv").write_text(f"owners,2,{json.dumps(address)}\n", encoding="utf-8")

    scanner = Scanner()
    scan_logs(scanner, every_log)
    traffic.scan(scanner)
    scan_events(scanner, db_engine)
    scan_tables(scanner, db_engine)
    scan_files(scanner, tmp_path / "written")
    scanner.scan("body", "a page", f"<p>{html.escape(address)}</p>".replace("가", "&#44032;"))
    # The database's own debug log shows the planted values too, as it would any plaintext written.
    sql_log = {f"O2 {field} in log record: sqlalchemy.engine.Engine" for field in FIELDS}
    assert set(scanner.hits) == sql_log | {
        "O2 rrn (digits) in log record: sqlalchemy.engine.Engine",
        "O2 phone in log record: cartax.anything",
        "O2 phone in log record: httpx2",  # the client's own log of the URL it fetched
        "O2 phone in header: GET /go → 307 location",
        "O2 phone in url: GET /to → 200",
        "O2 rrn in body: GET /to → 200",
        "O2 email in event: Planted #1",
        "O2 email in cell: outbox.payload",
        "O2 refund_account in cell: registry_owners.name",
        "O2 rrn (digits) in cell: registry_owners.refund_bank",
        "O2 address in file: rejects.csv",
        "O2 address in body: a page",
    }


def test_the_pages_scripts_keep_nothing_in_browser_storage(client: TestClient) -> None:
    """Browser storage outlives the session and is readable by any script of the origin: the pages keep
    nothing there (the session lives in HttpOnly cookies only)."""
    page = client.get("/").text
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page)
    assert scripts, "the page loads no script: this check would see nothing"
    for src in scripts:
        code = client.get(src).text
        assert not re.search(r"localStorage|sessionStorage|indexedDB|document\.cookie", code), src
