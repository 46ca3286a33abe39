"""The open-banking HTTP adapter against the fake bank behind the same protocol: answers mapped to
outcomes, a timeout or a broken answer is *unknown* (asked again by id), no account number in logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest

from cartax.payout import BankUnavailableError
from cartax.payout.adapters.fake_bank import FakeBank, Faults
from cartax.payout.adapters.fake_openbanking import mock_transport
from cartax.payout.adapters.openbanking import OpenBankingClient
from cartax.payout.model import BankOutcome, FailReason, HolderCheck, kst_day
from cartax.payout.ports import TransferOrder

DAY = kst_day(datetime.now(UTC))  # the fake bank books a transfer on the day it is sent


def client(bank: FakeBank, transport: httpx.BaseTransport | None = None) -> OpenBankingClient:
    return OpenBankingClient("https://openapi.example", "token", "M202600001", "1005001234567",
                             transport=transport or mock_transport(bank))  # fmt: skip


def order(transfer_id: str = "M202600001U000000001", account: str = "110234567890") -> TransferOrder:
    return TransferOrder(transfer_id, DAY, "088", account, "김민준", 250_970, "1", "자동차세환급")


def test_a_transfer_succeeds_once_and_its_id_is_refused_the_second_time() -> None:
    bank = FakeBank()
    bank.open_account("088", "110234567890", "김민준")
    api = client(bank)
    assert api.transfer(order()).status == BankOutcome.SUCCEEDED
    assert api.transfer(order()).status == BankOutcome.DUPLICATE
    assert api.inquire(order().transfer_id, DAY, 250_970).status == BankOutcome.SUCCEEDED
    assert api.inquire("M202600001U000000009", DAY, 1).status == BankOutcome.NOT_FOUND
    assert len(bank.statement()) == 1


def test_a_closed_account_and_a_wrong_holder_are_refusals_with_their_reason() -> None:
    bank = FakeBank()
    bank.open_account("088", "110234567890", "김민준", closed=True)
    bank.open_account("088", "110234567891", "이서연")
    api = client(bank)
    assert api.transfer(order()).reason is FailReason.ACCOUNT_CLOSED
    assert api.transfer(order("M202600001U000000002", "110234567891")).reason is FailReason.HOLDER_MISMATCH
    assert api.check_holder("088", "110234567891").check is HolderCheck.VERIFIED
    assert api.check_holder("088", "110234567890").check is HolderCheck.CLOSED
    assert api.check_holder("088", "999999999999").check is HolderCheck.NOT_FOUND


def test_a_lost_answer_is_unknown_and_the_inquiry_finds_the_transfer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bank = FakeBank(faults=Faults(timeout_after=1.0))
    bank.open_account("088", "110234567890", "김민준")
    with caplog.at_level(logging.WARNING):
        assert client(bank).transfer(order()).status == BankOutcome.UNKNOWN
    bank.faults = Faults()
    assert client(bank).inquire(order().transfer_id, DAY, 250_970).status == BankOutcome.SUCCEEDED
    assert "110234567890" not in caplog.text
    assert "김민준" not in caplog.text


def test_a_delayed_result_is_unknown_until_the_bank_has_it() -> None:
    bank = FakeBank(faults=Faults(delayed=1.0, delay_inquiries=2))
    bank.open_account("088", "110234567890", "김민준")
    api = client(bank)
    assert api.transfer(order()).status == BankOutcome.UNKNOWN
    assert api.inquire(order().transfer_id, DAY, 250_970).status == BankOutcome.UNKNOWN
    assert api.inquire(order().transfer_id, DAY, 250_970).status == BankOutcome.SUCCEEDED


def test_a_careless_bank_that_accepts_a_duplicate_id_pays_twice_which_the_statement_shows() -> None:
    bank = FakeBank(faults=Faults(accept_duplicate_ids=True))
    bank.open_account("088", "110234567890", "김민준")
    api = client(bank)
    api.transfer(order())
    api.transfer(order())
    assert [row.transfer_id for row in bank.statement()] == [order().transfer_id] * 2


def test_garbage_or_a_server_error_is_unknown_never_a_failure() -> None:
    for response in (httpx.Response(500, text="oops"), httpx.Response(200, text="<html>"),
                     httpx.Response(200, json={"rsp_code": "A0000", "res_list": []})):  # fmt: skip
        api = client(FakeBank(), httpx.MockTransport(lambda _request, r=response: r))
        assert api.transfer(order()).status == BankOutcome.UNKNOWN
        assert api.inquire(order().transfer_id, DAY, 1).status == BankOutcome.UNKNOWN
        with pytest.raises(BankUnavailableError):
            api.check_holder("088", "110234567890")
