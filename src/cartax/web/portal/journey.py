"""The citizen's journey, one question per page: the refund explained → the account → check your
answers → accept (one click) → confirmation; and the objection to an announced automatic payment.

Every page that shows a case first checks that the signed-in citizen owns it (anybody else gets the
same 404 as for a case that does not exist). Somebody not signed in is asked to sign in and comes back
to the page they asked for. Posts are protected by the CSRF middleware; accepting is idempotent (the
key is derived from the case and its computation), so a double click, back-and-resubmit or a refresh
of the confirmation never asks twice.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from cartax.cases import (
    AcceptRefund,
    Actor,
    CaseConflictError,
    CaseState,
    CaseStatus,
    InvalidCaseCommandError,
    ObjectToRefund,
)
from cartax.identity import CitizenPrincipal
from cartax.notices import ELIGIBLE_STATES, DocumentKind, NoticesError
from cartax.web.case_schemas import CASE_KEY_PATTERN
from cartax.web.portal import forms
from cartax.web.portal.accounts import AccountRefusedError
from cartax.web.portal.deps import NEXT_COOKIE, PortalDeps, delete_cookie, is_kiosk, set_cookie, visible
from cartax.web.portal.explained import explain_case
from cartax.web.portal.progress import ACCEPTABLE, ASKED, progress_of
from cartax.web.portal.text import PortalText

CaseId = Annotated[str, Path(pattern=CASE_KEY_PATTERN)]
MAX_FIELDS = 20
OWN_CASES_SHOWN = 50
_CASE_KEY = re.compile(CASE_KEY_PATTERN)


def reference_number(status: CaseStatus) -> str:
    """The 접수번호 a person quotes to the office: the case's opaque key in groups of four.

    >>> from types import SimpleNamespace
    >>> reference_number(SimpleNamespace(case_key="7285da76cf5ca5b7b583"))
    '7285-DA76-CF5C-A5B7-B583'
    """
    key = status.case_key.upper()
    return "-".join(key[i : i + 4] for i in range(0, len(key), 4))


def notified_at(status: CaseStatus) -> datetime | None:
    """When the case was last notified (the objection window of an automatic payment runs from it)."""
    return next((item.at for item in reversed(status.history) if item.to_state is CaseState.NOTIFIED), None)


def notice_kind(status: CaseStatus) -> str | None:
    """The notice a person can download at this point: the payment decision once it is made, before
    that the refund notice; None when neither applies (refused, lapsed, …)."""
    for kind in (DocumentKind.PAYMENT_DECISION, DocumentKind.REFUND_NOTICE):
        if str(status.state) in ELIGIBLE_STATES[kind]:
            return str(kind)
    return None


def accept_key(status: CaseStatus) -> str:
    """One idempotency key per case and computation: every repeat of the click is the same request."""
    return f"portal-accept-{status.case_key}-c{status.computation}"


async def read_form(request: Request) -> dict[str, str]:
    submitted = await request.form(max_files=0, max_fields=MAX_FIELDS)
    return {key: value for key, value in submitted.items() if isinstance(value, str)}


def journey_router(deps: PortalDeps) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def sign_in_page(request: Request, case_key: str | None) -> Response:
        response = deps.render(request, "portal/signin.html")
        if case_key is not None:
            set_cookie(response, NEXT_COOKIE, case_key)
        return response

    def own_case(request: Request, case_id: str) -> tuple[CitizenPrincipal, CaseStatus] | Response:
        citizen = deps.citizen(request)
        if citizen is None:
            return sign_in_page(request, case_id)
        return citizen, visible(deps, citizen, case_id)

    def page(request: Request, name: str, status: CaseStatus, code: int = 200, **context: Any) -> Response:
        return deps.render(
            request, name, code, signed_in=True, case=status, reference=reference_number(status), **context
        )

    @router.get("/")
    def home(request: Request) -> Response:
        citizen = deps.citizen(request)
        if citizen is None:
            return deps.render(request, "portal/home.html")
        wanted = request.cookies.get(NEXT_COOKIE, "")
        if wanted and _CASE_KEY.fullmatch(wanted):
            response: Response = RedirectResponse(f"/refunds/{wanted}", status_code=303)
            delete_cookie(response, NEXT_COOKIE)
            return response
        cases = deps.lists.of_owner(citizen.owner_id, OWN_CASES_SHOWN)
        return deps.render(request, "portal/my_refunds.html", signed_in=True, cases=cases)

    @router.get("/refunds/{case_id}")
    def refund(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        citizen, status = found
        t = PortalText(deps.language(request))
        platform = deps.pages.platform
        explained = explain_case(
            status, deps.case_request(status.case_key), platform.law, platform.today(), t
        )
        return page(
            request,
            "portal/refund.html",
            status,
            explained=explained,
            can_accept=status.state in ACCEPTABLE and status.totals.payable > 0,
            asked=status.state in ASKED,
            announced=deps.accounts.zero_click(citizen.owner_id, notified_at(status))
            if status.state is CaseState.NOTIFIED
            else None,
        )

    @router.get("/refunds/{case_id}/account")
    def account(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        citizen, status = found
        if status.state not in ACCEPTABLE:
            return RedirectResponse(f"/refunds/{case_id}", status_code=303)
        return _account_page(request, status, citizen)

    def _account_page(
        request: Request,
        status: CaseStatus,
        citizen: CitizenPrincipal,
        problems: tuple[forms.Problem, ...] = (),
    ) -> Response:
        current = deps.accounts.current(citizen.owner_id)
        return shown(
            request,
            "portal/account.html",
            status,
            problems,
            current=current,
            can_register=deps.accounts.can_register(),
        )

    def shown(
        request: Request, name: str, status: CaseStatus, problems: tuple[forms.Problem, ...], **context: Any
    ) -> Response:
        t = PortalText(deps.language(request))
        listed = tuple(forms.Problem(p.field, t(p.key)) for p in problems)
        errors = {p.field: p.key for p in listed}
        return page(
            request, name, status, 422 if problems else 200, problems=listed, errors=errors, **context
        )

    @router.post("/refunds/{case_id}/account")
    async def account_answer(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        citizen, status = found
        fields = await read_form(request)
        current = deps.accounts.current(citizen.owner_id)
        choice, problems = forms.account_choice(fields, registered=current is not None)
        if problems:
            return _account_page(request, status, citizen, problems)
        target = "check" if choice == "registered" else "account/new"
        return RedirectResponse(f"/refunds/{case_id}/{target}", status_code=303)

    @router.get("/refunds/{case_id}/account/new")
    def new_account(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        _, status = found
        return _new_account_page(request, status, {}, ())

    def _new_account_page(
        request: Request,
        status: CaseStatus,
        fields: dict[str, str],
        problems: tuple[forms.Problem, ...],
        refused: str = "",
    ) -> Response:
        form = {"bank": fields.get("bank", "")}  # the number is never sent back
        return shown(
            request,
            "portal/account_new.html",
            status,
            problems,
            form=form,
            banks=deps.accounts.banks(),
            can_register=deps.accounts.can_register() and not is_kiosk(request),
            refused=refused,
        )

    @router.post("/refunds/{case_id}/account/new")
    async def new_account_answer(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        citizen, status = found
        fields = await read_form(request)
        if not deps.accounts.can_register() or is_kiosk(request):
            return _new_account_page(request, status, fields, ())
        answer, problems = forms.new_account(fields, deps.accounts.banks())
        if answer is None:
            return _new_account_page(request, status, fields, problems)
        lang = deps.language(request)
        try:
            deps.accounts.register(citizen.owner_id, answer.bank, answer.number, lang)
        except AccountRefusedError as refused:
            field = refused.field or "number"
            return _new_account_page(
                request, status, fields, (forms.Problem(field, "error.account_refused"),), refused.message
            )
        after = "status" if status.state in ASKED else "check"  # a held payment goes on with the new one
        return RedirectResponse(f"/refunds/{case_id}/{after}", status_code=303)

    @router.get("/refunds/{case_id}/check")
    def check(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        citizen, status = found
        if status.state in ASKED:
            return RedirectResponse(f"/refunds/{case_id}/done", status_code=303)
        if status.state not in ACCEPTABLE:
            return RedirectResponse(f"/refunds/{case_id}", status_code=303)
        current = deps.accounts.current(citizen.owner_id)
        if current is None:
            return RedirectResponse(f"/refunds/{case_id}/account", status_code=303)
        return page(request, "portal/check.html", status, current=current)

    @router.post("/refunds/{case_id}/accept")
    def accept(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        citizen, status = found
        done = RedirectResponse(f"/refunds/{case_id}/done", status_code=303)
        if status.state in ASKED:  # asked already (another tab, a resubmitted form): nothing more to do
            return done
        if deps.accounts.current(citizen.owner_id) is None:
            return RedirectResponse(f"/refunds/{case_id}/account", status_code=303)
        try:
            deps.service.execute(
                AcceptRefund(status.case_key), Actor.citizen(citizen.owner_id), accept_key(status)
            )
        except CaseConflictError:
            again = deps.reader.status(status.case_key)
            if again is not None and again.state in ASKED:
                return done
            t = PortalText(deps.language(request))
            problems = (forms.Problem("", t("error.accept_conflict")),)
            current = deps.accounts.current(citizen.owner_id)
            return page(
                request, "portal/check.html", again or status, 409, problems=problems, current=current
            )
        return done

    @router.get("/refunds/{case_id}/done")
    def done(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        citizen, status = found
        if status.state not in ASKED:
            return RedirectResponse(f"/refunds/{case_id}", status_code=303)
        asked_at = next(
            (item.at for item in reversed(status.history) if str(item.to_state) == "accepted"), status.since
        )
        return page(
            request,
            "portal/done.html",
            status,
            asked_at=asked_at,
            current=deps.accounts.current(citizen.owner_id),
            feedback_journey="accept",
            feedback_step="done",
        )

    @router.get("/refunds/{case_id}/objection")
    def objection(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        _, status = found
        if str(status.state) != "notified":
            return RedirectResponse(f"/refunds/{case_id}/status", status_code=303)
        return shown(request, "portal/objection.html", status, (), form={"reason": "no_auto", "other": ""})

    @router.post("/refunds/{case_id}/objection")
    async def objection_answer(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        citizen, status = found
        after = RedirectResponse(f"/refunds/{case_id}/objection/done", status_code=303)
        if str(status.state) == "objected":
            return after
        fields = await read_form(request)
        answer, problems = forms.objection(fields, is_kiosk(request))
        if answer is None:
            return shown(request, "portal/objection.html", status, problems, form=fields)
        reason = _reason_text(answer)
        key = f"portal-object-{status.case_key}-h{len(status.history)}"
        try:
            deps.service.execute(
                ObjectToRefund(status.case_key, reason), Actor.citizen(citizen.owner_id), key
            )
        except (CaseConflictError, InvalidCaseCommandError):
            again = deps.reader.status(status.case_key)
            if again is not None and str(again.state) == "objected":
                return after
            problems = (forms.Problem("reason-no_auto", "error.objection_conflict"),)
            return shown(request, "portal/objection.html", again or status, problems, form=fields)
        return after

    @router.get("/refunds/{case_id}/objection/done")
    def objection_done(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        _, status = found
        if str(status.state) != "objected":
            return RedirectResponse(f"/refunds/{case_id}/status", status_code=303)
        return page(
            request,
            "portal/objection_done.html",
            status,
            can_accept=True,
            feedback_journey="objection",
            feedback_step="objection_done",
        )

    @router.get("/refunds/{case_id}/status")
    def status_page(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        _, status = found
        progress = progress_of(status)
        arrived = str(status.state) == "reconciled"
        return page(
            request,
            "portal/status.html",
            status,
            progress=progress,
            can_accept=status.state in ACCEPTABLE and status.totals.payable > 0,
            notice=notice_kind(status) if deps.notice_pdf is not None else None,
            payment_hold=deps.accounts.hold(status.case_key, deps.language(request))
            if status.state is CaseState.APPROVED
            else None,
            feedback_journey="status",
            feedback_step="arrived" if arrived else "status",
        )

    @router.get("/refunds/{case_id}/notice.pdf")
    def notice(request: Request, case_id: CaseId) -> Response:
        found = own_case(request, case_id)
        if isinstance(found, Response):
            return found
        _, status = found
        kind = notice_kind(status)
        if deps.notice_pdf is None or kind is None:
            raise HTTPException(404)
        try:
            pdf = deps.notice_pdf(kind, status.case_key)
        except NoticesError:  # the case's amounts call for no such document (e.g. nothing to pay)
            raise HTTPException(404) from None
        filename = f"{kind}-{reference_number(status)}.pdf"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(pdf, media_type="application/pdf", headers=headers)

    return router


OBJECTION_TEXT = {
    "no_auto": "자동 지급을 원하지 않음 (does not want the automatic payment)",
    "amount": "환급 금액이 맞지 않음 (the amount is wrong)",
    "account": "다른 계좌로 받고 싶음 (wants another account)",
}


def _reason_text(answer: forms.Objection) -> str:
    """The reason kept in the case history: a fixed phrase, or the person's own words after '기타'."""
    if answer.reason == "other":
        return f"기타 (other): {answer.other}"
    return OBJECTION_TEXT[answer.reason]
