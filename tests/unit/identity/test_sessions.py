from __future__ import annotations

from datetime import timedelta

import pytest

from cartax.identity import (
    SessionExpiredError,
    SessionKind,
    SessionLimits,
    end_session,
    resume_session,
    start_session,
)
from cartax.identity.adapters.memory import MemorySessions
from identity_factories import T0

LIMITS = SessionLimits(idle=timedelta(minutes=15), absolute=timedelta(hours=8), warning=timedelta(minutes=3))


def test_the_store_keeps_only_a_hash_of_a_random_id() -> None:
    store = MemorySessions()
    first, record = start_session(store, SessionKind.OFFICER, "off_1", T0)
    second, _ = start_session(store, SessionKind.OFFICER, "off_1", T0)
    assert first != second
    assert len(first) >= 43  # 256 bits in URL-safe base64
    assert first not in store.rows
    assert record.id_hash in store.rows


def test_each_request_restarts_the_idle_clock_and_says_when_to_warn() -> None:
    store = MemorySessions()
    session_id, _ = start_session(store, SessionKind.OFFICER, "off_1", T0)
    at = T0
    for _ in range(5):
        at += timedelta(minutes=14)
        status = resume_session(store, LIMITS, session_id, at, kind=SessionKind.OFFICER)
    assert status.subject_id == "off_1"
    assert status.expires_at == at + timedelta(minutes=15)
    assert status.warn_at == status.expires_at - timedelta(minutes=3)


def test_requests_close_together_write_the_idle_clock_once_and_report_the_stored_end() -> None:
    store = MemorySessions()
    session_id, record = start_session(store, SessionKind.OFFICER, "off_1", T0)
    soon = resume_session(store, LIMITS, session_id, T0 + timedelta(seconds=10), kind=SessionKind.OFFICER)
    assert store.rows[record.id_hash].last_seen_at == T0
    assert soon.expires_at == T0 + LIMITS.idle
    later = T0 + LIMITS.touch_every
    status = resume_session(store, LIMITS, session_id, later, kind=SessionKind.OFFICER)
    assert store.rows[record.id_hash].last_seen_at == later
    assert status.expires_at == later + LIMITS.idle


def test_the_idle_clock_is_written_back_before_the_warning_comes() -> None:
    with pytest.raises(ValueError, match="written back"):
        SessionLimits(warning=timedelta(minutes=2), touch_every=timedelta(minutes=2))


def test_an_idle_session_ends_and_is_removed() -> None:
    store = MemorySessions()
    session_id, _ = start_session(store, SessionKind.OFFICER, "off_1", T0)
    with pytest.raises(SessionExpiredError):
        resume_session(store, LIMITS, session_id, T0 + timedelta(minutes=15), kind=SessionKind.OFFICER)
    assert store.rows == {}


def test_a_busy_session_still_ends_at_the_absolute_limit() -> None:
    store = MemorySessions()
    session_id, _ = start_session(store, SessionKind.OFFICER, "off_1", T0)
    at = T0
    while at + timedelta(minutes=10) < T0 + LIMITS.absolute:
        at += timedelta(minutes=10)
        status = resume_session(store, LIMITS, session_id, at, kind=SessionKind.OFFICER)
    assert status.expires_at == T0 + LIMITS.absolute
    with pytest.raises(SessionExpiredError):
        resume_session(store, LIMITS, session_id, T0 + LIMITS.absolute, kind=SessionKind.OFFICER)


def test_a_citizen_session_is_not_an_officer_session_and_sign_out_ends_it() -> None:
    store = MemorySessions()
    session_id, _ = start_session(store, SessionKind.CITIZEN, "O-100", T0)
    with pytest.raises(SessionExpiredError):
        resume_session(store, LIMITS, session_id, T0, kind=SessionKind.OFFICER)
    end_session(store, session_id)
    with pytest.raises(SessionExpiredError):
        resume_session(store, LIMITS, session_id, T0, kind=SessionKind.CITIZEN)
    with pytest.raises(SessionExpiredError):
        resume_session(store, LIMITS, "made-up", T0, kind=SessionKind.CITIZEN)


@pytest.mark.parametrize(
    ("idle", "absolute", "warning"),
    [(15, 480, 1), (15, 10, 3), (2, 480, 2)],
)
def test_inconsistent_limits_are_refused(idle: int, absolute: int, warning: int) -> None:
    with pytest.raises(ValueError, match="session"):
        SessionLimits(timedelta(minutes=idle), timedelta(minutes=absolute), timedelta(minutes=warning))
