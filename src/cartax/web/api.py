"""The HTTP API, version 1: liveness, readiness, metrics and the calculation contract (contracts.md §1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from cartax import __version__
from cartax.bootstrap import Platform
from cartax.infra import current_revision, head_revision
from cartax.rules import RequestError, evaluate
from cartax.web import schemas
from cartax.web.metrics import HttpMetrics
from cartax.web.problems import PROBLEM_JSON, ProblemError

MAX_BODY_BYTES = 256 * 1024
"""A calculation request is a few hundred bytes; anything this large is a mistake or an attack."""
CALC_REQUEST_REF = {"$ref": "#/components/schemas/CalcRequest"}
ReadinessCheck = Callable[[Platform], tuple[bool, str]]


def rules_loaded(platform: Platform) -> tuple[bool, str]:
    """The rule set is loaded and resolves for the last year it covers."""
    rule_set = platform.law.rule_set
    platform.law.year(rule_set.last_year, "11110")
    return True, f"rule set {platform.law.version} covers {rule_set.first_year}–{rule_set.last_year}"


READINESS_CHECKS: dict[str, ReadinessCheck] = {"rules": rules_loaded}


def database_ready(url: str) -> ReadinessCheck:
    """The database answers and is migrated to the head this code expects."""

    def check(_: Platform) -> tuple[bool, str]:
        current, head = current_revision(url), head_revision()
        if current != head:
            return (
                False,
                f"database at migration {current or 'none'}, expected {head}; run `cartax db upgrade`",
            )
        return True, f"database answers, at migration {current}"

    return check


def _problem_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": schemas.Problem.model_json_schema()}},
    }


def api_router(
    platform: Platform, readiness: dict[str, ReadinessCheck], metrics: HttpMetrics | None = None
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["api"])

    @router.get("/health", response_model=schemas.Health, summary="Liveness: the process answers")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @router.get(
        "/ready",
        response_model=schemas.Readiness,
        summary="Readiness: the rules are loaded and the database answers, migrated",
        responses={503: {"model": schemas.Readiness, "description": "A dependency is not ready."}},
    )
    def ready() -> JSONResponse:
        results = {name: _run_check(check, platform) for name, check in readiness.items()}
        ok = all(result["ok"] for result in results.values())
        body = {"status": "ready" if ok else "not_ready", "checks": results}
        return JSONResponse(body, status_code=200 if ok else 503)

    if metrics is not None:
        _metrics_route(router, metrics)

    @router.post(
        "/calc",
        summary="Compute a vehicle's tax and refunds (the `cartax calc` contract)",
        description=(
            "The body is one request of the calculation contract; the answer is its response, exactly as "
            "one line of `cartax calc`. A request that breaks the contract gets 422 with the contract's "
            "error object `{id, error: {code, message, field}}`."
        ),
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": CALC_REQUEST_REF}}}
        },
        responses={
            200: {"model": schemas.CalcResponse, "description": "The computation, with its trace."},
            422: {"model": schemas.CalcError, "description": "The request breaks the contract."},
            413: _problem_doc("The body is larger than 256 KiB."),
        },
    )
    async def calc(request: Request) -> JSONResponse:
        response = evaluate_body(await _read_body(request), platform)
        return JSONResponse(response, status_code=422 if "error" in response else 200)

    return router


def _metrics_route(router: APIRouter, metrics: HttpMetrics) -> None:
    @router.get(
        "/metrics",
        summary="Prometheus metrics: requests and latency by route template",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=metrics.content_type)


def evaluate_body(body: bytes, platform: Platform) -> dict[str, Any]:
    """One HTTP body to one contract response (result or error object)."""
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "it cannot be read as JSON"
        error = RequestError(
            "invalid_json", None, f"the body is not valid JSON ({reason}); send one JSON object"
        )
        return {"id": None, "error": error.as_dict()}
    return evaluate(raw, platform.law, platform.today())


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ProblemError:
    return ProblemError(
        413, "payload_too_large", "the body is larger than 256 KiB; send one request of the contract"
    )


def _run_check(check: ReadinessCheck, platform: Platform) -> dict[str, Any]:
    try:
        ok, detail = check(platform)
    except Exception as exc:  # any failure means "not ready", reported with its type
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    return {"ok": ok, "detail": detail}
