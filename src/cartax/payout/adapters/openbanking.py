"""The API rail over HTTP, modelled on the Korean open-banking API (오픈뱅킹 공동업무 API v2.0):

- ``POST /v2.0/inquiry/real_name`` — account-holder check (계좌실명조회)
- ``POST /v2.0/transfer/deposit/acnt_num`` — deposit transfer to an account number (입금이체)
- ``POST /v2.0/transfer/result`` — transfer result inquiry by the original id and day (이체결과조회)

Every call carries ``Authorization: Bearer <token>`` and a ``bank_tran_id`` that is unique per day for
the institution (our transfer id). The answer's ``rsp_code`` says whether the API processed the call
(``A0000``); ``bank_rsp_code`` says what the bank did (:data:`BANK_CODES`). A timeout, a connection
error, a 5xx answer or a body that breaks the format is an *unknown* outcome: the worker asks again
by the same id, it never resends under a new one. Account numbers go to the bank and nowhere else:
never into a log line, an exception message or a URL.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import httpx

from cartax.payout.errors import BankUnavailableError
from cartax.payout.model import BankOutcome, FailReason, HolderCheck
from cartax.payout.ports import HolderAnswer, TransferOrder
from cartax.payout.settings import PayoutSettings

log = logging.getLogger("cartax.payout.openbanking")
KST = timezone(timedelta(hours=9))
API_OK = "A0000"
BANK_OK = "000"
BANK_CODES: Mapping[str, str] = MappingProxyType(
    {
        "000": "succeeded",
        "111": "account_not_found",  # 계좌 없음
        "112": "account_closed",  # 해지·거래정지 계좌
        "113": "holder_mismatch",  # 수취인 성명 불일치
        "114": "duplicate",  # 이미 처리된 거래고유번호
        "115": "processing",  # 처리 중: 나중에 다시 조회
        "116": "not_found",  # 조회한 거래가 없음
        "119": "rejected",  # 그 밖의 거절
    }
)
"""``bank_rsp_code`` values the adapter understands (the fake bank answers the same); anything else
is a refusal (``rejected``) for a transfer and an unknown outcome for an inquiry."""
FAILURES = {
    "account_not_found": FailReason.ACCOUNT_NOT_FOUND,
    "account_closed": FailReason.ACCOUNT_CLOSED,
    "holder_mismatch": FailReason.HOLDER_MISMATCH,
    "rejected": FailReason.REJECTED,
}


@dataclass
class OpenBankingClient:
    """:class:`cartax.payout.ports.ApiRail` and :class:`cartax.payout.ports.HolderCheckPort` over HTTP."""

    base_url: str
    token: str
    org_code: str
    debtor_account: str
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None

    @classmethod
    def from_settings(cls, settings: PayoutSettings) -> OpenBankingClient:
        if not settings.api_url:
            raise ValueError("CARTAX_PAYOUT_API_URL must be set when CARTAX_PAYOUT_BANK=openbanking")
        return cls(
            settings.api_url, settings.api_token.get_secret_value(), settings.org_code,
            settings.debtor_account, settings.http_timeout_seconds,
        )  # fmt: skip

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            timeout=self.timeout,
            transport=self.transport,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json; charset=UTF-8",
            },
        )
        self._sequence = 0

    def close(self) -> None:
        self._client.close()

    # -- account-holder check --------------------------------------------------------------------

    def check_holder(self, bank_code: str, account: str, expected: str | None = None) -> HolderAnswer:
        body = {
            "bank_tran_id": self._inquiry_id(),
            "bank_code_std": bank_code,
            "account_num": account,
            "account_holder_info_type": " ",
            "account_holder_info": "",
            "tran_dtime": _now(),
        }
        if expected:
            body["expected_holder_name"] = expected
        try:
            answer = self._post("/v2.0/inquiry/real_name", body)
        except _NoAnswerError:
            raise BankUnavailableError() from None
        meaning = BANK_CODES.get(str(answer.get("bank_rsp_code")), "rejected")
        if meaning == "succeeded" and answer.get("rsp_code") == API_OK:
            return HolderAnswer(HolderCheck.VERIFIED, str(answer.get("account_holder_name") or ""))
        if meaning == "account_closed":
            return HolderAnswer(HolderCheck.CLOSED, None)
        if meaning == "account_not_found":
            return HolderAnswer(HolderCheck.NOT_FOUND, None)
        raise BankUnavailableError()

    # -- transfers ---------------------------------------------------------------------------------

    def transfer(self, order: TransferOrder) -> BankOutcome:
        body = {
            "cntr_account_type": "N",
            "cntr_account_num": self.debtor_account,
            "wd_print_content": order.memo,
            "name_check_option": "on",
            "tran_dtime": _now(),
            "req_cnt": "1",
            "req_list": [
                {
                    "tran_no": "1",
                    "bank_tran_id": order.transfer_id,
                    "bank_code_std": order.bank_code,
                    "account_num": order.account,
                    "account_holder_name": order.holder,
                    "print_content": order.memo,
                    "tran_amt": str(order.amount),
                    "req_client_num": order.client_ref,
                    "transfer_purpose": "TR",
                }
            ],
        }
        try:
            answer = self._post("/v2.0/transfer/deposit/acnt_num", body)
            return _transfer_outcome(_first(answer), order.transfer_id)
        except _NoAnswerError as error:
            log.warning(
                "transfer %s: outcome unknown (%s); it will be asked for by id", order.transfer_id, error
            )
            return BankOutcome(BankOutcome.UNKNOWN)

    def inquire(self, transfer_id: str, day: date, amount: int) -> BankOutcome:
        body = {
            "check_type": "2",
            "tran_dtime": _now(),
            "req_cnt": "1",
            "req_list": [
                {
                    "tran_no": "1",
                    "org_bank_tran_id": transfer_id,
                    "org_bank_tran_date": f"{day:%Y%m%d}",
                    "org_tran_amt": str(amount),
                }
            ],
        }
        try:
            item = _first(self._post("/v2.0/transfer/result", body))
        except _NoAnswerError as error:
            log.warning("inquiry of %s: no answer (%s); asked again later", transfer_id, error)
            return BankOutcome(BankOutcome.UNKNOWN)
        meaning = BANK_CODES.get(str(item.get("bank_rsp_code")))
        if meaning == "not_found":
            return BankOutcome(BankOutcome.NOT_FOUND)
        if meaning in (None, "processing", "duplicate"):
            return BankOutcome(BankOutcome.UNKNOWN)
        return _transfer_outcome(item, transfer_id)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._client.post(path, json=body)
        except httpx.HTTPError as error:
            raise _NoAnswerError(type(error).__name__) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise _NoAnswerError(f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise _NoAnswerError("not JSON") from None
        if not isinstance(answer, dict) or response.status_code >= 400:
            raise _NoAnswerError(f"HTTP {response.status_code}, rsp_code {_code(answer)}")
        return answer

    def _inquiry_id(self) -> str:
        self._sequence = (self._sequence + 1) % 10**8
        return f"{self.org_code}Q{datetime.now(UTC):%S}{self._sequence:07d}"[:20]


class _NoAnswerError(Exception):
    """No usable answer (the reason only, never the request)."""


def _first(answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("rsp_code") != API_OK:
        raise _NoAnswerError(f"rsp_code {_code(answer)}")
    items = answer.get("res_list")
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        raise _NoAnswerError("res_list is not one item")
    item: dict[str, Any] = items[0]
    return item


def _transfer_outcome(item: dict[str, Any], transfer_id: str) -> BankOutcome:
    if item.get("bank_tran_id") not in (None, transfer_id):
        raise _NoAnswerError("the answer names another transfer")
    meaning = BANK_CODES.get(str(item.get("bank_rsp_code")), "rejected")
    amount = int(item["tran_amt"]) if str(item.get("tran_amt", "")).isdigit() else None
    bank_ref = str(item.get("bank_tran_date", "")) + ":" + transfer_id
    if meaning == "succeeded":
        return BankOutcome(BankOutcome.SUCCEEDED, None, bank_ref, amount)
    if meaning == "duplicate":
        return BankOutcome(BankOutcome.DUPLICATE)
    if meaning == "processing":
        return BankOutcome(BankOutcome.UNKNOWN)
    if meaning == "not_found":
        return BankOutcome(BankOutcome.NOT_FOUND)
    return BankOutcome(BankOutcome.FAILED, FAILURES.get(meaning, FailReason.REJECTED), bank_ref, amount)


def _code(answer: object) -> str:
    return str(answer.get("rsp_code")) if isinstance(answer, dict) else "none"


def _now() -> str:
    return f"{datetime.now(KST):%Y%m%d%H%M%S}"
