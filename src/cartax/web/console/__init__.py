"""The officers' console under ``/console``: sign-in with two factors, the district's work queues,
search, the case page with its decisions, bulk approval, exports (docs/console.md).

Every page asks the identity context who is signed in and what they may do in which district; every
rule of a case (states, maker-checker, idempotency) is the cases context's. These pages ask and show.
"""

from __future__ import annotations

from fastapi import APIRouter

from cartax.bootstrap import Platform, Services
from cartax.web.access_log import AccessLog
from cartax.web.console.bulk import bulk_routes
from cartax.web.console.case_page import case_routes
from cartax.web.console.deps import ConsoleDeps
from cartax.web.console.exports import export_routes
from cartax.web.console.printing import printing_routes
from cartax.web.console.queues import queues_routes
from cartax.web.console.signin import sign_in_routes
from cartax.web.pages import Pages

__all__ = ["ConsoleDeps", "console_router"]


def console_router(platform: Platform, services: Services, pages: Pages) -> APIRouter:
    deps = ConsoleDeps(platform, services, pages, AccessLog(services.audit, platform.clock))
    router = APIRouter(include_in_schema=False)
    sign_in_routes(router, deps)
    queues_routes(router, deps)
    bulk_routes(router, deps)
    export_routes(router, deps)
    printing_routes(router, deps)
    case_routes(router, deps)
    return router
