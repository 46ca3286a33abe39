"""The citizen journey mix after a notification campaign, as people's browsers send it (Locust).

Each citizen user is one person from the seeded fixture (``bench/load/seed.py``), with their own refund,
message link and code, and their own browser: cookies, the CSRF token echoed in forms, and a client
address of their own (``X-Forwarded-For`` from the benchmarking range 198.18.0.0/15, which the server
trusts from the loopback as it trusts its ingress, so each person meets the rate limits alone).

**First visit** (once per person): the message's link ``/l/{token}`` → the refund asks them to sign in;
some check the message on ``/verify`` first (GET, then the code); sign-in through the demo OpenID
provider (``/login/citizen`` → ``/demo-oidc/authorize`` → ``/login/callback`` → ``/`` → back to the
refund); the refund explained; the account (the registered one); check your answers; accept (the form
post with its CSRF token; the portal derives the idempotency key from the case); the confirmation; the
status page and a few seconds of its live stream (server-sent events); the notice PDF.

**Return visits** (the rest of the run): one in ten in a new browser (signed out, through the link or
the home page; a person paced at one request a second who signed in again on half their visits would
sign in several times a minute, past the per-address sign-in limit the platform keeps against guessing,
and be answered 429), then their refunds, the refund, the status page and its stream, now and then the notice,
check your answers (which leads to the confirmation) and the verification page.

**Officers** (a fixed few, a small share of the rate): sign in with password and one-time code, then
the work queue, cases and the dashboard of the district.

The provider's picker page (``GET /demo-oidc/authorize``) is not fetched: it lists every demo identity
(thousands here) and stands for a real provider's page, which is not the platform's; its form is posted
as the page would post it.

Each user paces itself to a share of the rate the shape (below) asks for, counting every request it
makes, redirects included; when responses slow down the rate falls (a closed model), which is what
the runner reports as the rate reached. Settings (environment): ``LOAD_FIXTURE`` (required),
``LOAD_STEPS`` (requests/s, comma-separated; default 100,…,1000), ``LOAD_STEP_SECONDS`` (60),
``LOAD_USER_RATE`` (requests/s per citizen, 1), ``LOAD_NEW_BROWSER_SHARE`` (0.1 of return visits),
``LOAD_OFFICERS`` (4), ``LOAD_OFFICER_SHARE`` (0.03),
``LOAD_STREAM_SECONDS`` (3), ``LOAD_REQUEST_LOG`` (a CSV of every request, for per-step figures),
``LOAD_VERIFY_SHARE`` (0.3 of first visits check the message on ``/verify``), ``LOAD_GIVE_UP_MS``
(stop after a step whose last seconds' p95 is above it; 0: never),
``LOAD_FIRST_PERSON`` (0; skip the fixture's first people, who accepted in an earlier run on the same
database).
"""

from __future__ import annotations

import csv
import http.client
import itertools
import json
import math
import os
import random
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyotp
from locust import LoadTestShape, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

CSRF_COOKIE = "__Host-cartax-csrf"


