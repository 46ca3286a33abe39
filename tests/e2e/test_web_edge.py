"""The web edge: security headers and cookie attributes, CSRF on forms, rate limits, metrics, and both
ways of signing in (officer password + TOTP, citizen through the demo OpenID provider)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from cartax.identity import Role
from cartax.identity.adapters.web import SESSION_COOKIE
from cartax.web.calc_form import EXAMPLE
from cartax.web.csrf import CSRF_COOKIE
from cartax.web.ratelimit import Limit, RateLimits
from identity_factories import PASSWORD, code_at
from web_factories import NOW, World, make_world

OWNER = "P11680-0000001"


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[World]:
    world = make_world(
        f"sqlite:///{tmp_path / 'cartax.db'}",
        tmp_path,
        before_app=lambda w: w.open_case(case_key="c1", owner_id=OWNER, district="11680"),
    )
    yield world
    world.services.close()


def _cookie(response: object, name: str) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    found = [header for header in headers if header.startswith(f"{name}=")]
    assert found, f"no {name} cookie in {headers}"
    return found[0]


def _attributes(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def test_every_answer_carries_the_security_headers(edge: World) -> None:
    client = edge.client()
    for path in ("/", "/calc", "/api/v1/health", "/api/v1/me/cases", "/no-such-page", "/openapi.json"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["strict-transport-security"].startswith("max-age="), path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["cache-control"] == "no-store", path


def test_the_csrf_cookie_is_a_host_cookie(edge: World) -> None:
    cookie = _cookie(edge.client().get("/"), CSRF_COOKIE)
    assert {"secure", "httponly", "samesite", "path"} <= _attributes(cookie)
    assert "samesite=strict" in cookie.lower()
    assert "domain" not in _attributes(cookie)


def test_a_form_without_its_token_is_refused(edge: World) -> None:
    client = edge.client()
    page = client.get("/calc")
    token = client.cookies[CSRF_COOKIE]
    assert f'name="csrf_token" value="{token}"' in page.text
    form = {**EXAMPLE, "payment_rows": "3", "action": "calculate"}
    forged = client.post("/calc", data=form)
    wrong = client.post("/calc", data={**form, "csrf_token": "x" * 43})
    sent = client.post("/calc", data={**form, "csrf_token": token})
    assert (forged.status_code, forged.json()["code"]) == (403, "csrf_failed")
    assert wrong.status_code == 403
    assert sent.status_code == 200
    login = client.post("/login/officer", data={"username": "a", "password": "b", "code": "123456"})
    assert (login.status_code, login.json()["code"]) == (403, "csrf_failed")


def test_an_officer_signs_in_with_password_and_code_and_gets_a_host_session_cookie(edge: World) -> None:
    officer_id, username, secret = edge.add_officer(("11680", Role.VIEWER))
    client = edge.client()
    client.get("/")
    form = {
        "username": username,
        "password": PASSWORD,
        "code": code_at(secret, NOW),
        "csrf_token": client.cookies[CSRF_COOKIE],
    }
    signed_in = client.post("/login/officer", data=form, follow_redirects=False)
    assert signed_in.status_code == 303
    cookie = _cookie(signed_in, SESSION_COOKIE)
    assert {"secure", "httponly", "samesite", "path"} <= _attributes(cookie)
    assert "domain" not in _attributes(cookie)
    listed = client.get("/api/v1/districts/11680/cases")
    assert [item["case_key"] for item in listed.json()["items"]] == ["c1"]
    assert officer_id.startswith("off_")


def test_a_citizen_signs_in_through_the_demo_provider_and_sees_their_cases(edge: World) -> None:
    client = edge.client()
    client.get("/")
    begin = client.get("/login/citizen", follow_redirects=False)
    picker = urlsplit(begin.headers["location"])
    assert picker.path == "/demo-oidc/authorize"
    query = {name: values[0] for name, values in parse_qs(picker.query).items()}
    chosen = client.post("/demo-oidc/authorize", data={**query, "subject": OWNER}, follow_redirects=False)
    callback = client.get(chosen.headers["location"], follow_redirects=False)
    assert callback.status_code == 303
    assert {"secure", "httponly"} <= _attributes(_cookie(callback, SESSION_COOKIE))
    mine = client.get("/api/v1/me/cases").json()
    assert [item["case_key"] for item in mine["items"]] == ["c1"]


def test_sign_in_is_rate_limited_more_tightly_than_the_api(tmp_path: Path) -> None:
    clock = FakeMonotonic()
    limits = RateLimits(sign_in=Limit(2, 1 / 60), api=Limit(5, 1.0), pages=Limit(100, 10.0))
    world = make_world(f"sqlite:///{tmp_path / 'cartax.db'}", tmp_path, rate_limits=limits, rate_clock=clock)
    try:
        client = world.client()
        answers = [client.post("/login/officer", data={}).status_code for _ in range(3)]
        assert answers[:2] == [403, 403]  # no CSRF token: refused, but counted
        limited = client.post("/login/officer", data={})
        assert (limited.status_code, limited.json()["code"]) == (429, "too_many_requests")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        api = [client.get("/api/v1/me/cases").status_code for _ in range(6)]
        assert api == [401] * 5 + [429]
        assert client.get("/api/v1/health").status_code == 200  # probes are never limited
        clock.now += 60
        assert client.post("/login/officer", data={}).status_code == 403
    finally:
        world.services.close()


def test_metrics_count_requests_by_route_template_never_by_id(edge: World) -> None:
    client = edge.citizen(OWNER)
    client.get("/api/v1/cases/c1")
    client.get("/api/v1/cases/someone-elses-case")
    text = client.get("/api/v1/metrics").text
    assert 'route="/api/v1/cases/{case_id}",status="200"' in text
    assert 'route="/api/v1/cases/{case_id}",status="404"' in text
    assert "cartax_http_request_duration_seconds_bucket" in text
    assert "someone-elses-case" not in text
    assert OWNER not in text


def test_a_browser_page_gets_the_csrf_token_for_scripts(client: TestClient) -> None:
    page = client.get("/")
    assert f'<meta name="csrf-token" content="{client.cookies[CSRF_COOKIE]}">' in page.text
