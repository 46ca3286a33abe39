"""SMS and LMS through SOLAPI's messages API v4 (documented at developers.solapi.com).

- Auth: ``Authorization: HMAC-SHA256 apiKey=<key>, date=<ISO 8601>, salt=<random>, signature=<hex>``
  where the signature is HMAC-SHA256 of ``date + salt`` under the API secret; a fresh salt per request.
- Send: ``POST {base}/messages/v4/send`` with ``{"message": {"to", "from", "text", "type", "subject"}}``:
  ``type`` ``SMS`` up to 90 bytes (EUC-KR), ``LMS`` above with a ``subject``; ``from`` must be a calling
  number registered in advance (발신번호 사전등록). The answer's ``statusCode`` ``2000`` means accepted
  and ``messageId`` identifies the message; a 4xx answers ``errorCode`` / ``errorMessage``.
- Result: ``GET {base}/messages/v4/list?messageId=…``: ``statusCode`` ``4000`` is delivered, ``2000``/``3000``
  still on its way, any other code a failure.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from cartax.notify.adapters.http_common import get_json, post_json
from cartax.notify.ports import Outgoing, SendResult
from cartax.notify.settings import NotifySettings

NAME = "solapi-sms"
SMS_BYTES = 90
ACCEPTED = "2000"
DELIVERED = "4000"
PENDING = frozenset({"2000", "3000"})
"""Accepted by SOLAPI, then handed to the carrier; every other code is a failure (e.g. 3104 refused)."""
SUBJECT_CHARS = 20


def message_type(text: str) -> str:
    """``SMS`` when the text fits 90 bytes in EUC-KR (a Korean syllable takes 2), ``LMS`` above.

    >>> message_type("환급금 안내"), message_type("가" * 46)
    ('SMS', 'LMS')
    """
    return "SMS" if len(text.encode("euc-kr", errors="replace")) <= SMS_BYTES else "LMS"


def authorization(api_key: str, api_secret: str, date: str, salt: str) -> str:
    """The ``Authorization`` header value for one request.

    >>> authorization("KEY", "SECRET", "2026-07-01T00:00:00Z", "salt")[:40]
    'HMAC-SHA256 apiKey=KEY, date=2026-07-01T'
    """
    signature = hmac.new(api_secret.encode(), (date + salt).encode(), hashlib.sha256).hexdigest()
    return f"HMAC-SHA256 apiKey={api_key}, date={date}, salt={salt}, signature={signature}"


class SolapiSms:
    name = NAME

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        sender: str,
        clock: Callable[[], datetime],
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not (api_key and api_secret and sender):
            raise ValueError(
                "the SOLAPI SMS provider needs CARTAX_NOTIFY_SOLAPI_API_KEY, "
                "CARTAX_NOTIFY_SOLAPI_API_SECRET and CARTAX_NOTIFY_SMS_SENDER"
            )
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.api_secret = api_secret
        self.sender = sender
        self.clock = clock
        self.client = httpx.Client(timeout=timeout, transport=transport)

    @classmethod
    def from_settings(
        cls,
        settings: NotifySettings,
        clock: Callable[[], datetime],
        transport: httpx.BaseTransport | None = None,
    ) -> SolapiSms:
        return cls(
            settings.solapi_base_url,
            settings.solapi_api_key,
            settings.solapi_api_secret.get_secret_value(),
            settings.sms_sender,
            clock,
            timeout=settings.provider_timeout_seconds,
            transport=transport,
        )

    def _headers(self) -> dict[str, str]:
        date = self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        salt = secrets.token_hex(16)
        return {"Authorization": authorization(self.api_key, self.api_secret, date, salt)}

    def send(self, message: Outgoing) -> SendResult:
        kind = message_type(message.body)
        payload: dict[str, Any] = {
            "to": "".join(ch for ch in message.destination if ch.isdigit()),
            "from": self.sender,
            "text": message.body,
            "type": kind,
        }
        if kind == "LMS":
            payload["subject"] = message.subject[:SUBJECT_CHARS]
        data, failure = post_json(
            self.client, f"{self.base}/messages/v4/send", {"message": payload}, self._headers(), "solapi"
        )
        if failure is not None or data is None:
            return failure or SendResult(accepted=False, code="solapi_no_answer", retryable=True)
        status = str(data.get("statusCode", ""))
        if status != ACCEPTED:
            return SendResult(accepted=False, code=f"solapi_{status or 'unknown'}")
        return SendResult(accepted=True, code="accepted", provider_ref=str(data.get("messageId", "")))

    def poll(self, provider_ref: str) -> tuple[bool, str] | None:
        data, failure = get_json(
            self.client,
            f"{self.base}/messages/v4/list",
            self._headers(),
            "solapi",
            {"messageId": provider_ref},
        )
        if failure is not None or data is None:
            return None
        found = (data.get("messageList") or {}).get(provider_ref) or {}
        status = str(found.get("statusCode", ""))
        if status == DELIVERED:
            return True, "delivered"
        if status in PENDING or not status:
            return None
        return False, f"solapi_{status}"
