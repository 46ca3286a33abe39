"""The citizen portal: the journey from "you are owed money" to "the money has arrived", server-rendered,
Korean first, styled with KRDS, usable without scripts, and a kiosk mode for the district office
(docs/portal.md).

``portal_router(portal_deps(platform, services, pages))`` mounts ``/`` (the portal home), ``/refunds/…``
(the refund explained, the account, check your answers, accept, confirmation, status with live updates,
the decision notice, the objection), ``/kiosk…`` and ``/feedback``.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from cartax.bootstrap import Platform, Services
from cartax.identity import SessionStatus
from cartax.web.pages import Pages
from cartax.web.portal.accounts import PayoutAccounts
from cartax.web.portal.deps import PortalDeps
from cartax.web.portal.journey import journey_router
from cartax.web.portal.kiosk import kiosk_router
from cartax.web.portal.live import live_router

__all__ = ["PortalDeps", "portal_deps", "portal_router"]


def portal_router(deps: PortalDeps) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.include_router(journey_router(deps))
    router.include_router(live_router(deps))
    router.include_router(kiosk_router(deps))
    return router


def portal_deps(platform: Platform, services: Services, pages: Pages) -> PortalDeps:
    """The portal on the platform's services."""

    def forget_session(request: Request) -> None:
        try:
            services.identity.current_principal(request)
        except HTTPException:
            return
        status: SessionStatus | None = getattr(request.state, "session", None)
        if status is not None:
            with services.identity_transaction() as repos:
                repos.sessions.remove(status.record.id_hash)

    return PortalDeps(
        platform=platform,
        pages=pages,
        reader=services.cases.reader,
        service=services.cases.service,
        lists=services.case_lists,
        current_principal=services.identity.current_principal,
        forget_session=forget_session,
        case_request=services.case_request,
        voc=services.voc,
        notice_pdf=lambda kind, case_key: services.notices.render(kind, case_key).pdf,
        accounts=PayoutAccounts(
            services.payout.service, services.owners.get, services.cases.service.objection_window
        ),
    )
