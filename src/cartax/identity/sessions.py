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
    whatever happens; ``warning``: how long before the end the screen offers to extend (≥ 2 minutes);
    ``touch_every``: the idle clock is written back at most this often (a page and its stream and
    assets arrive within seconds of each other, and each write is a database commit), so the end the
    screen is told is the stored one, at most this much earlier than a write on every request would
    give."""

    idle: timedelta = timedelta(minutes=15)
    absolute: timedelta = timedelta(hours=8)
    warning: timedelta = timedelta(minutes=2)
    touch_every: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if self.warning < MIN_WARNING:
            raise ValueError("the session warning must come at least 2 minutes before the end (KWCAG 2.2.1)")
        if not self.warning < self.idle <= self.absolute:
            raise ValueError("session limits must satisfy warning < idle ≤ absolute")
        if not timedelta(0) <= self.touch_every < self.warning:
            raise ValueError("the session's idle clock must be written back more often than it warns")


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
    record = store.get(hash_session_id(session_id))
    if record is None or record.kind is not kind:
        raise SessionExpiredError
    return continue_session(store, limits, record, now)


def continue_session(
    store: SessionStore, limits: SessionLimits, record: SessionRecord, now: datetime
) -> SessionStatus:
    """:func:`resume_session` for a record the caller has just read: expired, it is removed; live, its
    idle clock is restarted (written back once ``limits.touch_every`` has passed since the last write)."""
    absolute_end = record.created_at + limits.absolute
    if now >= record.last_seen_at + limits.idle or now >= absolute_end:
        store.remove(record.id_hash)
        raise SessionExpiredError
    last_seen = record.last_seen_at
    if now - last_seen >= limits.touch_every:
        store.touch(record.id_hash, now)
        last_seen = now
    expires_at = min(last_seen + limits.idle, absolute_end)
    return SessionStatus(record, expires_at, expires_at - limits.warning)


def end_session(store: SessionStore, session_id: str) -> None:
    store.remove(hash_session_id(session_id))
