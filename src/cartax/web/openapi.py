"""The OpenAPI document: the calculation request described although its route reads a raw body, the
sign-in schemes, and every error documented as a problem.

The calculation route reads the raw body so that validation stays the rules engine's (contracts.md §1
error codes); FastAPI therefore cannot see the request model, and this module adds its schema to the
components. Every other error of the API is an ``application/problem+json`` body
(:mod:`cartax.web.problems`), so each operation documents its 422 and a ``default`` answer as problems.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from cartax.web.problems import PROBLEM_JSON
from cartax.web.schemas import CalcRequest, Problem

REF_TEMPLATE = "#/components/schemas/{model}"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token `cxt_<id>_<secret>` issued to a system for one role in one district.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "__Host-cartax-session",
        "description": "The session of a signed-in citizen or officer; state-changing calls also send the "
        "page's CSRF token in `X-CSRF-Token`.",
    },
}
SIGNED_IN_ERRORS = {
    "401": "Nobody is signed in, or the session or token has ended.",
    "403": "Signed in, but not allowed (role, CSRF token, or the wrong kind of account).",
    "404": "No such object, or not one the caller may see (the two are not told apart).",
}
COMMAND_ERRORS = {
    "400": "The Idempotency-Key header is missing (`idempotency_key_required`).",
    "409": "Conflicts with the case's state or an earlier request (`transition_not_allowed`, "
    "`idempotency_key_reused`, `command_in_flight`, `case_busy`); see docs/api.md.",
}


REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same key.",
        "required": True,
        "schema": {"type": "string", "enum": ["true", "false"]},
    }
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = document.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            request_schema = CalcRequest.model_json_schema(ref_template=REF_TEMPLATE)
            schemas.update(request_schema.pop("$defs", {}))
            schemas["CalcRequest"] = request_schema
            schemas["Problem"] = Problem.model_json_schema(ref_template=REF_TEMPLATE)
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            components["securitySchemes"] = SECURITY_SCHEMES
            for operation in _operations(document):
                _document_problems(operation)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise it


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for item in document.get("paths", {}).values() for operation in item.values()]


def _document_problems(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    validation = responses.get("422", {})
    if "HTTPValidationError" in str(validation):
        responses["422"] = _problem(
            "The request breaks the documented parameters or body (`invalid_request`)."
        )
    if "security" in operation:
        for status, description in SIGNED_IN_ERRORS.items():
            responses.setdefault(status, _problem(description))
    if "Idempotency-Key" in str(operation.get("parameters", [])):
        responses.get("200", {}).setdefault("headers", REPLAYED_HEADER)
        for status, description in COMMAND_ERRORS.items():
            responses.setdefault(status, _problem(description))
        responses.setdefault("422", _problem("A parameter, the body or the key is not valid."))
    responses.setdefault("429", _problem("Too many requests; wait for Retry-After seconds."))
    responses.setdefault("default", _problem("Any other error, as a problem with a stable `code`."))
