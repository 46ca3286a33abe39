"""KakaoTalk 알림톡 through NHN Cloud's KakaoTalk Bizmessage API v2.3 (documented at
docs.nhncloud.com, "Notification > KakaoTalk Bizmessage > 알림톡 > API v2.3 Guide").

- Send: ``POST {base}/alimtalk/v2.3/appkeys/{appkey}/messages`` with ``X-Secret-Key`` and
  ``X-NC-API-IDEMPOTENCY-KEY`` (the message reference: the same request within 10 minutes is refused,
  so a retried send never doubles). Body: ``senderKey``, ``templateCode`` (the template registered and
  approved with Kakao) and one recipient with its ``templateParameter`` values (``#{key}``).
  The answer's ``header.isSuccessful`` / ``resultCode`` and ``message.sendResults[].resultCode`` (0 =
  accepted) decide; ``message.requestId`` + ``recipientSeq`` identify the message.
- Result: ``GET {base}/alimtalk/v2.3/appkeys/{appkey}/messages/{requestId}/{recipientSeq}``:
  ``message.messageStatus`` ``COMPLETED`` with ``resultCode`` ``1000`` is delivered; ``FAILED`` is not.

Our own SMS fallback is used instead of the provider's (``resendParameter`` stays off), so every
channel tried is recorded as its own message.
"""

from __future__ import annotations

from typing import Any

import httpx

from cartax.notify.adapters.http_common import get_json, post_json
from cartax.notify.ports import Outgoing, SendResult
from cartax.notify.settings import NotifySettings

NAME = "nhn-alimtalk"
DELIVERED_CODE = "1000"


class NhnAlimtalk:
    name = NAME

    def __init__(
        self,
        base_url: str,
        appkey: str,
        secret_key: str,
        sender_key: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not (appkey and secret_key and sender_key):
            raise ValueError(
                "the NHN Cloud 알림톡 provider needs CARTAX_NOTIFY_NHN_APPKEY, "
                "CARTAX_NOTIFY_NHN_SECRET_KEY and CARTAX_NOTIFY_NHN_SENDER_KEY"
            )
        self.base = f"{base_url.rstrip('/')}/alimtalk/v2.3/appkeys/{appkey}"
        self.secret_key = secret_key
        self.sender_key = sender_key
        self.client = httpx.Client(timeout=timeout, transport=transport)

    @classmethod
    def from_settings(
        cls, settings: NotifySettings, transport: httpx.BaseTransport | None = None
    ) -> NhnAlimtalk:
        return cls(
            settings.nhn_base_url,
            settings.nhn_appkey,
            settings.nhn_secret_key.get_secret_value(),
            settings.nhn_sender_key,
            timeout=settings.provider_timeout_seconds,
            transport=transport,
        )

    def _headers(self, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"X-Secret-Key": self.secret_key, "Content-Type": "application/json;charset=UTF-8"}
        if idempotency_key:
            headers["X-NC-API-IDEMPOTENCY-KEY"] = idempotency_key
        return headers

    def send(self, message: Outgoing) -> SendResult:
        body: dict[str, Any] = {
            "senderKey": self.sender_key,
            "templateCode": message.alimtalk_code,
            "recipientList": [
                {
                    "recipientNo": "".join(ch for ch in message.destination if ch.isdigit()),
                    "templateParameter": message.params,
                    "recipientGroupingKey": message.ref,
                }
            ],
        }
        data, failure = post_json(
            self.client, f"{self.base}/messages", body, self._headers(message.ref), "nhn"
        )
        if failure is not None or data is None:
            return failure or SendResult(accepted=False, code="nhn_no_answer", retryable=True)
        header = data.get("header") or {}
        if not header.get("isSuccessful"):
            return SendResult(accepted=False, code=f"nhn_{header.get('resultCode', 'unknown')}")
        payload = data.get("message") or {}
        results = payload.get("sendResults") or [{}]
        first = results[0]
        if first.get("resultCode") != 0:
            return SendResult(accepted=False, code=f"nhn_recipient_{first.get('resultCode', 'unknown')}")
        reference = f"{payload.get('requestId', '')}:{first.get('recipientSeq', 1)}"
        return SendResult(accepted=True, code="accepted", provider_ref=reference)

    def poll(self, provider_ref: str) -> tuple[bool, str] | None:
        """(delivered, detail) once the provider knows; None while it does not yet (or cannot say)."""
        request_id, _, seq = provider_ref.partition(":")
        data, failure = get_json(
            self.client, f"{self.base}/messages/{request_id}/{seq or '1'}", self._headers(), "nhn"
        )
        if failure is not None or data is None:
            return None
        found = data.get("message") or {}
        status = str(found.get("messageStatus", ""))
        code = str(found.get("resultCode", ""))
        if status == "COMPLETED":
            return code == DELIVERED_CODE, f"nhn_{code}" if code != DELIVERED_CODE else "delivered"
        if status == "FAILED":
            return False, f"nhn_{code or 'failed'}"
        return None
