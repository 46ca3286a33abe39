"""What the HTTP message providers share: one client with a timeout, and failures mapped to results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from cartax.notify.ports import SendResult


def post_json(
    client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str], prefix: str
) -> tuple[dict[str, Any] | None, SendResult | None]:
    """POST ``body``; the answer's JSON, or the result to record when the call itself failed.

    Timeouts, refused connections, 429 and 5xx are worth retrying; other 4xx are not (the request or
    the account is wrong, and the same request will fail again)."""
    return _call(lambda: client.post(url, json=body, headers=headers), prefix)


def get_json(
    client: httpx.Client, url: str, headers: dict[str, str], prefix: str, params: dict[str, str] | None = None
) -> tuple[dict[str, Any] | None, SendResult | None]:
    return _call(lambda: client.get(url, headers=headers, params=params), prefix)


def _call(
    request: Callable[[], httpx.Response], prefix: str
) -> tuple[dict[str, Any] | None, SendResult | None]:
    try:
        response = request()
    except httpx.TimeoutException:
        return None, SendResult(accepted=False, code=f"{prefix}_timeout", retryable=True)
    except httpx.HTTPError:
        return None, SendResult(accepted=False, code=f"{prefix}_unreachable", retryable=True)
    retryable = response.status_code == 429 or response.status_code >= 500
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400 or not isinstance(data, dict):
        return None, SendResult(
            accepted=False, code=f"{prefix}_http_{response.status_code}", retryable=retryable
        )
    return data, None
