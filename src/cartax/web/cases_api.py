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


@dataclass(frozen=True)
class Seen:
    """A case and a caller who may see it."""

    principal: Principal
    case: CaseStatus


@dataclass(frozen=True)
class SeenBy:
    """Dependencies that find the case of the path for a caller who may see it, or answer 404 (or 401,
    403 for the wrong kind of caller) before the request's other parameters and body are even read."""

    anyone: Callable[..., Seen]
    officer: Callable[..., Seen]


def seen_by(reader: CaseReader, auth: Auth) -> SeenBy:
    def anyone(case_id: CaseId, principal: Annotated[Principal, Depends(auth.principal)]) -> Seen:
        return Seen(principal, visible_case(reader, principal, case_id))

    def officer(case_id: CaseId, principal: Annotated[Principal, Depends(auth.officer)]) -> Seen:
        return Seen(principal, visible_case(reader, principal, case_id))

    return SeenBy(anyone, officer)


def cases_router(deps: CaseDeps, auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["cases"])
    seen = seen_by(deps.reader, auth)
    _citizen_routes(router, deps, auth, seen)
    _shared_routes(router, deps, seen)
    _officer_routes(router, deps, auth, seen)
    return router


def _citizen_routes(router: APIRouter, deps: CaseDeps, auth: Auth, seen: SeenBy) -> None:
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
        case: Annotated[Seen, Depends(seen.anyone)], key: IdempotencyKey, response: Response
    ) -> s.CommandOutcome:
        command = AcceptRefund(case.case.case_key)
        return _answer(deps.service.execute(command, _owner(case), key), response)

    @router.post(
        "/cases/{case_id}/object",
        response_model=s.CommandOutcome,
        summary="Object to the automatic payment or to the amount; the owner only",
        openapi_extra=SIGNED_IN,
    )
    def object_to(
        case: Annotated[Seen, Depends(seen.anyone)], body: s.Reason, key: IdempotencyKey, response: Response
    ) -> s.CommandOutcome:
        command = ObjectToRefund(case.case.case_key, body.reason)
        return _answer(deps.service.execute(command, _owner(case), key), response)


def _shared_routes(router: APIRouter, deps: CaseDeps, seen: SeenBy) -> None:
    @router.get(
        "/cases/{case_id}",
        response_model=s.CaseDetail,
        summary="One case with its amounts and history (its owner, or an officer of its district)",
        openapi_extra=SIGNED_IN,
    )
    def case_detail(case: Annotated[Seen, Depends(seen.anyone)], request: Request) -> dict[str, Any]:
        status, principal = case.case, case.principal
        if isinstance(principal, OfficerPrincipal):
            subject = f"case:{status.case_key}"
            deps.access.staff_read(request, principal, status.district, subject, status.owner_id)
        return status.to_json()


def _officer_routes(router: APIRouter, deps: CaseDeps, auth: Auth, seen: SeenBy) -> None:
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
        case: Annotated[Seen, Depends(seen.officer)],
        key: IdempotencyKey,
        request: Request,
        response: Response,
    ) -> s.CommandOutcome:
        officer, status = _decidable(deps, request, case, "approve_requested")
        command = ApproveRefund(status.case_key)
        return _answer(deps.service.execute(command, Actor.officer(officer.officer_id), key), response)

    @router.post(
        "/cases/{case_id}/reject",
        response_model=s.CommandOutcome,
        summary="Refuse the refund, saying why",
        openapi_extra=SIGNED_IN,
    )
    def reject(
        case: Annotated[Seen, Depends(seen.officer)],
        body: s.Reason,
        key: IdempotencyKey,
        request: Request,
        response: Response,
    ) -> s.CommandOutcome:
        officer, status = _decidable(deps, request, case, "reject_requested")
        command = RejectRefund(status.case_key, body.reason)
        return _answer(deps.service.execute(command, Actor.officer(officer.officer_id), key), response)

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


def _owner(case: Seen) -> Actor:
    """The citizen acting on their own case (an officer of its district gets 403)."""
    if not isinstance(case.principal, CitizenPrincipal):
        raise ProblemError(403, "citizen_required", "only the owner of the case, signed in, can do this")
    return Actor.citizen(case.principal.owner_id)


def _decidable(
    deps: CaseDeps, request: Request, case: Seen, reason: str
) -> tuple[OfficerPrincipal, CaseStatus]:
    """The officer may decide this case; the request is recorded in the audit trail.

    Recorded before the command runs, in its own transaction (the cases context owns the command's):
    no decision is ever made without its access record. A request that then fails or replays an earlier
    one is recorded too; ``reason`` names it as a request, and the case's history says what happened.
    """
    officer, status = case.principal, case.case
    if not isinstance(officer, OfficerPrincipal):  # seen.officer lets only officers through
        raise ProblemError(403, "officer_required", "only an officer can do this")
    require(officer, Permission.APPROVE_CASE, status)
    subject = f"case:{status.case_key}"
    deps.access.decision(request, officer, status.district, subject, status.owner_id, reason)
    return officer, status


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
