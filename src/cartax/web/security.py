"""Security headers on every response (OWASP ASVS 5.0 §3.4), as a pure ASGI middleware.

A pure ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: it adds nothing to the cost of a
request beyond the headers themselves and never buffers a body.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
BASE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# Design-system files and our own CSS/JS carry nothing personal; everything else (API answers,
# pages that may show a person's figures) must never be stored by a browser or a proxy.
STATIC_PREFIX = "/static/"
STATIC_CACHE = "public, max-age=86400"
NO_STORE = "no-store"


def security_headers(path: str) -> dict[str, str]:
    """The headers every response to ``path`` carries."""
    cache = STATIC_CACHE if path.startswith(STATIC_PREFIX) else NO_STORE
    return {**BASE_HEADERS, "Cache-Control": cache}


def apply_security_headers(headers: MutableHeaders, path: str) -> None:
    """Add the headers a response does not set itself (a route may choose its own caching)."""
    for name, value in security_headers(path).items():
        if name not in headers:
            headers[name] = value


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                apply_security_headers(MutableHeaders(scope=message), path)
            await send(message)

        await self.app(scope, receive, send_with_headers)
