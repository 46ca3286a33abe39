"""Identity and access: citizens through OpenID Connect, officers with roles per district, API tokens.

Public surface: the model (:class:`Role`, :class:`Permission`, principals), the access policy
(:func:`can_view_case` and friends), and the handlers for accounts, sign-in, sessions and tokens.
Adapters (argon2, pyotp, authlib, SQLAlchemy, FastAPI routes) live in :mod:`cartax.identity.adapters`.
"""

from __future__ import annotations

from cartax.identity.errors import (
    AccountError,
    AccountLockedError,
    DemoProviderRefusedError,
    IdentityError,
    InvalidCredentialsError,
    InvalidTokenError,
    OidcError,
    SessionExpiredError,
    WeakPasswordError,
)
from cartax.identity.model import (
    CitizenPrincipal,
    GrantAction,
    Officer,
    OfficerPrincipal,
    Permission,
    Principal,
    Role,
    RoleGrant,
    current_roles,
)
from cartax.identity.officers import (
    NewOfficer,
    add_officer,
    change_password,
    deactivate_officer,
    grant_role,
    revoke_role,
    unlock_officer,
)
from cartax.identity.policy import (
    Access,
    can_decide_case,
    can_export,
    can_manage_officers,
    can_reveal_personal_data,
    can_view_case,
    case_access,
    district_access,
)
from cartax.identity.ports import IdentityRepositories, LoginOutcome, SessionKind
from cartax.identity.principals import officer_principal, principal_for_session
from cartax.identity.sessions import (
    SessionLimits,
    SessionStatus,
    continue_session,
    end_session,
    resume_session,
    start_session,
)
from cartax.identity.signin import Credentials, LockoutLimits, SignInDeps, SignInResult, attempt_sign_in
from cartax.identity.tokens import authenticate_token, issue_token, revoke_token

__all__ = [
    "Access",
    "AccountError",
    "AccountLockedError",
    "CitizenPrincipal",
    "Credentials",
    "DemoProviderRefusedError",
    "GrantAction",
    "IdentityError",
    "IdentityRepositories",
    "InvalidCredentialsError",
    "InvalidTokenError",
    "LockoutLimits",
    "LoginOutcome",
    "NewOfficer",
    "Officer",
    "OfficerPrincipal",
    "OidcError",
    "Permission",
    "Principal",
    "Role",
    "RoleGrant",
    "SessionExpiredError",
    "SessionKind",
    "SessionLimits",
    "SessionStatus",
    "SignInDeps",
    "SignInResult",
    "WeakPasswordError",
    "add_officer",
    "attempt_sign_in",
    "authenticate_token",
    "can_decide_case",
    "can_export",
    "can_manage_officers",
    "can_reveal_personal_data",
    "can_view_case",
    "case_access",
    "change_password",
    "continue_session",
    "current_roles",
    "deactivate_officer",
    "district_access",
    "end_session",
    "grant_role",
    "issue_token",
    "officer_principal",
    "principal_for_session",
    "resume_session",
    "revoke_role",
    "revoke_token",
    "start_session",
    "unlock_officer",
]
