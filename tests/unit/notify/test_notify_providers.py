"""The HTTP providers speak their documented APIs: request shape, authentication, and how each answer
(accepted, refused, 5xx, timeout) becomes a result; checked against httpx's mock transport."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest

from cartax.notify import Channel
from cartax.notify.adapters.nhn_alimtalk import NhnAlimtalk
from cartax.notify.adapters.solapi_sms import SolapiSms, message_type
from cartax.notify.ports import Outgoing

NOW = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)


def outgoing(channel: Channel = Channel.ALIMTALK, body: str = "환급금 안내") -> Outgoing:
    return Outgoing(
        ref="ABCDEFGH12",
        person_id="P-1",
        district="11680",
        channel=channel,
        destination="010-1234-5678",
        subject="자동차세 환급금이 있습니다",
        body=body,
        template="case_opened/v1",
        alimtalk_code="CTX_OPENED_V1",
        params={"amount": "250,040원", "link": "https://x/l/T", "code": "K7Q2-M9XP"},
    )


def nhn(handler: httpx.MockTransport) -> NhnAlimtalk:
    return NhnAlimtalk(
        "https://api-alimtalk.cloud.toast.com", "APPKEY", "SECRET", "S" * 40, transport=handler
    )


def test_nhn_sends_the_registered_template_with_its_parameters() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "header": {"resultCode": 0, "resultMessage": "success", "isSuccessful": True},
                "message": {
                    "requestId": "20260701-REQ",
                    "sendResults": [{"recipientSeq": 1, "resultCode": 0}],
                },
            },
        )

    result = nhn(httpx.MockTransport(answer)).send(outgoing())
    assert (result.accepted, result.provider_ref) == (True, "20260701-REQ:1")
    [request] = seen
    assert request.url.path == "/alimtalk/v2.3/appkeys/APPKEY/messages"
    assert request.headers["X-Secret-Key"] == "SECRET"
    assert request.headers["X-NC-API-IDEMPOTENCY-KEY"] == "ABCDEFGH12"
    body = json.loads(request.content)
    assert body["templateCode"] == "CTX_OPENED_V1"
    assert body["senderKey"] == "S" * 40
    [recipient] = body["recipientList"]
    assert recipient["recipientNo"] == "01012345678"
    assert recipient["templateParameter"]["amount"] == "250,040원"


@pytest.mark.parametrize(
    ("status", "payload", "code", "retryable"),
    [
        (200, {"header": {"resultCode": -1000, "isSuccessful": False}}, "nhn_-1000", False),
        (
            200,
            {
                "header": {"isSuccessful": True},
                "message": {"requestId": "R", "sendResults": [{"resultCode": -2}]},
            },
            "nhn_recipient_-2",
            False,
        ),
        (503, {}, "nhn_http_503", True),
        (401, {}, "nhn_http_401", False),
    ],
)
def test_nhn_refusals_and_outages(
    status: int, payload: dict[str, object], code: str, retryable: bool
) -> None:
    provider = nhn(httpx.MockTransport(lambda _: httpx.Response(status, json=payload)))
    result = provider.send(outgoing())
    assert (result.accepted, result.code, result.retryable) == (False, code, retryable)


def test_a_timeout_is_retried() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    result = nhn(httpx.MockTransport(slow)).send(outgoing())
    assert (result.accepted, result.code, result.retryable) == (False, "nhn_timeout", True)


def test_nhn_delivery_result() -> None:
    answers = {
        "COMPLETED": {"messageStatus": "COMPLETED", "resultCode": "1000"},
        "FAILED": {"messageStatus": "FAILED", "resultCode": "3018"},
    }

    def answer(request: httpx.Request) -> httpx.Response:
        status = "COMPLETED" if request.url.path.endswith("/REQ1/1") else "FAILED"
        return httpx.Response(200, json={"header": {"isSuccessful": True}, "message": answers[status]})

    provider = nhn(httpx.MockTransport(answer))
    assert provider.poll("REQ1:1") == (True, "delivered")
    assert provider.poll("REQ2:1") == (False, "nhn_3018")


def solapi(handler: httpx.MockTransport) -> SolapiSms:
    return SolapiSms(
        "https://api.solapi.com", "NCSKEY", "SECRET", "0212345678", lambda: NOW, transport=handler
    )


def test_solapi_signs_each_request_and_sends_lms_when_long() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"groupId": "G", "messageId": "M123", "statusCode": "2000"})

    result = solapi(httpx.MockTransport(answer)).send(outgoing(Channel.SMS, body="가" * 60))
    assert (result.accepted, result.provider_ref) == (True, "M123")
    [request] = seen
    assert request.url.path == "/messages/v4/send"
    scheme, _, fields = request.headers["Authorization"].partition(" ")
    parts = dict(part.split("=", 1) for part in fields.split(", "))
    assert scheme == "HMAC-SHA256"
    assert parts["apiKey"] == "NCSKEY"
    assert parts["date"] == "2026-07-01T03:00:00Z"
    expected = hmac.new(b"SECRET", (parts["date"] + parts["salt"]).encode(), hashlib.sha256).hexdigest()
    assert parts["signature"] == expected
    message = json.loads(request.content)["message"]
    assert (message["to"], message["from"], message["type"]) == ("01012345678", "0212345678", "LMS")
    assert message["subject"] == "자동차세 환급금이 있습니다"[:20]


def test_solapi_short_text_is_sms_and_a_refusal_is_final() -> None:
    assert message_type("가" * 45) == "SMS"
    refused = httpx.MockTransport(
        lambda _: httpx.Response(400, json={"errorCode": "ValidationError", "errorMessage": "bad number"})
    )
    result = solapi(refused).send(outgoing(Channel.SMS))
    assert (result.accepted, result.code, result.retryable) == (False, "solapi_http_400", False)
    odd = httpx.MockTransport(lambda _: httpx.Response(200, json={"statusCode": "3059", "messageId": "M"}))
    assert solapi(odd).send(outgoing(Channel.SMS)).code == "solapi_3059"


def test_solapi_delivery_result() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        message_id = request.url.params["messageId"]
        status = {"M1": "4000", "M2": "3000", "M3": "3104"}[message_id]
        return httpx.Response(200, json={"messageList": {message_id: {"statusCode": status}}})

    provider = solapi(httpx.MockTransport(answer))
    assert provider.poll("M1") == (True, "delivered")
    assert provider.poll("M2") is None
    assert provider.poll("M3") == (False, "solapi_3104")


def test_providers_refuse_to_start_without_their_keys() -> None:
    with pytest.raises(ValueError, match="CARTAX_NOTIFY_NHN_APPKEY"):
        NhnAlimtalk("https://x", "", "secret", "sender")
    with pytest.raises(ValueError, match="CARTAX_NOTIFY_SMS_SENDER"):
        SolapiSms("https://x", "key", "secret", "", lambda: NOW)
