"""FastAPI pieces for the web layer to mount: sign-in routes and the ``current_principal`` dependency.

The web layer owns pages, CSRF tokens and problem+json; this module owns what identity decides: who is
signed in, with which session, and how sign-in happens. ``repos`` is a factory of transactions (the web
layer's unit of work) that commits when its block ends without an exception.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from cartax.identity.adapters.oidc import OidcClient, PendingLogin, VerifiedIdentity
from cartax.identity.errors import IdentityError, InvalidTokenError, SessionExpiredError
from cartax.identity.model import CitizenPrincipal, Officer, Principal
from cartax.identity.ports import IdentityRepositories, SessionKind
from cartax.identity.principals import principal_for_session
from cartax.identity.sessions import (
    SessionLimits,
    SessionStatus,
    continue_session,
    end_session,
    hash_session_id,
)
from cartax.identity.sessions import start_session as open_session
from cartax.identity.signin import Credentials, SignInDeps, attempt_sign_in
from cartax.identity.tokens import authenticate_token

SESSION_COOKIE = "__Host-cartax-session"
PENDING_COOKIE = "__Host-cartax-oidc"
Transactions = Callable[[], AbstractContextManager[IdentityRepositories]]


@dataclass(frozen=True)
class WebIdentityConfig:
    session_secret: str
    officer_limits: SessionLimits
    citizen_limits: SessionLimits
    sign_in: SignInDeps
    citizen_home: str = "/"
    officer_home: str = "/console"


class PendingCookie:
    """The pending OpenID sign-in, sealed with AES-GCM under a key derived from the session secret, so the
    browser carries it without being able to read or change it."""

    def __init__(self, session_secret: str) -> None:
        self._aead = AESGCM(hashlib.sha256(b"cartax oidc pending v1" + session_secret.encode()).digest())

    def seal(self, pending: PendingLogin) -> str:
        body = json.dumps(
            [pending.state, pending.nonce, pending.code_verifier, pending.created_at.isoformat()]
        )
        nonce = secrets.token_bytes(12)
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, body.encode(), None)).decode()

    def open(self, value: str) -> PendingLogin:
        try:
            raw = base64.urlsafe_b64decode(value.encode())
            state, nonce, verifier, created = json.loads(self._aead.decrypt(raw[:12], raw[12:], None))
            return PendingLogin(state, nonce, verifier, datetime.fromisoformat(created))
        except (InvalidTag, ValueError, TypeError) as error:
            raise SessionExpiredError from error


class IdentityWeb:
    def __init__(
        self,
        config: WebIdentityConfig,
        *,
        repos: Transactions,
        clock: Callable[[], datetime],
        oidc: OidcClient | None = None,
        owner_for: Callable[[VerifiedIdentity], str | None] = lambda identity: identity.subject,
    ) -> None:
        """``owner_for`` maps a verified citizen to their owner id (``None``: not known here)."""
        self.config = config
        self.repos = repos
        self.clock = clock
        self.oidc = oidc
        self.owner_for = owner_for
        self.pending = PendingCookie(config.session_secret)

    # -- the dependency ---------------------------------------------------------------------------

    def current_principal(self, request: Request) -> Principal:
        """Who the request acts for; 401 when nobody is signed in. Sets ``request.state.session``."""
        authorization = request.headers.get("authorization", "")
        try:
            with self.repos() as repos:
                if authorization.lower().startswith("bearer "):
                    return authenticate_token(repos.tokens, authorization[7:].strip(), self.clock())
                status = self._resume(repos, request.cookies.get(SESSION_COOKIE, ""))
                request.state.session = status
                return principal_for_session(repos, status)
        except (SessionExpiredError, InvalidTokenError) as error:
            raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None

    def _resume(self, repos: IdentityRepositories, session_id: str) -> SessionStatus:
        record = repos.sessions.get(hash_session_id(session_id)) if session_id else None
        if record is None:
            raise SessionExpiredError
        limits = (
            self.config.officer_limits if record.kind is SessionKind.OFFICER else self.config.citizen_limits
        )
        return continue_session(repos.sessions, limits, record, self.clock())

    # -- routes -----------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(tags=["sign-in"])
        router.add_api_route("/login/citizen", self._citizen_begin, methods=["GET"], include_in_schema=False)
        router.add_api_route(
            "/login/callback", self._citizen_callback, methods=["GET"], include_in_schema=False
        )
        router.add_api_route(
            "/login/officer", self._officer_sign_in, methods=["POST"], include_in_schema=False
        )
        router.add_api_route("/logout", self._sign_out, methods=["POST"], include_in_schema=False)
        router.add_api_route(
            "/api/v1/session", self._session_status, methods=["GET"], summary="The session's timing"
        )
        return router

    def _start(self, response: Response, kind: SessionKind, subject_id: str) -> None:
        with self.repos() as repos:
            session_id, _ = open_session(repos.sessions, kind, subject_id, self.clock())
        response.set_cookie(SESSION_COOKIE, session_id, secure=True, httponly=True, samesite="lax", path="/")

    async def _citizen_begin(self) -> Response:
        if self.oidc is None:
            raise HTTPException(
                503, "본인인증 서비스가 설정되지 않았습니다 (no OpenID provider is configured)"
            )
        try:
            request = await self.oidc.begin()
        except IdentityError as error:
            raise HTTPException(503, f"본인인증 서비스에 연결할 수 없습니다 ({error})") from None
        response = RedirectResponse(request.url, status_code=303)
        response.set_cookie(
            PENDING_COOKIE,
            self.pending.seal(request.pending),
            secure=True,
            httponly=True,
            samesite="lax",
            path="/",
        )
        return response

    async def _citizen_callback(self, request: Request) -> Response:
        if self.oidc is None:
            raise HTTPException(
                503, "본인인증 서비스가 설정되지 않았습니다 (no OpenID provider is configured)"
            )
        try:
            pending = self.pending.open(request.cookies.get(PENDING_COOKIE, ""))
            identity = await self.oidc.complete(pending, dict(request.query_params))
        except IdentityError as error:
            raise HTTPException(
                401, f"본인인증에 실패했습니다. 처음부터 다시 시도하십시오. ({error})"
            ) from None
        owner_id = self.owner_for(identity)
        if owner_id is None:
            raise HTTPException(
                404, "인증된 분의 환급 정보를 찾지 못했습니다 (no refund record for this person)"
            )
        response = RedirectResponse(self.config.citizen_home, status_code=303)
        response.delete_cookie(PENDING_COOKIE, secure=True, httponly=True, samesite="lax", path="/")
        self._start(response, SessionKind.CITIZEN, CitizenPrincipal(owner_id).owner_id)
        return response

    async def _officer_sign_in(
        self,
        request: Request,
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=256)],
        code: Annotated[str, Form(max_length=16)],
    ) -> Response:
        source = request.client.host if request.client else "unknown"
        try:
            officer = self.sign_in_officer(Credentials(username, password, code, source))
        except IdentityError as error:
            raise HTTPException(401, str(error)) from None
        response = RedirectResponse(self.config.officer_home, status_code=303)
        self.open_officer_session(response, officer.officer_id)
        return response

    def sign_in_officer(self, credentials: Credentials) -> Officer:
        """Check the password and the code (for a sign-in page of the web layer's own).

        The attempt and any lock are committed whatever the outcome; a failure raises the identity
        context's error (:class:`InvalidCredentialsError`, :class:`AccountLockedError`).
        """
        with self.repos() as repos:
            result = attempt_sign_in(repos, self.config.sign_in, credentials, self.clock())
        return result.officer_or_raise()

    def open_officer_session(self, response: Response, officer_id: str) -> None:
        """Start a session for an officer who has just signed in, its cookie set on ``response``."""
        self._start(response, SessionKind.OFFICER, officer_id)

    async def _sign_out(self, request: Request) -> Response:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            with self.repos() as repos:
                end_session(repos.sessions, session_id)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, secure=True, httponly=True, samesite="lax", path="/")
        return response

    async def _session_status(self, request: Request) -> JSONResponse:
        """Asked by the screen's timer (and extending the session, being a request like any other)."""
        self.current_principal(request)
        status: SessionStatus | None = getattr(request.state, "session", None)
        if status is None:
            raise HTTPException(
                404, "an API token has no session; it is valid until it expires or is revoked"
            )
        return JSONResponse(
            {
                "kind": str(status.record.kind),
                "expires_at": status.expires_at.isoformat(),
                "warn_at": status.warn_at.isoformat(),
            }
        )
