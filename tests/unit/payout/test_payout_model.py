"""Payout's domain: bank codes and masking, transfer ids, balanced ledger entries."""

from __future__ import annotations

from datetime import date

import pytest

from cartax.payout import InvalidAccountError, bank_code, mask, normalise_account
from cartax.payout.model import (
    Decided,
    Entry,
    EntryKind,
    LedgerAccount,
    Line,
    decided_entries,
    make_transfer_id,
    payment_entry,
    reversal_entry,
)

DAY = date(2026, 8, 14)


def test_an_account_number_is_digits_and_shown_only_by_its_last_four() -> None:
    assert normalise_account(" 110-234 567890 ") == "110234567890"
    assert mask("7890") == "****7890"
    with pytest.raises(InvalidAccountError) as refused:
        normalise_account("12-34")
    assert "10~16" in refused.value.render()
    assert refused.value.code == "invalid_account_number"


def test_a_bank_is_named_by_its_standard_code_or_its_name() -> None:
    assert bank_code("신한은행") == bank_code("088") == "088"
    with pytest.raises(InvalidAccountError, match="088 신한은행"):
        bank_code("Bank of Nowhere")


def test_transfer_ids_are_twenty_characters_and_unique_per_instruction_and_attempt() -> None:
    ids = {
        make_transfer_id("M202600001", instruction, attempt)
        for instruction in range(1, 500)
        for attempt in range(3)
    }
    assert len(ids) == 499 * 3
    assert {len(i) for i in ids} == {20}
    with pytest.raises(ValueError, match="attempt"):
        make_transfer_id("M202600001", 1, 64)


def test_a_decision_with_an_offset_posts_two_balanced_entries() -> None:
    decided = Decided("c1", 1, "o1", "11680", 250_040, 930, 40_000, 210_970)
    entries = decided_entries(decided, DAY)
    assert [e.kind for e in entries] == [EntryKind.DECIDED, EntryKind.OFFSET]
    payment = payment_entry("T1", "c1", "o1", "11680", 210_970, DAY)
    payable = sum(
        line.amount
        for e in [*entries, payment]
        for line in e.lines
        if line.account is LedgerAccount.REFUNDS_PAYABLE
    )
    assert payable == 0  # decided, offset and paid: nothing more is owed
    reversed_ = reversal_entry(entries[0], DAY)
    assert [line.amount for line in reversed_.lines] == [-line.amount for line in entries[0].lines]


def test_an_unbalanced_entry_or_inconsistent_decision_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="does not balance"):
        Entry(
            "k",
            EntryKind.PAYMENT,
            "c",
            "o",
            "11680",
            DAY,
            (Line(LedgerAccount.BANK, -5), Line(LedgerAccount.REFUNDS_PAYABLE, 4)),
        )
    with pytest.raises(ValueError, match="payable must equal"):
        Decided("c1", 1, "o1", "11680", 100, 0, 0, 99)
