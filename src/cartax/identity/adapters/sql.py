"""The identity repositories on SQLAlchemy (SQLite and PostgreSQL), inside the caller's session.

The caller owns the transaction (a unit of work); these classes never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from cartax.identity.adapters import tables as t
from cartax.identity.model import GrantAction, Officer, Role, RoleGrant
from cartax.identity.ports import ApiToken, LoginAttempt, LoginOutcome, SessionKind, SessionRecord


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def utc(value: datetime | None) -> datetime | None:
    """Stored in UTC: SQLite keeps the wall-clock digits only, so every instant is written in one zone."""
    return value.astimezone(UTC) if value is not None else None


def _maybe(value: datetime | None) -> datetime | None:
    return aware(value) if value is not None else None


class FieldCipher(Protocol):
    """Authenticated encryption bound to where a value is stored (``cartax.infra.crypto.PiiCipher``)."""

    def encrypt(self, plaintext: str, context: str) -> str: ...
    def decrypt(self, token: str, context: str) -> str: ...


def totp_context(officer_id: str) -> str:
    """The associated data of an officer's TOTP secret: ``table.column:primary key``."""
    return f"officers.totp_secret:{officer_id}"


def _officer(row: Any, cipher: FieldCipher) -> Officer:
    return Officer(
        officer_id=row.officer_id,
        username=row.username,
        display_name=row.display_name,
        password_hash=row.password_hash,
        totp_secret=cipher.decrypt(row.totp_secret, totp_context(row.officer_id)),
        created_at=aware(row.created_at),
        totp_last_step=row.totp_last_step,
        locked_at=_maybe(row.locked_at),
        failures_since=_maybe(row.failures_since),
        active=row.active,
    )


class SqlOfficers:
    """Officers; the TOTP secret is stored encrypted (AES-GCM, key ring outside the database)."""

    def __init__(self, session: Session, cipher: FieldCipher) -> None:
        self.session = session
        self.cipher = cipher

    def add(self, officer: Officer) -> None:
        self.session.execute(insert(t.officers).values(**self._values(officer)))

    def get(self, officer_id: str) -> Officer | None:
        row = self.session.execute(select(t.officers).where(t.officers.c.officer_id == officer_id)).first()
        return _officer(row, self.cipher) if row else None

    def by_username(self, username: str) -> Officer | None:
        row = self.session.execute(select(t.officers).where(t.officers.c.username == username)).first()
        return _officer(row, self.cipher) if row else None

    def _values(self, officer: Officer) -> dict[str, Any]:
        return {
            **_officer_values(officer),
            "totp_secret": self.cipher.encrypt(officer.totp_secret, totp_context(officer.officer_id)),
        }

    def save(self, officer: Officer) -> None:
        values = _officer_values(officer)
        # The secret never changes after enrolment; not rewriting it keeps a concurrent key rotation's work.
        for fixed in ("officer_id", "username", "created_at"):
            del values[fixed]
        self.session.execute(
            update(t.officers).where(t.officers.c.officer_id == officer.officer_id).values(**values)
        )

    def all(self) -> list[Officer]:
        query = select(t.officers).order_by(t.officers.c.username)
        return [_officer(row, self.cipher) for row in self.session.execute(query)]


def _officer_values(officer: Officer) -> dict[str, Any]:
    return {
        "officer_id": officer.officer_id,
        "username": officer.username,
        "display_name": officer.display_name,
        "password_hash": officer.password_hash,
        "created_at": utc(officer.created_at),
        "totp_last_step": officer.totp_last_step,
        "locked_at": utc(officer.locked_at),
        "failures_since": utc(officer.failures_since),
        "active": officer.active,
    }


