"""Live status: the case's steps pushed to the status page with server-sent events as the case moves.

The stream asks the case's read model once per ``status_poll_seconds`` (a primary-key read) and sends
the rendered steps only when the case changed. It ends when the case reaches a final state (the page
then closes its EventSource) or after ``status_stream_seconds``; the browser reconnects on its own,
which signs the request in again, so a stream never outlives the session that opened it by long.
Without the script, the status page is complete as served and a reload shows the latest.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from sse_starlette.sse import EventSourceResponse

from cartax.cases import CaseReader, CaseStatus
from cartax.web.case_schemas import CASE_KEY_PATTERN
from cartax.web.portal.deps import PortalDeps, visible
from cartax.web.portal.progress import Progress, progress_of
from cartax.web.portal.text import PortalText

CaseId = Annotated[str, Path(pattern=CASE_KEY_PATTERN)]
RETRY_MILLISECONDS = 5000
PING_SECONDS = 15


async def status_changes(
    reader: CaseReader,
    case_key: str,
    poll_seconds: float,
    stream_seconds: float,
    disconnected: Request | None = None,
) -> AsyncIterator[tuple[CaseStatus, Progress]]:
    """The case each time it moves (first as it is now), until it is final or the stream's time is up."""
    deadline = time.monotonic() + stream_seconds
    last: tuple[str, int] | None = None
    while True:
        if disconnected is not None and await disconnected.is_disconnected():
            return
        status = await anyio.to_thread.run_sync(reader.status, case_key)
        if status is None:
            return
        progress = progress_of(status)
        if progress.marker != last:
            last = progress.marker
            yield status, progress
        if progress.final or time.monotonic() >= deadline:
            return
        await anyio.sleep(poll_seconds)


def live_router(deps: PortalDeps) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    template = deps.pages.templates.env.get_template("portal/_progress.html")

    @router.get("/refunds/{case_id}/status/events")
    async def events(request: Request, case_id: CaseId) -> Response:
        citizen = await anyio.to_thread.run_sync(deps.citizen, request)
        if citizen is None:
            raise HTTPException(401)
        status = await anyio.to_thread.run_sync(visible, deps, citizen, case_id)
        t = PortalText(deps.language(request))

        async def stream() -> AsyncIterator[dict[str, str | int]]:
            changes = status_changes(
                deps.reader, status.case_key, deps.status_poll_seconds, deps.status_stream_seconds, request
            )
            async for now, progress in changes:
                html = template.render(t=t, case=now, progress=progress)
                yield {"event": "status", "data": html, "retry": RETRY_MILLISECONDS}
                if progress.final:
                    yield {"event": "end", "data": progress.marker[0]}

        return EventSourceResponse(
            stream(), ping=PING_SECONDS, headers={"Cache-Control": "no-store"}, send_timeout=30
        )

    return router
