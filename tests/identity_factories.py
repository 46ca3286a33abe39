"""Factories for identity tests: cheap argon2 parameters, a real TOTP, repositories in memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp

from cartax.identity import NewOfficer, Role, add_officer, grant_role
from cartax.identity.adapters.argon2_hasher import Argon2Hasher
from cartax.identity.adapters.memory import MemoryIdentity
from cartax.identity.adapters.totp import PyotpCodes

T0 = datetime(2026, 8, 14, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"  # noqa: S105 - a test password
HASHER = Argon2Hasher(time_cost=1, memory_cost=1024)
CODES = PyotpCodes()


def make_officer(
    repos: MemoryIdentity, *, username: str = "kim.officer", roles: tuple[tuple[str, Role], ...] = ()
) -> NewOfficer:
    new = add_officer(
        repos, HASHER, CODES, username=username, display_name="김담당", password=PASSWORD, now=T0
    )
    for district, role in roles:
        grant_role(
            repos,
            officer_id=new.officer.officer_id,
            district=district,
            role=role,
            actor="off_admin",
            reason="인사발령 2026-123",
            now=T0,
        )
    return new


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)
