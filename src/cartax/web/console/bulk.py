"""``/console/bulk``: approve a filtered set of cases at once, after a preview of what it pays.

The preview lists the cases the filter selects now (at most :data:`BATCH_LIMIT`), their number and
total, and how many will still wait for a second officer (maker-checker holds in bulk as one by one).
The confirmation carries exactly those case keys and one key for the batch: each case is approved under
``<batch key>:<case>``, so a refresh or a second click replays the answers instead of approving again.
Every case's decision is recorded in the audit trail before it is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cartax.audit import AccessAction
from cartax.cases import Actor, ApproveRefund, CasesError
from cartax.cases.worklists import WorkFilter
from cartax.identity import OfficerPrincipal, Permission
from cartax.web.console.case_page import new_key
from cartax.web.console.deps import ConsoleDeps, chosen_district, may, sign_in_redirect
from cartax.web.console.filters import BATCH_LIMIT, BULK_QUEUES, read_filter
from cartax.web.console.rows import load_lines, rows_of

MAX_FIELDS = BATCH_LIMIT + 20
BATCH_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass
class BulkOutcome:
    approved: list[str] = field(default_factory=list)
    awaiting_second: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    """(case key, why) of the cases not approved."""


def bulk_routes(router: APIRouter, deps: ConsoleDeps) -> None:
    @router.get("/console/bulk")
    def preview(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        district = chosen_district(officer, request.query_params.get("district"))
        if district is None:
            return deps.not_found(request)
        wanted, problems = read_filter(dict(request.query_params))
        if problems or wanted.queue not in BULK_QUEUES or not may(officer, Permission.APPROVE_CASE, district):
            return deps.render(request, "bulk_refused.html", 403, officer, district=district, wanted=wanted)
        lines = load_lines(deps, district, wanted, None, BATCH_LIMIT + 1)
        threshold = deps.services.cases.service.policy.second_officer_above
        shown = lines[:BATCH_LIMIT]
        return deps.render(
            request,
            "bulk_preview.html",
            200,
            officer,
            district=district,
            wanted=wanted,
            rows=rows_of(deps, shown),
            total=sum(item.line.payable for item in shown),
            over_limit=len(lines) > BATCH_LIMIT,
            limit=BATCH_LIMIT,
            second_needed=sum(
                1 for item in shown if item.line.payable > threshold and item.line.signatures == 0
            ),
            threshold=threshold,
            key=new_key(),
        )

    @router.post("/console/bulk")
    async def approve_all(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
        district = chosen_district(officer, str(form.get("district", "")))
        if district is None:
            return deps.not_found(request)
        if not may(officer, Permission.APPROVE_CASE, district):
            return deps.render(request, "bulk_refused.html", 403, officer, district=district, wanted=None)
        keys = [value for value in form.getlist("case") if isinstance(value, str)][:BATCH_LIMIT]
        batch = str(form.get("idempotency_key", ""))
        if not BATCH_KEY.fullmatch(batch):
            return deps.render(request, "bulk_refused.html", 422, officer, district=district, wanted=None)
        outcome = _approve(deps, request, officer, district, keys, batch)
        return deps.render(request, "bulk_done.html", 200, officer, district=district, outcome=outcome)


def _approve(
    deps: ConsoleDeps,
    request: Request,
    officer: OfficerPrincipal,
    district: str,
    keys: list[str],
    batch: str,
) -> BulkOutcome:
    """Approve each case of the district among ``keys``; a case elsewhere or unknown is refused."""
    outcome = BulkOutcome()
    found = deps.services.case_lists.worklist(
        district, WorkFilter(case_keys=tuple(keys)), None, len(keys) or 1
    )
    known = {line.case_key: line for line in found} if keys else {}
    lang = deps.language(request)
    for case_key in keys:
        line = known.get(case_key)
        if line is None:
            outcome.refused.append((case_key, deps.text(request)("bulk.refused.unknown")))
            continue
        deps.record(
            request, officer, district, AccessAction.DECISION, f"case:{case_key}", line.owner_id,
            "approve_requested",
        )  # fmt: skip
        try:
            result = deps.services.cases.service.execute(
                ApproveRefund(case_key), Actor.officer(officer.officer_id), f"bulk:{batch}:{case_key}"
            )
        except CasesError as error:
            outcome.refused.append((case_key, error.render(lang)))
            continue
        if result.replayed:
            outcome.replayed.append(case_key)
        elif result.outcome == "awaiting_second_officer":
            outcome.awaiting_second.append(case_key)
        else:
            outcome.approved.append(case_key)
    return outcome
