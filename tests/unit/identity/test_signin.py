from __future__ import annotations

from datetime import timedelta

import pytest

from cartax.identity import (
    AccountLockedError,
    Credentials,
    InvalidCredentialsError,
    LockoutLimits,
    LoginOutcome,
    SignInDeps,
    attempt_sign_in,
    deactivate_officer,
    unlock_officer,
)
from cartax.identity.adapters.argon2_hasher import Argon2Hasher
from cartax.identity.adapters.memory import MemoryIdentity
from identity_factories import CODES, HASHER, PASSWORD, T0, code_at, make_officer

WRONG = "not it at all"

DEPS = SignInDeps(
    HASHER, CODES, LockoutLimits(threshold=3, window=timedelta(minutes=10)), HASHER.hash("x" * 20)
)


def creds(
    secret: str, at: object = T0, *, password: str = PASSWORD, username: str = "kim.officer"
) -> Credentials:
    code = code_at(secret, at) if secret else "000000"  # type: ignore[arg-type]
    return Credentials(username, password, code, "10.0.0.7")


def test_the_right_password_and_code_sign_in_and_are_logged() -> None:
    repos = MemoryIdentity()
    new = make_officer(repos)
    officer = attempt_sign_in(repos, DEPS, creds(new.officer.totp_secret), T0).officer_or_raise()
    assert officer.officer_id == new.officer.officer_id
    assert [a.outcome for a in repos.attempts.rows] == [LoginOutcome.SUCCESS]
    assert repos.attempts.rows[0].source == "10.0.0.7"


@pytest.mark.parametrize(
    ("password", "good_code", "username", "outcome"),
    [
        ("wrong password!!", True, "kim.officer", LoginOutcome.BAD_PASSWORD),
        (PASSWORD, False, "kim.officer", LoginOutcome.BAD_CODE),
        (PASSWORD, True, "lee.nobody", LoginOutcome.UNKNOWN_ACCOUNT),
    ],
)
def test_every_failure_looks_the_same_to_the_user_but_not_in_the_log(
    password: str, good_code: bool, username: str, outcome: LoginOutcome
) -> None:
    repos = MemoryIdentity()
    secret = make_officer(repos).officer.totp_secret
    code = code_at(secret, T0) if good_code else "123456"
    result = attempt_sign_in(repos, DEPS, Credentials(username, password, code, "10.0.0.7"), T0)
    with pytest.raises(InvalidCredentialsError):
        result.officer_or_raise()
    assert repos.attempts.rows[-1].outcome is outcome


def test_a_code_cannot_be_used_twice() -> None:
    repos = MemoryIdentity()
    secret = make_officer(repos).officer.totp_secret
    attempt_sign_in(repos, DEPS, creds(secret), T0).officer_or_raise()
    replay = attempt_sign_in(repos, DEPS, creds(secret), T0 + timedelta(seconds=5))
    assert replay.outcome is LoginOutcome.REPLAYED_CODE
    # the next time-step's code is fresh
    attempt_sign_in(
        repos, DEPS, creds(secret, T0 + timedelta(seconds=30)), T0 + timedelta(seconds=31)
    ).officer_or_raise()


def test_a_code_from_the_neighbouring_step_is_accepted_for_clock_drift() -> None:
    repos = MemoryIdentity()
    secret = make_officer(repos).officer.totp_secret
    attempt_sign_in(repos, DEPS, creds(secret, T0 - timedelta(seconds=30)), T0).officer_or_raise()
    stale = attempt_sign_in(
        repos, DEPS, creds(secret, T0 - timedelta(seconds=90)), T0 + timedelta(seconds=60)
    )
    assert stale.outcome is LoginOutcome.BAD_CODE


def test_repeated_failures_lock_the_account_until_an_administrator_unlocks_it() -> None:
    repos = MemoryIdentity()
    new = make_officer(repos)
    secret, officer_id = new.officer.totp_secret, new.officer.officer_id
    results = [
        attempt_sign_in(
            repos, DEPS, creds(secret, password="guess number " + str(i)), T0 + timedelta(minutes=i)
        )
        for i in range(3)
    ]
    assert [r.locked_now for r in results] == [False, False, True]
    with pytest.raises(AccountLockedError):
        results[-1].officer_or_raise()
    later = T0 + timedelta(hours=5)
    locked = attempt_sign_in(repos, DEPS, creds(secret, later), later)
    assert locked.outcome is LoginOutcome.LOCKED
    with pytest.raises(AccountLockedError):
        locked.officer_or_raise()
    unlock_officer(repos, officer_id=officer_id, now=later)
    attempt_sign_in(repos, DEPS, creds(secret, later), later).officer_or_raise()


def test_failures_outside_the_window_do_not_add_up() -> None:
    repos = MemoryIdentity()
    secret = make_officer(repos).officer.totp_secret
    for minutes in (0, 11, 22, 33):
        at = T0 + timedelta(minutes=minutes)
        assert not attempt_sign_in(repos, DEPS, creds(secret, at, password=WRONG), at).locked_now


def test_a_success_resets_the_count() -> None:
    repos = MemoryIdentity()
    secret = make_officer(repos).officer.totp_secret
    at = T0
    for _ in range(2):
        attempt_sign_in(repos, DEPS, creds(secret, at, password=WRONG), at)
        at += timedelta(seconds=40)
    attempt_sign_in(repos, DEPS, creds(secret, at), at).officer_or_raise()
    at += timedelta(seconds=40)
    assert not attempt_sign_in(repos, DEPS, creds(secret, at, password=WRONG), at).locked_now


def test_a_deactivated_officer_cannot_sign_in() -> None:
    repos = MemoryIdentity()
    new = make_officer(repos)
    deactivate_officer(repos, officer_id=new.officer.officer_id)
    result = attempt_sign_in(repos, DEPS, creds(new.officer.totp_secret), T0)
    assert result.outcome is LoginOutcome.INACTIVE
    with pytest.raises(InvalidCredentialsError):
        result.officer_or_raise()


def test_an_old_hash_is_upgraded_at_sign_in() -> None:
    repos = MemoryIdentity()
    new = make_officer(repos)
    stronger = Argon2Hasher(time_cost=2, memory_cost=2048)
    deps = SignInDeps(stronger, CODES, DEPS.limits, DEPS.dummy_hash)
    attempt_sign_in(repos, deps, creds(new.officer.totp_secret), T0).officer_or_raise()
    stored = repos.officers.get(new.officer.officer_id)
    assert stored is not None
    assert not stronger.needs_rehash(stored.password_hash)
    assert stronger.verify(stored.password_hash, PASSWORD)
