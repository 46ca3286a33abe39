"""The owner behind a case, for staff: masked by default; one value in full for a role that may see it
and a stated reason, recorded in the audit trail before it is shown (QUALITY.md, "Security").

The values come from the registry (decrypted there); masking is :mod:`cartax.core.masking`'s. The reveal
is a POST so that the reason travels in the body, never in a URL or a log line.
"""

from collections.abc import Callable
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Request

from cartax.audit import AccessEntryError
from cartax.core.masking import MaskingError, mask_account, mask_email, mask_name, mask_phone, mask_rrn
from cartax.identity import OfficerPrincipal, can_reveal_personal_data
from cartax.web import case_schemas as s
from cartax.web.access_log import AccessLog
from cartax.web.cases_api import SIGNED_IN, Seen, SeenBy
from cartax.web.problems import ProblemError


class OwnerSource(Protocol):
    """An owner's record as the registry keeps it (``SqlOwnerView.get`` answers one or None)."""

    @property
    def owner_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def rrn(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def refund_bank(self) -> str | None: ...
    @property
    def refund_account(self) -> str | None: ...
    @property
    def refund_account_holder(self) -> str | None: ...


OwnerLookup = Callable[[str], OwnerSource | None]


def owner_router(owners: OwnerLookup, access: AccessLog, seen: SeenBy) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["cases"])

    @router.get(
        "/cases/{case_id}/owner",
        response_model=s.OwnerMasked,
        summary="The case's owner, masked (officers of its district; the read is audited)",
        openapi_extra=SIGNED_IN,
    )
    def owner(case: Annotated[Seen, Depends(seen.officer)], request: Request) -> s.OwnerMasked:
        officer, record = _officer(case), _record(owners, case)
        access.staff_read(
            request, officer, case.case.district, f"case:{case.case.case_key}:owner", record.owner_id
        )
        return masked(record)

    @router.post(
        "/cases/{case_id}/owner/reveal",
        response_model=s.Revealed,
        summary="One value of the owner in full, for a stated reason (reviewers and approvers; audited)",
        openapi_extra=SIGNED_IN,
    )
    def reveal(
        case: Annotated[Seen, Depends(seen.officer)], body: s.RevealRequest, request: Request
    ) -> s.Revealed:
        officer, district = _officer(case), case.case.district
        if not can_reveal_personal_data(officer, district, body.reason):
            raise ProblemError(403, "forbidden", f"your role in district {district} may not see this in full")
        record = _record(owners, case)
        subject = f"case:{case.case.case_key}:owner:{body.field}"
        try:
            access.reveal(request, officer, district, subject, record.owner_id, body.reason)
        except AccessEntryError as error:
            raise ProblemError(422, "invalid_reason", str(error)) from None
        return s.Revealed(field=body.field, value=getattr(record, body.field))

    return router


def _officer(case: Seen) -> OfficerPrincipal:
    if not isinstance(case.principal, OfficerPrincipal):  # seen.officer lets only officers through
        raise ProblemError(403, "officer_required", "only an officer can do this")
    return case.principal


def _record(owners: OwnerLookup, case: Seen) -> OwnerSource:
    record = owners(case.case.owner_id)
    if record is None:
        raise ProblemError(
            404, "owner_not_found", "the registry holds no record of this case's owner; load the owners feed"
        )
    return record


def masked(record: OwnerSource) -> s.OwnerMasked:
    return s.OwnerMasked(
        owner_id=record.owner_id,
        kind=record.kind,
        name=_mask(mask_name, record.name),
        rrn=_mask(mask_rrn, record.rrn),
        phone=_mask(mask_phone, record.phone),
        email=_mask(mask_email, record.email),
        refund_bank=record.refund_bank,
        refund_account=_mask(mask_account, record.refund_account),
        refund_account_holder=_mask(mask_name, record.refund_account_holder),
    )


def _mask(rule: Callable[[str], str], value: str | None) -> str | None:
    """The masked value; a value of an unexpected shape is hidden whole rather than shown."""
    if not value:
        return None
    try:
        return rule(value)
    except MaskingError:
        return "*" * len(value)
