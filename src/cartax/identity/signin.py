"""Officer sign-in: password (argon2) and a TOTP code together, lock-out after repeated failures.

Every attempt is logged with its precise outcome; the person signing in only learns "wrong user name,
password or code", so the form cannot be used to find out which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cartax.identity.errors import AccountLockedError, InvalidCredentialsError
from cartax.identity.model import Officer
from cartax.identity.ports import (
    IdentityRepositories,
    LoginAttempt,
    LoginOutcome,
    OneTimeCodes,
    PasswordHasher,
)


@dataclass(frozen=True)
class LockoutLimits:
    """Lock an account after ``threshold`` failures within ``window``; only an administrator unlocks it."""

    threshold: int = 5
    window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.window <= timedelta(0):
            raise ValueError("lock-out needs a threshold of at least 1 and a positive window")


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    code: str
    source: str
    """Where the attempt came from (client address), for the attempt log."""


@dataclass(frozen=True)
class SignInDeps:
    hasher: PasswordHasher
    codes: OneTimeCodes
    limits: LockoutLimits
    dummy_hash: str
    """A hash of a random password, verified for unknown accounts so that both paths cost the same."""


@dataclass(frozen=True)
class SignInResult:
    """The outcome of one attempt. The caller commits first (the attempt and any lock must be kept even
    when sign-in fails), then calls :meth:`officer_or_raise`."""

    outcome: LoginOutcome
    officer: Officer | None = None
    locked_now: bool = False

    def officer_or_raise(self) -> Officer:
        if self.outcome is LoginOutcome.SUCCESS and self.officer is not None:
            return self.officer
        if self.outcome is LoginOutcome.LOCKED or self.locked_now:
            raise AccountLockedError
        raise InvalidCredentialsError


def attempt_sign_in(
    repos: IdentityRepositories, deps: SignInDeps, cred: Credentials, now: datetime
) -> SignInResult:
    """Check the password and the code; log the attempt; lock the account at the threshold."""
    officer = repos.officers.by_username(cred.username)
    if officer is None:
        deps.hasher.verify(deps.dummy_hash, cred.password)
        return _log(repos, cred, None, now, LoginOutcome.UNKNOWN_ACCOUNT)
    if officer.locked:
        return _log(repos, cred, officer, now, LoginOutcome.LOCKED)
    outcome = _check_factors(officer, deps, cred, now)
    if outcome is not LoginOutcome.SUCCESS:
        return _fail(repos, deps.limits, cred, officer, now, outcome)
    if deps.hasher.needs_rehash(officer.password_hash):
        officer.password_hash = deps.hasher.hash(cred.password)
    officer.failures_since = now
    repos.officers.save(officer)
    return _log(repos, cred, officer, now, LoginOutcome.SUCCESS)


def _check_factors(officer: Officer, deps: SignInDeps, cred: Credentials, now: datetime) -> LoginOutcome:
    if not deps.hasher.verify(officer.password_hash, cred.password):
        return LoginOutcome.BAD_PASSWORD
    if not officer.active:
        return LoginOutcome.INACTIVE
    step = deps.codes.matching_step(officer.totp_secret, cred.code, now)
    if step is None:
        return LoginOutcome.BAD_CODE
    # A code is good for a whole 30-second step (and its neighbours): once used, it and every
    # earlier step are spent, so a code read over someone's shoulder cannot be replayed.
    if step <= officer.totp_last_step:
        return LoginOutcome.REPLAYED_CODE
    officer.totp_last_step = step
    return LoginOutcome.SUCCESS


def _fail(
    repos: IdentityRepositories,
    limits: LockoutLimits,
    cred: Credentials,
    officer: Officer,
    now: datetime,
    outcome: LoginOutcome,
) -> SignInResult:
    result = _log(repos, cred, officer, now, outcome)
    since = now - limits.window
    if officer.failures_since is not None:
        since = max(since, officer.failures_since)
    if repos.attempts.failures_since(officer.officer_id, since) < limits.threshold:
        return result
    officer.locked_at = now
    repos.officers.save(officer)
    return SignInResult(outcome, officer, locked_now=True)


def _log(
    repos: IdentityRepositories,
    cred: Credentials,
    officer: Officer | None,
    now: datetime,
    outcome: LoginOutcome,
) -> SignInResult:
    officer_id = officer.officer_id if officer else None
    repos.attempts.append(LoginAttempt(cred.username[:64], officer_id, now, cred.source[:64], outcome))
    return SignInResult(outcome, officer)
