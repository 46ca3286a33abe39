"""Each context's errors become problem+json with a stable code, in one place (cartax.web.problems)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cartax.audit import AccessEntryError
from cartax.cases import (
    CaseForbiddenError,
    CaseNotFoundError,
    CommandInFlightError,
    IdempotencyKeyReusedError,
    InvalidCaseCommandError,
)
from cartax.identity import AccountLockedError, InvalidTokenError
from cartax.web.problems import PROBLEM_JSON, install_problem_handlers

ERRORS: dict[str, Exception] = {
    "missing": CaseNotFoundError("k1"),
    "maker_checker": CaseForbiddenError("same_officer", amount=2_000_000),
    "reused": IdempotencyKeyReusedError(),
    "in_flight": CommandInFlightError(),
    "no_reason": InvalidCaseCommandError("reason_required", limit=500),
    "token": InvalidTokenError(),
    "locked": AccountLockedError(),
    "audit": AccessEntryError("an access record needs subject"),
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    for name, error in ERRORS.items():
        app.add_api_route(f"/{name}", _raising(error))
    return TestClient(app, raise_server_exceptions=False)


def _raising(error: Exception) -> Callable[[], None]:
    def fail() -> None:
        raise error

    return fail


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("missing", 404, "case_not_found"),
        ("maker_checker", 403, "same_officer"),
        ("reused", 409, "idempotency_key_reused"),
        ("in_flight", 409, "command_in_flight"),
        ("no_reason", 422, "reason_required"),
        ("token", 401, "unauthorized"),
        ("locked", 401, "account_locked"),
        ("audit", 500, "audit_failed"),
    ],
)
def test_each_error_has_its_status_and_code(client: TestClient, name: str, status: int, code: str) -> None:
    response = client.get(f"/{name}")
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert (body["code"], body["type"], body["instance"]) == (code, f"urn:cartax:problem:{code}", f"/{name}")


def test_a_retryable_conflict_says_when_to_retry(client: TestClient) -> None:
    assert client.get("/in_flight").headers["retry-after"] == "1"
    assert "retry-after" not in client.get("/reused").headers


def test_details_are_korean_unless_english_is_asked_for(client: TestClient) -> None:
    korean = client.get("/maker_checker").json()["detail"]
    english = client.get("/maker_checker", headers={"accept-language": "en-GB,en"}).json()["detail"]
    assert "2,000,000원" in korean
    assert "second approval" in english
