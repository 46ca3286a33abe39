"""The real OpenID Connect client against the demo provider over HTTP (ASGI transport), end to end."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi import FastAPI

from cartax.identity import DemoProviderRefusedError, OidcError
from cartax.identity.adapters.demo_provider import DemoIdentity, DemoOidcProvider, s256
from cartax.identity.adapters.oidc import OidcClient, OidcConfig, PendingLogin
from cartax.settings import Environment, Settings

T = TypeVar("T")
ISSUER = "http://cartax.test/demo-oidc"
CALLBACK = "http://cartax.test/login/callback"
IDENTITIES = [DemoIdentity("P11110-0000001", "홍*동"), DemoIdentity("P11110-0000002", "김*수 <script>")]
T0 = datetime(2026, 8, 14, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def make_provider(clock: Clock) -> tuple[DemoOidcProvider, httpx2.ASGITransport]:
    provider = DemoOidcProvider(
        Settings(environment=Environment.TEST),
        issuer=ISSUER,
        identities=IDENTITIES,
        clients={"cartax-portal": [CALLBACK], "other-app": ["http://other.test/cb"]},
        clock=clock,
    )
    app = FastAPI()
    app.include_router(provider.router())
    return provider, httpx2.ASGITransport(app=app)


def make_client(
    transport: httpx2.ASGITransport, clock: Clock, client_id: str = "cartax-portal"
) -> OidcClient:
    return OidcClient(OidcConfig(ISSUER, client_id, CALLBACK), clock=clock, transport=transport)


async def pick_identity(transport: httpx2.ASGITransport, url: str, subject: str) -> dict[str, str]:
    """What a browser does: open the picker, press one identity's button, follow to the callback."""
    async with httpx2.AsyncClient(transport=transport) as browser:
        page = await browser.get(url)
        assert page.status_code == 200
        assert "시연용" in page.text
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        answer = await browser.post(f"{ISSUER}/authorize", data={**query, "subject": subject})
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def test_a_citizen_signs_in_end_to_end() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = make_client(transport, clock)

    async def journey() -> tuple[str, str, dict[str, str]]:
        request = await client.begin()
        callback = await pick_identity(transport, request.url, "P11110-0000001")
        identity = await client.complete(request.pending, callback)
        return identity.subject, request.url, callback

    subject, url, callback = run(journey())
    assert subject == "P11110-0000001"
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["response_type"] == ["code"]
    assert {"state", "nonce", "code_challenge"} <= query.keys()
    assert callback["iss"] == ISSUER


def test_the_picker_says_it_is_a_demo_and_escapes_labels() -> None:
    clock = Clock()
    _, transport = make_provider(clock)

    async def page() -> str:
        request = await make_client(transport, clock).begin()
        async with httpx2.AsyncClient(transport=transport) as browser:
            response = await browser.get(request.url)
        assert response.headers["cache-control"] == "no-store"
        return response.text

    text = run(page())
    assert "시연용 본인인증" in text
    assert "홍*동" in text
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


def test_the_demo_provider_refuses_production() -> None:
    settings = Settings(
        environment=Environment.PRODUCTION,
        pii_key="p" * 40,
        blind_index_key="b" * 40,
        session_secret="s" * 40,
        audit_chain_key="a" * 40,
        notice_seal_key="n" * 40,
    )
    with pytest.raises(DemoProviderRefusedError, match="production"):
        DemoOidcProvider(settings, issuer=ISSUER, identities=IDENTITIES, clients={"c": [CALLBACK]})


def test_a_callback_with_another_state_is_refused() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = make_client(transport, clock)

    async def attempt() -> None:
        request = await client.begin()
        callback = await pick_identity(transport, request.url, "P11110-0000001")
        await client.complete(request.pending, {**callback, "state": "forged"})

    with pytest.raises(OidcError, match="state"):
        run(attempt())


def test_a_token_for_another_nonce_is_refused() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = make_client(transport, clock)

    async def attempt() -> None:
        request = await client.begin()
        callback = await pick_identity(transport, request.url, "P11110-0000001")
        pending = PendingLogin(request.pending.state, "another-nonce", request.pending.code_verifier, clock())
        await client.complete(pending, callback)

    with pytest.raises(OidcError, match="nonce"):
        run(attempt())


