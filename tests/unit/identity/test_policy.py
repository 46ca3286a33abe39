from __future__ import annotations

import pytest

from cartax.identity import (
    Access,
    CitizenPrincipal,
    OfficerPrincipal,
    Permission,
    Role,
    can_decide_case,
    can_export,
    can_manage_officers,
    can_reveal_personal_data,
    can_view_case,
    case_access,
)

SEOUL_JONGNO, SEOUL_JUNG = "11110", "11140"


def officer(*roles: tuple[str, Role]) -> OfficerPrincipal:
    return OfficerPrincipal("off_1", frozenset(roles))


def test_a_citizen_sees_only_their_own_cases() -> None:
    me = CitizenPrincipal("O-100")
    assert can_view_case(me, SEOUL_JONGNO, "O-100")
    assert not can_view_case(me, SEOUL_JONGNO, "O-101")
    assert case_access(me, Permission.VIEW_CASE, SEOUL_JONGNO, "O-101") is Access.NOT_FOUND


def test_a_citizen_cannot_decide_even_their_own_case() -> None:
    me = CitizenPrincipal("O-100")
    assert case_access(me, Permission.APPROVE_CASE, SEOUL_JONGNO, "O-100") is Access.FORBIDDEN
    assert not can_decide_case(me, SEOUL_JONGNO, approve=True)


def test_an_officer_of_another_district_is_told_nothing_exists() -> None:
    jongno_viewer = officer((SEOUL_JONGNO, Role.VIEWER))
    assert can_view_case(jongno_viewer, SEOUL_JONGNO, "O-1")
    assert not can_view_case(jongno_viewer, SEOUL_JUNG, "O-1")
    assert case_access(jongno_viewer, Permission.VIEW_CASE, SEOUL_JUNG, "O-1") is Access.NOT_FOUND


def test_a_role_too_low_is_forbidden_not_hidden() -> None:
    viewer = officer((SEOUL_JONGNO, Role.VIEWER))
    assert case_access(viewer, Permission.APPROVE_CASE, SEOUL_JONGNO, "O-1") is Access.FORBIDDEN


@pytest.mark.parametrize(
    ("role", "review", "approve"),
    [
        (Role.VIEWER, False, False),
        (Role.REVIEWER, True, False),
        (Role.APPROVER, True, True),
        (Role.ADMIN, False, False),
    ],
)
def test_deciding_follows_the_role(role: Role, review: bool, approve: bool) -> None:
    principal = officer((SEOUL_JONGNO, role))
    assert can_decide_case(principal, SEOUL_JONGNO, approve=False) is review
    assert can_decide_case(principal, SEOUL_JONGNO, approve=True) is approve
    assert not can_decide_case(principal, SEOUL_JUNG, approve=False)


def test_roles_are_per_district() -> None:
    both = officer((SEOUL_JONGNO, Role.APPROVER), (SEOUL_JUNG, Role.VIEWER))
    assert can_decide_case(both, SEOUL_JONGNO, approve=True)
    assert not can_decide_case(both, SEOUL_JUNG, approve=True)
    assert both.primary_role_in(SEOUL_JONGNO) is Role.APPROVER
    assert both.primary_role_in("26110") is None


def test_revealing_personal_data_needs_the_role_and_a_reason() -> None:
    reviewer = officer((SEOUL_JONGNO, Role.REVIEWER))
    assert can_reveal_personal_data(reviewer, SEOUL_JONGNO, "민원 2026-0815 본인 확인")
    assert not can_reveal_personal_data(reviewer, SEOUL_JONGNO, "   ")
    assert not can_reveal_personal_data(reviewer, SEOUL_JUNG, "민원 2026-0815 본인 확인")
    assert not can_reveal_personal_data(officer((SEOUL_JONGNO, Role.VIEWER)), SEOUL_JONGNO, "민원 2026-0815")
    assert not can_reveal_personal_data(CitizenPrincipal("O-1"), SEOUL_JONGNO, "민원 2026-0815")


def test_exports_are_for_approvers_with_a_reason() -> None:
    assert can_export(officer((SEOUL_JONGNO, Role.APPROVER)), SEOUL_JONGNO, "월간 점검 자료")
    assert not can_export(officer((SEOUL_JONGNO, Role.REVIEWER)), SEOUL_JONGNO, "월간 점검 자료")
    assert not can_export(officer((SEOUL_JONGNO, Role.APPROVER)), SEOUL_JONGNO, "")


def test_administrators_manage_accounts_but_do_not_approve() -> None:
    admin = officer((SEOUL_JONGNO, Role.ADMIN))
    assert can_manage_officers(admin, SEOUL_JONGNO)
    assert not can_manage_officers(admin, SEOUL_JUNG)
    assert not can_manage_officers(officer((SEOUL_JONGNO, Role.APPROVER)), SEOUL_JONGNO)
    assert not can_decide_case(admin, SEOUL_JONGNO, approve=True)
