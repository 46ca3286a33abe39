"""Server-side sessions with an idle and an absolute timeout, and a warning time for the screen.

The session id is 256 random bits from :mod:`secrets`; the store keeps only its SHA-256 (a stolen
database copy does not let anyone resume a session). Plain SHA-256 suffices for ids this random; a slow
hash is for passwords people choose.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cartax.identity.errors import SessionExpiredError
from cartax.identity.ports import SessionKind, SessionRecord, SessionStore

MIN_WARNING = timedelta(minutes=2)


@dataclass(frozen=True)
class SessionLimits:
    """``idle``: ends after this long without a request; ``absolute``: ends this long after sign-in
    whatever happens; ``warning``: how long before the end the screen offers to extend (≥ 2 minutes)."""

    idle: timedelta = timedelta(minutes=15)
    absolute: timedelta = timedelta(hours=8)
    warning: timedelta = timedelta(minutes=2)

    def __post_init__(self) -> None:
        if self.warning < MIN_WARNING:
            raise ValueError("the session warning must come at least 2 minutes before the end (KWCAG 2.2.1)")
        if not self.warning < self.idle <= self.absolute:
            raise ValueError("session limits must satisfy warning < idle ≤ absolute")


@dataclass(frozen=True)
class SessionStatus:
    record: SessionRecord
    expires_at: datetime
    """The earlier of the idle and the absolute end, counted from this request."""
    warn_at: datetime

    @property
    def subject_id(self) -> str:
        return self.record.subject_id


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(
    store: SessionStore, kind: SessionKind, subject_id: str, now: datetime
) -> tuple[str, SessionRecord]:
    """A fresh session id (given to the browser once, in a cookie) and its stored record."""
    session_id = secrets.token_urlsafe(32)
    record = SessionRecord(hash_session_id(session_id), kind, subject_id, now, now)
    store.add(record)
    return session_id, record


def resume_session(
    store: SessionStore, limits: SessionLimits, session_id: str, now: datetime, *, kind: SessionKind
) -> SessionStatus:
    """The live session for ``session_id``, with its idle clock restarted; expired ones are removed."""
    id_hash = hash_session_id(session_id)
    record = store.get(id_hash)
    if record is None or record.kind is not kind:
        raise SessionExpiredError
    absolute_end = record.created_at + limits.absolute
    if now >= record.last_seen_at + limits.idle or now >= absolute_end:
        store.remove(id_hash)
        raise SessionExpiredError
    store.touch(id_hash, now)
    expires_at = min(now + limits.idle, absolute_end)
    return SessionStatus(record, expires_at, expires_at - limits.warning)


def end_session(store: SessionStore, session_id: str) -> None:
    store.remove(hash_session_id(session_id))
