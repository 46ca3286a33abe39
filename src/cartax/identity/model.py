"""Officers, their roles per district, the append-only history of grants, and who is asking (principals).

An officer holds roles in districts (시·군·구, by 5-digit code). Grants are never updated or deleted:
a revocation is a new row, so the history of who could do what, granted by whom and why, is kept for
the three years the law asks (개인정보의 안전성 확보조치 기준 §5) and longer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cartax.identity.errors import AccountError

_DISTRICT = re.compile(r"\d{5}")
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{2,31}")


class Role(StrEnum):
    """What an officer may do in a district."""

    VIEWER = "viewer"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW_CASE = "view_case"
    REVEAL_PERSONAL_DATA = "reveal_personal_data"
    """See a resident or account number unmasked, for a stated reason (audited)."""
    REVIEW_CASE = "review_case"
    APPROVE_CASE = "approve_case"
    EXPORT = "export"
    MANAGE_OFFICERS = "manage_officers"
    READ_AUDIT = "read_audit"


# Administrators manage accounts and read the audit trail but do not decide on refunds: whoever grants
# rights should not also be the one paying (separation of duties against insider fraud).
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW_CASE}),
    Role.REVIEWER: frozenset({Permission.VIEW_CASE, Permission.REVEAL_PERSONAL_DATA, Permission.REVIEW_CASE}),
    Role.APPROVER: frozenset(
        {
            Permission.VIEW_CASE,
            Permission.REVEAL_PERSONAL_DATA,
            Permission.REVIEW_CASE,
            Permission.APPROVE_CASE,
            Permission.EXPORT,
        }
    ),
    Role.ADMIN: frozenset({Permission.VIEW_CASE, Permission.MANAGE_OFFICERS, Permission.READ_AUDIT}),
}


class GrantAction(StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"


def check_district(code: str) -> str:
    if not _DISTRICT.fullmatch(code):
        raise AccountError(f"a district is its 5-digit 시군구 code, e.g. 11110; {code!r} is not one")
    return code


def check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise AccountError(
            "a user name is 3 to 32 characters: lower-case letters, digits, '.', '_' or '-', "
            f"starting with a letter; {username!r} is not accepted"
        )
    return username


@dataclass(frozen=True)
class RoleGrant:
    """One row of the grant history: ``actor`` granted (or revoked) ``role`` in ``district`` to an officer."""

    grant_id: str
    officer_id: str
    district: str
    role: Role
    action: GrantAction
    actor: str
    at: datetime
    reason: str


def current_roles(grants: Iterable[RoleGrant]) -> frozenset[tuple[str, Role]]:
    """The (district, role) pairs in force after replaying the history in time order.

    The sort is stable: rows of the same instant apply in the order they were appended.
    """
    held: set[tuple[str, Role]] = set()
    for grant in sorted(grants, key=lambda g: g.at):
        pair = (grant.district, grant.role)
        if grant.action is GrantAction.GRANT:
            held.add(pair)
        else:
            held.discard(pair)
    return frozenset(held)


@dataclass
class Officer:
    """A staff account. ``totp_last_step`` is the last accepted TOTP time-step (replay protection)."""

    officer_id: str
    username: str
    display_name: str
    password_hash: str
    totp_secret: str
    created_at: datetime
    totp_last_step: int = -1
    locked_at: datetime | None = None
    failures_since: datetime | None = None
    """Failures before this moment no longer count (set on success and on unlock)."""
    active: bool = True

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


@dataclass(frozen=True)
class CitizenPrincipal:
    """A citizen signed in through OpenID Connect; sees only the cases of ``owner_id``."""

    owner_id: str


@dataclass(frozen=True)
class OfficerPrincipal:
    """An officer (or a machine token acting like one) with the roles in force when the request began."""

    officer_id: str
    roles: frozenset[tuple[str, Role]] = field(default_factory=frozenset)
    machine: bool = False

    def permissions_in(self, district: str) -> frozenset[Permission]:
        granted: set[Permission] = set()
        for held_district, role in self.roles:
            if held_district == district:
                granted |= ROLE_PERMISSIONS[role]
        return frozenset(granted)

    def districts(self) -> frozenset[str]:
        return frozenset(district for district, _ in self.roles)

    def primary_role_in(self, district: str) -> Role | None:
        """The highest role held in ``district`` (recorded as ``actor_role`` in access records)."""
        order = list(Role)
        held = [role for held_district, role in self.roles if held_district == district]
        return max(held, key=order.index) if held else None


Principal = CitizenPrincipal | OfficerPrincipal
