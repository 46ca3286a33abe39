"""Kiosk mode (``/kiosk``) and the feedback question that ends every journey.

Kiosk mode is a cookie set by ``/kiosk``: every portal page then shows large type and controls (≥ 44 px),
high contrast, a "처음으로"/"끝내기" bar, no step that needs a keyboard (a new account or a written
objection is handed off to the person's phone with a QR code), and a timer that warns two minutes
before the screen goes back to the start. Leaving — by the button or by the timer — ends the session on
the server, deletes our cookies and asks the browser to clear everything of this site
(``Clear-Site-Data``), so the next person finds nothing of the last.
"""

from __future__ import annotations

import io
from datetime import timedelta, timezone

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cartax.voc import Feedback, FeedbackError
from cartax.web.portal import forms
from cartax.web.portal.deps import (
    COOKIE_PREFIX,
    KIOSK_COOKIE,
    PortalDeps,
    delete_cookie,
    is_kiosk,
    set_cookie,
)
from cartax.web.portal.journey import read_form
from cartax.web.portal.text import PortalText

KST = timezone(timedelta(hours=9), "KST")
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
QR_SCALE = 8


def kiosk_router(deps: PortalDeps) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    public_url = deps.pages.platform.settings.effective_public_url.rstrip("/") + "/"

    @router.get("/kiosk")
    def kiosk_start(request: Request) -> Response:
        signed_in = deps.citizen(request) is not None
        response = deps.render(request, "portal/kiosk.html", signed_in=signed_in, kiosk=True)
        if not is_kiosk(request):
            set_cookie(response, KIOSK_COOKIE, "1")
        return response

    @router.post("/kiosk/exit")
    def kiosk_exit(request: Request) -> Response:
        deps.forget_session(request)
        response = RedirectResponse("/kiosk", status_code=303)
        for name in request.cookies:
            if name.startswith(COOKIE_PREFIX):
                delete_cookie(response, name)
        response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
        return response

    @router.get("/kiosk/qr.svg")
    def kiosk_qr() -> Response:
        """The portal's address as a QR code: the person carries on on their own phone."""
        out = io.BytesIO()
        segno.make(public_url, error="m").save(out, kind="svg", scale=QR_SCALE, title="QR", xmldecl=False)
        return Response(out.getvalue(), media_type="image/svg+xml")

    @router.get("/feedback")
    def feedback_page(request: Request) -> Response:
        place = forms.feedback_place(dict(request.query_params))
        journey, step = place or ("status", "status")
        return deps.render(
            request, "portal/feedback.html", signed_in=deps.citizen(request) is not None,
            feedback_journey=journey, feedback_step=step, form={},
        )  # fmt: skip

    @router.post("/feedback")
    async def feedback_answer(request: Request) -> Response:
        fields = await read_form(request)
        answer, problems = forms.feedback(fields)
        lang = deps.language(request)
        if answer is None:
            t = PortalText(lang)
            listed = tuple(forms.Problem(p.field, t(p.key)) for p in problems)
            place = forms.feedback_place(fields) or ("status", "status")
            return deps.render(
                request, "portal/feedback.html", 422, signed_in=deps.citizen(request) is not None,
                problems=listed, errors={p.field: p.key for p in listed},
                feedback_journey=place[0], feedback_step=place[1], form=fields,
            )  # fmt: skip
        channel = "kiosk" if is_kiosk(request) else "web"
        today = deps.pages.platform.clock().astimezone(KST).date()
        try:
            deps.voc.add(
                Feedback(answer.journey, answer.step, channel, lang, answer.rating, answer.difficulty, today)
            )
        except FeedbackError:  # the form's choices are the store's: this only guards a changed list
            return RedirectResponse("/feedback", status_code=303)
        return RedirectResponse("/feedback/thanks", status_code=303)

    @router.get("/feedback/thanks")
    def feedback_thanks(request: Request) -> Response:
        return deps.render(
            request, "portal/feedback_thanks.html", signed_in=deps.citizen(request) is not None
        )

    return router
