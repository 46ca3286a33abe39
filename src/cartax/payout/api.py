"""What the other parts of the platform may ask of the payout context (the portal, the officer console,
notify). ``Services.payout`` (built by the composition root) implements it on the database.

Actors are the cases context's :class:`cartax.cases.Actor`: a citizen acts on their own account only,
an officer on anyone's (and is recorded).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from cartax.cases import Actor
from cartax.payout.views import AccountView, Balance, FailedTransferView, PaymentView, ReconciliationReport


class Payout(Protocol):
    def register_account(
        self, owner_id: str, bank: str, number: str, actor: Actor, *, zero_click: bool | None = None
    ) -> AccountView:
        """Register or replace the person's refund account, after the bank's account-holder check.

        ``bank`` is a standard bank code (``"088"``) or name (``"신한은행"``); ``number`` the account
        number, hyphens allowed. ``zero_click``: also give (True) or withdraw (False) the standing consent.
        A replacement holds payouts to the new account for the cooling-off period and raises
        ``AccountChanged``. Raises :class:`InvalidAccountError` (malformed), :class:`AccountRejectedError`
        (``holder_mismatch``, ``account_closed``, ``account_not_found``: nothing registered),
        :class:`BankUnavailableError` (retry), :class:`PayoutForbiddenError` (someone else's account).
        Registering the same account again changes nothing and answers the current view.
        """

    def current_account(self, owner_id: str) -> AccountView | None:
        """The person's current refund account, masked; None if they have none."""

    def set_zero_click(self, owner_id: str, consent: bool, actor: Actor) -> AccountView:
        """Give or withdraw the standing consent to zero-click payment (needs a verified account)."""

    def payment(self, case_key: str) -> PaymentView | None:
        """The case's payment: instruction, transfers with their results, ledger lines; None before
        the payment is decided."""

    def payments_of(self, owner_id: str) -> list[PaymentView]:
        """Every payment of one person, newest first."""

    def failed_transfers(self, district: str, limit: int = 100) -> list[FailedTransferView]:
        """Cases of a district whose transfer failed or which wait for an officer, oldest first."""

    def request_another_account(self, case_key: str, actor: Actor) -> PaymentView:
        """An officer asks the person for another account: the payment is held until the account
        changes, and ``TransferFailed`` (reason ``account_requested``) tells notify to ask."""

    def balances(self, by: str, key: str | None = None) -> list[Balance]:
        """Ledger balances per ``case``, ``owner``, ``district`` or ``day`` (optionally of one key)."""

    def reconcile(self, day: date) -> ReconciliationReport:
        """The day's reconciliation: every transfer id matched with a bank result, or flagged."""
