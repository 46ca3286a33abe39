"""Cross-site request forgery protection: a double-submit token in a ``__Host-`` cookie.

Every browser gets a random token in ``__Host-cartax-csrf`` (Secure, HttpOnly, SameSite=Strict, path
``/``); pages put the same token in their forms (``csrf_token``) and in a ``<meta name="csrf-token">``
for scripts. A form post to a page route (sign-in and sign-out included) must send the token back in
the field or in the ``X-CSRF-Token`` header, and it must equal the cookie. Another site can make a
browser post a form, but can neither read our token nor set a ``__Host-`` cookie for our origin, so a
forged post carries no matching pair. (OWASP CSRF Prevention Cheat Sheet, "signed double-submit" is not
needed here: the ``__Host-`` prefix already stops the cookie-injection attack it defends against.)

API calls under ``/api/`` are checked where the caller is known (:mod:`cartax.web.auth`): a call signed
in by its session cookie must carry ``X-CSRF-Token``; a call with an API token carries no cookie and
needs none.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cartax.web.problems import problem_response

CSRF_COOKIE = "__Host-cartax-csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_FORM_BYTES = 1024 * 1024
"""The largest form body read to find the token; the calculation form is a few kilobytes."""
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def tokens_match(cookie: str | None, sent: str | None) -> bool:
    """Whether a sent token equals the cookie's (in constant time; an absent one never matches).

    >>> tokens_match("abc", "abc"), tokens_match("abc", "abd"), tokens_match(None, None)
    (True, False, False)
    """
    if not cookie or not sent:
        return False
    return hmac.compare_digest(cookie.encode(), sent.encode())


def cookie_header(token: str) -> str:
    return f"{CSRF_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict"


class CsrfMiddleware:
    """Hands every request a token (``scope["state"]["csrf_token"]``) and refuses forged form posts.

    ``exempt`` are path prefixes checked elsewhere or not at all: the API (checked per caller), static
    files, and the demo identity provider, whose forms are protected by the OpenID ``state`` and PKCE.
    """

    def __init__(self, app: ASGIApp, exempt: Sequence[str] = ("/api/", "/static/")) -> None:
        self.app = app
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(CSRF_COOKIE)
        token = cookie or new_token()
        scope.setdefault("state", {})["csrf_token"] = token
        if scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            body = await _read_body(receive)
            if body is None or not tokens_match(cookie, _sent_token(request, body)):
                response = problem_response(
                    request,
                    403,
                    "csrf_failed",
                    "the form's security token is missing or does not match; reload the page and submit "
                    "the form again (보안 확인값이 맞지 않습니다. 페이지를 새로 고친 뒤 다시 제출하십시오.)",
                )
                await response(scope, receive, send)
                return
            receive = _replay(body)
        await self.app(scope, receive, _with_cookie(send, None if cookie else token))


def _sent_token(request: Request, body: bytes) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return next((value for name, value in fields if name == CSRF_FIELD), None)
    return None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when it is larger than a form can be."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _with_cookie(send: Send, token: str | None) -> Send:
    if token is None:
        return send

    async def send_with_cookie(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).append("set-cookie", cookie_header(token))
        await send(message)

    return send_with_cookie
