"""Who calls the API, and whether they may see or act on a case: the identity context decides, this
module asks it and answers in HTTP.

A caller is signed in by an API token (``Authorization: Bearer cxt_…``) or by the session cookie. A
state-changing call signed in by the cookie must also send the CSRF token in ``X-CSRF-Token``
(:mod:`cartax.web.csrf`): a browser sends cookies with a forged request, but no other site can read or
set that header's value. Asking for a case that is not the caller's to see gets the same 404 as a case
that does not exist, so nobody learns which cases exist (docs/security.md, "the access policy").
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from cartax.cases import CaseNotFoundError, CaseReader, CaseStatus, case_status
from cartax.identity import (
    Access,
    CitizenPrincipal,
    OfficerPrincipal,
    Permission,
    Principal,
    case_access,
    district_access,
)
from cartax.web.csrf import CSRF_COOKIE, CSRF_HEADER, SAFE_METHODS, tokens_match
from cartax.web.problems import ProblemError

CurrentPrincipal = Callable[[Request], Principal]
BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
"""The OpenAPI ``security`` of every signed-in operation (schemes in :mod:`cartax.web.openapi`)."""


def _signed_in_by_token(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


class Auth:
    """FastAPI dependencies: ``Depends(auth.principal)``, ``auth.citizen``, ``auth.officer``."""

    def __init__(self, current_principal: CurrentPrincipal) -> None:
        self._current = current_principal

    def principal(self, request: Request) -> Principal:
        principal = self._current(request)
        if request.method not in SAFE_METHODS and not _signed_in_by_token(request):
            sent = request.headers.get(CSRF_HEADER)
            if not tokens_match(request.cookies.get(CSRF_COOKIE), sent):
                raise ProblemError(
                    403,
                    "csrf_failed",
                    "a call signed in by the session cookie must send the page's CSRF token in the "
                    "X-CSRF-Token header; reload the page and try again",
                )
        return principal

    def citizen(self, request: Request) -> CitizenPrincipal:
        principal = self.principal(request)
        if not isinstance(principal, CitizenPrincipal):
            raise ProblemError(403, "citizen_required", "only a citizen signed in with 본인인증 can do this")
        return principal

    def officer(self, request: Request) -> OfficerPrincipal:
        principal = self.principal(request)
        if not isinstance(principal, OfficerPrincipal):
            raise ProblemError(403, "officer_required", "only an officer can do this")
        return principal


def visible_case(reader: CaseReader, principal: Principal, case_key: str) -> CaseStatus:
    """The case, if ``principal`` may see it; otherwise the same 404 as for a case that does not exist."""
    status = case_status(reader, case_key)
    if case_access(principal, Permission.VIEW_CASE, status.district, status.owner_id) is not Access.ALLOW:
        raise CaseNotFoundError(case_key)
    return status


def require(principal: Principal, permission: Permission, status: CaseStatus) -> None:
    """403 when a principal who may see the case lacks ``permission`` on it."""
    if case_access(principal, permission, status.district, status.owner_id) is not Access.ALLOW:
        raise ProblemError(
            403, "forbidden", f"your role in district {status.district} does not allow this ({permission})"
        )


def require_district(principal: OfficerPrincipal, district: str) -> None:
    """404 for a district the officer holds no role in (its cases are not theirs to know of)."""
    if district_access(principal, Permission.VIEW_CASE, district) is not Access.ALLOW:
        raise ProblemError(
            404, "district_not_found", f"you hold no role in district {district}; ask an administrator"
        )
