"""The public page a notice's QR code leads to: ``/verify/documents/{code}`` says whether the paper in
hand is a document this office issued, shows what it said (masked), and whether the record is intact.

Anyone may open it (no sign-in): it shows nothing a finder of the paper does not already hold, and masks
the name and plate. ``/verify/documents`` takes a typed code (``?code=``) and leads to its page.
Korean first, English with ``?lang=en``; answered ``no-store`` and kept out of search engines.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cartax.bootstrap import Services
from cartax.notices import (
    VERIFY_PATH,
    IssuedDocument,
    Verification,
    VerificationOutcome,
    catalogue_text,
    grouped_code,
    kind_label,
    normalise_code,
)
from cartax.web.i18n import Translator
from cartax.web.pages import Pages

STATUS = {
    VerificationOutcome.GENUINE: 200,
    VerificationOutcome.ALTERED: 409,
    VerificationOutcome.UNKNOWN: 404,
}
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def notice_pages_router(services: Services, pages: Pages) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    base = VERIFY_PATH.rstrip("/")

    @router.get(base)
    def verify_form(request: Request, code: str | None = None) -> Response:
        lang = pages.language(request)
        if code is None:
            return _page(pages, request, lang, 200, typed="")
        plain = normalise_code(code)
        if plain is None:
            return _page(pages, request, lang, 400, typed=code[:40], problem="verify.malformed")
        return RedirectResponse(f"{VERIFY_PATH}{plain}", status_code=303)

    @router.get(base + "/{code}")
    def verify_page(request: Request, code: str) -> Response:
        lang = pages.language(request)
        if normalise_code(code) is None:
            return _page(pages, request, lang, 400, typed=code[:40], problem="verify.malformed")
        check = services.notices.verify(code)
        return _page(pages, request, lang, STATUS[check.outcome], typed="", check=check)

    return router


def _page(
    pages: Pages,
    request: Request,
    lang: str,
    status: int,
    *,
    typed: str,
    check: Verification | None = None,
    problem: str | None = None,
) -> Response:
    def nt(key: str, **params: Any) -> str:
        return catalogue_text(key, lang, **params)

    context: dict[str, Any] = {
        "nt": nt,
        "check": check,
        "typed": typed,
        "problem": nt(problem) if problem else None,
        "problems": (problem,) if problem else (),
        "rows": _rows(check.record, Translator(lang), nt, lang) if check and check.record else [],
        "code": grouped_code(check.code) if check and check.code else "",
    }
    response = pages.render(request, "notices/verify.html", lang, status, **context)
    response.headers.update(PRIVATE)
    return response


def _rows(record: IssuedDocument, t: Translator, nt: Any, lang: str) -> list[tuple[str, str]]:
    """What the document said, masked, as (label, value) rows."""
    facts = record.summary
    rows = [
        (nt("verify.field.kind"), kind_label(record.kind, lang)),
        (nt("verify.field.office"), str(facts.get("district_name", record.district))),
        (nt("verify.field.issued_on"), t.date(facts.get("issued_on"))),
        (nt("verify.field.recipient"), str(facts.get("recipient", ""))),
        (nt("verify.field.plate"), str(facts.get("plate", ""))),
        (nt("verify.field.case"), record.case_key),
        (nt("verify.field.tax_year"), str(facts.get("tax_year", ""))),
        (nt("verify.field.refund"), t.won(int(facts.get("refund", 0)))),
        (nt("verify.field.interest"), t.won(int(facts.get("interest", 0)))),
        (nt("verify.field.offset"), t.won(int(facts.get("offset", 0)))),
        (nt("verify.field.payable"), t.won(int(facts.get("payable", 0)))),
    ]
    if facts.get("decided_on"):
        rows.append((nt("verify.field.decided_on"), t.date(facts.get("decided_on"))))
    rows.append((nt("verify.field.template"), record.template_version))
    return rows
