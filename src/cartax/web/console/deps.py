"""What every console page needs: who is signed in, which district they work, the console's wording,
the access records, and one way to render a page.

Pages under ``/console`` answer an officer who is not signed in with the sign-in page (a redirect, never
an error), and an officer asking for a district they hold no role in with the same 404 as for a district
that does not exist (docs/security.md, "the access policy").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from cartax.audit import AccessAction, AccessEntry
from cartax.bootstrap import Platform, Services
from cartax.cases.errors import catalogue as cases_catalogue
from cartax.cases.errors import state_label
from cartax.cases.handlers import KST
from cartax.core.i18n import Catalogue, load_catalogue
from cartax.core.masking import MaskingError, mask_name
from cartax.identity import Access, OfficerPrincipal, Permission, district_access
from cartax.web.access_log import AccessLog
from cartax.web.i18n import Translator
from cartax.web.pages import Pages

SIGN_IN_PATH = "/console/login"
HOME_PATH = "/console"


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return load_catalogue("cartax.web.console")


@dataclass(frozen=True, slots=True)
class ConsoleText:
    """``t("key")`` from the console's catalogue, falling back to the site's; figures as the site writes them.

    >>> t = ConsoleText("ko")
    >>> t("queue.needs_review"), t("service.name"), t.won(250040), t.state("accepted")
    ('검토 필요', '자동차세 환급', '250,040원', '환급 신청됨')
    """

    lang: str

    def __call__(self, key: str, **params: Any) -> str:
        if key in catalogue():
            return catalogue().render(key, self.lang, **params)
        return self.site(key, **params)

    @property
    def site(self) -> Translator:
        return Translator(self.lang)

    def term(self, key: str, **params: Any) -> str:
        return self.site.term(key, **params)

    def won(self, amount: int) -> str:
        return self.site.won(amount)

    def date(self, day: str | date | None) -> str:
        return self.site.date(day)

    def moment(self, at: datetime) -> str:
        """A time as people in Korea read it (KST), with the date."""
        local = at.astimezone(KST)
        return f"{self.site.date(local.date())} {local:%H:%M}"

    def state(self, state: str) -> str:
        return state_label(state, self.lang)

    def case_term(self, key: str) -> str:
        """A word of the cases context's catalogue (a route of the straight-through policy)."""
        return cases_catalogue().render(key, self.lang) if key in cases_catalogue() else key

    def policy_reason(self, code: str) -> str:
        """Why the policy sent a claim to officers, in words (``cause_R5_reviewed``, ``risk_…`` included)."""
        if code.startswith("cause_") and code.endswith("_reviewed"):
            return self("policy_reason.cause_reviewed", cause=self.term(f"cause.{code[6:-9]}"))
        key = f"policy_reason.{code}"
        return self(key) if key in catalogue() else code

    def has(self, key: str) -> bool:
        return key in catalogue()

    @property
    def other(self) -> str:
        return self.site.other


def masked_name(name: str | None) -> str:
    """A name as lists show it (``홍*동``); a name of an unexpected shape is hidden whole."""
    if not name:
        return "—"
    try:
        return mask_name(name)
    except MaskingError:
        return "*" * len(name)


@dataclass(frozen=True)
class ConsoleDeps:
    platform: Platform
    services: Services
    pages: Pages
    access: AccessLog

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.platform.clock

    def officer(self, request: Request) -> OfficerPrincipal | None:
        """The officer signed in by the session cookie, or None (anyone else is sent to sign in)."""
        try:
            principal = self.services.identity.current_principal(request)
        except HTTPException:
            return None
        return principal if isinstance(principal, OfficerPrincipal) else None

    def language(self, request: Request, submitted: str | None = None) -> str:
        return self.pages.language(request, submitted)

    def text(self, request: Request) -> ConsoleText:
        return ConsoleText(self.language(request))

    def render(
        self,
        request: Request,
        name: str,
        status: int = 200,
        officer: OfficerPrincipal | None = None,
        **kw: Any,
    ) -> Response:
        lang = self.language(request)
        session = getattr(request.state, "session", None)
        return self.pages.render(
            request,
            f"console/{name}",
            lang,
            status,
            t=ConsoleText(lang),
            officer=officer,
            session=session,
            **kw,
        )

    def not_found(self, request: Request) -> Response:
        page = self.pages.error_page(request, 404)
        if page is None:
            raise HTTPException(404)
        return page

    def record(
        self,
        request: Request,
        officer: OfficerPrincipal,
        district: str,
        action: AccessAction,
        subject: str,
        person: str,
        reason: str = "",
    ) -> None:
        """An access record, before anything is shown or done (no record, nothing shown or done)."""
        role = officer.primary_role_in(district)
        self.access.record(
            AccessEntry(
                actor=officer.officer_id,
                actor_role=str(role) if role else "none",
                at=self.clock(),
                source=request.client.host if request.client else "unknown",
                action=action,
                subject=subject,
                person_ref=person,
                reason=reason,
            )
        )


def sign_in_redirect() -> Response:
    return RedirectResponse(SIGN_IN_PATH, status_code=303)


def chosen_district(officer: OfficerPrincipal, asked: str | None) -> str | None:
    """The district a page shows: the one asked for if the officer holds a role there, else None (404);
    without asking, the first of theirs (None when they hold none)."""
    if asked:
        return asked if district_access(officer, Permission.VIEW_CASE, asked) is Access.ALLOW else None
    held = sorted(officer.districts())
    return held[0] if held else None


def may(officer: OfficerPrincipal, permission: Permission, district: str) -> bool:
    return district_access(officer, permission, district) is Access.ALLOW
