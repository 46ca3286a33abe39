"""``/console/export``: a filtered list as a CSV or Excel file, for a stated reason.

The file holds exactly the columns the list shows (case number, plate, the owner's name masked, tax
year, state, amount, dates), never more. Downloading is an export of personal data: it needs the role
that may export and a reason, recorded in the audit trail before the file is made (QUALITY.md, "downloads
require a reason").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import Response
from openpyxl import Workbook  # type: ignore[import-untyped]  # openpyxl ships no type information

from cartax.audit import AccessAction, AccessEntryError
from cartax.identity import Permission
from cartax.web.access_log import EVERYONE
from cartax.web.console.deps import ConsoleDeps, ConsoleText, chosen_district, may, sign_in_redirect
from cartax.web.console.filters import ListFilter, Queue, read_filter
from cartax.web.console.rows import Row, load_lines, rows_of
from cartax.web.pages import ShownProblem

EXPORT_LIMIT = 10_000
PAGE = 500
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MIN_REASON, MAX_REASON = 5, 200
COLUMNS = (
    "case", "plate", "owner", "tax_year", "state", "payable", "since", "signatures", "last_day", "note",
)  # fmt: skip


def export_routes(router: APIRouter, deps: ConsoleDeps) -> None:
    @router.get("/console/export")
    def export_form(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        district = chosen_district(officer, request.query_params.get("district"))
        if district is None:
            return deps.not_found(request)
        wanted, _ = read_filter(dict(request.query_params))
        allowed = may(officer, Permission.EXPORT, district)
        return deps.render(
            request, "export.html", 200 if allowed else 403, officer,
            district=district, wanted=wanted, allowed=allowed, form={},
        )  # fmt: skip

    @router.post("/console/export")
    async def export(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        form = await request.form(max_files=0, max_fields=20)
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        district = chosen_district(officer, fields.get("district"))
        if district is None:
            return deps.not_found(request)
        wanted, _ = read_filter(fields)
        allowed = may(officer, Permission.EXPORT, district)
        t = deps.text(request)
        reason, kind = fields.get("reason", "").strip(), fields.get("format", "")
        problems = _problems(t, reason, kind) if allowed else []
        if allowed and not problems:
            try:
                deps.record(
                    request, officer, district, AccessAction.EXPORT,
                    f"export:{district}:{wanted.queue}:{kind}", EVERYONE, reason,
                )  # fmt: skip
            except AccessEntryError:
                problems = [ShownProblem("reason", t("export.problem.reason_number"))]
        if not allowed or problems:
            return deps.render(
                request, "export.html", 403 if not allowed else 422, officer,
                district=district, wanted=wanted, allowed=allowed, problems=problems, form=fields,
            )  # fmt: skip
        rows = _all_rows(deps, district, wanted, t.lang)
        body = to_csv(rows, t) if kind == "csv" else to_xlsx(rows, t)
        name = f"cartax-{district}-{wanted.queue}-{deps.platform.today():%Y%m%d}.{kind}"
        return Response(
            body,
            media_type=FORMATS[kind],
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


def _problems(t: ConsoleText, reason: str, kind: str) -> list[ShownProblem]:
    problems = []
    if kind not in FORMATS:
        problems.append(ShownProblem("format", t("export.problem.format")))
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        problems.append(ShownProblem("reason", t("export.problem.reason")))
    return problems


def _all_rows(deps: ConsoleDeps, district: str, wanted: ListFilter, lang: str) -> list[Row]:
    if wanted.queue in (Queue.LAPSING, Queue.FAILED_TRANSFERS):
        return rows_of(deps, load_lines(deps, district, wanted, None, EXPORT_LIMIT, lang))
    rows: list[Row] = []
    after = None
    while len(rows) < EXPORT_LIMIT:
        lines = load_lines(deps, district, wanted, after, PAGE, lang)
        rows.extend(rows_of(deps, lines))
        if len(lines) < PAGE:
            break
        after = lines[-1].line.case_key
    return rows[:EXPORT_LIMIT]


def _cells(row: Row, t: ConsoleText) -> list[str | int]:
    return [
        row.case_key, row.plate, row.owner, row.tax_year, t.state(row.state), row.payable,
        row.since.date().isoformat(), row.signatures, row.last_day.isoformat() if row.last_day else "",
        row.note,
    ]  # fmt: skip


def to_csv(rows: Sequence[Row], t: ConsoleText) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet opened by double-click reads the Korean right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([t(f"export.column.{name}") for name in COLUMNS])
    for row in rows:
        writer.writerow([_safe(cell) for cell in _cells(row, t)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Row], t: ConsoleText) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(t("export.sheet"))
    sheet.append([t(f"export.column.{name}") for name in COLUMNS])
    for row in rows:
        sheet.append([_safe(cell) for cell in _cells(row, t)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(cell: str | int) -> str | int:
    """A text cell that a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
