"""The web application, built from a platform: ``create_app(bootstrap(settings))``.

Nothing happens at import time; ``create_app`` reads no environment and connects to nothing beyond what
the platform already holds.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import jinja2
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from cartax import __version__
from cartax.bootstrap import Platform
from cartax.web.api import ReadinessCheck, api_router
from cartax.web.openapi import install_openapi
from cartax.web.pages import Pages, pages_router
from cartax.web.problems import install_problem_handlers
from cartax.web.security import SecurityHeadersMiddleware

log = logging.getLogger(__name__)
DESCRIPTION = (
    "cartax computes automobile tax (자동차세) and its refunds under Korean law. "
    "`POST /api/v1/calc` serves the calculation contract of `cartax calc`."
)


def create_app(platform: Platform, readiness: dict[str, ReadinessCheck] | None = None) -> FastAPI:
    """The HTTP API under ``/api/v1``, the pages, and the static files, for ``platform``."""
    app = FastAPI(
        title="cartax",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN, which the CSP rightly refuses
        redoc_url=None,
    )
    krds = _mount_static(app, platform)
    pages = Pages(platform, _templates(), krds)
    app.include_router(api_router(platform, readiness))
    app.include_router(pages_router(pages))
    install_problem_handlers(app, pages.error_page)
    install_openapi(app)
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.platform = platform
    return app


def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("cartax.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["compact_json"] = _compact_json
    return Jinja2Templates(env=environment)


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _mount_static(app: FastAPI, platform: Platform) -> bool:
    """Serve our own CSS/JS and, when installed, the KRDS design system; say whether KRDS is there."""
    app.mount("/static/app", StaticFiles(packages=[("cartax.web", "static")]), name="static-app")
    resources = platform.settings.krds_dir / "resources"
    if not (resources / "css" / "component" / "output.css").is_file():
        log.warning(
            "KRDS design system not found under %s; pages use plain styles. Run `make install` (npm ci).",
            platform.settings.krds_dir,
        )
        return False
    app.mount("/static/krds", StaticFiles(directory=resources), name="static-krds")
    return True