def test_a_wrong_pkce_verifier_gets_no_token() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = make_client(transport, clock)

    async def attempt() -> None:
        request = await client.begin()
        callback = await pick_identity(transport, request.url, "P11110-0000001")
        pending = PendingLogin(request.pending.state, request.pending.nonce, "x" * 43, clock())
        await client.complete(pending, callback)

    with pytest.raises(OidcError, match="code_verifier"):
        run(attempt())


async def raw_tokens(transport: httpx2.ASGITransport, client_id: str, redirect_uri: str) -> dict[str, Any]:
    """The token response of a flow run by hand (to hand-craft bad tokens for the client to check)."""
    verifier, nonce = secrets.token_urlsafe(32), "n-" + secrets.token_hex(8)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "s",
        "nonce": nonce,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "subject": "P11110-0000002",
    }
    async with httpx2.AsyncClient(transport=transport) as http:
        answer = await http.post(f"{ISSUER}/authorize", data=params)
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "client_id": client_id}
        token = await http.post(
            f"{ISSUER}/token", data={**form, "redirect_uri": redirect_uri, "code_verifier": verifier}
        )
        again = await http.post(
            f"{ISSUER}/token", data={**form, "redirect_uri": redirect_uri, "code_verifier": verifier}
        )
    assert token.status_code == 200
    assert again.json()["error"] == "invalid_grant"  # codes are single use
    return {**token.json(), "nonce": nonce}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_hand_run_flow_verifies_so_the_negative_cases_below_are_meaningful() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = make_client(transport, clock)
    tokens = run(raw_tokens(transport, "cartax-portal", CALLBACK))
    claims = run(client.verify_id_token(tokens["id_token"], tokens["nonce"], tokens["access_token"]))
    assert claims["sub"] == "P11110-0000002"


def test_an_expired_id_token_is_refused() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = make_client(transport, clock)
    tokens = run(raw_tokens(transport, "cartax-portal", CALLBACK))
    clock.now = T0 + timedelta(minutes=7)  # lifetime 5 minutes, leeway 1 minute
    with pytest.raises(OidcError, match="exp"):
        run(client.verify_id_token(tokens["id_token"], tokens["nonce"], tokens["access_token"]))


def test_an_id_token_for_another_audience_is_refused() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    tokens = run(raw_tokens(transport, "other-app", "http://other.test/cb"))
    client = make_client(transport, clock)
    with pytest.raises(OidcError, match="aud"):
        run(client.verify_id_token(tokens["id_token"], tokens["nonce"], tokens["access_token"]))


def test_a_tampered_id_token_is_refused() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = make_client(transport, clock)
    tokens = run(raw_tokens(transport, "cartax-portal", CALLBACK))
    header, payload, signature = tokens["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = ".".join([header, _b64(json.dumps({**claims, "sub": "P11110-0000001"}).encode()), signature])
    with pytest.raises(OidcError, match="signature"):
        run(client.verify_id_token(forged, tokens["nonce"], tokens["access_token"]))
    unsigned = ".".join([_b64(b'{"alg":"none"}'), payload, ""])
    with pytest.raises(OidcError):
        run(client.verify_id_token(unsigned, tokens["nonce"], tokens["access_token"]))


def test_a_token_signed_by_another_key_is_refused() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    impostor, impostor_transport = make_provider(clock)  # same issuer name, its own fresh key
    tokens = run(raw_tokens(impostor_transport, "cartax-portal", CALLBACK))
    client = make_client(transport, clock)
    with pytest.raises(OidcError):
        run(client.verify_id_token(tokens["id_token"], tokens["nonce"], tokens["access_token"]))
    assert impostor.key.kid


def test_an_access_token_that_does_not_match_at_hash_is_refused() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = make_client(transport, clock)
    tokens = run(raw_tokens(transport, "cartax-portal", CALLBACK))
    with pytest.raises(OidcError, match="at_hash"):
        run(client.verify_id_token(tokens["id_token"], tokens["nonce"], "another-access-token"))


def test_a_discovery_document_for_another_issuer_is_refused() -> None:
    clock = Clock()
    _, transport = make_provider(clock)
    client = OidcClient(
        OidcConfig("http://cartax.test/demo-oidc/", "cartax-portal", CALLBACK),
        clock=clock,
        transport=transport,
    )
    assert run(client.metadata())["issuer"] == ISSUER  # a trailing slash is the same issuer
    elsewhere = OidcClient(
        OidcConfig("http://cartax.test/nowhere", "c", CALLBACK), clock=clock, transport=transport
    )
    with pytest.raises(OidcError, match="did not answer"):
        run(elsewhere.metadata())