def _setting(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass
class Plan:
    """What the shape asks for now; users read it to pace themselves."""

    step: int = 0
    rate: float = 0.0
    citizens: int = 0


FIXTURE: dict[str, Any] = json.loads(Path(os.environ["LOAD_FIXTURE"]).read_text())
STEPS = [
    float(rate) for rate in _setting("LOAD_STEPS", "100,200,300,400,500,600,700,800,900,1000").split(",")
]
STEP_SECONDS = float(_setting("LOAD_STEP_SECONDS", "60"))
USER_RATE = float(_setting("LOAD_USER_RATE", "1"))
OFFICERS = min(int(_setting("LOAD_OFFICERS", "4")), len(FIXTURE["officers"]))
OFFICER_SHARE = float(_setting("LOAD_OFFICER_SHARE", "0.03")) if OFFICERS else 0.0
STREAM_SECONDS = float(_setting("LOAD_STREAM_SECONDS", "3"))
FIRST_PERSON = int(_setting("LOAD_FIRST_PERSON", "0"))
GIVE_UP_MS = float(_setting("LOAD_GIVE_UP_MS", "0"))
VERIFY_SHARE = float(_setting("LOAD_VERIFY_SHARE", "0.3"))
NEW_BROWSER_SHARE = float(_setting("LOAD_NEW_BROWSER_SHARE", "0.1"))
PLAN = Plan()
_people = itertools.count()
_officers = itertools.count()


def client_address(number: int) -> str:
    """A distinct address of the benchmarking range (RFC 2544) for the ``number``-th user."""
    return f"198.{18 + number // 62_500 % 2}.{number // 250 % 250}.{number % 250 + 1}"


class Browser(FastHttpUser):
    """A browser: its requests, its redirects followed one by one (each its own line in the figures),
    and its pace."""

    abstract = True
    max_redirects = 0
    connection_timeout = 30.0
    network_timeout = 60.0

    address = ""
    made = 0
    task_started = 0.0

    def start_browser(self, address: str) -> None:
        """A fresh browser: its own address, its own cookies (kept here: the client's cookie jar keeps
        ``Secure`` cookies from a plain-HTTP loopback server to itself), its pace reset."""
        self.address = address
        self.cookies: dict[str, str] = {}
        self.client.client.cookiejar = None
        self.made = 0
        self.task_started = time.monotonic()

    # -- requests --------------------------------------------------------------------------------

    def headers(self, accept: str = "text/html") -> dict[str, str]:
        sent = {"Accept": accept, "X-Forwarded-For": self.address}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return sent

    def keep_cookies(self, lines: list[str]) -> None:
        for line in lines:
            jar: SimpleCookie = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def csrf(self) -> str:
        return self.cookies[CSRF_COOKIE]

    def call(
        self,
        method: str,
        path: str,
        name: str,
        expect: int,
        *,
        to: str | None = None,
        data: dict[str, str] | None = None,
        contains: str | bytes | None = None,
    ) -> str:
        """One request; a failure unless it answers ``expect`` (and, for a redirect, goes to a path that
        starts with ``to``; for a page, shows ``contains``). Returns the redirect's target or the body."""
        self.made += 1
        with self.client.request(
            method,
            path,
            name=name,
            headers=self.headers(),
            data=data,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.headers:
                self.keep_cookies(response.headers.getlist("set-cookie"))
            where = urlsplit(response.headers.get("location", "") if response.headers else "")
            local = where.path + (f"?{where.query}" if where.query else "")
            body = response.content or b""
            wanted = contains.encode() if isinstance(contains, str) else contains
            if response.status_code != expect:
                problem = f"{response.status_code} instead of {expect}"
            elif to is not None and not local.startswith(to):
                problem = f"not redirected to {to}"
            elif wanted is not None and wanted not in body:
                problem = f"the page lacks {contains!r}"
            else:
                response.success()
                return local if 300 <= expect < 400 else body.decode("utf-8", "replace")
            response.failure(problem)
        raise StopJourney

    def page(self, path: str, name: str, contains: str | None = None) -> str:
        return self.call("GET", path, name, 200, contains=contains)

    def post(self, path: str, name: str, to: str, **fields: str) -> str:
        return self.call("POST", path, name, 303, to=to, data={"csrf_token": self.csrf(), **fields})

    def stream(self, path: str, name: str) -> None:
        """The status page's live stream, as its EventSource reads it: until the first event has come and
        then a few seconds more (or the server ends it), then the page is left."""
        self.made += 1
        host = urlsplit(self.host)
        started = time.perf_counter()
        connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=30)
        failure: Exception | None = None
        length = 0
        try:
            connection.request("GET", path, headers=self.headers("text/event-stream"))
            response = connection.getresponse()
            if response.status != 200:
                raise StreamError(f"{response.status} instead of 200")
            first = b""
            while b"event: status" not in first:
                chunk = response.read1(4096)
                if not chunk:
                    raise StreamError("the stream ended before its first event")
                first += chunk
            length = len(first)
            elapsed = (time.perf_counter() - started) * 1000
            deadline = time.monotonic() + STREAM_SECONDS
            connection.sock.settimeout(STREAM_SECONDS) if connection.sock else None
            while time.monotonic() < deadline:
                try:
                    if not response.read1(4096):
                        break
                except TimeoutError:
                    break
        except (OSError, http.client.HTTPException, StreamError) as error:
            failure = error
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            connection.close()
        self.environment.events.request.fire(
            request_type="GET",
            name=name,
            response_time=elapsed,
            response_length=length,
            exception=failure,
            context={},
            response=None,
        )
        if failure is not None:
            raise StopJourney

    # -- pace ------------------------------------------------------------------------------------

    def share(self) -> float:
        """Requests per second this user should make now."""
        raise NotImplementedError

    def wait_time(self) -> float:
        """Space the tasks so that this user makes ``share()`` requests a second, whatever a task made."""
        rate = self.share()
        due = self.made / rate if rate > 0 else 1.0
        spent = time.monotonic() - self.task_started
        self.made = 0
        pause = max(0.0, due - spent)
        self.task_started = time.monotonic() + pause
        return pause


class StopJourney(Exception):  # noqa: N818 - a signal, not an error: the user starts over
    """A step failed (already counted as a failure): leave the page; the next task starts afresh."""


class StreamError(Exception):
    pass


class Citizen(Browser):
    weight = 1

    def on_start(self) -> None:
        number = next(_people) + FIRST_PERSON
        if number >= len(FIXTURE["citizens"]):
            raise StopUser  # more users than seeded people: never two browsers for one person
        self.person: dict[str, str] = FIXTURE["citizens"][number]
        self.start_browser(client_address(number))
        self.accepted = False
        self.signed_in = False

    def share(self) -> float:
        return PLAN.rate * (1 - OFFICER_SHARE) / PLAN.citizens if PLAN.citizens else USER_RATE

    @task
    def visit(self) -> None:
        try:
            if not self.accepted:
                self.first_visit()
            else:
                self.return_visit()
        except StopJourney:
            self.cookies.clear()
            self.signed_in = False

    @property
    def refund(self) -> str:
        return f"/refunds/{self.person['case']}"

    def first_visit(self) -> None:
        refund = self.refund
        self.call("GET", self.person["link"], "/l/[token]", 303, to=refund)
        self.page(refund, "/refunds/[case] (signed out)", contains="/login/citizen")
        if random.random() < VERIFY_SHARE:
            self.page("/verify", "/verify")
            self.call(
                "POST",
                "/verify",
                "/verify (code)",
                200,
                contains=self.person["code"][:4],
                data={"csrf_token": self.csrf(), "code": self.person["code"]},
            )
        self.sign_in(expect_next=refund)
        self.page(refund, "/refunds/[case]")
        self.page(f"{refund}/account", "/refunds/[case]/account")
        self.post(
            f"{refund}/account", "/refunds/[case]/account (answer)", f"{refund}/check", account="registered"
        )
        self.page(f"{refund}/check", "/refunds/[case]/check")
        self.post(f"{refund}/accept", "/refunds/[case]/accept", f"{refund}/done")
        self.accepted = True
        self.page(f"{refund}/done", "/refunds/[case]/done")
        self.page(f"{refund}/status", "/refunds/[case]/status")
        self.stream(f"{refund}/status/events", "/refunds/[case]/status/events")
        self.call("GET", f"{refund}/notice.pdf", "/refunds/[case]/notice.pdf", 200, contains=b"%PDF")

    def return_visit(self) -> None:
        refund = self.refund
        if random.random() < NEW_BROWSER_SHARE:
            self.cookies.clear()
            self.signed_in = False
        if not self.signed_in:
            if random.random() < 0.5:
                self.call("GET", self.person["link"], "/l/[token]", 303, to=refund)
                self.page(refund, "/refunds/[case] (signed out)", contains="/login/citizen")
                self.sign_in(expect_next=refund)
            else:
                self.page("/", "/ (signed out)", contains="/login/citizen")
                self.sign_in(expect_next=None)
        self.page("/", "/", contains=refund)
        self.page(refund, "/refunds/[case]")
        self.page(f"{refund}/status", "/refunds/[case]/status")
        self.stream(f"{refund}/status/events", "/refunds/[case]/status/events")
        roll = random.random()
        if roll < 0.3:
            self.call("GET", f"{refund}/notice.pdf", "/refunds/[case]/notice.pdf", 200, contains=b"%PDF")
        elif roll < 0.5:
            self.call("GET", f"{refund}/check", "/refunds/[case]/check (asked)", 303, to=f"{refund}/done")
            self.page(f"{refund}/done", "/refunds/[case]/done")
        elif roll < 0.6:
            self.page("/verify", "/verify")

    def sign_in(self, expect_next: str | None) -> None:
        """The demo provider's code flow, hop by hop, as the browser follows it."""
        authorize = self.call("GET", "/login/citizen", "/login/citizen", 303, to="/demo-oidc/authorize")
        path, _, query = authorize.partition("?")
        fields = {**dict(parse_qsl(query)), "subject": self.person["owner"]}
        callback = self.call(
            "POST", path, "/demo-oidc/authorize (choice)", 303, to="/login/callback", data=fields
        )
        self.call("GET", callback, "/login/callback", 303, to="/")
        self.signed_in = True
        if expect_next is not None:  # the portal remembers the refund the link was for
            self.call("GET", "/", "/ (back to the refund)", 303, to=expect_next)


class Officer(Browser):
    fixed_count = OFFICERS

    def on_start(self) -> None:
        number = next(_officers)
        self.account: dict[str, str] = FIXTURE["officers"][number % len(FIXTURE["officers"])]
        self.start_browser(client_address(100_000 + number))
        self.ready = False

    def share(self) -> float:
        return PLAN.rate * OFFICER_SHARE / OFFICERS if OFFICERS else 0.0

    @task
    def work(self) -> None:
        try:
            if not self.ready:
                self.sign_in()
            roll = random.random()
            if roll < 0.35:
                self.page("/console", "/console")
            elif roll < 0.55:
                self.page("/console?queue=all", "/console?queue=all")
            elif roll < 0.9:
                person = random.choice(FIXTURE["citizens"])
                self.page(f"/console/cases/{person['case']}", "/console/cases/[case]")
            else:
                self.page("/console/dashboard", "/console/dashboard")
        except StopJourney:
            self.cookies.clear()
            self.ready = False

    def sign_in(self) -> None:
        self.page("/console/login", "/console/login")
        code = pyotp.TOTP(self.account["totp_secret"]).now()
        self.post(
            "/console/login",
            "/console/login (sign in)",
            "/console",
            username=self.account["username"],
            password=self.account["password"],
            code=code,
        )
        self.ready = True


class StepRamp(LoadTestShape):
    """The rate in steps (``LOAD_STEPS``, each ``LOAD_STEP_SECONDS``): citizens at ``LOAD_USER_RATE``
    requests/s each (more each once every seeded person is in), plus the officers."""

    def tick(self) -> tuple[int, float] | None:
        step = int(self.get_run_time() // STEP_SECONDS)
        if step >= len(STEPS) or (step > PLAN.step and self.overloaded()):
            return None
        rate = STEPS[step]
        people = len(FIXTURE["citizens"]) - FIRST_PERSON
        citizens = min(people, max(1, math.ceil(rate * (1 - OFFICER_SHARE) / USER_RATE)))
        PLAN.step, PLAN.rate, PLAN.citizens = step, rate, citizens
        added = max(citizens - (self.runner.user_count if self.runner else 0), 1)
        return OFFICERS + citizens, max(10.0, added / 10)

    def overloaded(self) -> bool:
        """Whether the step just ended answered so slowly (p95 of its last seconds above
        ``LOAD_GIVE_UP_MS``) that a higher rate would only measure the queue."""
        if not GIVE_UP_MS or self.runner is None:
            return False
        p95 = self.runner.stats.total.get_current_response_time_percentile(0.95)
        return p95 is not None and p95 > GIVE_UP_MS


_log: Any = None


@events.test_start.add_listener
def _open_log(**_: Any) -> None:
    global _log
    path = os.environ.get("LOAD_REQUEST_LOG")
    if path:
        handle = open(path, "w", newline="")  # noqa: SIM115 - closed when the test stops
        _log = (handle, csv.writer(handle))
        _log[1].writerow(["time", "step", "rate", "method", "name", "ms", "bytes", "error"])


@events.request.add_listener
def _log_request(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    exception: Exception | None,
    **_: Any,
) -> None:
    if _log is not None:
        _log[1].writerow(
            [
                f"{time.time():.3f}",
                PLAN.step,
                PLAN.rate,
                request_type,
                name,
                f"{response_time:.1f}",
                response_length,
                exception or "",
            ]
        )


@events.test_stop.add_listener
def _close_log(**_: Any) -> None:
    global _log
    if _log is not None:
        _log[0].close()
        _log = None
