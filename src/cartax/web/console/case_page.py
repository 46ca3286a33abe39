"""``/console/cases/{case_id}``: one case as an officer works it, and the decisions taken on it.

The page shows the owner masked, the vehicle and who held it, the payments, the computation with its
legal basis (and, after a registry correction, the old amounts beside the new), every step of the
history, and the officers' signatures. Opening it is an access record naming the owner.

Decisions are forms carrying an idempotency key minted with the page: submitting twice, going back, or
refreshing the answer never decides twice (the cases context answers the first result again). Each
decision is recorded in the audit trail before it is made. After a decision the browser is sent back to
the page (post/redirect/get) with what happened; maker-checker is the cases context's rule, and the page
says plainly when a second, different officer must sign.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cartax.audit import AccessAction
from cartax.cases import (
    Actor,
    ApproveRefund,
    CaseNotFoundError,
    CasesError,
    CaseState,
    CaseStatus,
    RejectRefund,
    can_transition,
    case_status,
)
from cartax.cases.model import AWAITING_APPROVAL
from cartax.cases.worklists import CaseRecord
from cartax.detection.database import detect_in_database
from cartax.identity import OfficerPrincipal, Permission
from cartax.payout import PayoutError
from cartax.rules import RequestError, calculate, parse_request
from cartax.rules.explain import explain
from cartax.web.console.deps import ConsoleDeps, may, sign_in_redirect
from cartax.web.console.related import Labels, related
from cartax.web.owner_api import masked
from cartax.web.pages import ShownProblem

CASE_PATH = "/console/cases/{case_id}"
REJECT_REASONS = ("not_entitled", "registry_error", "duplicate", "paid_elsewhere", "other")
MAX_NOTE = 400
DONE = frozenset(
    {"approved", "awaiting_second_officer", "rejected", "replayed", "account_requested", "recomputed",
     "unchanged"}
)  # fmt: skip


def new_key() -> str:
    """A fresh idempotency key for a form (URL-safe, within the cases context's 128 characters)."""
    return secrets.token_urlsafe(24)


def case_routes(router: APIRouter, deps: ConsoleDeps) -> None:
    @router.get(CASE_PATH)
    def case_page(case_id: str, request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        status = _visible(deps, officer, case_id)
        if status is None:
            return deps.not_found(request)
        done = request.query_params.get("done", "")
        return _page(deps, request, officer, status, done=done if done in DONE else "")

    @router.post(CASE_PATH + "/approve")
    async def approve(case_id: str, request: Request) -> Response:
        return await _decide(deps, request, case_id, approve=True)

    @router.post(CASE_PATH + "/reject")
    async def reject(case_id: str, request: Request) -> Response:
        return await _decide(deps, request, case_id, approve=False)

    @router.post(CASE_PATH + "/recompute")
    async def recompute(case_id: str, request: Request) -> Response:
        return await _recompute(deps, request, case_id)

    @router.post(CASE_PATH + "/request-account")
    async def request_account(case_id: str, request: Request) -> Response:
        return await _request_account(deps, request, case_id)


def _visible(deps: ConsoleDeps, officer: OfficerPrincipal, case_id: str) -> CaseStatus | None:
    if len(case_id) > 64:
        return None
    try:
        status = case_status(deps.services.cases.reader, case_id)
    except CaseNotFoundError:
        return None
    return status if may(officer, Permission.VIEW_CASE, status.district) else None


async def _decide(deps: ConsoleDeps, request: Request, case_id: str, *, approve: bool) -> Response:
    officer = deps.officer(request)
    if officer is None:
        return sign_in_redirect()
    status = _visible(deps, officer, case_id)
    if status is None:
        return deps.not_found(request)
    form = await request.form(max_files=0, max_fields=10)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    t = deps.text(request)
    if not may(officer, Permission.APPROVE_CASE, status.district):
        problem = ShownProblem(None, t("case.problem.role"))
        return _page(deps, request, officer, status, problems=[problem], code=403)
    key = fields.get("idempotency_key", "")
    if approve:
        command: ApproveRefund | RejectRefund = ApproveRefund(status.case_key)
    else:
        reason, note = fields.get("reason", ""), fields.get("note", "").strip()
        problems = _reject_problems(deps, request, reason, note)
        if problems:
            return _page(deps, request, officer, status, problems=problems, code=422, form=fields)
        command = RejectRefund(status.case_key, f"[{reason}] {note}".strip())
    return _execute(deps, request, officer, status, command, key)


def _execute(
    deps: ConsoleDeps,
    request: Request,
    officer: OfficerPrincipal,
    status: CaseStatus,
    command: ApproveRefund | RejectRefund,
    key: str,
) -> Response:
    """Record the decision request, then run it once per key; back to the page with what happened."""
    kind = "approve" if isinstance(command, ApproveRefund) else "reject"
    deps.record(
        request, officer, status.district, AccessAction.DECISION, f"case:{status.case_key}",
        status.owner_id, f"{kind}_requested",
    )  # fmt: skip
    try:
        result = deps.services.cases.service.execute(command, _actor(officer), f"console:{key}:{kind}")
    except CasesError as error:
        problem = ShownProblem(None, error.render(deps.language(request)))
        code = 409 if error.code != "invalid_key" else 422
        fresh = deps.services.cases.reader.status(status.case_key) or status
        return _page(deps, request, officer, fresh, problems=[problem], code=code)
    done = "replayed" if result.replayed else result.outcome
    return RedirectResponse(f"/console/cases/{status.case_key}?done={done}", status_code=303)


def _actor(officer: OfficerPrincipal) -> Actor:
    return Actor.officer(officer.officer_id)


async def _request_account(deps: ConsoleDeps, request: Request, case_id: str) -> Response:
    """Ask the person for another refund account (payout holds the payment until it changes)."""
    officer = deps.officer(request)
    if officer is None:
        return sign_in_redirect()
    status = _visible(deps, officer, case_id)
    if status is None:
        return deps.not_found(request)
    if not may(officer, Permission.REVIEW_CASE, status.district):
        problem = ShownProblem(None, deps.text(request)("case.problem.role"))
        return _page(deps, request, officer, status, problems=[problem], code=403)
    deps.record(
        request, officer, status.district, AccessAction.DECISION, f"case:{status.case_key}",
        status.owner_id, "request_account_requested",
    )  # fmt: skip
    try:
        deps.services.payout.service.request_another_account(status.case_key, _actor(officer))
    except PayoutError as error:
        problem = ShownProblem(None, error.render(deps.language(request)))
        return _page(deps, request, officer, status, problems=[problem], code=409)
    return RedirectResponse(f"/console/cases/{status.case_key}?done=account_requested", status_code=303)


async def _recompute(deps: ConsoleDeps, request: Request, case_id: str) -> Response:
    """Apply the registry's corrections since the last detection run of the case's year (an incremental
    run: every case the corrections touch is recomputed, this one included), then show the case."""
    officer = deps.officer(request)
    if officer is None:
        return sign_in_redirect()
    status = _visible(deps, officer, case_id)
    if status is None:
        return deps.not_found(request)
    if not may(officer, Permission.REVIEW_CASE, status.district):
        problem = ShownProblem(None, deps.text(request)("case.problem.role"))
        return _page(deps, request, officer, status, problems=[problem], code=403)
    deps.record(
        request, officer, status.district, AccessAction.DECISION, f"case:{status.case_key}",
        status.owner_id, "recompute_requested",
    )  # fmt: skip
    platform = deps.platform
    url = platform.settings.effective_database_url
    detect_in_database(url, platform.law, platform.clock, status.tax_year, platform.today(), incremental=True)
    if deps.services.relay is not None:
        deps.services.relay.drain()
    after = deps.services.cases.reader.status(status.case_key) or status
    done = "recomputed" if after.computation != status.computation else "unchanged"
    return RedirectResponse(f"/console/cases/{status.case_key}?done={done}", status_code=303)


def _reject_problems(deps: ConsoleDeps, request: Request, reason: str, note: str) -> list[ShownProblem]:
    t = deps.text(request)
    problems = []
    if reason not in REJECT_REASONS:
        problems.append(ShownProblem("reason", t("case.problem.reject_reason")))
    if len(note) > MAX_NOTE or (reason == "other" and not note):
        problems.append(ShownProblem("note", t("case.problem.reject_note", limit=MAX_NOTE)))
    return problems


def _page(
    deps: ConsoleDeps,
    request: Request,
    officer: OfficerPrincipal,
    status: CaseStatus,
    *,
    done: str = "",
    problems: list[ShownProblem] | None = None,
    code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    deps.record(
        request, officer, status.district, AccessAction.READ_PERSONAL_DATA, f"case:{status.case_key}",
        status.owner_id,
    )  # fmt: skip
    record = deps.services.case_lists.record(status.case_key)
    if record is None:
        return deps.not_found(request)
    owner = deps.services.owners.get(record.owner_id)
    vehicles = deps.services.vehicles
    policy = deps.services.cases.service.policy
    lang = deps.language(request)
    about = related(deps.services, record.case_key, record.owner_id)
    payment = about.payment
    return deps.render(
        request,
        "case.html",
        code,
        officer,
        district=status.district,
        case=record,
        owner=masked(owner) if owner is not None else None,
        vehicle=vehicles.vehicle(record.vehicle_id),
        holdings=vehicles.holdings(record.vehicle_id),
        payments=vehicles.payments(record.vehicle_id, record.tax_year),
        explanation=_explanation(deps, record, lang),
        threshold=policy.second_officer_above,
        officers_needed=policy.officers_needed(record.computation.totals.payable),
        awaiting=record.state in AWAITING_APPROVAL,
        signed_by_me=any(a.officer_id == officer.officer_id for a in record.signatures()),
        can_decide=may(officer, Permission.APPROVE_CASE, status.district),
        can_review=may(officer, Permission.REVIEW_CASE, status.district),
        rejectable=can_transition(record.state, CaseState.REJECTED),
        reject_reasons=REJECT_REASONS,
        related=about,
        risk_flags=[
            flag.reason(lang) for flag in deps.services.cases.risk_flags(record.case_key, deps.clock())
        ],
        decisions=deps.services.cases.decisions(record.case_key),
        labels=Labels(lang),
        can_request_account=payment is not None
        and payment.paid is None
        and payment.state not in ("paid", "cancelled")
        and may(officer, Permission.REVIEW_CASE, status.district),
        key=new_key(),
        done=done,
        problems=problems or [],
        form=form or {},
        states=CaseState,
    )


def _explanation(deps: ConsoleDeps, record: CaseRecord, lang: str) -> list[Any]:
    """The computation's steps with their articles, recomputed from the request detection kept."""
    stored = deps.services.case_request(record.case_key)
    if stored is None:
        return []
    law = deps.platform.law
    try:
        parsed = parse_request(stored, law.rule_set.first_year, law.rule_set.last_year)
        result = calculate(parsed, law, deps.platform.today())
    except RequestError:
        return []
    return list(explain(result, lang))
