"""The HTTP API: liveness, readiness, the calculation contract over HTTP, problems, security headers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cartax.bootstrap import Platform
from cartax.rules import contract, default_law, evaluate
from cartax.web import create_app
from rules_factories import TV12

VECTORS = Path(__file__).resolve().parents[1] / "contract" / "vectors.jsonl"
CASES = [json.loads(line) for line in VECTORS.read_text(encoding="utf-8").splitlines() if line.strip()]
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _variant(**changes: Any) -> dict[str, Any]:
    request = copy.deepcopy(TV12)
    request.update(changes)
    return request


def test_health_says_the_process_answers(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_ready_reports_the_rules_it_loaded(client: TestClient) -> None:
    response = client.get("/api/v1/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["rules"]["ok"] is True
    assert default_law().version in body["checks"]["rules"]["detail"]


def test_not_ready_when_a_check_fails(platform: Platform) -> None:
    def database_down(_: Platform) -> tuple[bool, str]:
        raise ConnectionError("connection refused")

    with TestClient(create_app(platform, readiness={"database": database_down})) as client:
        response = client.get("/api/v1/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "ok": False,
        "detail": "ConnectionError: connection refused",
    }


def test_calc_returns_the_contract_example_figures(client: TestClient) -> None:
    response = client.post("/api/v1/calc", json=TV12)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["id"] == "TV12"
    assert body["annual"] == {"base": 399800, "car_tax": 399800, "edu_tax": 119940}
    assert body["totals"] == {"refund": 250040, "interest": 930, "offset": 0, "payable": 250970}
    [refund] = body["refunds"]
    assert (refund["cause"], refund["refund_car_tax"], refund["refund_edu_tax"]) == ("R1", 192330, 57710)
    assert (refund["arose_on"], refund["interest_from"]) == ("2026-07-01", "2026-07-02")
    assert [option["window"] for option in body["prepay_options"]] == ["jan", "mar", "jun", "sep"]
    assert body["trace"]
    assert all(step["refs"] for step in body["trace"])


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_every_worked_case_passes_over_http(client: TestClient, case: dict[str, Any]) -> None:
    response = client.post("/api/v1/calc", json=case["request"])
    assert response.status_code == 200, response.text
    body = response.json()
    for key, expected in case["expected"].items():
        assert body[key] == expected, key


def test_calc_over_http_equals_the_library(client: TestClient, platform: Platform) -> None:
    request = _variant(id=7, decision_on=None, as_of=None, arrears=100_000)
    response = client.post("/api/v1/calc", json=request)
    assert response.json() == evaluate(request, platform.law, platform.today())
    assert response.json()["totals"]["offset"] == 100_000


@pytest.mark.parametrize(
    ("request_body", "code", "field"),
    [
        (_variant(district="1111"), "invalid_value", "district"),
        (_variant(tax_year="2026"), "invalid_type", "tax_year"),
        (_variant(colour="red"), "unknown_field", "colour"),
        ({k: v for k, v in TV12.items() if k != "payments"}, "missing_field", "payments"),
        (
            _variant(
                holding={"start": {"event": "held"}, "end": {"event": "transfer", "date": "2025-12-31"}}
            ),
            "inconsistent",
            "holding.end.date",
        ),
    ],
    ids=["district", "tax_year", "unknown", "payments", "end-date"],
)
def test_a_bad_request_gets_exactly_the_contract_error(
    client: TestClient, request_body: dict[str, Any], code: str, field: str
) -> None:
    response = client.post("/api/v1/calc", json=request_body)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"id", "error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert (body["id"], body["error"]["code"], body["error"]["field"]) == (request_body["id"], code, field)
    assert body["error"]["message"]


@pytest.mark.parametrize(
    "raw", [b"{not json", b"", "[" * 100_000, b"\xff\xfe"], ids=["broken", "empty", "deep", "bytes"]
)
def test_a_body_that_is_not_json_is_invalid_json(client: TestClient, raw: bytes | str) -> None:
    response = client.post("/api/v1/calc", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["id"] is None
    assert response.json()["error"]["code"] == "invalid_json"
    assert response.json()["error"]["field"] is None


def test_a_json_value_that_is_not_an_object_is_invalid_type(client: TestClient) -> None:
    response = client.post("/api/v1/calc", json=[TV12])
    assert response.status_code == 422
    assert response.json() == {
        "id": None,
        "error": {"code": "invalid_type", "message": "the request must be a JSON object", "field": None},
    }


def test_an_oversized_body_is_a_problem(client: TestClient) -> None:
    response = client.post("/api/v1/calc", content=b" " * (256 * 1024 + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "not_found"
    assert problem["type"] == "urn:cartax:problem:not_found"
    assert problem["status"] == 404
    assert problem["instance"] == "/api/v1/nothing-here"


def test_wrong_method_is_a_problem(client: TestClient) -> None:
    response = client.get("/api/v1/calc")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"


def test_a_crash_is_a_problem_that_reveals_nothing(platform: Platform) -> None:
    app = create_app(platform)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "secret" not in response.text
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/api/v1/health", "/calc", "/", "/no-such-page"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["cache-control"] == "no-store"


def test_static_files_may_be_cached(client: TestClient) -> None:
    response = client.get("/static/app/site.css")
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_openapi_describes_the_calculation(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/calc"]["post"]
    schemas = document["components"]["schemas"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CalcRequest"
    }
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CalcResponse"
    )
    assert operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/CalcError"
    )
    assert {"/api/v1/health", "/api/v1/ready"} <= set(document["paths"])
    for name in ("CalcRequest", "Vehicle", "Holding", "Payment", "Exemption", "CalcResponse", "CalcError"):
        assert name in schemas, name
    assert _unresolved_refs(document) == set()


def test_the_documented_request_mirrors_the_contract(client: TestClient) -> None:
    """The documentation models name exactly the fields the engine's contract accepts."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    documented = {
        "CalcRequest": contract.TOP,
        "Vehicle": contract.VEHICLE,
        "HoldingStart": contract.START,
        "HoldingEnd": contract.END,
        "Exemption": contract.EXEMPTION,
        "Payment": contract.PAYMENT,
    }
    for name, accepted in documented.items():
        assert set(schemas[name]["properties"]) == set(accepted), name
        assert schemas[name]["additionalProperties"] is False, name
    assert set(schemas["CalcRequest"]["properties"]) == set(TV12)
    assert set(schemas["CalcResponse"]["properties"]) == set(client.post("/api/v1/calc", json=TV12).json())
    codes = set(schemas["ContractError"]["properties"]["code"]["enum"])
    assert codes == {
        "invalid_json",
        "invalid_type",
        "invalid_value",
        "missing_field",
        "unknown_field",
        "inconsistent",
    }


def _unresolved_refs(document: dict[str, Any]) -> set[str]:
    text = json.dumps(document)
    refs = {part.split('"')[0] for part in text.split('"$ref": "')[1:]}
    names = {f"#/components/schemas/{name}" for name in document["components"]["schemas"]}
    return refs - names
