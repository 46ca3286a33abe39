"""Citizen sign-in through any OpenID Connect provider (authlib + joserfc).

The flow, all of it checked: discovery (the document's ``issuer`` must be the configured one), the
authorization code flow with PKCE S256, a random ``state`` (against login CSRF) and ``nonce`` (against
token replay) kept server-side, the code exchanged for tokens, and the ID token's signature verified with
the provider's JWKS (asymmetric algorithms only) and its claims (``iss``, ``aud``, ``exp``, ``iat``,
``nonce``, ``at_hash``, ``azp``) validated against the injected clock.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

# authlib ships no type information; its OAuth client and claim classes are used through narrow calls.
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from cartax.identity.errors import OidcError

ALLOWED_ALGS = ("RS256", "PS256", "ES256")
"""Asymmetric only: ``none`` and shared-secret HS* are never accepted for ID tokens."""
PENDING_LIFETIME = timedelta(minutes=10)
REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    redirect_uri: str
    client_secret: str | None = None
    """``None`` for a public client (PKCE alone), as with the demo provider."""
    scope: str = "openid profile"
    leeway: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class PendingLogin:
    """What the caller keeps server-side between sending the citizen away and the callback."""

    state: str
    nonce: str
    code_verifier: str
    created_at: datetime


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    pending: PendingLogin


@dataclass(frozen=True)
class VerifiedIdentity:
    issuer: str
    subject: str
    claims: Mapping[str, Any]


class OidcClient:
    def __init__(
        self,
        config: OidcConfig,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.config = config
        self.clock = clock
        self._transport = transport
        self._timeout = timeout
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None

    def _oauth(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            token_endpoint_auth_method="client_secret_basic" if self.config.client_secret else "none",
            scope=self.config.scope,
            redirect_uri=self.config.redirect_uri,
            code_challenge_method="S256",
            transport=self._transport,
            timeout=self._timeout,
        )

    async def _get_json(self, url: str) -> dict[str, Any]:
        async with httpx2.AsyncClient(transport=self._transport, timeout=self._timeout) as http:
            try:
                response = await http.get(url, headers={"Accept": "application/json"})
                response.raise_for_status()
                body = response.json()
            except (httpx2.HTTPError, ValueError) as error:
                raise OidcError(f"the identity provider did not answer {url} properly ({error})") from None
        if not isinstance(body, dict):
            raise OidcError(f"the identity provider's answer at {url} is not a JSON object")
        return body

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once and checked."""
        if self._metadata is None:
            issuer = self.config.issuer.rstrip("/")
            document = await self._get_json(f"{issuer}/.well-known/openid-configuration")
            missing = [key for key in REQUIRED_METADATA if not document.get(key)]
            if missing:
                raise OidcError(f"the provider's discovery document lacks {', '.join(missing)}")
            if document["issuer"] != issuer:
                raise OidcError("the discovery document names another issuer than the one configured")
            if "S256" not in document.get("code_challenge_methods_supported", ["S256"]):
                raise OidcError("the provider does not support PKCE S256, which cartax requires")
            self._metadata = document
        return self._metadata

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        if self._jwks is None or refresh:
            self._jwks = await self._get_json((await self.metadata())["jwks_uri"])
        try:
            return KeySet.import_key_set(self._jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError) as error:
            raise OidcError(f"the provider's signing keys cannot be read ({error})") from None

    async def begin(self) -> AuthorizationRequest:
        """Where to send the citizen, and what to keep until they come back."""
        metadata = await self.metadata()
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        async with self._oauth() as oauth:
            url, _ = oauth.create_authorization_url(
                metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
            )
        return AuthorizationRequest(str(url), PendingLogin(state, nonce, verifier, self.clock()))

    async def complete(self, pending: PendingLogin, params: Mapping[str, str]) -> VerifiedIdentity:
        """Check the callback against ``pending``, exchange the code, verify the ID token."""
        if "error" in params:
            raise OidcError(f"the identity provider refused the sign-in ({params['error'][:64]})")
        if not hmac.compare_digest(params.get("state", ""), pending.state):
            raise OidcError("the state returned by the provider does not match this sign-in (start again)")
        if self.clock() - pending.created_at > PENDING_LIFETIME:
            raise OidcError("the sign-in took more than 10 minutes; start again")
        if "iss" in params and params["iss"] != (await self.metadata())["issuer"]:
            raise OidcError("the callback comes from another issuer (RFC 9207 mix-up defence)")
        token = await self._exchange(params.get("code", ""), pending.code_verifier)
        claims = await self.verify_id_token(
            token.get("id_token", ""), pending.nonce, token.get("access_token")
        )
        return VerifiedIdentity(claims["iss"], claims["sub"], claims)

    async def _exchange(self, code: str, verifier: str) -> dict[str, Any]:
        if not code:
            raise OidcError("the provider's callback carries no authorization code")
        metadata = await self.metadata()
        async with self._oauth() as oauth:
            try:
                token = await oauth.fetch_token(metadata["token_endpoint"], code=code, code_verifier=verifier)
            except (OAuthError, httpx2.HTTPError, ValueError) as error:
                raise OidcError(f"the code could not be exchanged for tokens ({error})") from None
        return dict(token)

    async def verify_id_token(self, id_token: str, nonce: str, access_token: str | None) -> dict[str, Any]:
        """The ID token's claims after checking its signature and every claim; :class:`OidcError` if not."""
        if not id_token:
            raise OidcError("the provider returned no ID token")
        metadata = await self.metadata()
        algorithms = [
            a for a in metadata.get("id_token_signing_alg_values_supported", ["RS256"]) if a in ALLOWED_ALGS
        ]
        registry = JWSRegistry(algorithms=algorithms or ["RS256"])
        try:
            try:
                decoded = jwt.decode(id_token, await self._key_set(), registry=registry)
            except JoseError as error:
                if error.error != "invalid_key_id":
                    raise
                # The provider may have rotated its keys since we fetched them.
                decoded = jwt.decode(id_token, await self._key_set(refresh=True), registry=registry)
            self._check_claims(decoded.claims, decoded.header, metadata["issuer"], nonce, access_token)
        except JoseError as error:
            raise OidcError(f"the ID token was refused: {error}") from None
        return dict(decoded.claims)

    def _check_claims(
        self,
        claims: dict[str, Any],
        header: dict[str, Any],
        issuer: str,
        nonce: str,
        access_token: str | None,
    ) -> None:
        options = {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": self.config.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        params = {"nonce": nonce, "client_id": self.config.client_id, "access_token": access_token}
        checked = CodeIDToken(claims, header, options, params)
        checked.validate(now=int(self.clock().timestamp()), leeway=int(self.config.leeway.total_seconds()))
