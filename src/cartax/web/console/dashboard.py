"""``/console/dashboard``: a district's or a province's refund processing in figures and charts.

An officer sees the districts they hold a role in: ``?district=11680`` (one of theirs, else 404), or
``?province=11`` (the sum over their districts whose code starts with those two digits; 404 when they
hold none there). Figures come from the cases context's summaries; no personal data is shown, so no
access record is written. Charts are drawn by a static script from the tables beside them, which stay
on the page as their text alternative (docs/processing.md).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cartax.bootstrap import Platform, Services
from cartax.cases.dashboards import AGEING_BUCKETS, CLAIMED, STAGES, Dashboard, MonthRow
from cartax.web.access_log import AccessLog
from cartax.web.console.deps import ConsoleDeps, chosen_district, sign_in_redirect
from cartax.web.console.processing import ProcessingText
from cartax.web.pages import Pages

PATH = "/console/dashboard"
_PROVINCE = re.compile(r"\d{2}")
MONTH_STAGES = ("detected", "notified", "claimed", "approved", "straight_through", "paid")
CAUSE_STAGES = ("detected", "notified", "claimed", "paid", "lapsed")


def dashboard_routes(router: APIRouter, deps: ConsoleDeps) -> None:
    @router.get(PATH)
    def dashboard_page(
        request: Request, district: str | None = None, province: str | None = None
    ) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        held = sorted(officer.districts())
        if province is not None:
            chosen = [code for code in held if code[:2] == province] if _PROVINCE.fullmatch(province) else []
            if not chosen:
                return deps.not_found(request)
            scope, home = "province", chosen[0]
        else:
            one = chosen_district(officer, district)
            if one is None:
                return deps.not_found(request) if district or held else _no_district(deps, request)
            chosen, scope, home = [one], "district", one
        board = deps.services.cases.dashboards.dashboard(chosen, deps.platform.today())
        lang = deps.language(request)
        return deps.pages.render(
            request,
            "console/dashboard.html",
            lang,
            t=ProcessingText(lang),
            officer=officer,
            session=getattr(request.state, "session", None),
            district=home,
            scope=scope,
            province=chosen[0][:2],
            districts=chosen,
            held=held,
            provinces=sorted({code[:2] for code in held}),
            board=board,
            stages=STAGES,
            month_stages=MONTH_STAGES,
            cause_stages=CAUSE_STAGES,
            month_cases=month_cases,
            cause_cases=cause_cases,
            ageing_label=ageing_label,
        )


def _no_district(deps: ConsoleDeps, request: Request) -> Response:
    return deps.render(request, "no_district.html", 403, officer=deps.officer(request))


def month_cases(row: MonthRow, stage: str) -> int:
    if stage == "claimed":
        return sum(row.cases(name) for name in CLAIMED)
    return row.cases(stage)


def cause_cases(board: Dashboard, cause: str, stage: str) -> int:
    row = next(row for row in board.causes if row.cause == cause)
    if stage == "claimed":
        return sum(row.cases(name) for name in CLAIMED)
    return row.cases(stage)


def ageing_label(t: ProcessingText, up_to: int) -> str:
    if up_to == 0:
        return t("dashboard.ageing.due")
    bounds = (0, *AGEING_BUCKETS)
    low = bounds[bounds.index(up_to) - 1]
    if low == 0:
        return t("dashboard.ageing.first", high=up_to)
    if up_to == AGEING_BUCKETS[-1]:
        return t("dashboard.ageing.last", low=low)
    return t("dashboard.ageing.months", low=low, high=up_to)


def processing_router(platform: Platform, services: Services, pages: Pages) -> APIRouter:
    """The dashboard and policy pages, on the console's dependencies."""
    from cartax.web.console.policy import policy_routes

    deps = ConsoleDeps(platform, services, pages, AccessLog(services.audit, platform.clock))
    router = APIRouter(include_in_schema=False)
    dashboard_routes(router, deps)
    policy_routes(router, deps)
    return router
