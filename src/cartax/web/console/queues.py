"""``/console``: the district's work queues, and ``/console/search``: a case by plate, case number or person.

A list shows many people's cases (masked), so opening it is an access record naming everyone (``*``).
A search says why it is made: the officer states a reason, recorded before anything is looked up; a
search by resident number goes through the blind index, and the record names the index, never the
number. The search is a form post, so no number ever travels in a URL, a log line or the history.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cartax.audit import AccessAction, AccessEntryError, holds_plaintext_number
from cartax.cases.worklists import WorkFilter, WorkLine
from cartax.core.masking import MaskingError, mask_rrn
from cartax.identity import OfficerPrincipal, Permission
from cartax.web.access_log import EVERYONE
from cartax.web.console.deps import ConsoleDeps, chosen_district, may, sign_in_redirect
from cartax.web.console.filters import BULK_QUEUES, PAGE_SIZE, FilterProblem, Queue, read_filter
from cartax.web.console.rows import Listed, load_lines, rows_of
from cartax.web.pages import ShownProblem

SEARCH_KINDS = ("case", "plate", "person")
MAX_SEARCH = 64
MAX_REASON = 200
MIN_REASON = 5


@dataclass(frozen=True, slots=True)
class Search:
    kind: str
    value: str
    reason: str


def queues_routes(router: APIRouter, deps: ConsoleDeps) -> None:
    @router.get("/console")
    def home(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        district = chosen_district(officer, request.query_params.get("district"))
        if district is None:
            return _no_district(deps, request, officer)
        wanted, problems = read_filter(dict(request.query_params))
        after = request.query_params.get("after") or None
        deps.record(
            request, officer, district, AccessAction.READ_PERSONAL_DATA,
            f"district:{district}:queue:{wanted.queue}", EVERYONE,
        )  # fmt: skip
        lines = load_lines(deps, district, wanted, after, PAGE_SIZE, deps.language(request))
        t = deps.render
        return t(
            request,
            "queues.html",
            422 if problems else 200,
            officer,
            district=district,
            wanted=wanted,
            queues=list(Queue),
            rows=rows_of(deps, lines),
            next_after=lines[-1].line.case_key if len(lines) == PAGE_SIZE else None,
            problems=_shown(deps, request, problems),
            can_bulk=wanted.queue in BULK_QUEUES and may(officer, Permission.APPROVE_CASE, district),
            can_export=may(officer, Permission.EXPORT, district),
            search=None,
        )

    @router.post("/console/search")
    async def search(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        form = await request.form(max_files=0, max_fields=20)
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        district = chosen_district(officer, fields.get("district"))
        if district is None:
            return deps.not_found(request)
        asked = Search(
            fields.get("kind", ""), fields.get("value", "").strip(), fields.get("reason", "").strip()
        )
        problems = _search_problems(asked)
        lines: list[WorkLine] = []
        if not problems:
            try:
                lines = _look_up(deps, request, officer, district, asked)
            except AccessEntryError:
                problems = [FilterProblem("reason", "search.problem.reason_number")]
        return deps.render(
            request,
            "search.html",
            422 if problems else 200,
            officer,
            district=district,
            asked=Search(asked.kind, _shown_value(asked), asked.reason),
            rows=rows_of(deps, [Listed(line) for line in lines]),
            problems=_shown(deps, request, problems),
        )


def _look_up(
    deps: ConsoleDeps, request: Request, officer: OfficerPrincipal, district: str, asked: Search
) -> list[WorkLine]:
    """Record the look-up with its reason, then look up (no record, no answer)."""
    lists = deps.services.case_lists
    if asked.kind == "person":
        index, owners = deps.services.owners.by_resident_number(asked.value)
        deps.record(
            request, officer, district, AccessAction.READ_PERSONAL_DATA, "search:person", index, asked.reason
        )
        wanted = WorkFilter(owner_ids=tuple(owners))
    elif asked.kind == "plate":
        deps.record(
            request,
            officer,
            district,
            AccessAction.READ_PERSONAL_DATA,
            "search:plate",
            EVERYONE,
            asked.reason,
        )
        wanted = WorkFilter(vehicle_ids=tuple(deps.services.vehicles.by_plate(asked.value)))
    else:
        deps.record(
            request, officer, district, AccessAction.READ_PERSONAL_DATA, f"search:case:{asked.value}",
            EVERYONE, asked.reason,
        )  # fmt: skip
        wanted = WorkFilter(case_keys=(asked.value,))
    return lists.worklist(district, wanted, None, PAGE_SIZE)


def _search_problems(asked: Search) -> list[FilterProblem]:
    problems = []
    if asked.kind not in SEARCH_KINDS:
        problems.append(FilterProblem("kind", "search.problem.kind"))
    if not asked.value or len(asked.value) > MAX_SEARCH:
        problems.append(FilterProblem("value", "search.problem.value"))
    elif asked.kind == "person":
        try:
            mask_rrn(asked.value)
        except MaskingError:
            problems.append(FilterProblem("value", "search.problem.rrn"))
    elif asked.kind == "case" and (
        not asked.value.replace("-", "").replace("_", "").isalnum() or holds_plaintext_number(asked.value)
    ):
        problems.append(FilterProblem("value", "search.problem.case"))
    if not MIN_REASON <= len(asked.reason) <= MAX_REASON:
        problems.append(FilterProblem("reason", "search.problem.reason"))
    return problems


def _shown_value(asked: Search) -> str:
    """What the page may show of the searched value: a resident number masked, never in full."""
    if asked.kind != "person":
        return asked.value[:MAX_SEARCH]
    try:
        return mask_rrn(asked.value)
    except MaskingError:
        return ""


def _shown(deps: ConsoleDeps, request: Request, problems: list[FilterProblem]) -> list[ShownProblem]:
    t = deps.text(request)
    return [ShownProblem(problem.field, t(problem.key)) for problem in problems]


def _no_district(deps: ConsoleDeps, request: Request, officer: OfficerPrincipal) -> Response:
    if request.query_params.get("district"):
        return deps.not_found(request)
    return deps.render(request, "no_district.html", 403, officer)
