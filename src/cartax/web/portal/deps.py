"""What the portal's pages need, and the small helpers every page uses (who is signed in, kiosk mode,
rendering in the reader's language)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import HTTPException, Request
from fastapi.responses import Response

from cartax.bootstrap import Platform
from cartax.cases import CaseReader, CaseService, CaseState, CaseStatus
from cartax.identity import CitizenPrincipal, Principal, SessionStatus
from cartax.voc import FeedbackStore
from cartax.web.pages import Pages
from cartax.web.portal.accounts import Accounts
from cartax.web.portal.text import PortalText

KIOSK_COOKIE = "__Host-cartax-kiosk"
NEXT_COOKIE = "__Host-cartax-next"
COOKIE_PREFIX = "__Host-cartax-"
KIOSK_IDLE_SECONDS = 300
"""A kiosk screen left alone this long goes back to the start and forgets everything."""
KIOSK_WARN_SECONDS = 120
"""How long before that the screen asks whether the person is still there (KWCAG 2.2.1: ≥ 2 minutes)."""


class CaseLine(Protocol):
    @property
    def case_key(self) -> str: ...
    @property
    def tax_year(self) -> int: ...
    @property
    def state(self) -> CaseState: ...
    @property
    def payable(self) -> int: ...


class OwnerCases(Protocol):
    def of_owner(self, owner_id: str, limit: int) -> Sequence[CaseLine]: ...


NoticePdf = Callable[[str, str], bytes]
"""(document kind, case key) → the PDF of the notice (the notices context's public render function)."""


@dataclass(frozen=True)
class PortalDeps:
    platform: Platform
    pages: Pages
    reader: CaseReader
    service: CaseService
    lists: OwnerCases
    current_principal: Callable[[Request], Principal]
    forget_session: Callable[[Request], None]
    """End the request's session on the server (kiosk exit)."""
    case_request: Callable[[str], dict[str, Any] | None]
    voc: FeedbackStore
    accounts: Accounts
    notice_pdf: NoticePdf | None = None
    status_poll_seconds: float = 1.0
    status_stream_seconds: float = 300.0

    def citizen(self, request: Request) -> CitizenPrincipal | None:
        """The signed-in citizen, or None (nobody, an expired session, or an officer)."""
        try:
            principal = self.current_principal(request)
        except HTTPException:
            return None
        return principal if isinstance(principal, CitizenPrincipal) else None

    def language(self, request: Request, submitted: str | None = None) -> str:
        return self.pages.language(request, submitted)

    def render(
        self, request: Request, name: str, status: int = 200, *, lang: str | None = None, **context: Any
    ) -> Response:
        lang = lang or self.language(request)
        kiosk = is_kiosk(request)
        session = getattr(request.state, "session", None)
        warn_in = None
        if isinstance(session, SessionStatus):  # counted here: the screen's clock may differ from ours
            warn_in = max(int((session.warn_at - self.platform.clock()).total_seconds()), 0)
        context = {
            "t": PortalText(lang),
            "kiosk": kiosk,
            "kiosk_idle": KIOSK_IDLE_SECONDS,
            "kiosk_warn": KIOSK_WARN_SECONDS,
            "session_warn_in": warn_in,
            "signed_in": context.pop("signed_in", False),
            "problems": (),
            "errors": {},
            "form": {},
            **context,
        }
        return self.pages.render(request, name, lang, status, **context)


def is_kiosk(request: Request) -> bool:
    return request.cookies.get(KIOSK_COOKIE) == "1"


def visible(deps: PortalDeps, citizen: CitizenPrincipal, case_key: str) -> CaseStatus:
    """The citizen's own case; anybody else's, or one that does not exist, is the same 404."""
    status = deps.reader.status(case_key)
    if status is None or status.owner_id != citizen.owner_id:
        raise HTTPException(404)
    return status


def set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, secure=True, httponly=True, samesite="lax", path="/")


def delete_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, secure=True, httponly=True, samesite="lax", path="/")
