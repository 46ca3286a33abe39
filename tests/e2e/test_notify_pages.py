"""The notify pages over HTTP: /verify answers genuine, unknown and malformed codes with the right status
and limits guessing per address; /l/{token} redirects a good link and refuses forged and expired ones."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from cartax.web.csrf import CSRF_COOKIE
from notify_web_factories import NOW, notify_app, send_case_opened


def client_for(tmp_path: Path) -> tuple[TestClient, str, object]:
    app, service = notify_app(tmp_path)
    code = send_case_opened(service)
    client = TestClient(app, base_url="https://testserver")
    client.get("/verify")
    return client, code, service


def check(client: TestClient, code: str) -> tuple[int, str]:
    response = client.post("/verify", data={"csrf_token": client.cookies[CSRF_COOKIE], "code": code})
    return response.status_code, response.text


def test_verify_answers_each_kind_of_code(tmp_path: Path) -> None:
    client, code, _ = client_for(tmp_path)
    with client:
        assert check(client, code)[0] == 200
        assert "저희가 보낸 메시지가 맞습니다" in check(client, code)[1]
        status, html = check(client, "ZZZZ-ZZZZ")
        assert status == 200
        assert "저희가 보낸 메시지가 아닙니다" in html
        status, html = check(client, "not a code")
        assert status == 422
        assert "<title>오류:" in html
        assert client.post("/verify", data={"code": code}).status_code == 403  # no CSRF token


def test_verify_limits_guessing_per_address(tmp_path: Path) -> None:
    client, _, _ = client_for(tmp_path)
    with client:
        statuses = [check(client, "ZZZZ-ZZZZ")[0] for _ in range(12)]
        assert statuses[:10] == [200] * 10
        assert statuses[10] == 429
        response = client.post(
            "/verify", data={"csrf_token": client.cookies[CSRF_COOKIE], "code": "ZZZZ-ZZZZ"}
        )
        assert int(response.headers["Retry-After"]) >= 1
        assert "다시 시도해 주세요" in response.text


def test_links_redirect_or_explain(tmp_path: Path) -> None:
    client, _, service = client_for(tmp_path)
    with client:
        link = service.case_link("C-DEMO-1")  # type: ignore[attr-defined]
        token = link.rsplit("/", 1)[1]
        response = client.get(f"/l/{token}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/refunds/C-DEMO-1"
        forged = client.get(f"/l/{token[:-2]}AA", headers={"accept": "text/html"})
        assert forged.status_code == 404
        assert "올바르지 않습니다" in forged.text
    (tmp_path / "later").mkdir()
    later_app, _ = notify_app(tmp_path / "later", now=NOW + timedelta(days=31))  # the same link key
    with TestClient(later_app, base_url="https://testserver") as later:
        expired = later.get(f"/l/{token}", headers={"accept": "text/html"})
        assert expired.status_code == 410
        assert "유효 기간이 지났습니다" in expired.text
