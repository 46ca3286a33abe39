"""The sign-in routes and the ``current_principal`` dependency, over HTTP with the demo provider."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx2
from fastapi import Depends, FastAPI

from cartax.identity import LockoutLimits, Principal, Role, SessionLimits, SignInDeps
from cartax.identity.adapters.demo_provider import DemoIdentity, DemoOidcProvider
from cartax.identity.adapters.memory import MemoryIdentity
from cartax.identity.adapters.oidc import OidcClient, OidcConfig
from cartax.identity.adapters.web import SESSION_COOKIE, IdentityWeb, WebIdentityConfig
from cartax.settings import Environment, Settings
from identity_factories import CODES, HASHER, PASSWORD, code_at, make_officer

T = TypeVar("T")
BASE = "https://cartax.test"
T0 = datetime(2026, 8, 14, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def build(clock: Clock) -> tuple[FastAPI, MemoryIdentity]:
    repos = MemoryIdentity()

    @contextmanager
    def transaction() -> Iterator[MemoryIdentity]:
        yield repos

    provider = DemoOidcProvider(
        Settings(environment=Environment.TEST),
        issuer=f"{BASE}/demo-oidc",
        identities=[DemoIdentity("P11110-0000001", "홍*동")],
        clients={"cartax-portal": [f"{BASE}/login/callback"]},
        clock=clock,
    )
    app = FastAPI()
    limits = SessionLimits(idle=timedelta(minutes=15), absolute=timedelta(hours=8))
    config = WebIdentityConfig(
        "test-session-secret",
        limits,
        limits,
        SignInDeps(HASHER, CODES, LockoutLimits(3), HASHER.hash("x" * 20)),
    )
    oidc = OidcClient(
        OidcConfig(f"{BASE}/demo-oidc", "cartax-portal", f"{BASE}/login/callback"),
        clock=clock,
        transport=httpx2.ASGITransport(app=app),
    )
    web = IdentityWeb(config, repos=transaction, clock=clock, oidc=oidc)

    @app.get("/me")
    def me(principal: Principal = Depends(web.current_principal)) -> dict[str, str]:  # noqa: B008 - FastAPI's idiom
        return {"who": repr(principal)}

    app.include_router(provider.router())
    app.include_router(web.router())
    return app, repos


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def browser(app: FastAPI) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE)


def test_a_citizen_signs_in_through_the_provider_and_out_again() -> None:
    clock = Clock()
    app, repos = build(clock)

    async def journey() -> list[Any]:
        async with browser(app) as http:
            seen = [(await http.get("/me")).status_code]
            start = await http.get("/login/citizen")
            picker = urlsplit(start.headers["location"])
            query = {k: v[0] for k, v in parse_qs(picker.query).items()}
            chosen = await http.post("/demo-oidc/authorize", data={**query, "subject": "P11110-0000001"})
            done = await http.get(chosen.headers["location"])
            seen += [done.status_code, done.headers["location"], (await http.get("/me")).json()["who"]]
            status = (await http.get("/api/v1/session")).json()
            seen.append(status["kind"])
            await http.post("/logout")
            seen.append((await http.get("/me")).status_code)
        return seen

    before, callback, home, who, kind, after = run(journey())
    assert (before, callback, home) == (401, 303, "/")
    assert "P11110-0000001" in who
    assert kind == "citizen"
    assert after == 401
    assert repos.sessions.rows == {}


def test_an_officer_signs_in_with_password_and_code_and_is_locked_after_failures() -> None:
    clock = Clock()
    app, repos = build(clock)
    new = make_officer(repos, roles=(("11110", Role.REVIEWER),))
    secret = new.officer.totp_secret

    async def journey() -> list[Any]:
        async with browser(app) as http:
            good = {"username": "kim.officer", "password": PASSWORD, "code": code_at(secret, clock.now)}
            signed_in = await http.post("/login/officer", data=good)
            who = (await http.get("/me")).json()["who"]
            cookie = http.cookies.get(SESSION_COOKIE)
            clock.now += timedelta(minutes=16)
            idle = (await http.get("/me")).status_code
            wrong = [
                (await http.post("/login/officer", data={**good, "password": "wrong" * 3})).json()
                for _ in range(3)
            ]
            clock.now += timedelta(minutes=1)
            locked = await http.post("/login/officer", data={**good, "code": code_at(secret, clock.now)})
        return [signed_in.status_code, who, cookie, idle, wrong[-1]["detail"], locked.status_code]

    status, who, cookie, idle, last_wrong, locked = run(journey())
    assert status == 303
    assert "reviewer" in who
    assert cookie is not None
    assert cookie not in repos.sessions.rows  # only its hash is stored
    assert idle == 401
    assert "잠겼습니다" in last_wrong
    assert locked == 401


def test_a_forged_pending_cookie_is_refused() -> None:
    clock = Clock()
    app, _ = build(clock)

    async def attempt() -> int:
        async with browser(app) as http:
            http.cookies.set("__Host-cartax-oidc", "AAAA" * 20, domain="cartax.test")
            return (await http.get("/login/callback?code=x&state=y")).status_code

    assert run(attempt()) == 401