class SqlGrants:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, grant: RoleGrant) -> None:
        self.session.execute(
            insert(t.role_grants).values(
                grant_id=grant.grant_id,
                officer_id=grant.officer_id,
                district=grant.district,
                role=str(grant.role),
                action=str(grant.action),
                actor=grant.actor,
                at=utc(grant.at),
                reason=grant.reason,
            )
        )

    def for_officer(self, officer_id: str) -> Sequence[RoleGrant]:
        query = (
            select(t.role_grants)
            .where(t.role_grants.c.officer_id == officer_id)
            .order_by(t.role_grants.c.seq)
        )
        return tuple(
            RoleGrant(
                row.grant_id,
                row.officer_id,
                row.district,
                Role(row.role),
                GrantAction(row.action),
                row.actor,
                aware(row.at),
                row.reason,
            )
            for row in self.session.execute(query)
        )


class SqlAttempts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, attempt: LoginAttempt) -> None:
        self.session.execute(
            insert(t.login_attempts).values(
                username=attempt.username,
                officer_id=attempt.officer_id,
                at=utc(attempt.at),
                source=attempt.source,
                outcome=str(attempt.outcome),
            )
        )

    def failures_since(self, officer_id: str, since: datetime) -> int:
        query = select(func.count()).where(
            t.login_attempts.c.officer_id == officer_id,
            t.login_attempts.c.at >= utc(since),
            t.login_attempts.c.outcome != str(LoginOutcome.SUCCESS),
        )
        return int(self.session.execute(query).scalar_one())


class SqlSessions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: SessionRecord) -> None:
        self.session.execute(
            insert(t.sessions).values(
                id_hash=record.id_hash,
                kind=str(record.kind),
                subject_id=record.subject_id,
                created_at=utc(record.created_at),
                last_seen_at=utc(record.last_seen_at),
            )
        )

    def get(self, id_hash: str) -> SessionRecord | None:
        row = self.session.execute(select(t.sessions).where(t.sessions.c.id_hash == id_hash)).first()
        if row is None:
            return None
        return SessionRecord(
            row.id_hash, SessionKind(row.kind), row.subject_id, aware(row.created_at), aware(row.last_seen_at)
        )

    def touch(self, id_hash: str, at: datetime) -> None:
        self.session.execute(
            update(t.sessions).where(t.sessions.c.id_hash == id_hash).values(last_seen_at=at)
        )

    def remove(self, id_hash: str) -> None:
        self.session.execute(delete(t.sessions).where(t.sessions.c.id_hash == id_hash))

    def remove_for(self, kind: SessionKind, subject_id: str) -> int:
        result = self.session.execute(
            delete(t.sessions).where(t.sessions.c.kind == str(kind), t.sessions.c.subject_id == subject_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlTokens:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token: ApiToken) -> None:
        self.session.execute(
            insert(t.api_tokens).values(
                token_id=token.token_id,
                name=token.name,
                district=token.district,
                role=str(token.role),
                secret_hash=token.secret_hash,
                created_by=token.created_by,
                created_at=utc(token.created_at),
                expires_at=utc(token.expires_at),
                revoked_at=utc(token.revoked_at),
            )
        )

    def get(self, token_id: str) -> ApiToken | None:
        row = self.session.execute(select(t.api_tokens).where(t.api_tokens.c.token_id == token_id)).first()
        if row is None:
            return None
        return ApiToken(
            row.token_id,
            row.name,
            row.district,
            Role(row.role),
            row.secret_hash,
            row.created_by,
            aware(row.created_at),
            aware(row.expires_at),
            _maybe(row.revoked_at),
        )

    def revoke(self, token_id: str, at: datetime) -> None:
        self.session.execute(
            update(t.api_tokens).where(t.api_tokens.c.token_id == token_id).values(revoked_at=at)
        )


class SqlIdentity:
    """Every identity repository on one SQLAlchemy session (satisfies ``IdentityRepositories``)."""

    def __init__(self, session: Session, cipher: FieldCipher) -> None:
        self.session = session
        self.officers = SqlOfficers(session, cipher)
        self.grants = SqlGrants(session)
        self.attempts = SqlAttempts(session)
        self.sessions = SqlSessions(session)
        self.tokens = SqlTokens(session)
