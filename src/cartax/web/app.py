"""The web application, built from a platform: ``create_app(bootstrap(settings))``.

Nothing happens at import time; ``create_app`` reads no environment. It opens the platform's database
through :func:`cartax.bootstrap.connect` (unless given ``services``), mounts sign-in, the API and the
pages, and in the embedded mode relays the outbox to the in-process consumers while it serves.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import jinja2
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from cartax import __version__
from cartax.bootstrap import DEMO_ISSUER_PATH, Platform, Services, connect
from cartax.web.access_log import AccessLog
from cartax.web.api import READINESS_CHECKS, ReadinessCheck, api_router, database_ready
from cartax.web.auth import Auth
from cartax.web.cases_api import CaseDeps, cases_router, seen_by
from cartax.web.console import console_router
from cartax.web.console.dashboard import processing_router
from cartax.web.csrf import CsrfMiddleware
from cartax.web.metrics import HttpMetrics, MetricsMiddleware
from cartax.web.notice_pages import notice_pages_router
from cartax.web.notify_pages import notify_router
from cartax.web.openapi import install_openapi
from cartax.web.owner_api import owner_router
from cartax.web.pages import Pages, pages_router
from cartax.web.portal import portal_deps, portal_router
from cartax.web.problems import install_problem_handlers
from cartax.web.ratelimit import RateLimitMiddleware, RateLimits, TokenBuckets
from cartax.web.security import SecurityHeadersMiddleware

log = logging.getLogger(__name__)
DESCRIPTION = (
    "cartax pays automobile-tax (자동차세) refunds under Korean law. Citizens follow and answer their "
    "own refund cases, officers work their districts' cases, and `POST /api/v1/calc` serves the "
    "calculation contract of `cartax calc`. Errors are `application/problem+json` with a stable `code`; "
    "commands take an `Idempotency-Key`. See docs/api.md."
)
RELAY_STOP_SECONDS = 10


def create_app(
    platform: Platform,
    readiness: dict[str, ReadinessCheck] | None = None,
    *,
    services: Services | None = None,
    rate_limits: RateLimits | None = None,
    rate_clock: Callable[[], float] | None = None,
    relay_in_background: bool = True,
) -> FastAPI:
    """The HTTP API under ``/api/v1``, sign-in, the pages and the static files, for ``platform``.

    ``services`` given by the caller stay the caller's to close; otherwise the app opens and closes them.
    """
    owned = services is None
    services = services or connect(platform)
    metrics = HttpMetrics()
    app = FastAPI(
        title="cartax",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN, which the CSP rightly refuses
        redoc_url=None,
        lifespan=_lifespan(services, owned, relay_in_background),
    )
    krds = _mount_static(app, platform)
    pages = Pages(platform, _templates(), krds)
    checks = readiness if readiness is not None else _default_checks(services)
    auth = Auth(services.identity.current_principal)
    deps = CaseDeps(
        services.cases.reader,
        services.cases.service,
        services.case_lists,
        services.detection_runs,
        AccessLog(services.audit, platform.clock),
    )
    app.include_router(api_router(platform, checks, metrics))
    app.include_router(cases_router(deps, auth))
    app.include_router(notice_pages_router(services, pages))
    app.include_router(owner_router(services.owners.get, deps.access, seen_by(deps.reader, auth)))
    app.include_router(services.identity.router())
    if services.demo_provider is not None:
        app.include_router(services.demo_provider.router())
    app.include_router(console_router(platform, services, pages))
    app.include_router(processing_router(platform, services, pages))
    app.include_router(portal_router(portal_deps(platform, services, pages)))
    app.include_router(notify_router(pages, services))
    app.include_router(pages_router(pages))
    install_problem_handlers(app, pages.error_page)
    install_openapi(app)
    _add_middleware(app, metrics, rate_limits or RateLimits(), rate_clock)
    app.state.platform = platform
    app.state.services = services
    return app


def _default_checks(services: Services) -> dict[str, ReadinessCheck]:
    url = services.engine.url.render_as_string(hide_password=False)
    return {**READINESS_CHECKS, "database": database_ready(url)}


def _add_middleware(
    app: FastAPI, metrics: HttpMetrics, limits: RateLimits, clock: Callable[[], float] | None
) -> None:
    # Added innermost first: security headers wrap everything, metrics see every answer (429s too).
    app.add_middleware(CsrfMiddleware, exempt=("/api/", "/static/", DEMO_ISSUER_PATH + "/"))
    buckets = TokenBuckets(limits, clock) if clock else TokenBuckets(limits)
    app.add_middleware(RateLimitMiddleware, buckets=buckets)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeadersMiddleware)


def _lifespan(services: Services, owned: bool, relay_in_background: bool) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        worker = None
        if services.relay is not None and relay_in_background:
            # Detected refunds become cases, and later events reach their consumers, while we serve.
            worker = threading.Thread(
                target=services.relay.run, args=(stop,), name="outbox-relay", daemon=True
            )
            worker.start()
            payer = threading.Thread(target=services.payout.run, args=(stop,), name="payout", daemon=True)
            services.payout.threads.append(payer)
            payer.start()
        dispatcher = None
        if services.relay is not None and relay_in_background:
            # Messages the consumers queue go out (with the fakes, into the demo inbox) while we serve.
            dispatcher = threading.Thread(
                target=services.notify.run, args=(stop,), name="notify-dispatch", daemon=True
            )
            dispatcher.start()
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(RELAY_STOP_SECONDS)
            for thread in services.payout.threads:
                thread.join(RELAY_STOP_SECONDS)
            if dispatcher is not None:
                dispatcher.join(RELAY_STOP_SECONDS)
            if owned:
                services.close()

    return lifespan


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
    charts = platform.settings.krds_dir.parent / "chart.js" / "dist"
    if (charts / "chart.umd.min.js").is_file():  # the dashboards' charts; their tables stand without it
        app.mount("/static/chartjs", StaticFiles(directory=charts), name="static-chartjs")
    resources = platform.settings.krds_dir / "resources"
    if not (resources / "css" / "component" / "output.css").is_file():
        log.warning(
            "KRDS design system not found under %s; pages use plain styles. Run `make install` (npm ci).",
            platform.settings.krds_dir,
        )
        return False
    app.mount("/static/krds", StaticFiles(directory=resources), name="static-krds")
    return True
