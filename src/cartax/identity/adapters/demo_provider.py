"""A small OpenID provider for the embedded demo: real discovery, code flow with PKCE, RS256 ID tokens.

It stands in for 간편인증 so that the whole citizen journey can be tried on one machine. It says plainly,
in Korean, that it is for demonstration, lets the visitor pick one of the demo identities it was given,
and refuses to exist when the platform runs in production. The citizen login code talks to it exactly as
to a real provider (:mod:`cartax.identity.adapters.oidc`), so the same code path is what the demo shows.

State (codes, access tokens) lives in memory: the demo runs as one process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import RSAKey

from cartax.identity.errors import DemoProviderRefusedError
from cartax.settings import Environment, Settings

SIGNING_ALG = "RS256"
CODE_LIFETIME = timedelta(minutes=1)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class DemoIdentity:
    """One identity offered on the picker: ``subject`` becomes the ID token's ``sub`` (the owner id),
    ``label`` is what the picker shows (a masked name, never a full resident number)."""

    subject: str
    label: str


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    subject: str
    nonce: str
    challenge: str
    expires_at: datetime
    auth_time: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


def half_hash(value: str) -> str:
    """``at_hash``: the left half of the SHA-256 of the access token, base64url (OIDC Core §3.1.3.6)."""
    return _b64(hashlib.sha256(value.encode()).digest()[:16])


class DemoOidcProvider:
    def __init__(
        self,
        settings: Settings,
        *,
        issuer: str,
        identities: Sequence[DemoIdentity],
        clients: Mapping[str, Sequence[str]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        token_lifetime: timedelta = timedelta(minutes=5),
    ) -> None:
        """``clients`` maps each client id to its registered redirect URIs (matched exactly)."""
        if settings.environment is Environment.PRODUCTION:
            raise DemoProviderRefusedError(
                "the demonstration identity provider does not run in production; configure a real OpenID "
                "provider (CARTAX_OIDC_ISSUER) instead"
            )
        if not identities:
            raise ValueError("the demo provider needs at least one demo identity to offer")
        self.issuer = issuer.rstrip("/")
        self.identities = {identity.subject: identity for identity in identities}
        self.clients = {client: tuple(uris) for client, uris in clients.items()}
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": SIGNING_ALG}, auto_kid=True)
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, tuple[str, datetime]] = {}

    @property
    def prefix(self) -> str:
        return urlsplit(self.issuer).path

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [SIGNING_ALG],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid", "profile"],
            "claims_supported": ["sub", "name", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def router(self) -> APIRouter:
        """Routes under the issuer's path; mount with ``app.include_router(provider.router())``."""
        router = APIRouter(prefix=self.prefix, tags=["demo identity provider"], include_in_schema=False)
        router.add_api_route("/.well-known/openid-configuration", lambda: JSONResponse(self.metadata()))
        router.add_api_route("/jwks", lambda: JSONResponse(self.jwks()))
        router.add_api_route("/authorize", self._authorize_page, methods=["GET"])
        router.add_api_route("/authorize", self._authorize_choice, methods=["POST"])
        router.add_api_route("/token", self._token, methods=["POST"])
        router.add_api_route("/userinfo", self._userinfo, methods=["GET"])
        return router

    # -- authorization endpoint ------------------------------------------------------------------

    def _request_error(self, params: Mapping[str, str]) -> tuple[str, bool] | None:
        """What is wrong with an authorization request, and whether it may be sent back to the client."""
        uris = self.clients.get(params.get("client_id", ""))
        if uris is None or params.get("redirect_uri") not in uris:
            return "unknown client or unregistered redirect_uri", False
        if params.get("response_type") != "code":
            return "response_type must be code", True
        if "openid" not in params.get("scope", "").split():
            return "scope must include openid", True
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with code_challenge_method S256 is required", True
        if not params.get("state") or not params.get("nonce"):
            return "state and nonce are required", True
        return None

    def _refuse(self, params: Mapping[str, str], problem: tuple[str, bool]) -> Response:
        message, redirectable = problem
        if not redirectable:
            return HTMLResponse(_error_page(message), status_code=400, headers=NO_STORE)
        query = urlencode(
            {"error": "invalid_request", "error_description": message, "state": params.get("state", "")}
        )
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=303)

    async def _authorize_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        problem = self._request_error(params)
        if problem is not None:
            return self._refuse(params, problem)
        return HTMLResponse(
            _picker_page(self.prefix, params, list(self.identities.values())), headers=NO_STORE
        )

    async def _authorize_choice(self, request: Request) -> Response:
        form = await request.form()
        params = {key: value for key, value in form.items() if isinstance(value, str)}
        problem = self._request_error(params)
        if problem is not None:
            return self._refuse(params, problem)
        if params.get("subject") not in self.identities:
            return self._refuse(params, ("choose one of the demo identities", True))
        now = self.clock()
        code = secrets.token_urlsafe(32)
        self._grants[code] = _Grant(
            params["client_id"],
            params["redirect_uri"],
            params["subject"],
            params["nonce"],
            params["code_challenge"],
            now + CODE_LIFETIME,
            now,
        )
        query = urlencode({"code": code, "state": params["state"], "iss": self.issuer})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=303)

    # -- token and userinfo endpoints ------------------------------------------------------------

    async def _token(
        self,
        grant_type: str = Form(""),
        code: str = Form(""),
        redirect_uri: str = Form(""),
        client_id: str = Form(""),
        code_verifier: str = Form(""),
    ) -> JSONResponse:
        # Codes are single use: taken out before any check, so a failed attempt also spends it.
        grant = self._grants.pop(code, None)
        now = self.clock()
        if grant_type != "authorization_code":
            return _token_error("unsupported_grant_type", "grant_type must be authorization_code")
        if grant is None or now >= grant.expires_at:
            return _token_error("invalid_grant", "the code is unknown, used or expired")
        if (client_id, redirect_uri) != (grant.client_id, grant.redirect_uri):
            return _token_error(
                "invalid_grant", "client_id or redirect_uri differ from the authorization request"
            )
        if not hmac.compare_digest(s256(code_verifier), grant.challenge):
            return _token_error("invalid_grant", "the PKCE code_verifier does not match the code_challenge")
        access_token = secrets.token_urlsafe(32)
        self._access[access_token] = (grant.subject, now + self.token_lifetime)
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(self.token_lifetime.total_seconds()),
            "scope": "openid profile",
            "id_token": self.id_token(grant, access_token, now),
        }
        return JSONResponse(body, headers=NO_STORE)

    def id_token(self, grant: _Grant, access_token: str, now: datetime) -> str:
        claims = {
            "iss": self.issuer,
            "sub": grant.subject,
            "aud": grant.client_id,
            "iat": int(now.timestamp()),
            "exp": int((now + self.token_lifetime).timestamp()),
            "auth_time": int(grant.auth_time.timestamp()),
            "nonce": grant.nonce,
            "at_hash": half_hash(access_token),
            "name": self.identities[grant.subject].label,
        }
        return jwt.encode({"alg": SIGNING_ALG, "kid": self.key.kid, "typ": "JWT"}, claims, self.key)

    async def _userinfo(self, authorization: str = Header("")) -> JSONResponse:
        scheme, _, token = authorization.partition(" ")
        found = self._access.get(token) if scheme.lower() == "bearer" else None
        if found is None or self.clock() >= found[1]:
            headers = {"WWW-Authenticate": 'Bearer error="invalid_token"', **NO_STORE}
            return JSONResponse({"error": "invalid_token"}, status_code=401, headers=headers)
        subject = found[0]
        return JSONResponse({"sub": subject, "name": self.identities[subject].label}, headers=NO_STORE)


