"""``/console/notices``: print the district's notices of one kind into one PDF file, with a progress bar.

The notices context typesets the batch (``NoticeService.print_batch``, part by part, memory bounded);
this page asks which kind and why, records the export (a print file holds people's names and amounts) in
the audit trail before anything is typeset, runs the batch in a background thread, and shows its progress
(a page that the console's script refreshes, or the officer reloads). The finished file is offered to the
officer who started it, and to nobody else.

Jobs live in the serving process's memory: a restart forgets running jobs (their partial files are never
offered) and the finished files stay under ``<data_dir>/console-prints`` for the office to clean up.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from cartax.audit import AccessAction, AccessEntryError
from cartax.identity import OfficerPrincipal, Permission
from cartax.notices import DocumentKind, NoticesError, kind_label
from cartax.web.access_log import EVERYONE
from cartax.web.console.deps import ConsoleDeps, chosen_district, may, sign_in_redirect
from cartax.web.pages import ShownProblem

log = logging.getLogger(__name__)
MAX_RUNNING = 2
"""Batches typeset at once (each keeps a core busy; the machine serves requests too)."""
MIN_REASON, MAX_REASON = 5, 200
JOBS_PATH = "/console/notices/jobs/{job_id}"


@dataclass
class PrintJob:
    job_id: str
    officer_id: str
    district: str
    kind: DocumentKind
    total: int
    path: Path
    done: int = 0
    state: str = "running"  # running, finished, failed
    documents: int = 0
    pages: int = 0
    error: str = ""

    @property
    def percent(self) -> int:
        if self.state == "finished":
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0


@dataclass
class PrintJobs:
    folder: Path
    jobs: dict[str, PrintJob] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def running(self) -> int:
        with self.lock:
            return sum(1 for job in self.jobs.values() if job.state == "running")

    def of(self, officer: OfficerPrincipal, job_id: str) -> PrintJob | None:
        """The job, if this officer started it (anyone else: None, as for no job at all)."""
        with self.lock:
            job = self.jobs.get(job_id)
        return job if job is not None and job.officer_id == officer.officer_id else None

    def start(
        self, deps: ConsoleDeps, officer: OfficerPrincipal, district: str, kind: DocumentKind
    ) -> PrintJob:
        job_id = secrets.token_urlsafe(16)
        self.folder.mkdir(parents=True, exist_ok=True)
        total = deps.services.notices.batch_size(district, kind)
        job = PrintJob(job_id, officer.officer_id, district, kind, total, self.folder / f"{job_id}.pdf")
        with self.lock:
            self.jobs[job_id] = job
        threading.Thread(target=self._run, args=(deps, job), name=f"print-{job_id}", daemon=True).start()
        return job

    def _run(self, deps: ConsoleDeps, job: PrintJob) -> None:
        def progress(cases: int) -> None:
            job.done += cases

        try:
            result = deps.services.notices.print_batch(job.district, job.kind, job.path, progress=progress)
        except NoticesError as error:
            job.state, job.error = "failed", error.render("ko")
            return
        except Exception as error:  # the page must say it failed rather than spin for ever
            log.error("printing %s notices of %s failed: %s", job.kind, job.district, type(error).__name__)
            job.state, job.error = "failed", ""
            return
        job.documents, job.pages, job.state = result.documents, result.pages, "finished"


def printing_routes(router: APIRouter, deps: ConsoleDeps) -> None:
    jobs = PrintJobs(deps.platform.settings.data_dir / "console-prints")

    @router.get("/console/notices")
    def print_form(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        district = chosen_district(officer, request.query_params.get("district"))
        if district is None:
            return deps.not_found(request)
        return _form(deps, request, officer, district, {}, [])

    @router.post("/console/notices")
    async def print_start(request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        form = await request.form(max_files=0, max_fields=10)
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        district = chosen_district(officer, fields.get("district"))
        if district is None:
            return deps.not_found(request)
        problems = _problems(deps, request, officer, district, fields, jobs)
        if problems:
            return _form(deps, request, officer, district, fields, problems)
        kind = DocumentKind(fields["kind"])
        job = jobs.start(deps, officer, district, kind)
        return RedirectResponse(JOBS_PATH.format(job_id=job.job_id), status_code=303)

    @router.get(JOBS_PATH)
    def job_page(job_id: str, request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        job = jobs.of(officer, job_id)
        if job is None:
            return deps.not_found(request)
        lang = deps.language(request)
        return deps.render(
            request, "print_job.html", 200, officer,
            district=job.district, job=job, kind_name=kind_label(job.kind, lang),
        )  # fmt: skip

    @router.get(JOBS_PATH + "/status")
    def job_status(job_id: str, request: Request) -> Response:
        officer = deps.officer(request)
        job = jobs.of(officer, job_id) if officer is not None else None
        if job is None:
            return JSONResponse({"state": "unknown"}, status_code=404)
        return JSONResponse(
            {"state": job.state, "done": job.done, "total": job.total, "percent": job.percent}
        )

    @router.get(JOBS_PATH + "/file")
    def job_file(job_id: str, request: Request) -> Response:
        officer = deps.officer(request)
        if officer is None:
            return sign_in_redirect()
        job = jobs.of(officer, job_id)
        if job is None or job.state != "finished" or not job.path.is_file():
            return deps.not_found(request)
        name = f"cartax-{job.district}-{job.kind}-{deps.platform.today():%Y%m%d}.pdf"
        return FileResponse(job.path, media_type="application/pdf", filename=name)


def _problems(
    deps: ConsoleDeps,
    request: Request,
    officer: OfficerPrincipal,
    district: str,
    fields: dict[str, str],
    jobs: PrintJobs,
) -> list[ShownProblem]:
    """What stops the batch; when nothing does, the export is recorded (before anything is typeset)."""
    t = deps.text(request)
    if not may(officer, Permission.EXPORT, district):
        return [ShownProblem(None, t("print.not_allowed"))]
    problems = []
    kind, reason = fields.get("kind", ""), fields.get("reason", "").strip()
    if kind not in set(DocumentKind):
        problems.append(ShownProblem("kind", t("print.problem.kind")))
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        problems.append(ShownProblem("reason", t("print.problem.reason")))
    if not problems and jobs.running() >= MAX_RUNNING:
        problems.append(ShownProblem(None, t("print.problem.busy", n=MAX_RUNNING)))
    if not problems and deps.services.notices.batch_size(district, kind) == 0:
        problems.append(ShownProblem("kind", t("print.problem.empty")))
    if problems:
        return problems
    try:
        deps.record(
            request, officer, district, AccessAction.EXPORT, f"notices:{district}:{kind}", EVERYONE, reason
        )
    except AccessEntryError:
        return [ShownProblem("reason", t("export.problem.reason_number"))]
    return []


def _form(
    deps: ConsoleDeps,
    request: Request,
    officer: OfficerPrincipal,
    district: str,
    fields: dict[str, str],
    problems: list[ShownProblem],
) -> Response:
    lang = deps.language(request)
    kinds = [
        (str(kind), kind_label(kind, lang), deps.services.notices.batch_size(district, kind))
        for kind in DocumentKind
    ]
    allowed = may(officer, Permission.EXPORT, district)
    status = 422 if problems else (200 if allowed else 403)
    return deps.render(
        request, "print.html", status, officer,
        district=district, kinds=kinds, form=fields, problems=problems, allowed=allowed,
    )  # fmt: skip
