"""The refund account on the portal: the one the office already knows, or a new one checked with the bank.

The portal asks the payout context (its public surface) for the person's current account, masked, and
registers a new one through it: payout asks the bank for the account's holder (예금주 조회) and refuses
an account that is not in the entitled person's name, closed or unknown. Before payout holds an account
for a person, the refund account pre-registered with the registry is offered (masked); payout takes it
over, checked with the bank, when the payment is decided. Nothing here keeps an account number: the
form's fields go straight to payout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

from cartax.cases import Actor
from cartax.core.masking import MaskingError, mask_account
from cartax.payout import (
    BANKS,
    AccountRejectedError,
    AccountView,
    BankUnavailableError,
    InvalidAccountError,
    Payout,
    PayoutError,
    label,
)

KST = timezone(timedelta(hours=9), "KST")


@dataclass(frozen=True, slots=True)
class ShownAccount:
    """An account as the person sees it: bank and last four digits only."""

    bank: str
    masked: str
    verified: bool
    source: str
    """``payout`` (registered and checked with the bank) or ``registry`` (known to the office)."""


@dataclass(frozen=True, slots=True)
class Announcement:
    """A zero-click payment announced for a case: the day it will be paid and to which account."""

    pay_on: date
    account: ShownAccount


@dataclass(frozen=True, slots=True)
class PaymentHold:
    """Why a decided payment waits (payout's words), and whether another account would release it."""

    reason: str
    needs_account: bool


NEEDS_ACCOUNT = frozenset({"no_account", "account_closed", "awaiting_new_account", "account_requested"})


class AccountRefusedError(Exception):
    """Payout refused a new account; ``field`` is the form field to fix (or None), ``message`` says why in
    the reader's language and never repeats the number."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Accounts(Protocol):
    def banks(self) -> Mapping[str, str]:
        """Bank code → name, of the banks a refund can be paid to."""

    def current(self, owner_id: str) -> ShownAccount | None: ...

    def zero_click(self, owner_id: str, notified_at: datetime | None) -> Announcement | None:
        """The automatic payment of a case notified at ``notified_at``, if the person has agreed to one
        (it can be objected to until then)."""

    def hold(self, case_key: str, lang: str) -> PaymentHold | None:
        """Why the case's decided payment waits, if it does."""

    def can_register(self) -> bool:
        """Whether a new account can be registered here (payout is wired)."""

    def register(self, owner_id: str, bank_code: str, number: str, lang: str) -> ShownAccount:
        """Register ``number`` as the person's refund account after the bank's holder check; raises
        :class:`AccountRefusedError` with what to fix."""


class RegistryOwner(Protocol):
    @property
    def refund_bank(self) -> str | None: ...
    @property
    def refund_account(self) -> str | None: ...


def registry_account(owner: RegistryOwner | None) -> ShownAccount | None:
    """The account the registry holds for the owner, masked; None when it holds none (or a malformed one)."""
    if owner is None or not owner.refund_bank or not owner.refund_account:
        return None
    try:
        masked = mask_account(owner.refund_account)
    except MaskingError:
        return None
    return ShownAccount(owner.refund_bank, masked, verified=False, source="registry")


def shown(view: AccountView) -> ShownAccount:
    return ShownAccount(view.bank, view.masked, view.verified, "payout")


@dataclass(frozen=True)
class PayoutAccounts:
    """Accounts through the payout context, with the registry's pre-registered account before it has one.

    ``objection_window``: how long after the notice an announced automatic payment is made (the cases
    context's window, which payout also uses), so the page can say when.
    """

    payout: Payout
    owners: Callable[[str], RegistryOwner | None]
    objection_window: timedelta

    def banks(self) -> Mapping[str, str]:
        return BANKS

    def current(self, owner_id: str) -> ShownAccount | None:
        view = self.payout.current_account(owner_id)
        return shown(view) if view is not None else registry_account(self.owners(owner_id))

    def zero_click(self, owner_id: str, notified_at: datetime | None) -> Announcement | None:
        """The automatic payment of a notified case: the person has a verified account with a standing
        consent; it is paid when the objection window ends (or the account's cooling-off, if later)."""
        view = self.payout.current_account(owner_id)
        if notified_at is None or view is None or not (view.verified and view.zero_click_consent):
            return None
        pay_at = notified_at + self.objection_window
        if view.cooling_off_until is not None:
            pay_at = max(pay_at, view.cooling_off_until)
        return Announcement(pay_at.astimezone(KST).date(), shown(view))

    def hold(self, case_key: str, lang: str) -> PaymentHold | None:
        view = self.payout.payment(case_key)
        if view is None or view.hold is None:
            return None
        until = (view.hold_until or datetime.now(KST)).astimezone(KST).date()
        return PaymentHold(label(f"hold.{view.hold}", lang, until=until), str(view.hold) in NEEDS_ACCOUNT)

    def can_register(self) -> bool:
        return True

    def register(self, owner_id: str, bank_code: str, number: str, lang: str) -> ShownAccount:
        try:
            view = self.payout.register_account(owner_id, bank_code, number, Actor.citizen(owner_id))
        except InvalidAccountError as error:
            raise AccountRefusedError(
                "bank" if error.code == "unknown_bank" else "number", error.render(lang)
            ) from None
        except (AccountRejectedError, BankUnavailableError) as error:
            raise AccountRefusedError("number", error.render(lang)) from None
        except PayoutError as error:
            raise AccountRefusedError(None, error.render(lang)) from None
        return shown(view)
