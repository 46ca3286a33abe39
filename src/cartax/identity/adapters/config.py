"""The identity context's policies and adapters, built from the typed settings (for the composition root)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from cartax.identity.adapters.argon2_hasher import Argon2Hasher
from cartax.identity.adapters.totp import PyotpCodes
from cartax.identity.sessions import SessionLimits
from cartax.identity.signin import LockoutLimits, SignInDeps
from cartax.settings import Settings


def lockout_limits(settings: Settings) -> LockoutLimits:
    return LockoutLimits(
        settings.officer_lockout_threshold, timedelta(minutes=settings.officer_lockout_window_minutes)
    )


def officer_session_limits(settings: Settings) -> SessionLimits:
    return SessionLimits(
        idle=timedelta(minutes=settings.officer_idle_minutes),
        absolute=timedelta(hours=settings.officer_absolute_hours),
        warning=timedelta(minutes=settings.session_warning_minutes),
    )


def citizen_session_limits(settings: Settings) -> SessionLimits:
    return SessionLimits(
        idle=timedelta(minutes=settings.citizen_idle_minutes),
        absolute=timedelta(hours=settings.citizen_absolute_hours),
        warning=timedelta(minutes=settings.session_warning_minutes),
    )


def sign_in_deps(settings: Settings, hasher: Argon2Hasher | None = None) -> SignInDeps:
    hasher = hasher or Argon2Hasher()
    return SignInDeps(hasher, PyotpCodes(), lockout_limits(settings), hasher.hash(secrets.token_urlsafe(24)))
