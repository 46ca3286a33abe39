"""The identity repositories on SQLite and PostgreSQL: grants kept, lock-out, sessions, tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from cartax.identity import (
    AccountLockedError,
    Credentials,
    GrantAction,
    LockoutLimits,
    Role,
    SessionKind,
    SessionLimits,
    SignInDeps,
    attempt_sign_in,
    authenticate_token,
    grant_role,
    issue_token,
    officer_principal,
    resume_session,
    revoke_role,
    start_session,
    unlock_officer,
)
from cartax.identity.adapters.sql import SqlIdentity
from cartax.infra.crypto import VERSION, PiiCipher
from identity_factories import CODES, HASHER, T0, code_at, make_officer

DEPS = SignInDeps(
    HASHER, CODES, LockoutLimits(threshold=3, window=timedelta(minutes=10)), HASHER.hash("x" * 20)
)
RING = PiiCipher.from_secrets("identity-test-pii-key-" + "k" * 32, "identity-test-index-key-" + "i" * 32)
WRONG = "not the password at all"


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    with Session(db_engine) as session:
        yield session


def test_the_grant_history_survives_role_changes(session: Session) -> None:
    repos = SqlIdentity(session, RING)
    officer_id = make_officer(repos, roles=(("11110", Role.REVIEWER),)).officer.officer_id
    later = T0 + timedelta(days=40)
    common = {"officer_id": officer_id, "district": "11110", "actor": "off_admin", "now": later}
    grant_role(repos, role=Role.APPROVER, reason="승진 발령 제2026-31호", **common)
    revoke_role(repos, role=Role.REVIEWER, reason="승진 발령 제2026-31호", **common)
    session.commit()

    history = SqlIdentity(session, RING).grants.for_officer(officer_id)
    assert [(g.role, g.action, g.at) for g in history] == [
        (Role.REVIEWER, GrantAction.GRANT, T0),
        (Role.APPROVER, GrantAction.GRANT, later),
        (Role.REVIEWER, GrantAction.REVOKE, later),
    ]
    assert officer_principal(repos, officer_id).roles == {("11110", Role.APPROVER)}


@pytest.mark.parametrize("statement", ["UPDATE role_grants SET role = 'admin'", "DELETE FROM role_grants"])
def test_grants_cannot_be_rewritten_in_the_database(session: Session, statement: str) -> None:
    make_officer(SqlIdentity(session, RING), roles=(("11110", Role.VIEWER),))
    session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text(statement))
    session.rollback()


def test_lock_out_is_kept_across_transactions_until_unlocked(db_engine: Engine) -> None:
    with Session(db_engine) as session:
        new = make_officer(SqlIdentity(session, RING))
        session.commit()
    secret, officer_id = new.officer.totp_secret, new.officer.officer_id
    results = []
    for minute in range(3):
        at = T0 + timedelta(minutes=minute)
        with Session(db_engine) as session:
            results.append(
                attempt_sign_in(
                    SqlIdentity(session, RING), DEPS, Credentials("kim.officer", WRONG, "1", "::1"), at
                )
            )
            session.commit()
    assert results[-1].locked_now
    at = T0 + timedelta(minutes=5)
    with Session(db_engine) as session:
        good = Credentials("kim.officer", "correct horse battery staple", code_at(secret, at), "::1")
        with pytest.raises(AccountLockedError):
            attempt_sign_in(SqlIdentity(session, RING), DEPS, good, at).officer_or_raise()
        unlock_officer(SqlIdentity(session, RING), officer_id=officer_id, now=at)
        session.commit()
    with Session(db_engine) as session:
        officer = attempt_sign_in(SqlIdentity(session, RING), DEPS, good, at).officer_or_raise()
        session.commit()
    assert officer.officer_id == officer_id
    with Session(db_engine) as session:
        outcomes = [
            row.outcome
            for row in session.execute(text("SELECT outcome FROM login_attempts ORDER BY attempt_id"))
        ]
    assert outcomes == ["bad_password"] * 3 + ["locked", "success"]


def test_sessions_live_server_side_and_time_out(session: Session) -> None:
    repos = SqlIdentity(session, RING)
    limits = SessionLimits(idle=timedelta(minutes=15), absolute=timedelta(hours=8))
    session_id, record = start_session(repos.sessions, SessionKind.OFFICER, "off_1", T0)
    session.commit()
    stored = session.execute(text("SELECT id_hash FROM sessions")).scalar_one()
    assert stored == record.id_hash != session_id
    status = resume_session(
        repos.sessions, limits, session_id, T0 + timedelta(minutes=10), kind=SessionKind.OFFICER
    )
    assert status.expires_at == T0 + timedelta(minutes=25)
    session.commit()
    with pytest.raises(Exception, match="다시 로그인"):
        resume_session(
            repos.sessions, limits, session_id, T0 + timedelta(minutes=26), kind=SessionKind.OFFICER
        )


def test_api_tokens_are_stored_hashed_and_checked(session: Session) -> None:
    repos = SqlIdentity(session, RING)
    text_token, token = issue_token(
        repos.tokens,
        name="배치",
        district="11110",
        role=Role.VIEWER,
        created_by="off_a",
        lifetime=timedelta(days=1),
        now=T0,
    )
    session.commit()
    secret = text_token.split("_", 2)[2]
    assert secret not in session.execute(text("SELECT secret_hash FROM api_tokens")).scalar_one()
    assert authenticate_token(repos.tokens, text_token, T0 + timedelta(hours=1)).roles == {
        ("11110", Role.VIEWER)
    }
    assert token.expires_at == T0 + timedelta(days=1)


def test_the_totp_secret_is_stored_encrypted(session: Session) -> None:
    new = make_officer(SqlIdentity(session, RING))
    session.commit()
    stored = session.execute(text("SELECT totp_secret FROM officers")).scalar_one()
    assert new.officer.totp_secret not in stored
    assert stored.startswith(f"{VERSION}.{RING.key_id}.")
    reread = SqlIdentity(session, RING).officers.get(new.officer.officer_id)
    assert reread is not None
    assert reread.totp_secret == new.officer.totp_secret
