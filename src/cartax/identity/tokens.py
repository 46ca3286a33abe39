"""API tokens for machines (batch jobs, other agencies' systems), each scoped to one role in one district.

A token reads ``cxt_<id>_<secret>``: the id finds the row, the secret is compared by its SHA-256 in
constant time. The secret is shown once, at issue; the store never holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from cartax.identity.errors import AccountError, InvalidTokenError
from cartax.identity.model import OfficerPrincipal, Role, check_district
from cartax.identity.ports import ApiToken, ApiTokenStore

PREFIX = "cxt"
MAX_LIFETIME = timedelta(days=366)
MACHINE_ROLES = frozenset({Role.VIEWER, Role.REVIEWER, Role.APPROVER})


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    store: ApiTokenStore,
    *,
    name: str,
    district: str,
    role: Role,
    created_by: str,
    lifetime: timedelta,
    now: datetime,
) -> tuple[str, ApiToken]:
    """A new token (its full text, to hand over once) and its stored record."""
    if role not in MACHINE_ROLES:
        raise AccountError(
            "a machine token may be viewer, reviewer or approver; administration needs a person"
        )
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise AccountError("a token lives between one second and 366 days; issue a new one before it ends")
    if not name.strip():
        raise AccountError("name the system the token is for, so its use can be traced")
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    token = ApiToken(
        token_id,
        name.strip(),
        check_district(district),
        role,
        _digest(secret),
        created_by,
        now,
        now + lifetime,
    )
    store.add(token)
    return f"{PREFIX}_{token_id}_{secret}", token


def authenticate_token(store: ApiTokenStore, text: str, now: datetime) -> OfficerPrincipal:
    """The principal a token acts as, or :class:`InvalidTokenError`."""
    prefix, _, rest = text.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not token_id or not secret:
        raise InvalidTokenError
    token = store.get(token_id)
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(secret)):
        raise InvalidTokenError
    if token.revoked_at is not None or now >= token.expires_at:
        raise InvalidTokenError
    return OfficerPrincipal(
        f"token:{token.token_id}", frozenset({(token.district, token.role)}), machine=True
    )


def revoke_token(store: ApiTokenStore, token_id: str, now: datetime) -> None:
    if store.get(token_id) is None:
        raise AccountError(f"there is no token {token_id!r}")
    store.revoke(token_id, now)
