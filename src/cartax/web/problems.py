"""Errors outside the calculation contract, as RFC 9457 ``application/problem+json`` with stable codes.

Every problem carries ``type`` (``urn:cartax:problem:<code>``), ``title``, ``status``, ``detail`` and
``code``; clients branch on ``code``, never on the wording. A browser asking for HTML on a page path gets
a page instead (see :mod:`cartax.web.pages`).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from cartax.audit import AuditError
from cartax.cases import (
    CaseConflictError,
    CaseForbiddenError,
    CaseNotFoundError,
    CasesError,
    InvalidCaseCommandError,
)
from cartax.identity import (
    AccountError,
    AccountLockedError,
    IdentityError,
    InvalidCredentialsError,
    InvalidTokenError,
    OidcError,
    SessionExpiredError,
)
from cartax.web.security import apply_security_headers

PROBLEM_JSON = "application/problem+json"
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "not_ready",
}
DETAILS = {
    404: "There is nothing at this address; the API is described at /openapi.json.",
    405: "This address does not accept that method; the allowed methods are in the Allow header.",
    500: "The server failed to answer; nothing was changed. Try again later, and report it if it persists.",
}
HtmlRenderer = Callable[[Request, int], Response | None]
# The cases context's families (cartax.cases.errors) and how HTTP says them; the error's own ``code``
# (e.g. ``same_officer``, ``idempotency_key_reused``) is the problem's code.
CASES_STATUS: tuple[tuple[type[CasesError], int], ...] = (
    (CaseNotFoundError, 404),
    (CaseForbiddenError, 403),
    (CaseConflictError, 409),
    (InvalidCaseCommandError, 422),
)
# The identity context's errors that reach the web layer outside its own routes.
IDENTITY_STATUS: tuple[tuple[type[IdentityError], int, str], ...] = (
    (AccountLockedError, 401, "account_locked"),
    (InvalidCredentialsError, 401, "unauthorized"),
    (SessionExpiredError, 401, "unauthorized"),
    (InvalidTokenError, 401, "unauthorized"),
    (OidcError, 401, "sign_in_failed"),
    (AccountError, 422, "invalid_account_change"),
)
AUDIT_FAILED = (
    "the access could not be recorded in the audit trail, so nothing was shown or changed; "
    "try again, and report it if it persists"
)
RETRY_AFTER_SECONDS = "1"
# Request validation errors on these headers have their own codes, so clients can tell them apart.
HEADER_CODES = {"idempotency-key": ("idempotency_key_required", "invalid_key")}


class ProblemError(Exception):
    """Raised by a route to answer with a problem: ``code`` is stable, ``detail`` says what to do."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def problem_response(
    request: Request, status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {
        "type": f"urn:cartax:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    response = JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)
    # Errors raised outside the middleware stack (500s) must carry the same headers as the rest.
    apply_security_headers(response.headers, request.url.path)
    return response


def language(request: Request) -> str:
    """English for a client that asks for it first, Korean otherwise.

    Problems are read by people through the screens, so the details follow the reader's language.
    """
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "ko"


def install_problem_handlers(app: FastAPI, html: HtmlRenderer | None = None) -> None:
    """Map every error to a problem (or, for a browser on a page path, to a page from ``html``)."""

    @app.exception_handler(ProblemError)
    async def on_problem(request: Request, exc: ProblemError) -> Response:
        return problem_response(request, exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        page = html(request, exc.status_code) if html else None
        if page is not None:
            return page
        detail = DETAILS.get(exc.status_code) or str(exc.detail)
        code = CODES.get(exc.status_code, "http_error")
        return problem_response(request, exc.status_code, code, detail, dict(exc.headers or {}))

    @app.exception_handler(CasesError)
    async def on_cases(request: Request, exc: CasesError) -> Response:
        status = next((code for family, code in CASES_STATUS if isinstance(exc, family)), 422)
        headers = {"Retry-After": RETRY_AFTER_SECONDS} if exc.retryable else None
        return problem_response(request, status, exc.code, exc.render(language(request)), headers)

    @app.exception_handler(IdentityError)
    async def on_identity(request: Request, exc: IdentityError) -> Response:
        status, code = next(
            ((status, code) for family, status, code in IDENTITY_STATUS if isinstance(exc, family)),
            (403, "forbidden"),
        )
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem_response(request, status, code, str(exc), headers)

    @app.exception_handler(AuditError)
    async def on_audit(request: Request, _exc: AuditError) -> Response:
        return problem_response(request, 500, "audit_failed", AUDIT_FAILED)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = tuple(str(part) for part in first.get("loc", ()))
        where = ".".join(loc)
        detail = f"{where}: {first.get('msg', 'invalid')}" if where else "the request is not valid"
        if len(loc) == 2 and loc[0] == "header" and loc[1].lower() in HEADER_CODES:
            missing, invalid = HEADER_CODES[loc[1].lower()]
            code = missing if first.get("type") == "missing" else invalid
            status = 400 if code == missing else 422
            return problem_response(request, status, code, f"{detail} (1–128 of A–Z a–z 0–9 . _ : -)")
        return problem_response(request, 422, "invalid_request", detail)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, _exc: Exception) -> Response:
        page = html(request, 500) if html else None
        return page or problem_response(request, 500, "internal_error", DETAILS[500])
