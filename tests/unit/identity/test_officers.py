from __future__ import annotations

from datetime import timedelta

import pytest

from cartax.identity import (
    AccountError,
    GrantAction,
    Role,
    SessionKind,
    WeakPasswordError,
    add_officer,
    change_password,
    current_roles,
    grant_role,
    officer_principal,
    revoke_role,
    start_session,
)
from cartax.identity.adapters.memory import MemoryIdentity
from cartax.identity.adapters.totp import PyotpCodes
from identity_factories import HASHER, PASSWORD, T0, make_officer

NEW_PASSWORD = "a new and longer passphrase"  # noqa: S105 - a test password


def test_enrolment_stores_a_hash_and_a_totp_secret_never_the_password() -> None:
    repos = MemoryIdentity()
    new = make_officer(repos)
    stored = repos.officers.get(new.officer.officer_id)
    assert stored is not None
    assert PASSWORD not in stored.password_hash
    assert stored.password_hash.startswith("$argon2id$")
    assert new.totp_uri.startswith("otpauth://totp/cartax:kim.officer?secret=")


@pytest.mark.parametrize(
    "password", ["short", "kim.officer-is-my-name", "aaaaaaaaaaaaaaaa", "ababababababab", "x" * 129]
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPasswordError):
        add_officer(
            MemoryIdentity(),
            HASHER,
            PyotpCodes(),
            username="kim.officer",
            display_name="김담당",
            password=password,
            now=T0,
        )


def test_user_names_are_unique_and_well_formed() -> None:
    repos = MemoryIdentity()
    make_officer(repos)
    with pytest.raises(AccountError, match="taken"):
        make_officer(repos)
    with pytest.raises(AccountError, match="3 to 32 characters"):
        make_officer(repos, username="Kim Officer")


def test_grant_history_is_kept_through_role_changes() -> None:
    repos = MemoryIdentity()
    officer_id = make_officer(repos, roles=(("11110", Role.REVIEWER),)).officer.officer_id
    later = T0 + timedelta(days=30)
    grant_role(
        repos,
        officer_id=officer_id,
        district="11110",
        role=Role.APPROVER,
        actor="off_a",
        reason="승진 발령 2026-7",
        now=later,
    )
    revoke_role(
        repos,
        officer_id=officer_id,
        district="11110",
        role=Role.REVIEWER,
        actor="off_a",
        reason="승진 후 정리",
        now=later,
    )
    history = repos.grants.for_officer(officer_id)
    assert [(g.role, g.action) for g in history] == [
        (Role.REVIEWER, GrantAction.GRANT),
        (Role.APPROVER, GrantAction.GRANT),
        (Role.REVIEWER, GrantAction.REVOKE),
    ]
    assert history[2].actor == "off_a"
    assert history[2].reason == "승진 후 정리"
    assert current_roles(history) == {("11110", Role.APPROVER)}


def test_grants_need_a_reason_a_real_district_and_no_duplicates() -> None:
    repos = MemoryIdentity()
    officer_id = make_officer(repos, roles=(("11110", Role.VIEWER),)).officer.officer_id
    kwargs = {"officer_id": officer_id, "actor": "off_a", "now": T0}
    with pytest.raises(AccountError, match="reason"):
        grant_role(repos, district="11110", role=Role.REVIEWER, reason=" ", **kwargs)
    with pytest.raises(AccountError, match="5-digit"):
        grant_role(repos, district="Seoul", role=Role.REVIEWER, reason="인사발령", **kwargs)
    with pytest.raises(AccountError, match="already holds"):
        grant_role(repos, district="11110", role=Role.VIEWER, reason="인사발령", **kwargs)
    with pytest.raises(AccountError, match="does not hold"):
        revoke_role(repos, district="11110", role=Role.ADMIN, reason="인사발령", **kwargs)
    with pytest.raises(AccountError, match="no officer"):
        grant_role(
            repos,
            officer_id="off_nobody",
            district="11110",
            role=Role.VIEWER,
            actor="a",
            reason="인사발령",
            now=T0,
        )
    assert len(repos.grants.for_officer(officer_id)) == 1


def test_revoking_a_role_ends_the_officers_sessions_and_takes_effect_at_once() -> None:
    repos = MemoryIdentity()
    officer_id = make_officer(repos, roles=(("11110", Role.APPROVER),)).officer.officer_id
    start_session(repos.sessions, SessionKind.OFFICER, officer_id, T0)
    revoke_role(
        repos,
        officer_id=officer_id,
        district="11110",
        role=Role.APPROVER,
        actor="off_a",
        reason="전보 발령",
        now=T0,
    )
    assert repos.sessions.rows == {}
    assert officer_principal(repos, officer_id).roles == frozenset()


def test_changing_the_password_ends_sessions() -> None:
    repos = MemoryIdentity()
    officer_id = make_officer(repos).officer.officer_id
    start_session(repos.sessions, SessionKind.OFFICER, officer_id, T0)
    change_password(repos, HASHER, officer_id=officer_id, password=NEW_PASSWORD)
    stored = repos.officers.get(officer_id)
    assert stored is not None
    assert HASHER.verify(stored.password_hash, NEW_PASSWORD)
    assert repos.sessions.rows == {}