def _token_error(code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=400, headers=NO_STORE)


_PAGE = """<!doctype html>
<html lang="ko">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/app/demo-provider.css"></head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def _picker_page(prefix: str, params: Mapping[str, str], identities: Sequence[DemoIdentity]) -> str:
    hidden = "\n".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k != "subject"
    )
    buttons = "\n".join(
        f'<li><button type="submit" name="subject" value="{html.escape(i.subject)}">'
        f"{html.escape(i.label)}</button></li>"
        for i in identities
    )
    body = f"""<p role="note"><strong>시연용 본인인증입니다.</strong> 실제 본인확인을 하지 않습니다.
(Demonstration sign-in: nobody's identity is checked.)</p>
<h1>시연용 본인인증: 로그인할 사람을 고르십시오</h1>
<p>아래 시연용 사람 가운데 한 명으로 로그인합니다. 모두 가상의 인물입니다.</p>
<form method="post" action="{html.escape(prefix)}/authorize">
{hidden}
<ul>
{buttons}
</ul>
</form>"""
    return _PAGE.format(title="시연용 본인인증 - cartax", body=body)


def _error_page(message: str) -> str:
    body = f"""<h1>시연용 본인인증: 요청을 처리할 수 없습니다</h1>
<p>로그인 요청이 올바르지 않습니다. 처음 화면에서 다시 시작하십시오.</p>
<p lang="en">The sign-in request was refused: {html.escape(message)}.</p>"""
    return _PAGE.format(title="오류: 시연용 본인인증 - cartax", body=body)
