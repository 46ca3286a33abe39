"""Who may see and do what, as pure functions the web layer asks before touching any object.

The answer distinguishes *not found* from *forbidden*: a citizen asking for someone else's case, or an
officer asking for a district they have no role in, must not learn that the object exists (404); an
officer of the right district whose role does not allow the action is told so (403).
"""

from __future__ import annotations

from enum import StrEnum

from cartax.identity.model import CitizenPrincipal, OfficerPrincipal, Permission, Principal

MIN_REASON_LENGTH = 5


class Access(StrEnum):
    ALLOW = "allow"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"


def case_access(
    principal: Principal, permission: Permission, case_district: str, case_owner_id: str
) -> Access:
    """May ``principal`` exercise ``permission`` on a case of ``case_owner_id`` in ``case_district``?

    Citizens may only view their own cases; every other permission is for officers.
    """
    if isinstance(principal, CitizenPrincipal):
        if principal.owner_id != case_owner_id:
            return Access.NOT_FOUND
        return Access.ALLOW if permission is Permission.VIEW_CASE else Access.FORBIDDEN
    return district_access(principal, permission, case_district)


def district_access(principal: OfficerPrincipal, permission: Permission, district: str) -> Access:
    """May an officer exercise ``permission`` in ``district``?"""
    held = principal.permissions_in(district)
    if not held:
        return Access.NOT_FOUND
    return Access.ALLOW if permission in held else Access.FORBIDDEN


def can_view_case(principal: Principal, case_district: str, case_owner_id: str) -> bool:
    """A citizen sees their own cases; an officer sees the cases of the districts they hold a role in."""
    return case_access(principal, Permission.VIEW_CASE, case_district, case_owner_id) is Access.ALLOW


def can_decide_case(principal: Principal, case_district: str, *, approve: bool) -> bool:
    """Review (reviewer and up) or approve (approver) a case of ``case_district``; never a citizen."""
    if not isinstance(principal, OfficerPrincipal):
        return False
    permission = Permission.APPROVE_CASE if approve else Permission.REVIEW_CASE
    return district_access(principal, permission, case_district) is Access.ALLOW


def can_reveal_personal_data(principal: Principal, district: str, reason: str) -> bool:
    """See a resident or account number unmasked: a role that allows it and a stated reason.

    The caller records the access (with the reason) in the audit log before showing anything.
    """
    if not isinstance(principal, OfficerPrincipal) or len(reason.strip()) < MIN_REASON_LENGTH:
        return False
    return district_access(principal, Permission.REVEAL_PERSONAL_DATA, district) is Access.ALLOW


def can_export(principal: Principal, district: str, reason: str) -> bool:
    """Download personal data of a district: approver role and a stated reason (audited by the caller)."""
    if not isinstance(principal, OfficerPrincipal) or len(reason.strip()) < MIN_REASON_LENGTH:
        return False
    return district_access(principal, Permission.EXPORT, district) is Access.ALLOW


def can_manage_officers(principal: Principal, district: str) -> bool:
    """Add officers, grant and revoke roles, unlock accounts in ``district``: administrators only."""
    if not isinstance(principal, OfficerPrincipal):
        return False
    return district_access(principal, Permission.MANAGE_OFFICERS, district) is Access.ALLOW
