"""Who a request acts for, rebuilt from the store on every request so that a revoked role, a lock or a
deactivation takes effect at once rather than when the session ends."""

from __future__ import annotations

from cartax.identity.errors import SessionExpiredError
from cartax.identity.model import CitizenPrincipal, OfficerPrincipal, Principal, current_roles
from cartax.identity.ports import IdentityRepositories, SessionKind
from cartax.identity.sessions import SessionStatus


def officer_principal(repos: IdentityRepositories, officer_id: str) -> OfficerPrincipal:
    officer = repos.officers.get(officer_id)
    if officer is None or officer.locked or not officer.active:
        raise SessionExpiredError
    return OfficerPrincipal(officer_id, current_roles(repos.grants.for_officer(officer_id)))


def principal_for_session(repos: IdentityRepositories, status: SessionStatus) -> Principal:
    if status.record.kind is SessionKind.CITIZEN:
        return CitizenPrincipal(status.subject_id)
    return officer_principal(repos, status.subject_id)
