"""Officer accounts: creation with a second factor, roles granted and revoked with a reason, unlock.

Each handler takes the repositories of one transaction; the caller commits. Grants are appended, never
changed: revoking writes a new row, so the history answers "who could approve in 11110 on 3 March, and
who gave them that right" years later.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from cartax.identity.errors import AccountError, WeakPasswordError
from cartax.identity.model import (
    GrantAction,
    Officer,
    Role,
    RoleGrant,
    check_district,
    check_username,
    current_roles,
)
from cartax.identity.ports import IdentityRepositories, OneTimeCodes, PasswordHasher, SessionKind

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
MIN_REASON_LENGTH = 5


@dataclass(frozen=True)
class NewOfficer:
    """What enrolment returns: the account, and the TOTP URI to show once (as a QR code) and never again."""

    officer: Officer
    totp_uri: str


def check_password_strength(password: str, username: str) -> None:
    """ASVS 5.0 §6.2: length 12–128, any characters, not the user name, not one repeated character."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"비밀번호는 {MIN_PASSWORD_LENGTH}자 이상 {MAX_PASSWORD_LENGTH}자 이하여야 합니다. "
            f"(a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters; "
            "a short phrase works well)"
        )
    if username.lower() in password.lower() or len(set(password)) < 4:
        raise WeakPasswordError(
            "비밀번호에 아이디를 넣거나 같은 글자만 반복할 수 없습니다. "
            "(a password may not contain the user name or repeat a few characters; choose another)"
        )


def _check_reason(reason: str) -> str:
    text = reason.strip()
    if len(text) < MIN_REASON_LENGTH:
        raise AccountError(
            f"a reason of at least {MIN_REASON_LENGTH} characters is required (e.g. the order or ticket "
            "number); it is kept with the grant history"
        )
    return text


def add_officer(
    repos: IdentityRepositories,
    hasher: PasswordHasher,
    codes: OneTimeCodes,
    *,
    username: str,
    display_name: str,
    password: str,
    now: datetime,
) -> NewOfficer:
    check_username(username)
    if not display_name.strip():
        raise AccountError("an officer needs a display name (the name colleagues know them by)")
    if repos.officers.by_username(username) is not None:
        raise AccountError(f"the user name {username!r} is taken; choose another")
    check_password_strength(password, username)
    secret = codes.new_secret()
    officer = Officer(
        officer_id=f"off_{secrets.token_hex(8)}",
        username=username,
        display_name=display_name.strip(),
        password_hash=hasher.hash(password),
        totp_secret=secret,
        created_at=now,
        failures_since=now,
    )
    repos.officers.add(officer)
    return NewOfficer(officer, codes.provisioning_uri(secret, username))


def _require_officer(repos: IdentityRepositories, officer_id: str) -> Officer:
    officer = repos.officers.get(officer_id)
    if officer is None:
        raise AccountError(f"there is no officer {officer_id!r}; list officers to find the right id")
    return officer


def _append_grant(
    repos: IdentityRepositories,
    action: GrantAction,
    *,
    officer_id: str,
    district: str,
    role: Role,
    actor: str,
    reason: str,
    now: datetime,
) -> RoleGrant:
    grant = RoleGrant(
        grant_id=f"grt_{secrets.token_hex(8)}",
        officer_id=officer_id,
        district=check_district(district),
        role=role,
        action=action,
        actor=actor,
        at=now,
        reason=_check_reason(reason),
    )
    repos.grants.append(grant)
    return grant


def grant_role(
    repos: IdentityRepositories,
    *,
    officer_id: str,
    district: str,
    role: Role,
    actor: str,
    reason: str,
    now: datetime,
) -> RoleGrant:
    officer = _require_officer(repos, officer_id)
    if (district, role) in current_roles(repos.grants.for_officer(officer.officer_id)):
        raise AccountError(f"{officer.username} already holds {role} in {district}; nothing was changed")
    return _append_grant(
        repos,
        GrantAction.GRANT,
        officer_id=officer_id,
        district=district,
        role=role,
        actor=actor,
        reason=reason,
        now=now,
    )


def revoke_role(
    repos: IdentityRepositories,
    *,
    officer_id: str,
    district: str,
    role: Role,
    actor: str,
    reason: str,
    now: datetime,
) -> RoleGrant:
    """Revoke a role; the officer's open sessions end so the change takes effect at once."""
    officer = _require_officer(repos, officer_id)
    if (district, role) not in current_roles(repos.grants.for_officer(officer.officer_id)):
        raise AccountError(f"{officer.username} does not hold {role} in {district}; nothing was changed")
    grant = _append_grant(
        repos,
        GrantAction.REVOKE,
        officer_id=officer_id,
        district=district,
        role=role,
        actor=actor,
        reason=reason,
        now=now,
    )
    repos.sessions.remove_for(SessionKind.OFFICER, officer_id)
    return grant


def unlock_officer(repos: IdentityRepositories, *, officer_id: str, now: datetime) -> Officer:
    """Lift a lock-out; earlier failures stop counting."""
    officer = _require_officer(repos, officer_id)
    officer.locked_at = None
    officer.failures_since = now
    repos.officers.save(officer)
    return officer


def change_password(
    repos: IdentityRepositories, hasher: PasswordHasher, *, officer_id: str, password: str
) -> Officer:
    """Set a new password; every open session of the officer ends."""
    officer = _require_officer(repos, officer_id)
    check_password_strength(password, officer.username)
    officer.password_hash = hasher.hash(password)
    repos.officers.save(officer)
    repos.sessions.remove_for(SessionKind.OFFICER, officer_id)
    return officer


def deactivate_officer(repos: IdentityRepositories, *, officer_id: str) -> Officer:
    """An officer who left: the account stays (the history refers to it) but can no longer sign in."""
    officer = _require_officer(repos, officer_id)
    officer.active = False
    repos.officers.save(officer)
    repos.sessions.remove_for(SessionKind.OFFICER, officer_id)
    return officer
