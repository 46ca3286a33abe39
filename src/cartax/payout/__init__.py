"""Payout: exactly-once payment of approved refunds to verified accounts, bank files and API transfers,
reconciliation, and a double-entry append-only ledger (docs/payout.md).

Public surface for the portal, the officer console and notify (through ``Services.payout``)::

    view = services.payout.register_account(owner_id, "088", "110-234-567890", Actor.citizen(owner_id))
    view.masked, view.bank, view.verified, view.cooling_off_until, view.zero_click_consent
    services.payout.current_account(owner_id)
    services.payout.set_zero_click(owner_id, True, Actor.citizen(owner_id))
    services.payout.payment(case_key)            # PaymentView: transfers, results, ledger lines
    services.payout.failed_transfers("11680")    # the officers' list
    services.payout.request_another_account(case_key, Actor.officer(officer_id))

Events on the outbox (never an account number or a name): ``AccountChanged``, ``ZeroClickAnnounced``,
``TransferFailed``, ``RefundPaid``, ``OffsetPosted``, ``PaymentReconciled``.
"""

from __future__ import annotations

from cartax.payout.api import Payout
from cartax.payout.banks import BANKS, bank_code, bank_name, mask, normalise_account
from cartax.payout.errors import (
    AccountRejectedError,
    BankProtocolError,
    BankUnavailableError,
    InvalidAccountError,
    PayoutConflictError,
    PayoutError,
    PayoutForbiddenError,
    PayoutNotFoundError,
)
from cartax.payout.events import (
    AccountChanged,
    OffsetPosted,
    PaymentReconciled,
    RefundPaid,
    TransferFailed,
    ZeroClickAnnounced,
)
from cartax.payout.model import FailReason, HoldReason, InstructionState, TransferState
from cartax.payout.views import (
    AccountView,
    Balance,
    FailedTransferView,
    LedgerLineView,
    PaymentView,
    ReconciliationLine,
    ReconciliationReport,
    TransferView,
)


def label(key: str, lang: str = "ko", **params: object) -> str:
    """A state, hold or failure reason as people read it: ``label("state.paid")`` → ``지급 완료``,
    ``label("hold.cooling_off", until=day)``, ``label("reason.account_closed", "en")``."""
    from cartax.payout.errors import catalogue

    return catalogue().render(key, lang, **params)


__all__ = [
    "BANKS",
    "AccountChanged",
    "AccountRejectedError",
    "AccountView",
    "Balance",
    "BankProtocolError",
    "BankUnavailableError",
    "FailReason",
    "FailedTransferView",
    "HoldReason",
    "InstructionState",
    "InvalidAccountError",
    "LedgerLineView",
    "OffsetPosted",
    "PaymentReconciled",
    "PaymentView",
    "Payout",
    "PayoutConflictError",
    "PayoutError",
    "PayoutForbiddenError",
    "PayoutNotFoundError",
    "ReconciliationLine",
    "ReconciliationReport",
    "RefundPaid",
    "TransferFailed",
    "TransferState",
    "TransferView",
    "ZeroClickAnnounced",
    "bank_code",
    "bank_name",
    "label",
    "mask",
    "normalise_account",
]
