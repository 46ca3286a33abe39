"""What the identity context needs from the outside world; adapters/ holds a real and a fake for each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from cartax.identity.model import Officer, Role, RoleGrant


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...


class OneTimeCodes(Protocol):
    """Time-based one-time codes (RFC 6238) for the second factor."""

    def new_secret(self) -> str: ...
    def provisioning_uri(self, secret: str, account: str) -> str: ...
    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The time-step whose code equals ``code`` within the accepted window, or ``None``."""
        ...


class LoginOutcome(StrEnum):
    SUCCESS = "success"
    UNKNOWN_ACCOUNT = "unknown_account"
    BAD_PASSWORD = "bad_password"  # noqa: S105 - an outcome's name, not a password
    BAD_CODE = "bad_code"
    REPLAYED_CODE = "replayed_code"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginAttempt:
    """One sign-in attempt; ``username`` is what was typed (kept to spot guessing of names)."""

    username: str
    officer_id: str | None
    at: datetime
    source: str
    outcome: LoginOutcome


class SessionKind(StrEnum):
    OFFICER = "officer"
    CITIZEN = "citizen"


@dataclass(frozen=True)
class SessionRecord:
    """A server-side session; only the SHA-256 of the session id is stored, never the id itself."""

    id_hash: str
    kind: SessionKind
    subject_id: str
    """The officer id, or the citizen's owner id."""
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class ApiToken:
    """A machine's credential, scoped to one role in one district; only its secret's hash is stored."""

    token_id: str
    name: str
    district: str
    role: Role
    secret_hash: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class OfficerRepository(Protocol):
    def add(self, officer: Officer) -> None: ...
    def get(self, officer_id: str) -> Officer | None: ...
    def by_username(self, username: str) -> Officer | None: ...
    def save(self, officer: Officer) -> None:
        """Store the mutable fields (password, TOTP step, lock, failure window, active)."""
        ...


class GrantLog(Protocol):
    """Append-only: there is no way to change or remove a grant."""

    def append(self, grant: RoleGrant) -> None: ...
    def for_officer(self, officer_id: str) -> Sequence[RoleGrant]: ...


class LoginAttemptLog(Protocol):
    def append(self, attempt: LoginAttempt) -> None: ...
    def failures_since(self, officer_id: str, since: datetime) -> int: ...


class SessionStore(Protocol):
    def add(self, session: SessionRecord) -> None: ...
    def get(self, id_hash: str) -> SessionRecord | None: ...
    def touch(self, id_hash: str, at: datetime) -> None: ...
    def remove(self, id_hash: str) -> None: ...
    def remove_for(self, kind: SessionKind, subject_id: str) -> int: ...


class ApiTokenStore(Protocol):
    def add(self, token: ApiToken) -> None: ...
    def get(self, token_id: str) -> ApiToken | None: ...
    def revoke(self, token_id: str, at: datetime) -> None: ...


class IdentityRepositories(Protocol):
    """Everything the identity handlers read and write, inside one transaction owned by the caller."""

    @property
    def officers(self) -> OfficerRepository: ...
    @property
    def grants(self) -> GrantLog: ...
    @property
    def attempts(self) -> LoginAttemptLog: ...
    @property
    def sessions(self) -> SessionStore: ...
    @property
    def tokens(self) -> ApiTokenStore: ...
