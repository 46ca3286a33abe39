"""The refund-case API under ``/api/v1``: citizens follow and answer their own cases, officers work their
districts' cases. Every rule lives in the cases and identity contexts; these routes ask and translate.

Commands take an ``Idempotency-Key``: a repeat (or a concurrent duplicate) has no second effect and gets
the first answer again, marked ``Idempotent-Replayed: true``; the same key with another request is a 409
``idempotency_key_reused`` and changes nothing.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from cartax.cases import (
    AcceptRefund,
    Actor,
    ApproveRefund,
    CaseReader,
    CaseService,
    CaseState,
    CaseStatus,
    CommandResult,
    ObjectToRefund,
    RejectRefund,
)
from cartax.identity import CitizenPrincipal, OfficerPrincipal, Permission, Principal
from cartax.web import case_schemas as s
from cartax.web.access_log import EVERYONE, AccessLog
from cartax.web.auth import BEARER_SECURITY, Auth, require, require_district, visible_case
from cartax.web.problems import ProblemError

CaseId = Annotated[
    str, Path(pattern=s.CASE_KEY_PATTERN, description="The case's key (`case_key`), as in the notice.")
]
District = Annotated[str, Path(pattern=s.DISTRICT_PATTERN, description="5-digit 시군구 code, e.g. 11680.")]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=s.IDEMPOTENCY_KEY_PATTERN,
        description="A new random value per command (e.g. a UUID); send the same one again to retry.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many cases.")]
REPLAYED_HEADER = "Idempotent-Replayed"
SIGNED_IN: dict[str, Any] = {"security": BEARER_SECURITY}


class CaseLineSource(Protocol):
    @property
    def case_key(self) -> str: ...
    @property
    def tax_year(self) -> int: ...
    @property
    def district(self) -> str: ...
    @property
    def state(self) -> CaseState: ...
    @property
    def since(self) -> datetime: ...
    @property
    def payable(self) -> int: ...
    @property
    def computation(self) -> int: ...


class CaseLists(Protocol):
    """The lists the cases context answers (``SqlCaseLists``, built by the composition root)."""

    def of_owner(self, owner_id: str, limit: int) -> Sequence[CaseLineSource]: ...
    def of_district(
        self, district: str, states: Collection[CaseState], after: str | None, limit: int
    ) -> Sequence[CaseLineSource]: ...


class RunSource(Protocol):
    @property
    def run_id(self) -> int: ...
    @property
    def mode(self) -> str: ...
    @property
    def tax_year(self) -> int: ...
    @property
    def decision_on(self) -> date: ...
    @property
    def rules_version(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def finished_at(self) -> datetime: ...
    @property
    def summary(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CaseDeps:
    reader: CaseReader
    service: CaseService
    lists: CaseLists
    runs: Callable[[int], Sequence[RunSource]]
    access: AccessLog


def cases_router(deps: CaseDeps, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["cases"])
    _citizen_routes(router, deps, auth)
    _shared_routes(router, deps, auth)
    _officer_routes(router, deps, auth)
    return router


def _citizen_routes(router: APIRouter, deps: CaseDeps, auth: Auth) -> None:
    @router.get(
        "/me/cases",
        response_model=s.CaseList,
        summary="The signed-in citizen's own cases",
        openapi_extra=SIGNED_IN,
    )
    def my_cases(
        citizen: Annotated[CitizenPrincipal, Depends(auth.citizen)], limit: Limit = 100
    ) -> s.CaseList:
        return s.CaseList(items=[_line(item) for item in deps.lists.of_owner(citizen.owner_id, limit)])

    @router.post(
        "/cases/{case_id}/accept",
        response_model=s.CommandOutcome,
        summary="Ask for the refund (one click); the owner only",
        openapi_extra=SIGNED_IN,
    )
    def accept(
        case_id: CaseId,
        key: IdempotencyKey,
        response: Response,
        principal: Annotated[Principal, Depends(auth.principal)],
    ) -> s.CommandOutcome:
        owner = _owner(deps, principal, case_id)
        return _answer(deps.service.execute(AcceptRefund(case_id), owner, key), response)

    @router.post(
        "/cases/{case_id}/object",
        response_model=s.CommandOutcome,
        summary="Object to the automatic payment or to the amount; the owner only",
        openapi_extra=SIGNED_IN,
    )
    def object_to(
        case_id: CaseId,
        body: s.Reason,
        key: IdempotencyKey,
        response: Response,
        principal: Annotated[Principal, Depends(auth.principal)],
    ) -> s.CommandOutcome:
        owner = _owner(deps, principal, case_id)
        return _answer(deps.service.execute(ObjectToRefund(case_id, body.reason), owner, key), response)


def _shared_routes(router: APIRouter, deps: CaseDeps, auth: Auth) -> None:
    @router.get(
        "/cases/{case_id}",
        response_model=s.CaseDetail,
        summary="One case with its amounts and history (its owner, or an officer of its district)",
        openapi_extra=SIGNED_IN,
    )
    def case_detail(
        case_id: CaseId, request: Request, principal: Annotated[Principal, Depends(auth.principal)]
    ) -> dict[str, Any]:
        status = visible_case(deps.reader, principal, case_id)
        if isinstance(principal, OfficerPrincipal):
            deps.access.staff_read(request, principal, status.district, f"case:{case_id}", status.owner_id)
        return status.to_json()


def _officer_routes(router: APIRouter, deps: CaseDeps, auth: Auth) -> None:
    @router.get(
        "/districts/{district}/cases",
        response_model=s.CaseList,
        summary="A district's cases, by state (officers of the district)",
        openapi_extra=SIGNED_IN,
    )
    def district_cases(
        district: District,
        request: Request,
        officer: Annotated[OfficerPrincipal, Depends(auth.officer)],
        state: Annotated[list[CaseState] | None, Query(description="Only these states (repeat).")] = None,
        after: Annotated[str | None, Query(pattern=s.CASE_KEY_PATTERN, description="Page after.")] = None,
        limit: Limit = 100,
    ) -> s.CaseList:
        require_district(officer, district)
        deps.access.staff_read(request, officer, district, f"district:{district}:cases", EVERYONE)
        found = deps.lists.of_district(district, frozenset(state or ()), after, limit)
        last = found[-1].case_key if len(found) == limit else None
        return s.CaseList(items=[_line(item) for item in found], next_after=last)

    @router.post(
        "/cases/{case_id}/approve",
        response_model=s.CommandOutcome,
        summary="Sign the payment decision (above the threshold, a second officer signs too)",
        openapi_extra=SIGNED_IN,
    )
    def approve(
        case_id: CaseId,
        key: IdempotencyKey,
        request: Request,
        response: Response,
        officer: Annotated[OfficerPrincipal, Depends(auth.officer)],
    ) -> s.CommandOutcome:
        status = _decidable(deps, officer, case_id)
        result = deps.service.execute(ApproveRefund(case_id), Actor.officer(officer.officer_id), key)
        return _decided(deps, request, officer, status, result, response, "officer_approved")

    @router.post(
        "/cases/{case_id}/reject",
        response_model=s.CommandOutcome,
        summary="Refuse the refund, saying why",
        openapi_extra=SIGNED_IN,
    )
    def reject(
        case_id: CaseId,
        body: s.Reason,
        key: IdempotencyKey,
        request: Request,
        response: Response,
        officer: Annotated[OfficerPrincipal, Depends(auth.officer)],
    ) -> s.CommandOutcome:
        status = _decidable(deps, officer, case_id)
        command = RejectRefund(case_id, body.reason)
        result = deps.service.execute(command, Actor.officer(officer.officer_id), key)
        return _decided(deps, request, officer, status, result, response, "officer_rejected")

    @router.get(
        "/detection/runs",
        response_model=list[s.DetectionRun],
        summary="The latest detection runs (officers)",
        openapi_extra=SIGNED_IN,
    )
    def detection_runs(
        officer: Annotated[OfficerPrincipal, Depends(auth.officer)],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> list[s.DetectionRun]:
        if not officer.districts():
            raise ProblemError(403, "forbidden", "you hold no role in any district; ask an administrator")
        return [_run(run) for run in deps.runs(limit)]


def _owner(deps: CaseDeps, principal: Principal, case_id: str) -> Actor:
    """The citizen acting on their own case (404 for anyone else's, 403 for an officer of its district)."""
    visible_case(deps.reader, principal, case_id)
    if not isinstance(principal, CitizenPrincipal):
        raise ProblemError(403, "citizen_required", "only the owner of the case, signed in, can do this")
    return Actor.citizen(principal.owner_id)


def _decidable(deps: CaseDeps, officer: OfficerPrincipal, case_id: str) -> CaseStatus:
    status = visible_case(deps.reader, officer, case_id)
    require(officer, Permission.APPROVE_CASE, status)
    return status


def _decided(
    deps: CaseDeps,
    request: Request,
    officer: OfficerPrincipal,
    status: CaseStatus,
    result: CommandResult,
    response: Response,
    reason: str,
) -> s.CommandOutcome:
    if not result.replayed:
        subject = f"case:{status.case_key}"
        deps.access.decision(request, officer, status.district, subject, status.owner_id, reason)
    return _answer(result, response)


def _answer(result: CommandResult, response: Response) -> s.CommandOutcome:
    response.headers[REPLAYED_HEADER] = "true" if result.replayed else "false"
    return s.CommandOutcome.model_validate(result.to_json())


def _line(item: CaseLineSource) -> s.CaseLine:
    return s.CaseLine(
        case_key=item.case_key,
        tax_year=item.tax_year,
        district=item.district,
        state=item.state,
        since=item.since,
        payable=item.payable,
        computation=item.computation,
    )


def _run(run: RunSource) -> s.DetectionRun:
    summary = run.summary
    return s.DetectionRun(
        run_id=run.run_id,
        mode=run.mode,
        tax_year=run.tax_year,
        decision_on=run.decision_on,
        rules_version=run.rules_version,
        started_at=run.started_at,
        finished_at=run.finished_at,
        cases_with_refunds=int(summary.get("cases_with_refunds", 0)),
        payable_total=int(summary.get("payable_total", 0)),
        rejects=int(summary.get("rejects", 0)),
    )
