"""The identity context's exception tree.

Messages shown to the person signing in are deliberately the same for an unknown account, a wrong
password and a wrong code (no account enumeration); the precise reason goes to the login-attempt log.
"""

from __future__ import annotations

from cartax.core.errors import CartaxError


class IdentityError(CartaxError):
    """Base of every error of the identity context."""


class InvalidCredentialsError(IdentityError):
    """The account, password or one-time code is wrong (which one is not said)."""

    def __init__(self) -> None:
        super().__init__(
            "아이디, 비밀번호 또는 인증코드가 올바르지 않습니다. "
            "(the user name, password or one-time code is wrong; check them and try again)"
        )


class AccountLockedError(IdentityError):
    """Too many failed sign-ins: the account stays locked until an administrator unlocks it."""

    def __init__(self) -> None:
        super().__init__(
            "로그인 실패가 반복되어 계정이 잠겼습니다. 관리자에게 잠금 해제를 요청하십시오. "
            "(the account is locked after repeated failed sign-ins; ask an administrator to unlock it)"
        )


class SessionExpiredError(IdentityError):
    """The session does not exist any more, timed out while idle or reached its absolute limit."""

    def __init__(self) -> None:
        super().__init__(
            "로그인 시간이 만료되었습니다. 다시 로그인하십시오. (the session has ended; sign in again)"
        )


class InvalidTokenError(IdentityError):
    """An API token is unknown, revoked or expired."""

    def __init__(self) -> None:
        super().__init__("the API token is unknown, revoked or expired; ask an administrator for a new one")


class AccountError(IdentityError):
    """A change to officer accounts or grants is not acceptable (the message says why and what to do)."""


class WeakPasswordError(AccountError):
    """A new password does not meet the password policy."""


class OidcError(IdentityError):
    """Signing in through the OpenID provider failed (the message names the check that failed)."""


class DemoProviderRefusedError(IdentityError):
    """The demonstration identity provider must not run in production."""
