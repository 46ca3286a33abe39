"""The OpenAPI document, with the calculation request described although the route reads a raw body.

The route reads the raw body so that validation stays the rules engine's (contracts.md §1 error codes);
FastAPI therefore cannot see the request model, and this module adds its schema to the components.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from cartax.web.schemas import CalcRequest

REF_TEMPLATE = "#/components/schemas/{model}"


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            request_schema = CalcRequest.model_json_schema(ref_template=REF_TEMPLATE)
            schemas.update(request_schema.pop("$defs", {}))
            schemas["CalcRequest"] = request_schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise it
