"""TOTP second factor (RFC 6238: 6 digits, 30-second steps, SHA-1 as authenticator apps expect) via pyotp."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

ISSUER = "cartax"
STEP_SECONDS = 30


class PyotpCodes:
    """``window`` neighbouring steps are accepted on each side to allow for clock drift of a phone."""

    def __init__(self, *, window: int = 1, issuer: str = ISSUER) -> None:
        self.window = window
        self.issuer = issuer

    def new_secret(self) -> str:
        return pyotp.random_base32()

    def provisioning_uri(self, secret: str, account: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=self.issuer)

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        code = code.strip().replace(" ", "")
        if len(code) != 6 or not code.isdigit():
            return None
        totp = pyotp.TOTP(secret)
        step = int(at.timestamp()) // STEP_SECONDS
        for candidate in range(step - self.window, step + self.window + 1):
            if hmac.compare_digest(totp.at(candidate * STEP_SECONDS), code):
                return candidate
        return None
