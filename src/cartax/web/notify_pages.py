"""The notify context's pages: ``/verify`` ("is this message really from us?"), ``/l/{token}`` (the signed
link in a message, redirecting to the refund's page on the portal) and, in the embedded demo only,
``/demo/inbox`` (what the fake providers delivered to each demo citizen).

``/verify`` is public and limited per client address (guessing codes is what the limit stops); a code
that is not ours says so plainly, with what to do about a suspicious message.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from cartax.bootstrap import Services
from cartax.notify import InvalidNotifyRequestError, LinkInvalidError, NotifyService, Verification, label
from cartax.notify.policy import SEOUL, TokenBucket
from cartax.web.i18n import Translator
from cartax.web.pages import Pages, ShownProblem

NOTIFY_KEYS = ("page.", "channel.", "topic.", "status.", "error.")
LINK_PATH = re.compile(r"/l/([0-9A-Z]{32})")
MAX_CLIENTS = 50_000
CODE_FIELD_LIMIT = 40


@dataclass(frozen=True, slots=True)
class NotifyTranslator:
    """The notify context's wording first, the web catalogue for the rest (the page frame)."""

    base: Translator

    def __call__(self, key: str, **params: Any) -> str:
        if key.startswith(NOTIFY_KEYS):
            return label(key, self.base.lang, **params)
        return self.base(key, **params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


class ClientLimiter:
    """``per_minute`` tries per client address, as a token bucket each; answers the seconds to wait."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.buckets: dict[str, TokenBucket] = {}

    def take(self, client: str) -> float:
        if len(self.buckets) >= MAX_CLIENTS:
            self.buckets.clear()  # a forgotten bucket is a full one: nobody gains more than one burst
        bucket = self.buckets.get(client)
        if bucket is None:
            bucket = self.buckets[client] = TokenBucket(self.per_minute, self.per_minute / 60)
        return bucket.take(self.clock())


def notify_router(pages: Pages, services: Services, limiter: ClientLimiter | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    notify = services.notify.service
    checks = limiter or ClientLimiter(services.notify.verify_per_minute)

    def render(request: Request, name: str, lang: str, status: int = 200, **context: Any) -> Response:
        return pages.render(request, name, lang, status, t=NotifyTranslator(Translator(lang)), **context)

    @router.get("/verify")
    def verify_page(request: Request) -> Response:
        return render(request, "notify/verify.html", pages.language(request), code="", outcome=None)

    @router.post("/verify")
    async def verify_submit(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        lang = pages.language(request, fields.get("lang"))
        code = fields.get("code", "")[:CODE_FIELD_LIMIT]
        client = request.client.host if request.client else "unknown"
        wait = checks.take(client)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            message = label("page.verify.too_many", lang, seconds=seconds)
            response = _form_error(render, request, lang, code, message, 429)
            response.headers["Retry-After"] = str(seconds)
            return response
        return _verify(notify, render, request, lang, code)

    @router.get("/l/{token}")
    def open_link(request: Request, token: str) -> Response:
        lang = pages.language(request)
        try:
            case_key = notify.open_link(token[:64])
        except LinkInvalidError as error:
            status = 410 if error.code == "link_expired" else 404
            problem = ShownProblem(None, error.render(lang))
            return render(request, "notify/link.html", lang, status, problems=(problem,))
        return RedirectResponse(f"/refunds/{quote(case_key, safe='')}", status_code=303)

    @router.get("/demo/inbox")
    def demo_inbox(request: Request) -> Response:
        lang = pages.language(request)
        people = _demo_people(services)
        if not people:
            return render(request, "error.html", lang, 404, kind="404")
        chosen = request.query_params.get("person", "")
        person = chosen if chosen in people else None
        items = notify.inbox(person, 100) if person else []
        shown = [
            {
                "item": item,
                "received": _moment(item.delivered_at, lang),
                "link": _link_of(item.body),
                "channel": label(f"channel.{item.channel}", lang),
            }
            for item in items
        ]
        return render(request, "notify/inbox.html", lang, people=people, person=person, items=shown)

    return router


def _verify(
    notify: NotifyService, render: Callable[..., Response], request: Request, lang: str, code: str
) -> Response:
    try:
        found = notify.verify(code)
    except InvalidNotifyRequestError as error:
        return _form_error(render, request, lang, code, error.render(lang), 422)
    return render(request, "notify/verify.html", lang, code=code, outcome=_outcome(found, lang))


def _form_error(
    render: Callable[..., Response], request: Request, lang: str, code: str, message: str, status: int
) -> Response:
    problem = ShownProblem("code", message)
    return render(
        request, "notify/verify.html", lang, status, code=code, outcome=None, problems=(problem,),
        errors={"code": message},
    )  # fmt: skip


def _outcome(found: Verification | None, lang: str) -> dict[str, Any]:
    if found is None:
        return {"genuine": False}
    channel = label(f"channel.{found.channel}", lang)
    topic = label(f"topic.{found.topic}", lang)
    if found.sent_at is None:
        text = label("page.verify.genuine_unsent", lang, topic=topic, channel=channel)
    else:
        sent_on = _moment(found.sent_at, lang)
        text = label("page.verify.genuine_text", lang, sent_on=sent_on, channel=channel, topic=topic)
    return {"genuine": True, "text": text, "ref": found.ref}


def _moment(moment: datetime, lang: str) -> str:
    local = moment.astimezone(SEOUL)
    day = Translator(lang).date(local.date())
    return f"{day} {local:%H:%M}"


def _link_of(body: str) -> str | None:
    match = LINK_PATH.search(body)
    return f"/l/{match.group(1)}" if match else None


def _demo_people(services: Services) -> dict[str, str]:
    """The demo citizens (the demo sign-in's identities) when the fakes fill the inbox; else none."""
    provider = services.demo_provider
    if provider is None or not services.notify.fakes or not services.embedded:
        return {}
    return {subject: identity.label for subject, identity in provider.identities.items()}
